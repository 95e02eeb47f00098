"""What every indicator works from (:class:`Context`) and gives back (:class:`Result`).

An indicator is computed for all departments at once, from a few aggregate queries, never one
query per resource. It reads only what the platform recorded, and only:

* the catalog as registered at the period's end (each department's latest ``catalog_version``
  compiled before the end), so a later catalog change never rewrites a past period;
* log rows timestamped before the cut-off: the period's end, or ``now`` for the running month.

Run-based indicators are 不适用 for everyone when the platform ran no flow of their stage in the
period (the platform's outage is not the departments' fault); state-based ones (completeness, 共享度,
开放率) are computed from the catalog and the releases as they stood.

Three rules hold across the indicators, so that a department cannot dispute a figure:

* 逾期未办结: a share request or a quality issue past its deadline counts against its department in
  the month it fell due and in every later month while it is still open, until the month it is
  answered or fixed (then once, as late), and never after;
* one fault, one deduction: each root cause is charged once, in the indicator where it belongs; the
  indicators that depend on it list it as evidence with ``charged_in`` (「已在「归集率」扣分」) and
  leave it out of their numerator and denominator (see each module for its cases);
* the platform's own gaps are nobody's fault: a due window in which the platform never attempted a
  stage for a resource is charged to no department and listed in ``Scorecard.platform``; a period in
  which it ran nothing at all ranks nobody (``platform_ran``).

Everything a department reads (evidence, 整改清单) is plain Chinese: errors through
:mod:`gongshu.rules.errors`, rule codes by their Chinese sentence with the code in brackets, fields
by their catalog label, files by the name the catalog declares. Each 整改 item has a deadline
(``issue_fix_days`` working days) and says where to look.

The modules ``indicators_<dimension>.py`` hold the indicators themselves.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..catalog.completeness import resource_completeness
from ..catalog.model import Catalog
from ..cleanse.deadlines import FixDeadlines
from ..clock import SHANGHAI, WorkCalendar, local_day
from ..rules.errors import Explained, explain
from ..store import models as m
from .config import ScorecardConfig
from .model import DepartmentScore, Evidence, Fix, PlatformGap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResInfo:
    """A resource as the catalog declared it at the period's end."""

    key: str
    name: str
    update_cycle: str
    share_type: str
    open_type: str
    level: str
    has_source: bool
    completeness: float
    """0–100, against the 2017 guide's core metadata."""
    missing: tuple[str, ...]
    """The metadata items missing, by their Chinese names (「信息资源摘要」)."""
    first_seen: dt.datetime
    """When the platform first registered it: no window before that day is due."""
    fields: tuple[tuple[str, str], ...] = ()
    """(name, label) of its fields as the catalog declares them."""

    @property
    def first_day(self) -> dt.date:
        return self.first_seen.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class DeptInfo:
    key: str
    name: str
    resources: tuple[ResInfo, ...]
    """By key."""

    def resource(self, key: str) -> ResInfo | None:
        return next((r for r in self.resources if r.key == key), None)

    def field_label(self, resource: str, field: str) -> str:
        """A field's catalog label (信息项名称), for texts; its name when the catalog no longer has it."""
        res = self.resource(resource)
        return dict(res.fields).get(field, field) if res else field

    def label(self, key: str | None) -> str:
        """A resource's name for texts (its key when the catalog no longer has it)."""
        if key is None:
            return "目录文件"
        res = self.resource(key)
        return res.name if res else key


