"""The endpoints of 有条件开放 applications, under ``/api/v1/open/applications``: applying takes no
key; listing and deciding take the providing department's key (listing: an admin key too). The
approval's answer carries the applicant's key, whole, this once (see ``gongshu.open.applications``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field

from ... import clock
from ...open import applications as workflow
from ...store import models as m
from ..auth import presented_key
from ..schemas import QUALIFIED_RESOURCE, Contact, Prose, StrictBody, error_responses
from ..web import DB, note, principal_of, refuse, within_anonymous_limit

router = APIRouter(tags=["open data"])
Status = Literal["pending", "approved", "rejected"]
Short = Annotated[Prose, Field(max_length=200)]
ApplicationId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="the providing department's API key")


class ApplicationIn(StrictBody):
    dataset: Annotated[str, Field(pattern=QUALIFIED_RESOURCE, examples=["wjw.clinic_licenses"])]
    """``department.resource`` of a 有条件开放 dataset."""
    applicant: Annotated[Short, Field(examples=["台州某科技有限公司"])]
    contact: Annotated[Contact, Field(examples=["张先生 0576-88000000"])]
    purpose: Annotated[Prose, Field(examples=["开发便民就医查询应用 (a clinic-finder app)"])]


class ApprovalIn(StrictBody):
    expires_days: Annotated[int | None, Field(ge=1, le=3660)] = None
    """The applicant's key stops working after this many days; default: until revoked."""


class RejectionIn(StrictBody):
    reason: Prose


class ApplicationOut(BaseModel):
    id: int
    dataset: str
    applicant: str
    contact: str
    purpose: str
    status: Status
    reason: str | None
    applied_at: dt.datetime
    decided_at: dt.datetime | None
    key_id: str | None


class ApprovedOut(ApplicationOut):
    key: str
    """The applicant's key, ``gs_…``: shown this once; hand it to the applicant."""


class ApplicationsOut(BaseModel):
    applications: list[ApplicationOut]


def _out(a: m.OpenApplication) -> dict:
    return {
        "id": a.id,
        "dataset": f"{a.department_key}.{a.resource_key}",
        "applicant": a.applicant,
        "contact": a.contact,
        "purpose": a.purpose,
        "status": a.status,
        "reason": a.reason,
        "applied_at": a.applied_at,
        "decided_at": a.decided_at,
        "key_id": a.key_id,
    }


@router.post(
    "/open/applications",
    status_code=201,
    summary="开放申请 apply to use a 有条件开放 dataset (no key needed)",
    responses=error_responses(400, 403, 404, 409, 422, 429),
)
def create_application(request: Request, body: ApplicationIn, session: DB) -> ApplicationOut:
    within_anonymous_limit(request)  # anyone may apply, within the address's budget
    department, resource = body.dataset.split(".", 1)
    note(request, department, resource)
    try:
        made = workflow.apply(
            session, department, resource, applicant=body.applicant, contact=body.contact, purpose=body.purpose
        )
    except workflow.Unknown as exc:
        raise refuse(404, str(exc)) from None
    except workflow.Denied as exc:
        raise refuse(403, str(exc)) from None
    except workflow.Invalid as exc:
        raise refuse(409, str(exc)) from None
    session.commit()
    return ApplicationOut(**_out(made))


@router.get(
    "/open/applications",
    summary="开放申请 the applications for the key's department's datasets (admin: all)",
    responses=error_responses(401, 403, 422, 429),
)
def list_applications(
    request: Request,
    session: DB,
    _presented: Annotated[str | None, Security(_key)] = None,
    status: Annotated[Status | None, Query()] = None,
) -> ApplicationsOut:
    principal = principal_of(request, session, presented_key(request))
    try:
        found = workflow.applications_of(session, principal, status=status)
    except workflow.Denied as exc:
        raise refuse(403, str(exc)) from None
    return ApplicationsOut(applications=[ApplicationOut(**_out(a)) for a in found])


@router.post(
    "/open/applications/{application_id}/approve",
    summary="批准 approve: the answer holds the applicant's key, shown this once (the providing department's key only)",
    responses=error_responses(400, 401, 403, 404, 409, 422, 429),
)
def approve_application(
    request: Request,
    application_id: ApplicationId,
    session: DB,
    _presented: Annotated[str | None, Security(_key)] = None,
    body: ApprovalIn | None = None,
) -> ApprovedOut:
    expires = body.expires_days if body else None
    expires_at = clock.now() + dt.timedelta(days=expires) if expires else None
    decided, key = _decide(request, session, application_id, True, None, expires_at)
    assert key is not None
    return ApprovedOut(**_out(decided), key=key)


@router.post(
    "/open/applications/{application_id}/reject",
    summary="驳回 reject, with the reason (the providing department's key only)",
    responses=error_responses(400, 401, 403, 404, 409, 422, 429),
)
def reject_application(
    request: Request,
    application_id: ApplicationId,
    body: RejectionIn,
    session: DB,
    _presented: Annotated[str | None, Security(_key)] = None,
) -> ApplicationOut:
    decided, _ = _decide(request, session, application_id, False, body.reason, None)
    return ApplicationOut(**_out(decided))


def _decide(
    request: Request,
    session: DB,
    application_id: int,
    approve: bool,
    reason: str | None,
    expires_at: dt.datetime | None,
) -> tuple[m.OpenApplication, str | None]:
    principal = principal_of(request, session, presented_key(request))
    found = session.get(m.OpenApplication, application_id)
    if found is not None:
        note(request, found.department_key, found.resource_key, principal.key_id)
    try:
        decided = workflow.decide(session, principal, application_id, approve, reason, expires_at=expires_at)
    except workflow.Unknown as exc:
        raise refuse(404, str(exc)) from None
    except workflow.Denied as exc:
        raise refuse(403, str(exc)) from None
    except workflow.Invalid as exc:
        raise refuse(409, str(exc)) from None
    session.commit()
    return decided
