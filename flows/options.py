"""Checking the pipeline's options before anything heavy is imported (no Prefect here), so that a
mistyped stage or period is answered at once."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from gongshu import clock
from gongshu.runs import STAGES, Outcome
from gongshu.scorecard.status import not_begun
from gongshu.settings import get_settings

BUILT_STAGES: tuple[str, ...] = ("catalog", "collect", "cleanse", "share", "open", "scorecard")
"""The stages that have a flow, in pipeline order: all of ``STAGES`` today; a stage added to
``gongshu.runs.STAGES`` is refused here until its flow exists (flows/pipeline.py checks the two agree)."""
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_stages(stages: list[str] | None) -> list[str]:
    """The stages to run in pipeline order; a clear error for unknown or not-yet-built stages."""
    if not stages:
        return [s for s in STAGES if s in BUILT_STAGES]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; stages are {', '.join(STAGES)}")
    missing = [s for s in stages if s not in BUILT_STAGES]
    if missing:
        raise ValueError(f"stage(s) {', '.join(missing)} are not built yet; available: {', '.join(BUILT_STAGES)}")
    return [s for s in STAGES if s in stages]


def check_period(period: str | None) -> str:
    """The assessment period (YYYY-MM); default: the previous month (Asia/Shanghai). A month that has
    not begun is refused (the month in progress is scored as 暂定, see gongshu.scorecard.stage)."""
    if period is None:
        today = clock.local_day(clock.now())
        last = today.replace(day=1) - dt.timedelta(days=1)
        return f"{last:%Y-%m}"
    if not PERIOD.match(period):
        raise ValueError(f"period '{period}' is not a month in the form YYYY-MM")
    why = not_begun(period)
    if why:
        raise ValueError(why)
    return period


def database_lost(
    stages: list[str], catalogs: str | Path | None, departments: list[str] | None, error: str
) -> list[Outcome]:
    """The outcomes of a run whose platform database failed at the first of ``stages``: that stage
    failed with ``error`` for each department of the run, the later ones skipped (they would fail the
    same way). The departments: those asked for, else those of the catalog files."""
    if departments:
        depts = list(departments)
    else:
        from gongshu.catalog import discover, load_catalog

        files = discover([Path(catalogs) if catalogs else get_settings().catalogs])
        depts = sorted({load_catalog(f).department_id or f.stem for f in files}) or ["all"]
    now = clock.now()
    first, later = stages[0], stages[1:]
    why = f"not run: the platform database failed at the {first} stage"
    outcomes = []
    for dept in depts:
        outcomes.append(Outcome(first, dept, None, "failed", now, now, error=error))
        outcomes += [Outcome(s, dept, None, "skipped", now, now, reason=why) for s in later]
    return outcomes
