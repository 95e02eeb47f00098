"""The data endpoint of the sharing API: ``GET /api/v1/data/{department}/{resource}``, a page of the
fields granted to the key's department, as JSON or CSV, followed by an opaque cursor.

The checks, in order: a valid key (401), the resource registered (404), not an admin key (403: an
admin manages requests, reads no data), not 不予共享 (403, whatever grant may linger), an active
grant (403), every requested or filtered field granted (403 naming it). What a caller sends is
validated before use (422) and never becomes SQL text (``gongshu.share.data``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from pydantic import StringConstraints

from ...share.calllog import Call
from ...share.data import DEFAULT_LIMIT, MAX_LIMIT, BadQuery, read_page, to_csv, to_json
from ...share.keys import InvalidKey
from ...share.lookup import look_up
from ...share.resources import SharedResource
from ...share.workflow import NEVER
from ..auth import Presented, admit, unauthorised
from ..schemas import DEPARTMENT_ID, RESOURCE_ID, DataPageOut
from ..web import PREFIX, call_in, refuse
from .share import CONFLICT, ERRORS, NO_RESOURCE, NOT_FOUND

router = APIRouter()


@router.get(
    "/data/{department}/{resource}",
    tags=["data"],
    summary="共享数据 a page of the granted fields of a resource",
    description=f"Rows ordered by the primary key; follow `next_cursor` (null on the last page). "
    f"`limit` at most {MAX_LIMIT}. `filter=field:value` (repeatable: the same field repeated matches "
    "any of its values, different fields must all match). `format=csv`: UTF-8 with BOM, the next "
    "cursor in the `X-Next-Cursor` header. Only fields granted to the key's department, ever.",
    response_model=DataPageOut,
    responses={
        **ERRORS,
        **NOT_FOUND,
        **CONFLICT,
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "a page of rows"},
    },
)
async def read_data(
    request: Request,
    department: Annotated[str, Path(pattern=DEPARTMENT_ID, description="the providing department")],
    resource: Annotated[str, Path(pattern=RESOURCE_ID)],
    presented: Presented,
    fields: Annotated[
        str | None,
        Query(
            max_length=2000,
            pattern=r"[^,\s]",
            description="comma-separated field names; default: all granted fields",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    filters: Annotated[
        list[Annotated[str, StringConstraints(max_length=500, pattern=r"^[^:]*[^:\s][^:]*:")]] | None,
        Query(alias="filter", max_length=20, description="field:value, equality"),
    ] = None,
) -> Response:
    # The hot path of the service: the whole call (key, resource, grant, page, encoding) is one
    # function on one connection, and the page is encoded once, by orjson, rather than validated
    # again as a response model (DataPageOut is what it documents). Each thread hop of a sync
    # dependency or endpoint cost about as much as the page query.
    call = call_in(request)
    call.provider, call.resource = department, resource
    query = _PageQuery(department, resource, fields, limit, cursor, format, filters or [])
    if request.app.state.inline_reads:
        return _serve_page(request.app, call, presented, query)
    return await anyio.to_thread.run_sync(_serve_page, request.app, call, presented, query)


@dataclass(frozen=True)
class _PageQuery:
    department: str
    resource: str
    fields: str | None
    limit: int
    cursor: str | None
    format: str
    filters: list[str]


def _serve_page(app: FastAPI, call: Call, presented: str | None, q: _PageQuery) -> Response:
    department, resource = q.department, q.resource
    with app.state.engine.connect() as conn:
        try:
            found = look_up(conn, presented, department, resource)
        except InvalidKey as exc:
            raise unauthorised(app, call, exc) from None
        principal = admit(app, call, found.principal)
        shared, granted = found.shared, found.granted
        if shared is None:
            raise refuse(404, NO_RESOURCE)
        if principal.is_admin:
            raise refuse(403, "an admin key manages requests and reads no data")
        if shared.share_type == NEVER:
            raise refuse(403, f"{department}.{resource} is 不予共享 (not shareable): its data is never served")
        if not granted:
            raise refuse(
                403,
                f"department {principal.department} has no active grant on {department}.{resource}: "
                f"apply with POST {PREFIX}/requests",
            )
        chosen = _chosen_fields(shared, granted, q.fields)
        wanted = _filters(shared, granted, q.filters)
        call.fields = chosen
        try:
            page = read_page(
                conn,
                department,
                shared.resource,
                chosen,
                filters=wanted,
                cursor=q.cursor,
                limit=q.limit,
                seal=app.state.seal,
                table=shared.table,
            )
        except BadQuery as exc:
            raise refuse(409, str(exc)) from None
        except sa.exc.DBAPIError:
            conn.rollback()
            if not sa.inspect(conn).has_table(shared.table.name):
                raise refuse(404, f"{department}.{resource} has no cleansed data yet") from None
            raise
    call.rows = len(page.rows)
    if q.format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{department}-{resource}.csv"'}
        if page.next_cursor:
            headers["X-Next-Cursor"] = page.next_cursor
        return Response(to_csv(page), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(to_json(page), media_type="application/json")


def _named(names: list[str]) -> str:
    return ", ".join(n[:48] for n in names[:10])


def _chosen_fields(shared: SharedResource, granted: frozenset[str], asked: str | None) -> list[str]:
    """The fields to serve: those asked for, each granted, or all granted ones in catalog order."""
    known = [f.name for f in shared.resource.fields]
    if asked is None:
        chosen = [name for name in known if name in granted]
        if not chosen:
            raise refuse(403, "none of the granted fields is in the catalog any more")
        return chosen
    chosen = list(dict.fromkeys(name.strip() for name in asked.split(",") if name.strip()))
    if not chosen:
        raise refuse(422, "fields: name at least one field, or leave the parameter out for all granted fields")
    unknown = [name for name in chosen if name not in known]
    if unknown:  # named by count only: what was sent is not repeated
        raise refuse(
            409,
            f"fields: {len(unknown)} name(s) not fields of {shared.department}.{shared.resource.id}; "
            f"its fields: {_named(known)}",
        )
    refused = [name for name in chosen if name not in granted]
    if refused:
        raise refuse(
            403, f"field(s) not granted: {_named(refused)}; granted: {_named([n for n in known if n in granted])}"
        )
    return chosen


def _filters(shared: SharedResource, granted: frozenset[str], given: list[str]) -> list[tuple[str, str]]:
    known = {f.name for f in shared.resource.fields}
    pairs = []
    for item in given:
        name, colon, value = item.partition(":")
        name = name.strip()
        if not colon or not name:
            raise refuse(422, "filter: write field:value, e.g. filter=status:存续")
        if name not in known:
            raise refuse(
                409,
                f"filter: a name that is not a field of {shared.department}.{shared.resource.id}; "
                f"its fields: {_named(sorted(known))}",
            )
        if name not in granted:  # a filter on a field reveals its values as surely as reading it
            raise refuse(403, f"filter on a field not granted: {_named([name])}")
        pairs.append((name, value))
    return pairs
