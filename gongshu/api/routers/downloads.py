"""Downloads of released files through the API: ``GET /api/v1/open/download/{dept}/{resource}/{file}``.

Only a file the release lists is served (``gongshu.open.downloads.release_file``); any other name is
a 404 before any path is made from it. Every file served is a ``download_log`` row.
"""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse

from ...open.access import Refused, authorise, log_read
from ...open.datasets import find_dataset
from ...open.downloads import NotServed, release_file
from ...open.layout import data_file
from ..auth import presented_key
from ..schemas import DEPARTMENT_ID, RESOURCE_ID, error_responses
from ..web import DB, note, refuse, settings_of, within_anonymous_limit, within_limit

router = APIRouter(tags=["open data"])
_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "": "text/plain; charset=utf-8",
}  # "": SHA256SUMS
_MEDIA_TYPES = [*dict.fromkeys(_TYPES.values()), "application/octet-stream"]


@router.get(
    "/open/download/{department}/{resource}/{file}",
    summary="开放数据下载 a file of an open dataset's release (有条件开放: an approved applicant's key)",
    response_class=FileResponse,
    responses={
        200: {
            "description": "the file",
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in _MEDIA_TYPES},
        },
        **error_responses(401, 403, 404, 422, 429),
    },
)
def download(
    request: Request,
    session: DB,
    department: Annotated[str, Path(pattern=DEPARTMENT_ID)],
    resource: Annotated[str, Path(pattern=RESOURCE_ID)],
    file: Annotated[str, Path(max_length=200)],
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="a release version; default the newest")
    ] = None,
) -> FileResponse:
    note(request, department, resource)
    dataset = find_dataset(session, department, resource, version)
    if dataset is None:
        within_anonymous_limit(request)
        which = "no such release of an open dataset" if version else "no such open dataset"
        raise refuse(404, f"{which}; the open datasets are listed by /api/3/action/package_list")
    try:
        key_id = authorise(session, dataset, presented_key(request))
    except Refused as exc:
        within_anonymous_limit(request)
        raise refuse(exc.status, str(exc)) from None
    note(request, department, resource, key_id)
    if key_id:
        within_limit(request, key_id)
    else:  # a public file: anyone may fetch it, within the address's budget
        within_anonymous_limit(request)
    try:
        path = release_file(settings_of(request).home, dataset, file)
    except NotServed as exc:
        raise refuse(404, str(exc)) from None
    is_data = file.startswith(data_file(department, resource, ""))
    log_read(session, dataset, file, key_id, dataset.release.rows if is_data else None)
    session.commit()
    suffix = path.suffix.lstrip(".").lower()
    media = _TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, filename=path.name)