@dataclass
class Context:
    conn: Connection
    period: str
    start: dt.datetime
    end: dt.datetime
    """Exclusive."""
    cutoff: dt.datetime
    """min(end, now): nothing at or after it counts, nothing due after it is due yet."""
    config: ScorecardConfig
    calendar: WorkCalendar
    departments: dict[str, DeptInfo]
    cache: dict[str, object] = field(default_factory=dict)

    @cached_property
    def stages_run(self) -> frozenset[str]:
        rl = m.RunLog
        query = sa.select(rl.stage).where(rl.started_at >= self.start, rl.started_at < self.cutoff).distinct()
        return frozenset(self.conn.scalars(query))

    def run_rows(self, stage: str) -> list[sa.Row]:
        """The stage's ``run_log`` rows in the period (without their details), oldest first."""
        key = f"run:{stage}"
        if key not in self.cache:
            rl = m.RunLog
            query = (
                sa.select(
                    rl.id,
                    rl.run_id,
                    rl.department_key,
                    rl.resource_key,
                    rl.status,
                    rl.started_at,
                    rl.rows_in,
                    rl.error,
                    rl.reason,
                )
                .where(rl.stage == stage, rl.started_at >= self.start, rl.started_at < self.cutoff)
                .order_by(rl.started_at, rl.id)
            )
            self.cache[key] = self.conn.execute(query).all()
        return self.cache[key]  # type: ignore[return-value]

    def in_period(self, moment: dt.datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.cutoff

    def failure_details(self, stage: str) -> dict[int, dict[str, Any]]:
        """``run_log.details`` of the stage's failed rows in the period, by row id: the error kind and
        safe parameters a stage recorded, for :func:`explain`."""
        key = f"details:{stage}"
        if key not in self.cache:
            rl = m.RunLog
            query = sa.select(rl.id, rl.details).where(
                rl.stage == stage, rl.status == "failed", rl.started_at >= self.start, rl.started_at < self.cutoff
            )
            self.cache[key] = {i: d or {} for i, d in self.conn.execute(query)}
        return self.cache[key]  # type: ignore[return-value]

    def explain(self, stage: str, row: Any) -> Explained:
        """A failed ``run_log`` row's error in plain Chinese (never its English text or a path)."""
        return explain(row.error, self.failure_details(stage).get(row.id), run_id=row.run_id)

    @cached_property
    def fix_deadlines(self) -> FixDeadlines:
        """The 整改期限 rule the 反馈表 shows (one rule for both: :mod:`gongshu.cleanse.deadlines`)."""
        return FixDeadlines(self.calendar, self.config.issue_fix_days)

    def deadline(self) -> dt.date:
        """整改期限 of an item found in the period: ``issue_fix_days`` working days after its last day."""
        return local_day(self.fix_deadlines.due(self.end - dt.timedelta(seconds=1)))

    def feedback(self, dept: str, resource: str | None = None, row: int | None = None) -> str:
        """Where the department sees a data problem: its 数据质量问题反馈表 of the period, sheet and row."""
        where = f"数据质量问题反馈表 {dept}-{self.period}.xlsx「问题明细」表"
        if resource:
            where += f"，资源「{resource}」"
        return where + (f"，行号 {row}" if row is not None else "")

    def platform_gap(self, stage: str, window: str, first: dt.date, dept: str, resource: str) -> None:
        """Record a due window the platform did not attempt for a resource (charged to nobody)."""
        gaps: dict[tuple[str, dt.date, str], set[tuple[str, str]]] = self.cache.setdefault("gaps", {})  # type: ignore[assignment]
        gaps.setdefault((stage, first, window), set()).add((dept, resource))

    def platform_gaps(self) -> tuple[PlatformGap, ...]:
        """平台运行: the windows the platform did not attempt, by stage and window, oldest first."""
        gaps: dict[tuple[str, dt.date, str], set[tuple[str, str]]] = self.cache.get("gaps", {})  # type: ignore[assignment]
        return tuple(
            PlatformGap(stage, window, len(pairs), tuple(sorted({d for d, _ in pairs})))
            for (stage, _, window), pairs in sorted(gaps.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2]))
        )

    @property
    def platform_ran(self) -> bool:
        """False when the platform ran no stage of the pipeline in the period although departments
        had resources registered: nothing they did can be judged, and nobody is ranked."""
        return bool(self.stages_run - {"scorecard"}) or not any(d.resources for d in self.departments.values())


@dataclass(frozen=True)
class Result:
    numerator: float | None
    denominator: float | None
    value: float | None
    evidence: tuple[Evidence, ...] = ()
    fixes: tuple[Fix, ...] = ()


def as_fixes(items: Iterable[Fix | str]) -> tuple[Fix, ...]:
    """整改清单 items; a bare text is an item without a deadline or a place to look."""
    return tuple(f if isinstance(f, Fix) else Fix(f) for f in items)


NOT_APPLICABLE = Result(None, None, None)
SEE_EVIDENCE = "见本页评分依据"
PLATFORM_IDLE = "本期平台未运行应运行的环节，不作排名"


def platform_idle(scores: Iterable[DepartmentScore]) -> list[DepartmentScore]:
    """A period in which the platform ran nothing: no total, no rank, and the note saying why (a
    department with no resources keeps its own note)."""
    return [s if s.note else replace(s, total=None, note=PLATFORM_IDLE) for s in scores]


def ratio(
    num: float, den: float, evidence: Iterable[Evidence] = (), fixes: Iterable[Fix | str] = (), *, limit: int
) -> Result:
    """num / den × 100; 不适用 (value None) when nothing was due."""
    value = 100.0 * num / den if den else None
    return Result(num, den, value, limit_evidence(evidence, limit), as_fixes(fixes))


def scored(
    ctx: Context, num: float, due: float, evidence: Sequence[Evidence], fixes: Iterable[Fix | str]
) -> Result | None:
    """``num`` ÷ ``due`` × 100 when something was due; else 不适用 that still shows its evidence (items
    charged in another indicator, windows the platform did not attempt), or None when there is none."""
    if due:
        return ratio(num, due, evidence, fixes, limit=ctx.config.evidence_limit)
    if evidence:
        return Result(None, None, None, limit_evidence(evidence, ctx.config.evidence_limit))
    return None


