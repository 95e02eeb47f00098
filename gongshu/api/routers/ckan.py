"""A CKAN-compatible subset of the Action API, over the open datasets: ``/api/3/action/<action>`` (and
``/api/action/<action>``, where ckanapi sends its calls), GET with query parameters or POST with a
JSON body, answers in CKAN's envelope ``{"help", "success", "result"}`` and errors in CKAN's shape
and status codes, so that CKAN clients (ckanapi, harvesters, the portals' own tools) work unchanged:

  package_list, package_search, package_show, organization_list, organization_show, resource_show,
  datastore_search

404 ``Not Found Error``, 409 ``Validation Error`` (``{"<parameter>": ["<problem>"]}``), 403
``Authorization Error`` (a 有条件开放 dataset's rows without its applicant's key), 400 ``Search Query
Error`` and unknown actions. Metadata of every open dataset, 有条件开放 ones included, is public;
their rows and files are not. Parameters are parsed here rather than by FastAPI, because CKAN
takes the same ones from a query string and from a JSON body, and answers its own error shape. The
actions themselves are in ``gongshu.api.ckan_actions``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from ..auth import presented_key
from ..ckan_actions import (
    ACTION_NAMES,
    ACTION_PATHS,
    ACTIONS,
    MAX_NUMBER,
    CkanError,
    Context,
    anonymous,
    api_base,
    bad_request,
)
from ..schemas import RETRY_AFTER
from ..web import call_of

router = APIRouter()

_CKAN_ERROR = {
    "type": "object",
    "required": ["help", "success", "error"],
    "properties": {"help": {"type": "string"}, "success": {"const": False}, "error": {"type": "object"}},
}
_DOC: dict[str, Any] = {
    "tags": ["open data"],
    "summary": "CKAN Action API (数据开放): package_list, package_search, package_show, organization_list, "
    "organization_show, resource_show, datastore_search",
    "description": "CKAN's own envelope (`help`, `success`, `result` or `error`); parameters as a query "
    "string or a JSON body, as CKAN takes them (docs/opening-api.md): `limit`, `offset`, `rows` and `start` are "
    f"natural numbers up to {MAX_NUMBER} (409 otherwise), `limit` and `rows` capped at 1000. "
    "`/api/action/{action}` is the same, the path ckanapi uses.",
    "responses": {
        code: {
            "description": description,
            "content": {"application/json": {"schema": _CKAN_ERROR}},
            **({"headers": RETRY_AFTER} if code == 429 else {}),
        }
        for code, description in {
            400: "Bad request (an unknown action, a body that is not a JSON object) or a Search Query Error",
            403: "Authorization Error: a 有条件开放 dataset's rows without its applicant's key",
            404: "Not Found Error",
            409: 'Validation Error: `{"<parameter>": ["<problem>"]}`',
            429: "rate limit exceeded (the key's, or the address's calls without a key): wait Retry-After seconds",
        }.items()
    },
}


@router.get(ACTION_PATHS[0], operation_id="ckan_action_get", **_DOC)
@router.post(ACTION_PATHS[0], operation_id="ckan_action_post", **_DOC)
@router.api_route(ACTION_PATHS[1], methods=["GET", "POST"], include_in_schema=False)
async def action(
    request: Request,
    # the document lists the actions served; any other name is still CKAN's 400, answered here
    action: Annotated[str, Path(json_schema_extra={"enum": list(ACTION_NAMES)})],
) -> JSONResponse:
    known = action in ACTION_NAMES
    help_url = f"{api_base(request)}api/3/action/help_show" + (f"?name={action}" if known else "")
    try:
        if not (action == "datastore_search" and presented_key(request)):
            # a call that can take no key (metadata is public), or sends none: its address's budget.
            # datastore_search with a key is limited by the key, or by the address if the key is not
            # used (a 无条件开放 dataset) or not valid (see datastore_search)
            anonymous(request)
        if not known:  # the name as sent is not repeated: it may be anything
            raise bad_request("Action name not known; see /docs for the actions served")
        params = await _params(request)
        result = await anyio.to_thread.run_sync(_run, request, ACTIONS[action], params)
    except CkanError as exc:
        call = call_of(request)
        if call is not None:
            call.error = str(exc)[:2000]
        return JSONResponse(
            {"help": help_url, "success": False, "error": exc.error}, status_code=exc.status, headers=exc.headers
        )
    return JSONResponse({"help": help_url, "success": True, "result": result})


async def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query_params)
    body = await request.body()
    if not body.strip():
        return dict(request.query_params)
    try:
        params = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("JSON Error: the body is not JSON (send a JSON object, or use GET)") from None
    if not isinstance(params, dict):
        raise bad_request("JSON Error: the body must be a JSON object")
    return params


def _run(request: Request, act: Callable[[Context], Any], params: dict[str, Any]) -> Any:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        result = act(Context(request, session, params))
        session.commit()
    return result
