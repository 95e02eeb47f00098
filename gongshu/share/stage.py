"""The sharing stage (数据共享) for one resource, run after cleansing: it keeps what the sharing API
serves in line with the catalog.

  无条件共享 / 有条件共享  served once its DWD table holds rows of a completed cleansing: the outcome
                        reports the share type, the DWD rows, the active grants and their consumers,
                        and the requests still waiting for the provider;
  不予共享                never served: every active grant on it is withdrawn at once and every
                        pending request refused (the catalog now says 不予共享), whatever else the
                        run did to the resource.

Also: the pending requests past their due date, for the overdue list (and, later, the scorecard).

Entry point: ``share_resource(engine, department, resource, run_id, *, now=None)``, in the shape every
stage's has (``<stage>_resource(engine, department, resource, run_id, *, what that stage alone
needs)``, returning the resource's :class:`~gongshu.runs.Outcome`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlalchemy import CursorResult, Engine
from sqlalchemy.orm import Session

from .. import clock
from ..catalog.model import Resource
from ..clock import SHANGHAI
from ..runs import Outcome, outcome_for
from ..store import models as m
from ..store.db import session_scope
from ..store.dwd import dwd_table_name
from .keys import ADMIN, Principal
from .workflow import NEVER, PENDING, REFUSED, requests_of, revoke_grants

STAGE = "share"
NOT_SHARED = "不予共享"
WITHDRAWN = "目录现登记为不予共享，授权收回"
REFUSED_NOW = "目录现登记为不予共享，申请不再受理"
_STAGE_PRINCIPAL = Principal(key_id="share-stage", role=ADMIN, department=None)


def share_resource(
    engine: Engine, department: str, resource: Resource, run_id: str, *, now: dt.datetime | None = None
) -> Outcome:
    """Bring one resource's sharing in line with its catalog entry (see the module docstring)."""
    started = now or clock.now()
    outcome = outcome_for(STAGE, department, resource.id, started)
    share = resource.share.type
    if share == NEVER:
        return _not_shared(engine, department, resource.id, started, outcome)

    table = dwd_table_name(department, resource.id)
    with session_scope(engine) as session:
        last = _last_cleansing(session, department, resource.id)
        if last is None or not sa.inspect(session.connection()).has_table(table):
            return outcome(
                "skipped",
                reason=f"nothing to share yet: no completed cleansing has loaded {table} (run the cleanse stage)",
                details={"share_type": share},
            )
        served = _served(session, department, resource.id, table, run_id)
    overdue = [r for r in served.pending if r.due_at is not None and r.due_at < started]
    return outcome(
        "completed",
        rows_out=served.rows,
        details={
            "share_type": share,
            "method": resource.share.method,
            "dwd_table": table,
            "dwd_rows": served.rows,
            "cleansed_batch": last.batch_id,
            "grants": len(served.grants),
            "consumers": sorted({g.consumer_key for g in served.grants}),
            "requests_pending": len(served.pending),
            "requests_overdue": len(overdue),
            "newly_shared": not served.before,
        },
    )


def _not_shared(
    engine: Engine, department: str, resource: str, now: dt.datetime, outcome: Callable[..., Outcome]
) -> Outcome:
    """A resource the catalog says is 不予共享: its active grants withdrawn, its pending requests refused."""
    with session_scope(engine) as session:
        revoked = revoke_grants(session, department, resource, WITHDRAWN, now=now)
        refused = _refuse_pending(session, department, resource, now)
    return outcome(
        "skipped",
        reason=NOT_SHARED,
        details={"share_type": NEVER, "grants_revoked": revoked, "requests_refused": refused},
    )


