"""Scorecards in the ``scorecard`` table: one row per period × version × department, the whole
:class:`DepartmentScore` as JSON; each version's issue time and reason in ``scorecard_version``.
What is loaded back equals what was saved (the period's 申诉 attached as they stand). Readers get a
period's latest version unless they ask for another."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Engine

from ..clock import month_days
from ..store import models as m
from ..store.db import session_scope
from .model import (
    AppealNote,
    AppealStatus,
    DepartmentScore,
    Evidence,
    Fix,
    IndicatorScore,
    PlatformGap,
    Revision,
    Scorecard,
)


def _evidence(e: Evidence) -> dict[str, Any]:
    out = {"kind": e.kind, "ref": e.ref, "text": e.text, "ok": e.ok, "at": e.at.isoformat() if e.at else None}
    if e.charged_in:
        out["charged_in"] = e.charged_in
    return out


def _fix(f: Fix) -> dict[str, Any]:
    return {"text": f.text, "deadline": f.deadline.isoformat() if f.deadline else None, "where": f.where}


def _load_fix(f: dict[str, Any] | str) -> Fix:
    if isinstance(f, str):  # stored before 整改 items had a deadline
        return Fix(f)
    return Fix(f["text"], dt.date.fromisoformat(f["deadline"]) if f.get("deadline") else None, f.get("where"))


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _appeal(a: AppealNote) -> dict[str, Any]:
    return {
        "id": a.id,
        "indicator": a.indicator,
        "evidence_ref": a.evidence_ref,
        "reason": a.reason,
        "status": a.status,
        "decision": a.decision,
        "filed_at": _when(a.filed_at),
        "decided_at": _when(a.decided_at),
    }


def _load_appeal(a: dict[str, Any]) -> AppealNote:
    def when(key: str) -> dt.datetime | None:
        return dt.datetime.fromisoformat(a[key]) if a.get(key) else None

    return AppealNote(
        id=a["id"],
        indicator=a["indicator"],
        evidence_ref=a["evidence_ref"],
        reason=a["reason"],
        status=a["status"],
        decision=a.get("decision"),
        filed_at=when("filed_at"),
        decided_at=when("decided_at"),
    )


def _indicator(i: IndicatorScore) -> dict[str, Any]:
    return {
        "code": i.code,
        "dimension": i.dimension,
        "name": i.name,
        "formula": i.formula,
        "weight": i.weight,
        "numerator": i.numerator,
        "denominator": i.denominator,
        "value": i.value,
        "evidence": [_evidence(e) for e in i.evidence],
        "fixes": [_fix(f) for f in i.fixes],
    }


def to_payload(d: DepartmentScore) -> dict[str, Any]:
    return {
        "department": d.department,
        "name": d.name,
        "total": d.total,
        "rank": d.rank,
        "indicators": [_indicator(i) for i in d.indicators],
        "previous_total": d.previous_total,
        "previous_rank": d.previous_rank,
        "usage": dict(sorted(d.usage.items())),
        "red": d.red,
        "black": d.black,
        "note": d.note,
        "appeals": [_appeal(a) for a in d.appeals],
    }


def from_payload(p: dict[str, Any]) -> DepartmentScore:
    indicators = tuple(
        IndicatorScore(
            **{
                k: i[k] for k in ("code", "dimension", "name", "formula", "weight", "numerator", "denominator", "value")
            },
            evidence=tuple(
                Evidence(
                    kind=e["kind"],
                    ref=e["ref"],
                    text=e["text"],
                    ok=e["ok"],
                    at=dt.datetime.fromisoformat(e["at"]) if e["at"] else None,
                    charged_in=e.get("charged_in"),
                )
                for e in i["evidence"]
            ),
            fixes=tuple(_load_fix(f) for f in i["fixes"]),
        )
        for i in p["indicators"]
    )
    return DepartmentScore(
        department=p["department"],
        name=p["name"],
        total=p["total"],
        rank=p["rank"],
        indicators=indicators,
        previous_total=p.get("previous_total"),
        previous_rank=p.get("previous_rank"),
        usage=dict(p.get("usage") or {}),
        red=p.get("red", False),
        black=p.get("black", False),
        note=p.get("note"),
        appeals=tuple(_load_appeal(a) for a in p.get("appeals") or ()),
    )


def save(engine: Engine, scorecard: Scorecard) -> None:
    """Store ``scorecard`` as its period's version ``scorecard.version`` (replacing only that version's
    rows, in one transaction; earlier versions stay). A provisional (暂定) scorecard is never stored:
    the table keeps closed months only. The period's 示例数据 flag, once set, stays set."""
    if scorecard.provisional:
        raise ValueError(f"{scorecard.period} is provisional (the month is in progress): it is not stored")
    sc, sv = m.Scorecard, m.ScorecardVersion
    period, version = scorecard.period, scorecard.version
    this = next((r for r in scorecard.revisions if r.version == version), Revision(version, scorecard.computed_at))
    with session_scope(engine) as session:
        sample = scorecard.sample or bool(
            session.scalar(sa.select(sa.func.count()).where(sv.period == period, sv.sample.is_(True)))
        )
        session.execute(sa.delete(sc).where(sc.period == period, sc.version == version))
        session.execute(sa.delete(sv).where(sv.period == period, sv.version == version))
        session.add(
            sv(
                period=period,
                version=version,
                issued_at=this.issued_at,
                reason=this.reason,
                sample=sample,
                platform=_platform(scorecard),
            )
        )
        session.add_all(
            sc(
                period=period,
                version=version,
                department=d.department,
                total=d.total,
                rank=d.rank,
                payload=to_payload(d),
                config_hash=scorecard.config_hash,
                sample=sample,
                computed_at=scorecard.computed_at,
            )
            for d in scorecard.departments
        )


