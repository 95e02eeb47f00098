"""申诉 (appeals): a department disputes one evidence item of a published month; the administrator
accepts or rejects it with a reason.

A department may appeal within ``appeal_days`` working days (scorecard.yaml, on its holiday
calendar) after the version it appeals against was issued; only a stored (closed) month, only an
item that cost it a unit of an indicator (:mod:`.waive`), and each item once. An accepted appeal
re-issues the month: computed again exactly as of version 1's moment (the same cut-off, the same
logs) with every accepted appeal's item removed, everyone ranked again, and stored as the next
version with the reason 「申诉 #id 成立：…」; the earlier versions stay loadable. A rejected appeal
changes no score. Every appeal and decision is kept in ``scorecard_appeal``; none is deleted.

Messages are English (the CLI and the API answer in it); the reasons, as written, may be Chinese.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

import sqlalchemy as sa
from sqlalchemy import Engine

from .. import clock
from ..store import models as m
from ..store.db import session_scope
from . import store
from .compute import compute_scorecard
from .config import ScorecardConfig
from .model import Revision, Scorecard
from .waive import refusal

ErrorKind = Literal["not_found", "invalid", "conflict", "late"]
REASON_MAX = 2000


class AppealError(ValueError):
    """An appeal or a decision refused, with why; ``kind`` tells the API which status to answer."""

    def __init__(self, message: str, kind: ErrorKind = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Appeal:
    id: int
    period: str
    department: str
    indicator: str
    evidence_ref: str
    reason: str
    status: str
    decision: str | None
    filed_at: dt.datetime
    filed_by: str | None
    decided_at: dt.datetime | None
    decided_by: str | None
    version_filed: int
    version_issued: int | None

    @classmethod
    def of(cls, row: m.ScorecardAppeal) -> Appeal:
        return cls(**{f: getattr(row, f) for f in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, object]:
        return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Decision:
    appeal: Appeal
    card: Scorecard | None
    """The version an accepted appeal issued; None for a rejection."""


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise AppealError(f"the {what} is empty: say why")
    if len(value) > REASON_MAX:
        raise AppealError(f"the {what} is longer than {REASON_MAX} characters")
    return value


def window_closes(card: Scorecard, config: ScorecardConfig) -> dt.datetime:
    """The end of the last day on which ``card``'s version may be appealed."""
    return config.work_calendar().add_working_days(card.computed_at, config.appeal_days)


def _published(engine: Engine, period: str, now: dt.datetime) -> Scorecard:
    card = store.load(engine, period)
    if card is not None:
        return card
    if period >= clock.current_period(now):
        raise AppealError(f"period {period} is not published yet (the month is in progress or has not begun)")
    raise AppealError(f"period {period} has no published scorecard", kind="not_found")