def _last_cleansing(session: Session, department: str, resource: str) -> m.CleanseBatch | None:
    return session.scalar(
        sa.select(m.CleanseBatch)
        .where(m.CleanseBatch.department_key == department, m.CleanseBatch.resource_key == resource)
        .where(m.CleanseBatch.status == "completed")
        .order_by(m.CleanseBatch.finished_at.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class _Served:
    """What the sharing API serves of a resource: its DWD rows, the grants on it, the requests
    waiting for the provider, and whether a run before this one shared it."""

    rows: int
    grants: list[m.ShareGrant]
    pending: list[m.ShareRequest]
    before: int


def _served(session: Session, provider: str, resource: str, table: str, run_id: str) -> _Served:
    quote = session.get_bind().dialect.identifier_preparer.quote
    rows = session.execute(sa.text(f"SELECT COUNT(*) FROM {quote(table)}")).scalar_one()
    grants = session.scalars(
        sa.select(m.ShareGrant).where(
            m.ShareGrant.provider_key == provider,
            m.ShareGrant.resource_key == resource,
            m.ShareGrant.revoked_at.is_(None),
        )
    )
    pending = session.scalars(
        sa.select(m.ShareRequest).where(
            m.ShareRequest.provider_key == provider,
            m.ShareRequest.resource_key == resource,
            m.ShareRequest.status == PENDING,
        )
    )
    before = session.scalar(
        sa.select(sa.func.count())
        .select_from(m.RunLog)
        .where(
            m.RunLog.stage == STAGE,
            m.RunLog.department_key == provider,
            m.RunLog.resource_key == resource,
            m.RunLog.status == "completed",
            m.RunLog.run_id != run_id,
        )
    )
    return _Served(rows, list(grants), list(pending), before or 0)


def _refuse_pending(session: Session, provider: str, resource: str, now: dt.datetime) -> int:
    """Close the pending requests on a resource the catalog no longer shares: the provider could
    otherwise still approve one and create a grant on it."""
    result = session.execute(
        sa.update(m.ShareRequest)
        .where(
            m.ShareRequest.provider_key == provider,
            m.ShareRequest.resource_key == resource,
            m.ShareRequest.status == PENDING,
        )
        .values(status=REFUSED, decided_at=now, reason=REFUSED_NOW)
    )
    return cast(CursorResult, result).rowcount or 0


@dataclass(frozen=True)
class OverdueRequest:
    """A pending 有条件共享 request the provider has not answered by its due date."""

    id: int
    consumer: str
    provider: str
    resource: str
    fields: list[str]
    purpose: str
    requested_at: dt.datetime
    due_at: dt.datetime
    working_days_overdue: int
    """Working days (Monday to Friday, Asia/Shanghai) after the due date, up to and including today."""
    days_overdue: int
    """Calendar days after the due date, up to and including today."""


def working_days_after(day: dt.date, until: dt.date) -> int:
    """Working days (Monday to Friday) in ``(day, until]``; public holidays are not known."""
    if until <= day:
        return 0
    whole_weeks, extra = divmod((until - day).days, 7)
    count = whole_weeks * 5
    for i in range(1, extra + 1):
        if (day + dt.timedelta(days=whole_weeks * 7 + i)).weekday() < 5:
            count += 1
    return count


def overdue_requests(session: Session, now: dt.datetime, providers: list[str] | None = None) -> list[OverdueRequest]:
    """The pending requests past their due date (of ``providers`` only, when given), most overdue first."""
    today = now.astimezone(SHANGHAI).date()
    found = []
    for r in requests_of(session, _STAGE_PRINCIPAL, overdue_at=now):
        if providers is not None and r.provider_key not in providers:
            continue
        due_at = r.due_at
        assert due_at is not None  # overdue_at selects requests with a due date
        due = due_at.astimezone(SHANGHAI).date()
        found.append(
            OverdueRequest(
                id=r.id,
                consumer=r.consumer_key,
                provider=r.provider_key,
                resource=r.resource_key,
                fields=list(r.fields),
                purpose=r.purpose,
                requested_at=r.requested_at,
                due_at=due_at,
                working_days_overdue=working_days_after(due, today),
                days_overdue=max((today - due).days, 0),
            )
        )
    return sorted(found, key=lambda o: (o.due_at, o.id))
