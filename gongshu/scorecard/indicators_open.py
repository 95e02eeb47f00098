"""数据开放: 开放率 (releases made by the period's end) and 开放更新及时率 (the open stage's runs).

A resource is *openable* when its 开放属性 is not 不予开放 and its level is not L4. An L2/L3
resource declared 无条件开放 is openable but held back by the open stage until the catalog says
有条件开放: the department's to fix, so it counts against 开放率.

A release is *kept current* in a window when the open stage released a new version in it, or
found the released rows unchanged (its ``skipped`` outcome "unchanged since vN"): a release
cannot be refreshed with data that did not change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from ..clock import local_day
from ..store import models as m
from .config import ScorecardConfig
from .indicators import Context, Indicator, ResInfo, Result, mmdd, ratio, short
from .model import Evidence
from .windows import DAILY, Window, cycle_windows, missed_windows, window_labels

UNCHANGED = "unchanged since"


def openable(res: ResInfo) -> bool:
    return res.open_type != "不予开放" and res.level != "L4"


def _latest_releases(ctx: Context) -> dict[tuple[str, str], sa.Row]:
    """The newest release of each resource made before the cut-off, and its first release time."""
    if "releases" not in ctx.cache:
        orl = m.OpenRelease
        agg = (
            sa.select(
                orl.department_key,
                orl.resource_key,
                sa.func.max(orl.version).label("version"),
                sa.func.min(orl.released_at).label("first_released"),
            )
            .where(orl.released_at < ctx.cutoff)
            .group_by(orl.department_key, orl.resource_key)
            .subquery()
        )
        query = sa.select(
            orl.id, orl.department_key, orl.resource_key, orl.version, orl.released_at, agg.c.first_released
        )
        query = query.join(
            agg,
            sa.and_(
                orl.department_key == agg.c.department_key,
                orl.resource_key == agg.c.resource_key,
                orl.version == agg.c.version,
            ),
        )
        ctx.cache["releases"] = {(r.department_key, r.resource_key): r for r in ctx.conn.execute(query)}
    return ctx.cache["releases"]  # type: ignore[return-value]


def _rate_formula(_: ScorecardConfig) -> str:
    return (
        "已开放（期末前有发布版本）的可开放资源数 ÷ 可开放资源数 × 100；"
        "可开放：开放属性不为「不予开放」且分级不为 L4（以期末登记的目录为准）"
    )


def open_rate(ctx: Context) -> dict[str, Result]:
    releases = _latest_releases(ctx)
    last_open = {(r.department_key, r.resource_key): r for r in ctx.run_rows("open")}
    out = {}
    for key, dept in ctx.departments.items():
        candidates = [r for r in dept.resources if openable(r)]
        if not candidates:
            continue
        evidence, fixes, good = [], [], 0
        for res in candidates:
            rel = releases.get((key, res.key))
            if rel is not None:
                good += 1
                text = f"{res.name} 已开放 v{rel.version}（{mmdd(rel.released_at)} 发布）"
                evidence.append(Evidence("release", str(rel.id), text, True, rel.released_at))
                continue
            evidence.append(Evidence("resource", f"{key}.{res.key}", f"{res.name}（{res.open_type}）尚未开放", False))
            if res.level in ("L2", "L3") and res.open_type == "无条件开放":
                fix = f"目录登记为无条件开放，但 {res.level} 数据只能依申请开放：改为有条件开放并写明开放条件"
            else:
                run = last_open.get((key, res.key))
                why = (
                    f"（最近一次开放：{short(run.error or run.reason, 80)}）"
                    if run and (run.error or run.reason)
                    else ""
                )
                fix = f"完成归集与清洗并通过发布质量门后开放{why}"
            fixes.append(f"{res.name}（{res.key}）：{fix}")
        out[key] = ratio(good, len(candidates), evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def _timeliness_formula(_: ScorecardConfig) -> str:
    return (
        "按时更新的周期数 ÷ 应更新的周期数 × 100；已开放资源按更新周期划分周期（同归集及时率），"
        "首次发布当日及以后开始的周期才计；周期内发布新版本，或开放环节确认数据未变，即为按时"
    )


def _current(ctx: Context, w: Window) -> set[tuple[str, str]]:
    """Resources kept current within window ``w`` (new release or confirmed unchanged)."""
    rl, orl = m.RunLog, m.OpenRelease
    ends = min(w.ends, ctx.cutoff)
    runs = (
        sa.select(rl.department_key, rl.resource_key)
        .where(rl.stage == "open", rl.started_at >= w.starts, rl.started_at < ends)
        .where(sa.or_(rl.status == "completed", sa.and_(rl.status == "skipped", rl.reason.startswith(UNCHANGED))))
    )
    released = sa.select(orl.department_key, orl.resource_key).where(
        orl.released_at >= w.starts, orl.released_at < ends
    )
    rows: list[Any] = list(ctx.conn.execute(sa.union(runs, released)))
    return {(d, r) for d, r in rows}


def _daily(ctx: Context) -> dict[tuple[str, str], set[dt.date]]:
    days: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
    for row in ctx.run_rows("open"):
        if row.status == "completed" or (row.status == "skipped" and (row.reason or "").startswith(UNCHANGED)):
            days[(row.department_key, row.resource_key)].add(local_day(row.started_at))
    orl = m.OpenRelease
    query = sa.select(orl.department_key, orl.resource_key, orl.released_at).where(
        orl.released_at >= ctx.start, orl.released_at < ctx.cutoff
    )
    for d, r, at in ctx.conn.execute(query):
        days[(d, r)].add(local_day(at))
    return days


def open_timeliness(ctx: Context) -> dict[str, Result]:
    if "open" not in ctx.stages_run:
        return {}
    releases = _latest_releases(ctx)
    windows: dict[str, list[Window]] = {}
    plan = {}
    for key, dept in ctx.departments.items():
        for res in dept.resources:
            rel = releases.get((key, res.key))
            if not openable(res) or rel is None:
                continue
            if res.update_cycle not in windows:
                all_w = cycle_windows(res.update_cycle, ctx.period, ctx.calendar)
                windows[res.update_cycle] = [w for w in all_w if w.ends <= ctx.cutoff]
            first = local_day(rel.first_released)
            plan[(key, res.key)] = (res, [w for w in windows[res.update_cycle] if first <= w.first])
    longer = sorted(
        {w for res, ws in plan.values() if res.update_cycle not in DAILY for w in ws}, key=lambda w: (w.first, w.last)
    )
    hits = {w: _current(ctx, w) for w in longer}
    days = _daily(ctx) if any(res.update_cycle in DAILY for res, _ in plan.values()) else {}
    out = {}
    for key, dept in ctx.departments.items():
        evidence, fixes, due, on_time = [], [], 0, 0
        for res in dept.resources:
            if (key, res.key) not in plan:
                continue
            _, ws = plan[(key, res.key)]
            if not ws:
                continue
            missed = missed_windows(res.update_cycle, ws, days.get((key, res.key), set()), hits, (key, res.key))
            due += len(ws)
            on_time += len(ws) - len(missed)
            text = f"{res.name}（{res.update_cycle}）：应更新 {len(ws)} 次，按时 {len(ws) - len(missed)} 次"
            if missed:
                labels = window_labels(missed)
                text += f"；未按时：{labels}"
                fixes.append(
                    f"{res.name}（{res.key}）：开放数据按更新周期「{res.update_cycle}」更新，本期 {len(missed)} 个周期"
                    f"未更新（{labels}）；确认归集、清洗正常并纳入开放调度"
                )
            evidence.append(Evidence("resource", f"{key}.{res.key}", text, not missed))
        if due:
            out[key] = ratio(on_time, due, evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def downloads(ctx: Context) -> dict[str, int]:
    """Downloads and datastore queries of each department's open data in the period: usage, not score."""
    dl = m.DownloadLog
    query = (
        sa.select(dl.department_key, sa.func.count())
        .where(dl.downloaded_at >= ctx.start, dl.downloaded_at < ctx.cutoff)
        .group_by(dl.department_key)
    )
    return {k: int(n) for k, n in ctx.conn.execute(query)}


INDICATORS = (
    Indicator("open_rate", "开放率", None, _rate_formula, open_rate),
    Indicator("open_timeliness", "开放更新及时率", "open", _timeliness_formula, open_timeliness),
)
