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
takes the same ones from a query string and from a JSON body, and answers its own error shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from ..share.schemas import RETRY_AFTER
from . import ckan_dicts as dicts
from .access import Refused, authorise, log_read, presented_key
from .ckan_search import BadSort, SearchQueryError, search
from .datasets import Dataset, all_datasets, departments, find_dataset, split_name
from .datastore import DEFAULT_LIMIT, MAX_LIMIT, BadSearch, Search, columns
from .datastore import search as datastore_query
from .layout import open_table_name
from .web import anonymous_wait, call_of, settings_of

router = APIRouter()
ACTION_PATHS = ("/api/3/action/{action}", "/api/action/{action}")
ACTION_NAMES = (
    "package_list",
    "package_search",
    "package_show",
    "resource_show",
    "organization_list",
    "organization_show",
    "datastore_search",
)
MAX_ROWS = 1000  # package_search, as CKAN's ckan.search.rows_max
MAX_NUMBER = 2**31 - 1
"""The largest ``limit``, ``offset``, ``rows`` or ``start`` taken (409 above it): what every database
binds, and far past any dataset's end. ``limit`` and ``rows`` above their maximum are capped, as CKAN
caps them."""


class CkanError(Exception):
    def __init__(self, status: int, error: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(error.get("message") or json.dumps(error, ensure_ascii=False))
        self.status, self.error, self.headers = status, error, headers


def rate_limited(wait: int, message: str) -> CkanError:
    return CkanError(
        429, {"__type": "Rate Limit", "message": f"{message}; retry after {wait} s"}, {"Retry-After": str(wait)}
    )


def not_found(message: str) -> CkanError:
    return CkanError(404, {"__type": "Not Found Error", "message": f"Not found: {message}"})


def invalid(field: str, problem: str) -> CkanError:
    return CkanError(409, {"__type": "Validation Error", field: [problem]})


def denied(message: str) -> CkanError:
    return CkanError(403, {"__type": "Authorization Error", "message": f"Access denied: {message}"})


def bad_request(message: str) -> CkanError:
    return CkanError(400, {"__type": "Bad request", "message": f"Bad request - {message}"})


@dataclass
class Context:
    request: Request
    session: Session
    params: dict[str, Any]

    @property
    def base_url(self) -> str:
        """The configured address of the API (``GONGSHU_API_BASE``), never the request's Host header."""
        return api_base(self.request)

    def anonymous(self) -> None:
        _anonymous(self.request)


def _anonymous(request: Request) -> None:
    """Spend one call of the caller's address (a call made with no usable key); 429 beyond it."""
    wait = anonymous_wait(request)
    if wait:
        raise rate_limited(wait, "Rate limit exceeded for calls without a key from this address")


def api_base(request: Request) -> str:
    return settings_of(request).api_base.rstrip("/") + "/"


_CKAN_ERROR = {
    "type": "object",
    "required": ["help", "success", "error"],
    "properties": {"help": {"type": "string"}, "success": {"const": False}, "error": {"type": "object"}},
}
_DOC = {
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
            _anonymous(request)
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


# ---- parameters ---------------------------------------------------------------------------------


def _int(ctx: Context, name: str, default: int, cap: int | None = None) -> int:
    """A natural number up to :data:`MAX_NUMBER` (409 otherwise), capped at ``cap``."""
    value = ctx.params.get(name, default)
    if value is None or value == "":
        return default
    try:
        if isinstance(value, float | bool) or not isinstance(value, int | str):  # 1e400 is a float: inf
            raise ValueError
        number = int(value)
        if not 0 <= number <= MAX_NUMBER:
            raise ValueError
    except (TypeError, ValueError):
        raise invalid(name, f"Must be a natural number, at most {MAX_NUMBER}") from None
    return min(number, cap) if cap is not None else number


def _text(ctx: Context, name: str, required: bool = False) -> str | None:
    value = ctx.params.get(name)
    if value is None or value == "":
        if required:
            raise invalid(name, "Missing value")
        return None
    if not isinstance(value, str) or len(value) > 2000:
        raise invalid(name, "Must be text (at most 2000 characters)")
    return value


def _bool(ctx: Context, name: str) -> bool:
    value = ctx.params.get(name, False)
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"))


def _json(ctx: Context, name: str, kinds: tuple[type, ...]) -> Any:
    """A structured parameter: as sent in a JSON body, or JSON text in a query string."""
    value = ctx.params.get(name)
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid(name, "Cannot parse JSON") from None
    if value is not None and not isinstance(value, kinds):
        raise invalid(name, f"Must be {' or '.join(k.__name__ for k in kinds)}")
    return value


# ---- packages -----------------------------------------------------------------------------------


def _with_datastore(session: Session) -> set[str]:
    return {name for name in sa.inspect(session.connection()).get_table_names() if name.startswith("opn_")}


def _packages(ctx: Context, datasets: list[Dataset]) -> list[dict[str, Any]]:
    tables = _with_datastore(ctx.session)
    return [dicts.package(d, ctx.base_url, open_table_name(d.department, d.resource.id) in tables) for d in datasets]


def _dataset(ctx: Context, name: str) -> Dataset:
    parts = split_name(name)
    found = find_dataset(ctx.session, *parts) if parts else None
    if found is None:
        raise not_found("Dataset was not found (id: <department>-<resource>, see package_list)")
    return found


def package_list(ctx: Context) -> list[str]:
    limit, offset = _int(ctx, "limit", 0), _int(ctx, "offset", 0)
    names = sorted(d.name for d in all_datasets(ctx.session))
    return names[offset : offset + limit] if limit else names[offset:]


def package_search(ctx: Context) -> dict[str, Any]:
    rows, start = _int(ctx, "rows", 10, MAX_ROWS), _int(ctx, "start", 0)
    fq = _text(ctx, "fq")
    fq_list = _json(ctx, "fq_list", (list,)) or []
    if not all(isinstance(f, str) for f in fq_list):
        raise invalid("fq_list", "Must be a list of text")
    sort = _text(ctx, "sort")
    try:
        found = search(_packages(ctx, all_datasets(ctx.session)), _text(ctx, "q"), " ".join([fq or "", *fq_list]), sort)
    except SearchQueryError as exc:
        raise CkanError(400, {"__type": "Search Query Error", "message": f"Search Query is invalid: {exc}"}) from None
    except BadSort as exc:
        raise invalid("sort", str(exc)) from None
    return {
        "count": len(found),
        "results": found[start : start + rows],
        "sort": sort or "score desc, metadata_modified desc",
        "facets": {},
        "search_facets": {},
    }


def package_show(ctx: Context) -> dict[str, Any]:
    dataset = _dataset(ctx, _text(ctx, "id", required=True) or "")
    return _packages(ctx, [dataset])[0]


def resource_show(ctx: Context) -> dict[str, Any]:
    wanted = _text(ctx, "id", required=True) or ""
    for package in _packages(ctx, all_datasets(ctx.session)):
        for resource in package["resources"]:
            if resource["id"] == wanted:
                return resource
    raise not_found("Resource was not found (id: see the resources of package_show)")


# ---- organisations ------------------------------------------------------------------------------


def _organizations(ctx: Context) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for d in all_datasets(ctx.session):
        counts[d.department] = counts.get(d.department, 0) + 1
    return [dicts.organization(key, name, counts.get(key, 0)) for key, name in departments(ctx.session)]


def organization_list(ctx: Context) -> list[Any]:
    orgs = _organizations(ctx)
    sort = (_text(ctx, "sort") or "name asc").split() or ["name"]
    if sort[0] not in ("name", "title", "package_count") or len(sort) > 2 or sort[-1] not in (sort[0], "asc", "desc"):
        raise invalid("sort", "write 'name asc', 'title asc' or 'package_count desc'")
    orgs.sort(key=lambda o: o[sort[0]], reverse=sort[-1] == "desc")
    limit, offset = _int(ctx, "limit", 0), _int(ctx, "offset", 0)
    orgs = orgs[offset : offset + limit] if limit else orgs[offset:]
    return orgs if _bool(ctx, "all_fields") else [o["name"] for o in orgs]


def organization_show(ctx: Context) -> dict[str, Any]:
    wanted = _text(ctx, "id", required=True)
    for org in _organizations(ctx):
        if wanted in (org["id"], org["name"]):
            if _bool(ctx, "include_datasets"):
                mine = [d for d in all_datasets(ctx.session) if d.department == org["name"]]
                org["packages"] = _packages(ctx, mine)
            return org
    raise not_found("Organization was not found (id: see organization_list)")


# ---- datastore ----------------------------------------------------------------------------------


def _datastore_dataset(ctx: Context, resource_id: str) -> Dataset:
    name = resource_id.removesuffix(".csv")
    parts = split_name(name)
    found = find_dataset(ctx.session, *parts) if parts else None
    if found is None or resource_id not in (found.name, dicts.datastore_id(found)):
        raise not_found("Resource was not found (resource_id: <department>-<resource>.csv)")
    return found


def datastore_search(ctx: Context) -> dict[str, Any]:
    keyed = bool(presented_key(ctx.request))
    resource_id = _text(ctx, "resource_id", required=True) or ""
    try:
        dataset = _datastore_dataset(ctx, resource_id)
    except CkanError:
        if keyed:  # the key was not used: the call counts as one without a key
            ctx.anonymous()
        raise
    call = call_of(ctx.request)
    if call is not None:
        call.provider, call.resource = dataset.department, dataset.resource.id
    try:
        key_id = authorise(ctx.session, dataset, presented_key(ctx.request))
    except Refused as exc:
        if keyed:
            ctx.anonymous()
        raise denied(str(exc)) from None
    if key_id:
        if call is not None:
            call.key_id = key_id
        wait = ctx.request.app.state.limiter.acquire(key_id)
        if wait:
            raise rate_limited(wait, "Rate limit exceeded for this key")
    elif keyed:  # a 无条件开放 dataset: the key sent along is not looked at
        ctx.anonymous()
    fields = _json(ctx, "fields", (list, str))
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    wanted = Search(
        filters=_json(ctx, "filters", (dict,)) or {},
        q=_json(ctx, "q", (str, dict)),
        fields=fields,
        sort=_text(ctx, "sort"),
        limit=_int(ctx, "limit", DEFAULT_LIMIT, MAX_LIMIT),
        offset=_int(ctx, "offset", 0),
    )
    conn = ctx.session.connection()
    known = columns(conn, dataset.department, dataset.resource.id)
    if known is None:
        raise not_found("Resource has no datastore table yet")
    try:
        page = datastore_query(conn, dataset.department, dataset.resource.id, known, wanted)
    except BadSearch as exc:
        raise invalid(exc.field, str(exc)) from None
    log_read(ctx.session, dataset, "datastore_search", key_id, len(page.records))
    if call is not None:
        call.rows = len(page.records)
    return {
        "resource_id": resource_id,
        "fields": [_field(dataset, name) for name in page.fields],
        "records": page.records,
        "total": page.total,
        "total_was_estimated": False,
        "limit": wanted.limit,
        "offset": wanted.offset,
        "filters": wanted.filters,
        "records_format": "objects",
        "_links": _links(ctx, wanted),
        **({"q": wanted.q} if wanted.q else {}),
        **({"sort": wanted.sort} if wanted.sort else {}),
    }


def _field(dataset: Dataset, name: str) -> dict[str, Any]:
    if name == "_id":
        return {"id": name, "type": "int"}
    declared = dataset.resource.field(name)
    info = {"label": declared.label or name, "notes": declared.description or ""} if declared else {}
    return {"id": name, "type": "text", **({"info": info} if info else {})}


def _links(ctx: Context, s: Search) -> dict[str, str]:
    """CKAN's ``start`` and ``next`` links; no ``next`` past the largest offset taken."""
    kept = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in ctx.params.items()}
    kept.pop("offset", None)
    path = ACTION_PATHS[0].format(action="datastore_search")
    links = {"start": f"{path}?{urlencode(kept)}"}
    if s.offset + s.limit <= MAX_NUMBER:
        links["next"] = f"{path}?{urlencode({**kept, 'offset': s.offset + s.limit})}"
    return links


ACTIONS: dict[str, Callable[[Context], Any]] = {
    f.__name__: f
    for f in (
        package_list,
        package_search,
        package_show,
        resource_show,
        organization_list,
        organization_show,
        datastore_search,
    )
}
assert tuple(ACTIONS) == ACTION_NAMES
