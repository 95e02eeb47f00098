"""What goes into a department's feedback workbook for a period, read from the platform tables:
per resource the period's cleansing figures (and, when its latest batch failed the clean gate, why,
in Chinese), every issue still open (whenever it was found: it is still to fix), and the issues
fixed within the period. Fields are shown by their catalog label, every rule by its Chinese
sentence; a code the registry does not know still gets a sentence, never the code alone."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import clock
from ..catalog.model import Catalog, CatalogField
from ..clock import period_bounds
from ..rules.advice import advice_for
from ..rules.codes import RULES, Rule
from ..store import models as m
from . import feedback_state
from .deadlines import FixDeadlines
from .feedback import Problem, ResourceSummary, feedback_bytes
from .gate_text import batch_gate_notes, field_label

UNKNOWN_PROBLEM = "平台发现的数据问题（见「规则代码」列），请与平台管理员联系，了解具体要求。"


def feedback_path(home: Path, department: str, period: str) -> Path:
    return home / "feedback" / period / f"{department}-{period}.xlsx"


def summaries(session: Session, catalog: Catalog, period: str) -> list[ResourceSummary]:
    dept = catalog.department.id
    start, end = period_bounds(period)
    cb = m.CleanseBatch
    latest: dict[tuple[str, str], m.CleanseBatch] = {}
    for row in session.scalars(
        sa.select(cb)
        .where(cb.department_key == dept, cb.finished_at >= start, cb.finished_at < end)
        .where(cb.status.in_(("completed", "failed")))
        .order_by(cb.finished_at, cb.id)
    ):
        latest[(row.resource_key, row.batch_id)] = row  # a batch tried again: its last attempt counts
    qi = m.QualityIssue
    open_counts = dict(
        session.execute(
            sa.select(qi.resource_key, sa.func.count())
            .where(qi.department_key == dept, qi.status == "open")
            .group_by(qi.resource_key)
        ).all()
    )
    fixed_counts = dict(
        session.execute(
            sa.select(qi.resource_key, sa.func.count())
            .where(qi.department_key == dept, qi.status == "fixed", qi.fixed_at >= start, qi.fixed_at < end)
            .group_by(qi.resource_key)
        ).all()
    )
    out = []
    for res in catalog.resources:
        rows = [b for (r, _), b in latest.items() if r == res.id]
        last = max(rows, key=lambda b: b.finished_at) if rows else None
        out.append(
            ResourceSummary(
                resource_id=res.id,
                resource_name=res.name,
                rows_in=sum(b.rows_in for b in rows),
                loaded=sum(b.loaded for b in rows),
                quarantined=sum(b.quarantined for b in rows),
                merged=sum(b.merged for b in rows),
                warnings=sum(b.warnings for b in rows),
                open_issues=open_counts.get(res.id, 0),
                fixed_issues=fixed_counts.get(res.id, 0),
                gate_passed=last.gate_passed if last else None,
                gate_notes=batch_gate_notes(session, res, last) if last else (),
            )
        )
    return out


def problems(session: Session, catalog: Catalog, period: str) -> list[Problem]:
    dept = catalog.department.id
    start, end = period_bounds(period)
    resources = {r.id: r for r in catalog.resources}
    qi = m.QualityIssue
    rows = session.scalars(
        sa.select(qi)
        .where(qi.department_key == dept)
        .where(sa.or_(qi.status == "open", sa.and_(qi.fixed_at >= start, qi.fixed_at < end)))
        .order_by(qi.resource_key, qi.source_row, qi.field, qi.code)
    )
    out = []
    for issue in rows:
        res = resources.get(issue.resource_key)
        if res is None:  # a resource removed from the catalog: nobody can fix its records any more
            continue
        field = res.field(issue.field)
        rule = RULES.get(issue.code)
        out.append(
            Problem(
                resource_id=res.id,
                resource_name=res.name,
                source_row=issue.source_row,
                record_key=None if issue.record_key.startswith("#") else issue.record_key,
                field_label=field_label(res, issue.field),
                original=issue.original,
                problem=rule.problem if rule and rule.problem else UNKNOWN_PROBLEM,
                code=issue.code,
                advice=_advice(issue, field, rule),
                severity=issue.severity,
                status=issue.status,
                first_seen=issue.first_seen,
                fixed_at=issue.fixed_at,
                issue_id=issue.id,
            )
        )
    return out


def _advice(issue: m.QualityIssue, field: CatalogField | None, rule: Rule | None) -> str:
    if rule is None or not rule.advice:
        return "请与平台管理员联系。"
    if field is None or rule.quarantine is None:  # a field gone from the catalog; a gate's code
        return rule.advice
    return advice_for(issue.code, field, issue.original)


def write_department_feedback(
    session: Session, catalog: Catalog, period: str, home: Path, deadlines: FixDeadlines
) -> Path:
    """Write ``$GONGSHU_HOME/feedback/<period>/<department>-<period>.xlsx`` and return its path.
    ``deadlines``: the scorecard's 整改期限 rule (``issue_fix_days`` on the holiday calendar of
    ``scorecard.yaml``). The workbook is installed (renamed into place) with the generation of the
    department's issues it shows (``feedback_state``), in ``session``'s transaction: commit it
    right after."""
    dept = catalog.department.id
    at = feedback_state.generation(session, dept)  # before the data: the workbook is at least this new
    path = feedback_path(home, dept, period)
    data = feedback_bytes(
        department_name=catalog.department.name,
        period=period,
        generated_at=clock.now(),
        summaries=summaries(session, catalog, period),
        problems=problems(session, catalog, period),
        deadlines=deadlines,
    )
    feedback_state.install(session, home, dept, period, path, data, at)
    return path
