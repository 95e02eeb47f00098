"""The sharing endpoints (数据共享接口), under ``/api/v1``: the shared catalog, share requests and
their decisions, the granted data page by page, and the service's health.

A security boundary: every call is hostile until its key and grant say otherwise. The checks of a
data call, in order: a valid key (401), the resource registered (404), not an admin key (403: an
admin manages requests, reads no data), not 不予共享 (403, whatever grant may linger), an active
grant (403), every requested or filtered field granted (403 naming it). What a caller sends is
validated before use (422) and never becomes SQL text. Every call, refused ones too, becomes a row
of ``api_call_log`` (``gongshu.share.calllog``). An applicant's key, issued for one open dataset, is
refused (403) by every endpoint here: only department and admin keys pass (``gongshu.api.auth``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from pydantic import StringConstraints
from sqlalchemy.orm import Session

from ... import clock
from ...share.calllog import Call
from ...share.data import DEFAULT_LIMIT, MAX_LIMIT, BadQuery, read_page, to_csv, to_json
from ...share.keys import InvalidKey, Principal
from ...share.lookup import look_up
from ...share.resources import SharedResource, browse, find
from ...share.workflow import NEVER, PENDING, Denied, Invalid, apply, decide, requests_of
from ...store import models as m
from ..auth import Auth, Presented, admit, unauthorised
from ..schemas import (
    DEPARTMENT_ID,
    NO_CONTROL,
    RESOURCE_ID,
    CatalogEntryOut,
    CatalogOut,
    DataPageOut,
    ErrorOut,
    FieldOut,
    HealthOut,
    RejectionIn,
    RequestStatus,
    ShareRequestIn,
    ShareRequestOut,
    ShareRequestsOut,
    ShareType,
    error_responses,
)
from ..web import DB, PREFIX, call_in, refuse

router = APIRouter()
ERRORS = error_responses(400, 401, 403, 422, 429)
CONFLICT = error_responses(409)
NOT_FOUND = error_responses(404)
_NO_RESOURCE = f"no such resource in the catalog; the shared resources are listed by GET {PREFIX}/catalog"


# ---- service ------------------------------------------------------------------------------------


@router.get(
    "/health",
    tags=["service"],
    summary="服务状态 whether the service and its database answer (no key needed)",
    responses={503: {"model": ErrorOut, "description": "the database does not answer"}},
)
def health(session: DB) -> HealthOut:
    try:
        session.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        raise refuse(503, "the platform database does not answer") from None
    return HealthOut(status="ok")


# ---- catalog ------------------------------------------------------------------------------------


@router.get(
    "/catalog",
    tags=["catalog"],
    summary="共享目录 resources, their share attributes and fields (no data)",
    responses=ERRORS,
)
def catalog(
    session: DB,
    _: Auth,
    department: Annotated[str | None, Query(pattern=DEPARTMENT_ID, description="one department's resources")] = None,
    share_type: Annotated[ShareType | None, Query(description="共享类型")] = None,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_CONTROL, description="the name contains this")] = None,
) -> CatalogOut:
    entries = browse(session, department=department, share_type=share_type, name=q)
    return CatalogOut(resources=[_entry(s) for s in entries])


def _entry(shared: SharedResource) -> CatalogEntryOut:
    res = shared.resource
    return CatalogEntryOut(
        department=shared.department,
        department_name=shared.department_name,
        resource=res.id,
        code=shared.code,
        name=res.name,
        summary=res.summary,
        update_cycle=res.update_cycle,
        share_type=res.share.type,
        share_condition=res.share.condition,
        share_method=res.share.method,
        fields=[FieldOut(name=f.name, label=f.label, kind=f.kind) for f in res.fields],
    )


# ---- requests -----------------------------------------------------------------------------------


@router.post(
    "/requests",
    status_code=201,
    tags=["requests"],
    summary="共享申请 apply for fields of another department's resource",
    description="无条件共享: approved at once. 有条件共享: pending until the provider decides, "
    "`due_at` working days later. 不予共享: refused at once, with the reason. A department key only.",
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def create_request(request: Request, body: ShareRequestIn, session: DB, principal: Auth) -> ShareRequestOut:
    department, resource = body.resource.split(".", 1)
    call = call_in(request)
    call.provider, call.resource, call.fields = department, resource, list(body.fields)
    shared = _resource(session, department, resource)
    try:
        made = apply(
            session,
            principal,
            department,
            shared.resource,
            body.fields,
            body.purpose,
            response_days=request.app.state.settings.share_response_days,
        )
    except Denied as exc:
        raise refuse(403, str(exc)) from None
    except Invalid as exc:
        raise refuse(409, str(exc)) from None
    session.commit()
    return _request_out(made, clock.now())


@router.get(
    "/requests",
    tags=["requests"],
    summary="共享申请 the requests of the key's department, as consumer or provider (admin: all)",
    responses=ERRORS,
)
def list_requests(
    session: DB,
    principal: Auth,
    status: Annotated[RequestStatus | None, Query()] = None,
    overdue: Annotated[bool, Query(description="only pending requests past their due date")] = False,
) -> ShareRequestsOut:
    now = clock.now()
    found = requests_of(session, principal, status=status, overdue_at=now if overdue else None)
    return ShareRequestsOut(requests=[_request_out(r, now) for r in found])


RequestId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "/requests/{request_id}/approve",
    tags=["requests"],
    summary="批准 approve a pending request (the providing department's key only)",
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def approve(request: Request, request_id: RequestId, session: DB, principal: Auth) -> ShareRequestOut:
    return _decide(request, session, principal, request_id, True, None)


@router.post(
    "/requests/{request_id}/reject",
    tags=["requests"],
    summary="驳回 reject a pending request, with the reason (the providing department's key only)",
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def reject(request: Request, request_id: RequestId, body: RejectionIn, session: DB, principal: Auth) -> ShareRequestOut:
    return _decide(request, session, principal, request_id, False, body.reason)


def _decide(
    request: Request, session: Session, principal: Principal, request_id: int, approve: bool, reason: str | None
) -> ShareRequestOut:
    found = session.get(m.ShareRequest, request_id)
    if found is None:
        raise refuse(404, "no such share request")
    call = call_in(request)
    call.provider, call.resource, call.fields = found.provider_key, found.resource_key, list(found.fields)
    if principal.department != found.provider_key:
        raise refuse(403, "only the providing department's key may approve or reject this request")
    if found.status != PENDING:
        raise refuse(409, f"request {request_id} is already {found.status}")
    try:
        decided = decide(session, principal, request_id, approve, reason)
    except Denied as exc:
        raise refuse(403, str(exc)) from None
    except Invalid as exc:  # decided meanwhile by another call
        raise refuse(409, str(exc)) from None
    session.commit()
    return _request_out(decided, clock.now())


def _request_out(r: m.ShareRequest, now: dt.datetime) -> ShareRequestOut:
    return ShareRequestOut(
        id=r.id,
        consumer=r.consumer_key,
        provider=r.provider_key,
        resource=f"{r.provider_key}.{r.resource_key}",
        fields=list(r.fields),
        purpose=r.purpose,
        share_type=r.share_type,
        status=r.status,
        reason=r.reason,
        requested_at=r.requested_at,
        due_at=r.due_at,
        decided_at=r.decided_at,
        overdue=r.status == PENDING and r.due_at is not None and r.due_at < now,
    )


# ---- data ---------------------------------------------------------------------------------------


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
    format: Annotated[Literal["json", "csv"], Query()] = "json",  # noqa: A002
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
            raise refuse(404, _NO_RESOURCE)
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


def _resource(session: Session | sa.Connection, department: str, resource: str) -> SharedResource:
    shared = find(session, department, resource)
    if shared is None:
        raise refuse(404, _NO_RESOURCE)
    return shared


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