def limit_evidence(items: Iterable[Evidence], limit: int) -> tuple[Evidence, ...]:
    """Sorted, problems first; past ``limit`` items, one line counting the rest."""
    ordered = sorted(items, key=lambda e: (e.ok, e.kind, e.ref, e.at or dt.datetime.min.replace(tzinfo=dt.UTC), e.text))
    if len(ordered) <= limit:
        return tuple(ordered)
    rest = ordered[limit:]
    bad = sum(not e.ok for e in rest)
    summary = Evidence(
        kind=rest[0].kind,
        ref="…",
        text=f"另有 {len(rest)} 条未列出（其中 {bad} 条不达标）" if bad else f"另有 {len(rest)} 条未列出（均达标）",
        ok=bad == 0,
    )
    return (*ordered[:limit], summary)


def mmdd(moment: dt.datetime | dt.date | None) -> str:
    """A date as the scorecard prints it (Asia/Shanghai): 11-03."""
    if moment is None:
        return "—"
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(SHANGHAI).date()
    return f"{moment:%m-%d}"


def short(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    stage: str | None
    """The stage whose runs it scores (None: state-based, computed even when nothing ran)."""
    formula: Callable[[ScorecardConfig], str]
    compute: Callable[[Context], dict[str, Result]]
    """department key -> result, for the departments that have resources."""


# ---- the catalog as registered at the period's end -------------------------------------------


def load_departments(conn: Connection, end: dt.datetime) -> dict[str, DeptInfo]:
    """Every department registered before ``end``, with its resources as its latest catalog version
    before ``end`` declared them (none when it had no version yet)."""
    d, cv, r = m.Department, m.CatalogVersion, m.Resource
    depts = conn.execute(sa.select(d.id, d.key, d.name).where(d.created_at < end).order_by(d.key)).all()
    latest = (
        sa.select(cv.department_id, sa.func.max(cv.version).label("version"))
        .where(cv.compiled_at < end)
        .group_by(cv.department_id)
        .subquery()
    )
    snapshots: dict[int, dict[str, Any]] = dict(
        conn.execute(
            sa.select(cv.department_id, cv.snapshot).join(
                latest, sa.and_(cv.department_id == latest.c.department_id, cv.version == latest.c.version)
            )
        ).all()
    )
    first_seen = {
        (dept_id, key): seen for dept_id, key, seen in conn.execute(sa.select(r.department_id, r.key, r.first_seen_at))
    }
    out = {}
    for dept_id, key, name in depts:
        snap = snapshots.get(dept_id)
        resources: tuple[ResInfo, ...] = ()
        if snap is not None:
            name = snap.get("department", {}).get("name") or name
            resources = _resources(key, snap, partial(_first_seen, first_seen, dept_id, end))
        out[key] = DeptInfo(key=key, name=name, resources=resources)
    return out


def _first_seen(
    first_seen: dict[tuple[int, str], dt.datetime], dept_id: int, end: dt.datetime, resource: str
) -> dt.datetime:
    """When the resource was first registered; the period's end for one not registered yet."""
    return first_seen.get((dept_id, resource)) or end


def _resources(dept: str, snap: dict, first_seen: Callable[[str], dt.datetime]) -> tuple[ResInfo, ...]:
    try:
        catalog = Catalog.model_validate(snap)
    except ValueError as exc:  # a snapshot an older catalog format wrote: score it as declared
        log.warning("catalog snapshot of %s does not validate any more (%s); completeness read as 0", dept, exc)
        return tuple(sorted((_raw_resource(r, first_seen) for r in snap.get("resources", [])), key=lambda x: x.key))
    out = []
    for res in catalog.resources:
        comp = resource_completeness(catalog.department, res)
        out.append(
            ResInfo(
                key=res.id,
                name=res.name,
                update_cycle=res.update_cycle,
                share_type=res.share.type,
                open_type=res.open.type,
                level=res.level,
                has_source=res.source is not None,
                completeness=comp.score,
                missing=tuple(i.label for i in comp.missing),
                first_seen=first_seen(res.id),
                fields=tuple((f.name, f.label or f.name) for f in res.fields),
            )
        )
    return tuple(sorted(out, key=lambda x: x.key))


def _raw_resource(r: dict, first_seen: Callable[[str], dt.datetime]) -> ResInfo:
    return ResInfo(
        key=r["id"],
        name=r.get("name", r["id"]),
        update_cycle=r.get("update_cycle", "不定期"),
        share_type=r.get("share", {}).get("type", "不予共享"),
        open_type=r.get("open", {}).get("type", "不予开放"),
        level=r.get("level", "L4"),
        has_source=bool(r.get("source")),
        completeness=0.0,
        missing=("目录快照无法校验",),
        first_seen=first_seen(r["id"]),
        fields=tuple(
            (f.get("name", ""), f.get("label") or f.get("name", "")) for f in r.get("fields", []) if isinstance(f, dict)
        ),
    )
