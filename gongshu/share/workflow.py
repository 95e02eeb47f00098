"""The sharing workflow (共享申请): a consumer department applies for a provider's resource and a
list of its fields, with a purpose; the resource's 共享属性 decides what happens:

  无条件共享  granted at once (the request is recorded, approved by the catalog);
  有条件共享  pending until the provider department approves or rejects it (a rejection gives a
              reason), due within ``share_response_days`` working days: the holiday-aware
              calendar of ``scorecard.yaml`` (放假 and 调休), the one the scorecard judges by;
  不予共享    refused at once, with the reason.

Grants are per field; a revoked grant stops access at once. Nothing here trusts its caller: every
function checks who may do what and raises :class:`Denied` (or :class:`Invalid`) with a message
that is safe to show.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .. import clock
from ..catalog.model import Resource
from ..clock import WEEKDAYS, WorkCalendar
from ..scorecard.config import load_config
from ..settings import get_settings
from ..store import models as m
from .keys import Principal

UNCONDITIONAL, CONDITIONAL, NEVER = "无条件共享", "有条件共享", "不予共享"
PENDING, APPROVED, REJECTED, REFUSED = "pending", "approved", "rejected", "refused"


class Denied(PermissionError):
    """The principal may not do this."""


class Invalid(ValueError):
    """The request itself is wrong (an unknown field, no purpose, a decision already made)."""


def add_working_days(start: dt.datetime, days: int, calendar: WorkCalendar = WEEKDAYS) -> dt.datetime:
    """``start`` plus ``days`` working days of ``calendar`` (Asia/Shanghai), at the end of that day;
    the day of ``start`` never counts. The workflow passes :func:`work_calendar`."""
    return calendar.add_working_days(start, days)


def work_calendar() -> WorkCalendar:
    """The platform's working days from ``settings.scorecard_config`` (read once per process and
    file); Monday to Friday when that file does not exist. A file that is wrong raises its
    ConfigError, naming the file and the key, rather than counting deadlines some other way."""
    return _calendar_of(get_settings().scorecard_config.resolve())


@lru_cache(maxsize=4)
def _calendar_of(path: Path) -> WorkCalendar:
    return load_config(path).work_calendar() if path.is_file() else WEEKDAYS


def apply(
    session: Session,
    principal: Principal,
    provider: str,
    resource: Resource,
    fields: list[str],
    purpose: str,
    *,
    response_days: int = 5,
    now: dt.datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> m.ShareRequest:
    """Record a request of ``principal``'s department and decide it where the catalog decides.
    ``calendar``: the working days a 有条件共享 request's due date counts (default: :func:`work_calendar`)."""
    if principal.department is None:
        raise Denied("only a department key can apply for data; an admin key reads no data")
    if principal.department == provider:
        raise Invalid("a department does not apply for its own resources")
    purpose = (purpose or "").strip()
    if not purpose:
        raise Invalid("a request states its purpose (用途)")
    known = [f.name for f in resource.fields]
    wanted = list(dict.fromkeys(fields))
    unknown = [f for f in wanted if f not in known]
    if not wanted or unknown:
        raise Invalid(
            (f"fields: {len(unknown)} name(s) not fields of the resource; " if unknown else "no fields requested; ")
            + f"the fields of {provider}.{resource.id} are {', '.join(known)}"
        )
    now = now or clock.now()
    share = resource.share.type
    request = m.ShareRequest(
        consumer_key=principal.department,
        provider_key=provider,
        resource_key=resource.id,
        fields=wanted,
        purpose=purpose,
        share_type=share,
        requested_at=now,
    )
    if share == NEVER:
        request.status, request.decided_at = REFUSED, now
        request.reason = f"目录登记为不予共享{('：' + resource.share.condition) if resource.share.condition else ''}"
    elif share == UNCONDITIONAL:
        request.status, request.decided_at = APPROVED, now
        request.reason = "目录登记为无条件共享，自动批准"
    else:
        request.status = PENDING
        request.due_at = add_working_days(now, response_days, calendar or work_calendar())
    session.add(request)
    session.flush()
    if request.status == APPROVED:
        _grant(session, request, now)
    return request


def decide(
    session: Session,
    principal: Principal,
    request_id: int,
    approve: bool,
    reason: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> m.ShareRequest:
    """The provider department approves or rejects a pending request; nobody else may."""
    request = session.get(m.ShareRequest, request_id)
    if request is None or not _may_see(principal, request):
        raise Invalid("no such share request")
    if principal.department != request.provider_key:
        raise Denied("only the providing department's key may approve or reject this request")
    if request.status != PENDING:
        raise Invalid(f"request {request_id} is already {request.status}")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise Invalid("a rejection gives its reason")
    now = now or clock.now()
    request.status = APPROVED if approve else REJECTED
    request.reason = reason or None
    request.decided_at, request.decided_by = now, principal.key_id
    if approve:
        _grant(session, request, now)
    session.flush()
    return request


def _grant(session: Session, request: m.ShareRequest, now: dt.datetime) -> None:
    session.add(
        m.ShareGrant(
            request_id=request.id,
            consumer_key=request.consumer_key,
            provider_key=request.provider_key,
            resource_key=request.resource_key,
            fields=list(request.fields),
            granted_at=now,
        )
    )


def _may_see(principal: Principal, request: m.ShareRequest) -> bool:
    return principal.is_admin or principal.department in (request.consumer_key, request.provider_key)


def requests_of(
    session: Session, principal: Principal, *, status: str | None = None, overdue_at: dt.datetime | None = None
) -> list[m.ShareRequest]:
    """The requests a principal may see: its department's, as consumer or provider (admin: all).
    ``overdue_at``: only pending requests due before that time."""
    q = sa.select(m.ShareRequest).order_by(m.ShareRequest.id)
    if not principal.is_admin:
        q = q.where(
            sa.or_(
                m.ShareRequest.consumer_key == principal.department,
                m.ShareRequest.provider_key == principal.department,
            )
        )
    if status:
        q = q.where(m.ShareRequest.status == status)
    if overdue_at is not None:
        q = q.where(m.ShareRequest.status == PENDING, m.ShareRequest.due_at < overdue_at)
    return list(session.scalars(q))


def granted_fields(session: Session | Connection, consumer: str, provider: str, resource: str) -> set[str]:
    """The fields the consumer may read now: the union of its grants not revoked."""
    rows = session.scalars(
        sa.select(m.ShareGrant.fields).where(
            m.ShareGrant.consumer_key == consumer,
            m.ShareGrant.provider_key == provider,
            m.ShareGrant.resource_key == resource,
            m.ShareGrant.revoked_at.is_(None),
        )
    )
    return {f for fields in rows for f in fields}


def revoke_grants(
    session: Session,
    provider: str,
    resource: str,
    reason: str,
    *,
    consumer: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Revoke the active grants on a resource (of one consumer, or all); returns how many."""
    q = (
        sa.update(m.ShareGrant)
        .where(
            m.ShareGrant.provider_key == provider,
            m.ShareGrant.resource_key == resource,
            m.ShareGrant.revoked_at.is_(None),
        )
        .values(revoked_at=now or clock.now(), revoke_reason=reason)
    )
    if consumer is not None:
        q = q.where(m.ShareGrant.consumer_key == consumer)
    result = session.execute(q)
    assert isinstance(result, sa.CursorResult)  # an UPDATE's result: it has the row count
    return result.rowcount or 0