def file_appeal(
    engine: Engine,
    config: ScorecardConfig,
    *,
    period: str,
    department: str,
    indicator: str,
    evidence_ref: str,
    reason: str,
    by: str | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """File a 申诉 against the latest version of ``period``; raises :class:`AppealError` when refused."""
    now = now or clock.now()
    reason = _text(reason, "reason")
    card = _published(engine, period, now)
    dept = next((d for d in card.departments if d.department == department), None)
    if dept is None:
        raise AppealError(f"department {department!r} is not in the scorecard of {period}", kind="not_found")
    closes = window_closes(card, config)
    if now > closes:
        issued = clock.local_day(card.computed_at).isoformat()
        raise AppealError(
            f"too late: version {card.version} of {period} was issued on {issued}; appeals closed at the end of "
            f"{clock.local_day(closes).isoformat()} ({config.appeal_days} working days)",
            kind="late",
        )
    why = refusal(next((i for i in dept.indicators if i.code == indicator), None), evidence_ref)
    if why:
        raise AppealError(why, kind="not_found" if "no evidence item" in why or "no such" in why else "invalid")
    ap = m.ScorecardAppeal
    with session_scope(engine) as session:
        same = session.scalars(
            sa.select(ap).where(
                ap.period == period,
                ap.department == department,
                ap.indicator == indicator,
                ap.evidence_ref == evidence_ref,
            )
        ).first()
        if same is not None:
            raise AppealError(f"this item was already appealed as #{same.id} ({same.status})", kind="conflict")
        row = ap(
            period=period,
            department=department,
            indicator=indicator,
            evidence_ref=evidence_ref,
            reason=reason,
            status="pending",
            filed_at=now,
            filed_by=by,
            version_filed=card.version,
        )
        session.add(row)
        session.flush()
        return Appeal.of(row)


def get_appeal(engine: Engine, appeal_id: int) -> Appeal:
    with session_scope(engine) as session:
        row = session.get(m.ScorecardAppeal, appeal_id)
        if row is None:
            raise AppealError(f"no appeal #{appeal_id}", kind="not_found")
        return Appeal.of(row)


def list_appeals(engine: Engine, period: str | None = None, department: str | None = None) -> list[Appeal]:
    """Every appeal (of ``period``, of ``department``), oldest first."""
    ap = m.ScorecardAppeal
    query = sa.select(ap).order_by(ap.id)
    if period:
        query = query.where(ap.period == period)
    if department:
        query = query.where(ap.department == department)
    with session_scope(engine) as session:
        return [Appeal.of(r) for r in session.scalars(query)]


def reissue(engine: Engine, config: ScorecardConfig, period: str, reason: str, now: dt.datetime) -> Scorecard:
    """``period`` computed again as of version 1's moment with every accepted appeal's item removed,
    stored as the next version with ``reason``."""
    stored = store.load(engine, period)
    if stored is None:
        raise AppealError(f"period {period} has no published scorecard", kind="not_found")
    waived = frozenset(
        (a.department, a.indicator, a.evidence_ref) for a in list_appeals(engine, period) if a.status == "accepted"
    )
    first = stored.revisions[0].issued_at if stored.revisions else stored.computed_at
    card = compute_scorecard(engine, period, config, now=first, sample=stored.sample, waived=waived)
    version = stored.version + 1
    card = replace(
        card,
        computed_at=now,
        sample=stored.sample,
        version=version,
        revisions=(*stored.revisions, Revision(version, now, reason)),
    )
    store.save(engine, card)
    return store.load(engine, period, version) or card


def decide(
    engine: Engine,
    config: ScorecardConfig,
    appeal_id: int,
    *,
    accept: bool,
    reason: str,
    by: str = "admin",
    now: dt.datetime | None = None,
) -> Decision:
    """Accept or reject a pending appeal with ``reason``; an accepted one re-issues its month."""
    now = now or clock.now()
    reason = _text(reason, "decision reason")
    appeal = get_appeal(engine, appeal_id)
    if appeal.status != "pending":
        raise AppealError(f"appeal #{appeal_id} was already decided ({appeal.status})", kind="conflict")
    ap = m.ScorecardAppeal
    status = "accepted" if accept else "rejected"
    with session_scope(engine) as session:
        taken = session.execute(
            sa.update(ap)
            .where(ap.id == appeal_id, ap.status == "pending")
            .values(status=status, decision=reason, decided_at=now, decided_by=by)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]  # decided meanwhile by another administrator
            raise AppealError(f"appeal #{appeal_id} was already decided", kind="conflict")
    card = None
    if accept:
        try:
            card = reissue(engine, config, appeal.period, f"申诉 #{appeal_id} 成立：{reason}", now)
        except Exception:  # no new version: the appeal is pending again, to be decided again
            with session_scope(engine) as session:
                reset = {"status": "pending", "decision": None, "decided_at": None, "decided_by": None}
                session.execute(sa.update(ap).where(ap.id == appeal_id).values(**reset))
            raise
        with session_scope(engine) as session:
            session.execute(sa.update(ap).where(ap.id == appeal_id).values(version_issued=card.version))
    return Decision(get_appeal(engine, appeal_id), card)
