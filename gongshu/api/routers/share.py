"""The sharing endpoints (数据共享接口), under ``/api/v1``: the shared catalog, share requests and
their decisions, and the service's health (the granted data, page by page: ``data``).

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
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from ... import clock
from ...share.keys import Principal
from ...share.resources import SharedResource, browse, find
from ...share.workflow import PENDING, Denied, Invalid, apply, decide, requests_of
from ...store import models as m
from ..auth import Auth
from ..schemas import (
    DEPARTMENT_ID,
    NO_CONTROL,
    CatalogEntryOut,
    CatalogOut,
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
NO_RESOURCE = f"no such resource in the catalog; the shared resources are listed by GET {PREFIX}/catalog"


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


def _resource(session: Session | sa.Connection, department: str, resource: str) -> SharedResource:
    shared = find(session, department, resource)
    if shared is None:
        raise refuse(404, NO_RESOURCE)
    return shared
