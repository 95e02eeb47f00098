"""Scorecards in the ``scorecard`` table: one row per period × department, the whole
:class:`DepartmentScore` as JSON. What is loaded back equals what was saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from ..clock import month_days
from ..store import models as m
from ..store.db import session_scope
from .model import AppealNote, DepartmentScore, Evidence, Fix, IndicatorScore, Scorecard


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
    """Replace the period's rows with this scorecard's, in one transaction."""
    sc = m.Scorecard
    with session_scope(engine) as session:
        session.execute(sa.delete(sc).where(sc.period == scorecard.period))
        session.add_all(
            sc(
                period=scorecard.period,
                department=d.department,
                total=d.total,
                rank=d.rank,
                payload=to_payload(d),
                config_hash=scorecard.config_hash,
                sample=scorecard.sample,
                computed_at=scorecard.computed_at,
            )
            for d in scorecard.departments
        )


def _order() -> tuple:
    sc = m.Scorecard
    return (sa.case((sc.rank.is_(None), 1), else_=0), sc.rank, sc.department)


def load(engine: Engine, period: str) -> Scorecard | None:
    """The stored scorecard of ``period`` (YYYY-MM), departments in rank order; None if never saved."""
    sc = m.Scorecard
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(sc).where(sc.period == period).order_by(*_order())).all()
        if not rows:
            return None
        starts, ends = month_days(period)
        return Scorecard(
            period=period,
            starts=starts,
            ends=ends,
            computed_at=rows[0].computed_at,
            departments=tuple(from_payload(r.payload) for r in rows),
            config_hash=rows[0].config_hash,
            sample=rows[0].sample,
        )


def history(engine: Engine, department: str, last: int = 12) -> list[tuple[str, DepartmentScore]]:
    """The department's stored scores of its ``last`` most recent periods, oldest first (for trends)."""
    sc = m.Scorecard
    with session_scope(engine) as session:
        rows = session.execute(
            sa.select(sc.period, sc.payload).where(sc.department == department).order_by(sc.period.desc()).limit(last)
        ).all()
    return [(period, from_payload(payload)) for period, payload in reversed(rows)]


def periods(engine: Engine) -> list[str]:
    """Every period with a stored scorecard, oldest first."""
    sc = m.Scorecard
    with session_scope(engine) as session:
        return list(session.scalars(sa.select(sc.period).distinct().order_by(sc.period)))