def _order() -> tuple:
    sc = m.Scorecard
    return (sa.case((sc.rank.is_(None), 1), else_=0), sc.rank, sc.department)


def _latest() -> sa.Subquery:
    """Each period's latest version."""
    sc = m.Scorecard
    return sa.select(sc.period, sa.func.max(sc.version).label("version")).group_by(sc.period).subquery()


def latest_version(engine: Engine, period: str) -> int | None:
    """The period's latest stored version; None if it was never stored."""
    sc = m.Scorecard
    with session_scope(engine) as session:
        return session.scalar(sa.select(sa.func.max(sc.version)).where(sc.period == period))


def revisions(engine: Engine, period: str) -> list[Revision]:
    """Every version of ``period`` issued so far, oldest first."""
    sv = m.ScorecardVersion
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(sv).where(sv.period == period).order_by(sv.version)).all()
        return [Revision(r.version, r.issued_at, r.reason) for r in rows]


def appeal_notes(engine: Engine, period: str) -> dict[str, tuple[AppealNote, ...]]:
    """The period's 申诉 by department, oldest first, as the department's page shows them."""
    ap = m.ScorecardAppeal
    out: dict[str, list[AppealNote]] = {}
    with session_scope(engine) as session:
        for a in session.scalars(sa.select(ap).where(ap.period == period).order_by(ap.id)):
            note = AppealNote(
                id=a.id,
                indicator=a.indicator,
                evidence_ref=a.evidence_ref,
                reason=a.reason,
                status=cast(AppealStatus, a.status),
                decision=a.decision,
                filed_at=a.filed_at,
                decided_at=a.decided_at,
            )
            out.setdefault(a.department, []).append(note)
    return {k: tuple(v) for k, v in out.items()}


def load(engine: Engine, period: str, version: int | None = None) -> Scorecard | None:
    """The stored scorecard of ``period`` (YYYY-MM), its latest version (or ``version``), departments
    in rank order, with the versions issued up to it and the period's 申诉 as they stand now; None if
    never saved (or no such version)."""
    sc = m.Scorecard
    version = version or latest_version(engine, period)
    if version is None:
        return None
    with session_scope(engine) as session:
        query = sa.select(sc).where(sc.period == period, sc.version == version).order_by(*_order())
        rows = session.scalars(query).all()
        if not rows:
            return None
        computed_at, config_hash = rows[0].computed_at, rows[0].config_hash
        departments = [from_payload(r.payload) for r in rows]
        sample = any(r.sample for r in rows)
    issued = [r for r in revisions(engine, period) if r.version <= version]
    sample = sample or _period_sample(engine, period)
    notes = appeal_notes(engine, period)
    ran, gaps = _load_platform(engine, period, version)
    starts, ends = month_days(period)
    return Scorecard(
        period=period,
        starts=starts,
        ends=ends,
        computed_at=computed_at,
        departments=tuple(replace(d, appeals=notes.get(d.department, d.appeals)) for d in departments),
        config_hash=config_hash,
        sample=sample,
        version=version,
        revisions=tuple(issued) or (Revision(version, computed_at),),
        platform=gaps,
        platform_ran=ran,
    )


def _platform(card: Scorecard) -> dict[str, Any]:
    gaps = [
        {"stage": g.stage, "window": g.window, "resources": g.resources, "departments": list(g.departments)}
        for g in card.platform
    ]
    return {"ran": card.platform_ran, "gaps": gaps}


def _load_platform(engine: Engine, period: str, version: int) -> tuple[bool, tuple[PlatformGap, ...]]:
    sv = m.ScorecardVersion
    with session_scope(engine) as session:
        stored = session.scalar(sa.select(sv.platform).where(sv.period == period, sv.version == version))
    if not stored:
        return True, ()
    gaps = tuple(
        PlatformGap(g["stage"], g["window"], g["resources"], tuple(g.get("departments") or ()))
        for g in stored.get("gaps", ())
    )
    return bool(stored.get("ran", True)), gaps


def _period_sample(engine: Engine, period: str) -> bool:
    sv = m.ScorecardVersion
    with session_scope(engine) as session:
        return bool(session.scalar(sa.select(sa.func.count()).where(sv.period == period, sv.sample.is_(True))))


def history(engine: Engine, department: str, last: int = 12) -> list[tuple[str, DepartmentScore]]:
    """The department's scores (latest version) of its ``last`` most recent periods, oldest first (for trends)."""
    sc, latest = m.Scorecard, _latest()
    with session_scope(engine) as session:
        rows = session.execute(
            sa.select(sc.period, sc.payload)
            .join(latest, sa.and_(latest.c.period == sc.period, latest.c.version == sc.version))
            .where(sc.department == department)
            .order_by(sc.period.desc())
            .limit(last)
        ).all()
    return [(period, from_payload(payload)) for period, payload in reversed(rows)]


def periods(engine: Engine) -> list[str]:
    """Every period with a stored scorecard, oldest first."""
    sc = m.Scorecard
    with session_scope(engine) as session:
        return list(session.scalars(sa.select(sc.period).distinct().order_by(sc.period)))
