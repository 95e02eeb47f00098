"""The entry point of stage 6: :func:`compute_scorecard` turns what the platform recorded about a
period into a ranked :class:`Scorecard`.

Deterministic: a past period computes to the same scorecard from the same logs, whenever it is
computed; only ``computed_at`` differs. Everything is sorted; only rows timestamped before the
period's end count (before ``now`` for the running month, whose windows and deadlines not yet
passed are not due).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from sqlalchemy import Engine

from .. import clock
from ..clock import month_days, period_bounds
from . import indicators_catalog, indicators_collect, indicators_open, indicators_quality, indicators_share, store
from .config import ScorecardConfig
from .indicators import NOT_APPLICABLE, Context, DeptInfo, Indicator, Result, load_departments, platform_idle
from .indicators_use import INDICATORS as USE_INDICATORS
from .indicators_use import apps as approved_apps
from .model import DepartmentScore, Evidence, IndicatorScore, Scorecard
from .platform import STAGE_NAMES
from .ranking import rank, weighted_total
from .waive import waive

REGISTRY: dict[str, Indicator] = {
    i.code: i
    for module in (indicators_catalog, indicators_collect, indicators_quality, indicators_share, indicators_open)
    for i in module.INDICATORS
} | {i.code: i for i in USE_INDICATORS}  # 数据利用
NO_RESOURCES = "未登记数据资源（期末无已登记的目录），不参与排名"
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def previous_period(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def compute_scorecard(
    engine: Engine,
    period: str,
    config: ScorecardConfig,
    *,
    now: dt.datetime | None = None,
    sample: bool = False,
    compare: bool = True,
    waived: frozenset[tuple[str, str, str]] = frozenset(),
) -> Scorecard:
    """Compute ``period``'s (YYYY-MM) scorecard. ``compare``: fill each department's previous total
    and rank from the stored scorecard of the month before (its latest version), or by computing
    that month when none was stored. ``waived``: the evidence items of accepted 申诉, as (department,
    indicator code, evidence ref): each is removed and counted as met (:mod:`.waive`) before the
    totals are weighted and the departments ranked."""
    if not _PERIOD.match(period):
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    now = now or clock.now()
    start, end = period_bounds(period)
    cutoff = min(end, now)
    with engine.connect() as conn:
        ctx = Context(
            conn=conn,
            period=period,
            start=start,
            end=end,
            cutoff=cutoff,
            config=config,
            calendar=config.work_calendar(),
            departments=load_departments(conn, cutoff),
        )
        results = {code: REGISTRY[code].compute(ctx) for code in config.weights()}
        usage = {"share_calls": indicators_share.share_calls(ctx), "downloads": indicators_open.downloads(ctx)}
        usage["apps"] = approved_apps(ctx)
        stages_run, platform, ran = ctx.stages_run, ctx.platform_gaps(), ctx.platform_ran
    scores = [
        _department(dept, config, results, usage, stages_run, waived)
        for dept in sorted(ctx.departments.values(), key=lambda d: d.key)
    ]
    scores = scores if ran else platform_idle(scores)
    if compare:
        scores = _with_previous(engine, period, config, scores, now, sample)
    starts, ends = month_days(period)
    return Scorecard(
        period=period,
        starts=starts,
        ends=ends,
        computed_at=now,
        departments=rank(scores, config.ranking),
        config_hash=config.digest(),
        sample=sample,
        platform=platform,
        platform_ran=ran,
    )


def _department(
    dept: DeptInfo,
    config: ScorecardConfig,
    results: dict[str, dict[str, Result]],
    usage: dict[str, dict[str, int]],
    stages_run: frozenset[str],
    waived: frozenset[tuple[str, str, str]] = frozenset(),
) -> DepartmentScore:
    indicators = []
    for code, (dimension, weight) in config.weights().items():
        spec = REGISTRY[code]
        result = results[code].get(dept.key, NOT_APPLICABLE) if dept.resources else NOT_APPLICABLE
        evidence = result.evidence
        if dept.resources and spec.stage is not None and spec.stage not in stages_run:
            text = f"本期平台未运行{STAGE_NAMES[spec.stage]}环节，不适用"
            evidence = (Evidence("run", "—", text, True),)
        indicators.append(
            IndicatorScore(
                code=code,
                dimension=dimension,
                name=spec.name,
                formula=spec.formula(config),
                weight=weight,
                numerator=result.numerator,
                denominator=result.denominator,
                value=result.value,
                evidence=evidence,
                fixes=result.fixes,
            )
        )
    if waived:
        refs = {(code, ref) for key, code, ref in waived if key == dept.key}
        indicators = [waive(i, {ref for code, ref in refs if code == i.code}) for i in indicators]
    total = weighted_total(indicators) if dept.resources else None
    return DepartmentScore(
        department=dept.key,
        name=dept.name,
        total=total,
        rank=None,
        indicators=tuple(indicators),
        usage={name: counts.get(dept.key, 0) for name, counts in sorted(usage.items())},
        note=None if dept.resources else NO_RESOURCES,
    )


def _with_previous(
    engine: Engine,
    period: str,
    config: ScorecardConfig,
    scores: list[DepartmentScore],
    now: dt.datetime,
    sample: bool,
) -> list[DepartmentScore]:
    before = previous_period(period)
    earlier = store.load(engine, before) or compute_scorecard(
        engine, before, config, now=now, sample=sample, compare=False
    )
    by_key = {d.department: d for d in earlier.departments}
    out = []
    for s in scores:
        prev = by_key.get(s.department)
        if prev is None:
            out.append(s)
            continue
        out.append(replace(s, previous_total=prev.total, previous_rank=prev.rank))
    return out
