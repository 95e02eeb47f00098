"""The actions of the CKAN-compatible Action API (``gongshu.api.routers.ckan`` serves them): each takes
a :class:`Context` (the request, a session, the parameters as sent) and returns CKAN's ``result``, or
raises :class:`CkanError` in CKAN's error shape. Parameters are parsed here rather than by FastAPI,
because CKAN takes the same ones from a query string and from a JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.orm import Session

from ..open import ckan_dicts as dicts
from ..open.access import Refused, authorise, log_read
from ..open.ckan_search import BadSort, SearchQueryError, search
from ..open.datasets import Dataset, all_datasets, departments, find_dataset, split_name
from ..open.datastore import DEFAULT_LIMIT, MAX_LIMIT, BadSearch, Search, columns
from ..open.datastore import search as datastore_query
from ..open.layout import open_table_name
from .auth import presented_key
from .web import anonymous_wait, call_of, settings_of

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
        anonymous(self.request)


def anonymous(request: Request) -> None:
    """Spend one call of the caller's address (a call made with no usable key); 429 beyond it."""
    wait = anonymous_wait(request)
    if wait:
        raise rate_limited(wait, "Rate limit exceeded for calls without a key from this address")


def api_base(request: Request) -> str:
    return settings_of(request).api_base.rstrip("/") + "/"


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
    resource_id = _text(ctx, "resource_id", required=True) or ""
    dataset, key_id = _datastore_reader(ctx, resource_id)
    wanted = _search(ctx)
    conn = ctx.session.connection()
    known = columns(conn, dataset.department, dataset.resource.id)
    if known is None:
        raise not_found("Resource has no datastore table yet")
    try:
        page = datastore_query(conn, dataset.department, dataset.resource.id, known, wanted)
    except BadSearch as exc:
        raise invalid(exc.field, str(exc)) from None
    log_read(ctx.session, dataset, "datastore_search", key_id, len(page.records))
    call = call_of(ctx.request)
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


def _datastore_reader(ctx: Context, resource_id: str) -> tuple[Dataset, str | None]:
    """The dataset of ``resource_id`` and the key id it is read with (None: a public dataset), noted in
    the call log; the call spends its key's budget, or its address's when the key is not used."""
    keyed = bool(presented_key(ctx.request))
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
    return dataset, key_id


def _search(ctx: Context) -> Search:
    """The datastore query the parameters ask for."""
    fields = _json(ctx, "fields", (list, str))
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    return Search(
        filters=_json(ctx, "filters", (dict,)) or {},
        q=_json(ctx, "q", (str, dict)),
        fields=fields,
        sort=_text(ctx, "sort"),
        limit=_int(ctx, "limit", DEFAULT_LIMIT, MAX_LIMIT),
        offset=_int(ctx, "offset", 0),
    )


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
