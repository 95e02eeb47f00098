"""Downloads of released files through the API: ``GET /api/v1/open/download/{dept}/{resource}/{file}``.

The file name a caller sends is only ever compared with the names the release lists
(``open_release.files``); the path served is built from the release's own folder and that listed
name, and checked to lie inside the folder. A name that is not listed (``../``, an encoded
``%2e%2e``, an absolute path, a file lying next to the release) is a 404 before any path is made
from it. Every file served is a ``download_log`` row.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse

from ..share.schemas import DEPARTMENT_ID, RESOURCE_ID, error_responses
from .access import Refused, authorise, log_read, presented_key
from .datasets import Dataset, find_dataset
from .layout import data_file
from .web import DB, note, refuse, settings_of, within_anonymous_limit, within_limit

router = APIRouter(tags=["open data"])
_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "": "text/plain; charset=utf-8",
}  # "": SHA256SUMS
_MEDIA_TYPES = [*dict.fromkeys(_TYPES.values()), "application/octet-stream"]


class NotServed(LookupError):
    """The name is not a file of the release (or the file is missing); the message is safe to show."""


def release_file(home: FilePath, dataset: Dataset, name: str) -> FilePath:
    """The path of ``name`` in the dataset's release, when the release lists it."""
    release = dataset.release
    if name not in release.files:
        listed = ", ".join(sorted(release.files)) or "none"
        raise NotServed(f"not a file of {dataset.qualified} v{release.version}; its files: {listed}")
    root = home.resolve()
    folder = (root / release.folder).resolve()
    path = (folder / name).resolve()
    if not (folder.is_relative_to(root) and path.is_relative_to(folder) and path != folder):
        raise NotServed(f"not a file of {dataset.qualified} v{release.version}")
    if not path.is_file():
        raise NotServed(f"{name} of {dataset.qualified} v{release.version} is missing on the server")
    return path


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
