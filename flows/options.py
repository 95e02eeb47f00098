"""Checking the pipeline's options before anything heavy is imported (no Prefect here), so that a
mistyped stage or period is answered at once."""

from __future__ import annotations

import datetime as dt
import re

from gongshu import clock
from gongshu.runs import STAGES

BUILT_STAGES: tuple[str, ...] = ("catalog", "collect", "cleanse", "share", "open", "scorecard")
"""The stages that have a flow so far, in pipeline order (flows/pipeline.py checks it)."""
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
    """The assessment period (YYYY-MM); default: the previous month (Asia/Shanghai)."""
    if period is None:
        today = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        last = today.replace(day=1) - dt.timedelta(days=1)
        return f"{last:%Y-%m}"
    if not PERIOD.match(period):
        raise ValueError(f"period '{period}' is not a month in the form YYYY-MM")
    return period
