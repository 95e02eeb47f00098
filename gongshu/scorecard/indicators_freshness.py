"""What the timeliness indicators (归集及时率, 开放更新及时率) judge a due window by: whether *new* data
reached the platform inside it, read from the data itself, and whether the platform tried at all.

* New collected data: a ``collect_batch`` row (a batch whose content fingerprint the resource never
  had). A collection that found the same content ("skipped, same content") or an incremental source
  with nothing past its high-water mark stores no batch: re-delivering unchanged data is not new.
* New open data: an ``open_release`` row (a new version).
* An attempt: any ``run_log`` row of the stage for the resource, whatever its outcome. A window with
  none is the platform's gap, not the department's fault: it is charged to nobody and listed in the
  scorecard's 平台运行 section (:meth:`Context.platform_gap`).

Each window of a resource ends up in one :data:`Verdict`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa

from ..store import models as m
from .indicators import Context
from .windows import Window

Verdict = Literal["fresh", "gap", "missed", "charged_rate", "charged_gate"]
"""fresh: new data in the window; gap: the platform did not attempt it; missed: attempted, no new
data (charged here); charged_rate / charged_gate: no new data because of a fault another indicator
charges (归集率: never collected in the period; 质量门通过率: the new batch was stopped by the gate)."""

Moments = dict[tuple[str, str], list[dt.datetime]]


def _grouped(rows: Sequence[sa.Row]) -> Moments:
    out: Moments = defaultdict(list)
    for d, r, at in rows:
        if r is not None:
            out[(d, r)].append(at)
    for moments in out.values():
        moments.sort()
    return out


def _moments(ctx: Context, key: str, columns: tuple[Any, Any, Any], *where: sa.ColumnElement[bool]) -> Moments:
    """The times (``columns``: department, resource, time) of the rows matching ``where``, per
    resource, up to the cut-off; read once per ``key`` in a computation."""
    if key not in ctx.cache:
        query = sa.select(*columns).where(*where, columns[2] < ctx.cutoff)
        ctx.cache[key] = _grouped(ctx.conn.execute(query).all())
    return ctx.cache[key]  # type: ignore[return-value]


def attempts(ctx: Context, stage: str, since: dt.datetime) -> Moments:
    """When the platform tried the stage on each resource, from ``since`` to the cut-off."""
    rl = m.RunLog
    key = f"attempts:{stage}:{since.isoformat()}"
    return _moments(
        ctx, key, (rl.department_key, rl.resource_key, rl.started_at), rl.stage == stage, rl.started_at >= since
    )


def new_batches(ctx: Context, since: dt.datetime) -> Moments:
    """When a batch of new content was stored for each resource, from ``since`` to the cut-off."""
    cb = m.CollectBatch
    columns = (cb.department_key, cb.resource_key, cb.finished_at)
    return _moments(ctx, f"batches:{since.isoformat()}", columns, cb.finished_at >= since)


def new_releases(ctx: Context, since: dt.datetime) -> Moments:
    """When a new version of each resource was released, from ``since`` to the cut-off."""
    orl = m.OpenRelease
    columns = (orl.department_key, orl.resource_key, orl.released_at)
    return _moments(ctx, f"releases:{since.isoformat()}", columns, orl.released_at >= since)


def gate_stops(ctx: Context, since: dt.datetime) -> dict[tuple[str, str], list[tuple[dt.datetime, bool]]]:
    """The clean gate's verdicts on each resource's batches (when, passed), from ``since``."""
    key = f"gates:{since.isoformat()}"
    if key not in ctx.cache:
        cb = m.CleanseBatch
        query = (
            sa.select(cb.department_key, cb.resource_key, cb.finished_at, cb.gate_passed)
            .where(cb.finished_at >= since, cb.finished_at < ctx.cutoff, cb.gate_passed.is_not(None))
            .order_by(cb.finished_at)
        )
        out: dict[tuple[str, str], list[tuple[dt.datetime, bool]]] = defaultdict(list)
        for d, r, at, passed in ctx.conn.execute(query):
            out[(d, r)].append((at, bool(passed)))
        ctx.cache[key] = out
    return ctx.cache[key]  # type: ignore[return-value]


def within(moments: Sequence[dt.datetime], w: Window, cutoff: dt.datetime) -> bool:
    """Whether one of the sorted ``moments`` falls inside window ``w`` (before the cut-off)."""
    i = bisect.bisect_left(moments, w.starts)
    return i < len(moments) and moments[i] < min(w.ends, cutoff)


def stopped_by_gate(verdicts: Sequence[tuple[dt.datetime, bool]], w: Window, cutoff: dt.datetime) -> bool:
    """The clean gate refused a batch in the window and passed none."""
    inside = [passed for at, passed in verdicts if w.starts <= at < min(w.ends, cutoff)]
    return bool(inside) and not any(inside)
