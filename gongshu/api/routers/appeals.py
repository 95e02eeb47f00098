"""The 申诉 (appeal) endpoints of the scorecard, under ``/api/v1/scorecards``: a department files an
appeal against one evidence item of a published month and lists its appeals with its own key; the
administrator's key lists every appeal and decides them. The rules (the window, which items, once
each) are :mod:`gongshu.scorecard.appeals`'; after a filing or a decision the period's site and
workbook are written again so the department's page shows it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ...scorecard import appeals as workflow
from ...scorecard import store
from ...scorecard.config import ConfigError, ScorecardConfig
from ...scorecard.stage import configured, render
from ...share.keys import Principal
from ..auth import presented_key
from ..schemas import Prose, StrictBody, error_responses
from ..web import DB, principal_of, refuse, settings_of

router = APIRouter(tags=["scorecard appeals"])
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
Period = Annotated[str, Path(pattern=PERIOD, examples=["2026-11"])]
AppealId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Code = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[a-z][a-z0-9_]*$")]
_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="a department's key (deciding: the admin key)")
STATUS = {"not_found": 404, "invalid": 409, "conflict": 409, "late": 409}


class AppealIn(StrictBody):
    indicator: Annotated[Code, Field(examples=["request_timeliness"])]
    """The indicator's code, as the scorecard's 指标明细 lists it."""
    evidence: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$", examples=["17"])]
    """The evidence item's reference (a request, issue or run id, or ``department.resource``)."""
    reason: Prose
    department: Annotated[Code | None, Field(examples=["wjw"])] = None
    """Only with the admin key: the department appealing. A department's key appeals for itself."""


class DecisionIn(StrictBody):
    accept: bool
    reason: Prose


class AppealOut(BaseModel):
    id: int
    period: str
    department: str
    indicator: str
    evidence: str
    reason: str
    status: Literal["pending", "accepted", "rejected"]
    decision: str | None
    filed_at: dt.datetime
    decided_at: dt.datetime | None
    version_filed: int
    version_issued: int | None


class AppealsOut(BaseModel):
    appeals: list[AppealOut]


def _out(a: workflow.Appeal) -> AppealOut:
    return AppealOut(
        id=a.id,
        period=a.period,
        department=a.department,
        indicator=a.indicator,
        evidence=a.evidence_ref,
        reason=a.reason,
        status=a.status,
        decision=a.decision,
        filed_at=a.filed_at,
        decided_at=a.decided_at,
        version_filed=a.version_filed,
        version_issued=a.version_issued,
    )


def _config(request: Request) -> ScorecardConfig:
    try:
        return configured(settings_of(request).scorecard_config)
    except ConfigError:
        raise refuse(503, "the scorecard configuration is wrong; the administrator has to fix it first") from None


def _engine(request: Request) -> Engine:
    return request.app.state.engine


def _rerender(request: Request, period: str) -> None:
    engine = _engine(request)
    card = store.load(engine, period)
    if card is not None:
        render(engine, card, settings_of(request).scorecards_dir / period)


def _for_department(principal: Principal, asked: str | None) -> str:
    if principal.is_admin:
        if not asked:
            raise refuse(422, "with the admin key, say which department appeals (field 'department')")
        return asked
    if principal.department is None or principal.is_applicant:
        raise refuse(403, "only a department's key (or the admin key) may appeal")
    if asked and asked != principal.department:
        raise refuse(403, f"this key is {principal.department}'s: a department appeals only its own evidence")
    return principal.department


@router.post(
    "/scorecards/{period}/appeals",
    status_code=201,
    summary="申诉 appeal one evidence item of a published month (the department's own key)",
    responses=error_responses(400, 401, 403, 404, 409, 422, 429),
)
def file_appeal(
    request: Request,
    period: Period,
    body: AppealIn,
    session: DB,
    _presented: Annotated[str | None, Security(_key)] = None,
) -> AppealOut:
    principal = principal_of(request, session, presented_key(request))
    department = _for_department(principal, body.department)
    config = _config(request)
    try:
        appeal = workflow.file_appeal(
            _engine(request),
            config,
            period=period,
            department=department,
            indicator=body.indicator,
            evidence_ref=body.evidence,
            reason=body.reason,
            by=principal.key_id,
        )
    except workflow.AppealError as exc:
        raise refuse(STATUS[exc.kind], str(exc)) from None
    _rerender(request, period)
    return _out(appeal)


@router.get(
    "/scorecards/{period}/appeals",
    summary="申诉 the key's department's appeals of a month (admin: every department's)",
    responses=error_responses(401, 403, 422, 429),
)
def list_appeals(
    request: Request, period: Period, session: DB, _presented: Annotated[str | None, Security(_key)] = None
) -> AppealsOut:
    principal = principal_of(request, session, presented_key(request))
    if not principal.is_admin and (principal.department is None or principal.is_applicant):
        raise refuse(403, "only a department's key (or the admin key) may read appeals")
    department = None if principal.is_admin else principal.department
    found = workflow.list_appeals(_engine(request), period, department)
    return AppealsOut(appeals=[_out(a) for a in found])


@router.post(
    "/scorecards/appeals/{appeal_id}/decision",
    summary="申诉处理 accept or reject an appeal with a reason (admin key only); accepting re-issues the month",
    responses=error_responses(400, 401, 403, 404, 409, 422, 429),
)
def decide_appeal(
    request: Request,
    appeal_id: AppealId,
    body: DecisionIn,
    session: DB,
    _presented: Annotated[str | None, Security(_key)] = None,
) -> AppealOut:
    principal = principal_of(request, session, presented_key(request))
    if not principal.is_admin:
        raise refuse(403, "only the admin key decides appeals")
    config = _config(request)
    try:
        decision = workflow.decide(
            _engine(request),
            config,
            appeal_id,
            accept=body.accept,
            reason=body.reason,
            by=principal.key_id,
        )
    except workflow.AppealError as exc:
        raise refuse(STATUS[exc.kind], str(exc)) from None
    _rerender(request, decision.appeal.period)
    return _out(decision.appeal)
