"""数据归集: 归集率 and 归集及时率, from the collect stage's ``run_log`` rows.

A *successful collection* is a collect outcome that read the source: ``completed`` (a batch was
stored, or an incremental source had nothing new), or ``skipped`` with ``rows_in`` recorded (the
source held the same content as an earlier batch). A resource without a source is catalogued only
and never due.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa

from ..clock import local_day
from ..store import models as m
from .config import ScorecardConfig
from .indicators import Context, Indicator, Result, mmdd, ratio, short
from .model import Evidence
from .windows import DAILY, Window, cycle_windows, missed_windows, window_labels


def _success(status: str, rows_in: int | None) -> bool:
    return status == "completed" or (status == "skipped" and rows_in is not None)


def _success_sql() -> sa.ColumnElement[bool]:
    rl = m.RunLog
    return sa.or_(rl.status == "completed", sa.and_(rl.status == "skipped", rl.rows_in.is_not(None)))


def _rate_formula(_: ScorecardConfig) -> str:
    return (
        "本期至少成功归集一次的资源数 ÷ 登记了数据源的资源数 × 100"
        "（成功归集：归集完成，或数据源已读取但内容与上一批次相同）"
    )


def collection_rate(ctx: Context) -> dict[str, Result]:
    if "collect" not in ctx.stages_run:
        return {}
    runs: dict[tuple[str, str], list] = defaultdict(list)
    for row in ctx.run_rows("collect"):
        runs[(row.department_key, row.resource_key)].append(row)
    out = {}
    for key, dept in ctx.departments.items():
        sourced = [r for r in dept.resources if r.has_source]
        if not sourced:
            continue
        evidence, fixes, good = [], [], 0
        for res in sourced:
            rows = runs.get((key, res.key), [])
            ok = [r for r in rows if _success(r.status, r.rows_in)]
            failed = [r for r in rows if r.status == "failed"]
            if ok:
                good += 1
                last = ok[-1]
                text = f"{res.name} {mmdd(last.started_at)} 归集成功（本期成功 {len(ok)} 次）"
                evidence.append(Evidence("run", last.run_id, text, True, last.started_at))
            elif failed:
                last = failed[-1]
                why = short(last.error)
                text = f"{res.name} 本期未归集成功（失败 {len(failed)} 次），最近一次 {mmdd(last.started_at)}：{why}"
                evidence.append(Evidence("run", last.run_id, text, False, last.started_at))
                fixes.append(f"{res.name}（{res.key}）：本期归集均失败，按提示处理后重新归集：{why}")
            else:
                evidence.append(Evidence("resource", f"{key}.{res.key}", f"{res.name} 本期无归集记录", False))
                fixes.append(f"{res.name}（{res.key}）：本期没有归集，确认数据源可用并纳入归集调度")
        out[key] = ratio(good, len(sourced), evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def _timeliness_formula(_: ScorecardConfig) -> str:
    return (
        "按时归集的周期数 ÷ 应归集的周期数 × 100。应归集的周期按更新周期划分："
        "实时、每日为本期每个工作日（节假日与调休按国务院通知）；每周为周日落在本期的自然周（周一至周日）；"
        "每月为本月；每季度、每半年、每年为在本月结束的季度、半年、年。周期内有一次成功归集即为按时；"
        "资源登记当日及以后开始的周期才计，尚未结束的周期不计，不定期资源不计"
    )


def _due(ctx: Context, cycle: str, first_day: dt.date, cache: dict[str, list[Window]]) -> list[Window]:
    if cycle not in cache:
        cache[cycle] = [w for w in cycle_windows(cycle, ctx.period, ctx.calendar) if w.ends <= ctx.cutoff]
    return [w for w in cache[cycle] if first_day <= w.first]


def _hits(ctx: Context, windows: set[Window]) -> dict[Window, set[tuple[str, str]]]:
    """For each window longer than a day: the resources with a successful collection in it (one
    grouped query per window; a window may begin before the period, never end after it)."""
    rl = m.RunLog
    out = {}
    for w in sorted(windows, key=lambda w: (w.first, w.last)):
        query = (
            sa.select(rl.department_key, rl.resource_key)
            .where(rl.stage == "collect", rl.started_at >= w.starts, rl.started_at < min(w.ends, ctx.cutoff))
            .where(_success_sql())
            .group_by(rl.department_key, rl.resource_key)
        )
        out[w] = {(d, r) for d, r in ctx.conn.execute(query) if r is not None}  # whole-department runs: no key
    return out


def collection_timeliness(ctx: Context) -> dict[str, Result]:
    if "collect" not in ctx.stages_run:
        return {}
    days: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
    for row in ctx.run_rows("collect"):
        if _success(row.status, row.rows_in):
            days[(row.department_key, row.resource_key)].add(local_day(row.started_at))
    cache: dict[str, list[Window]] = {}
    plan = {
        (key, res.key): (res, _due(ctx, res.update_cycle, res.first_day, cache))
        for key, dept in ctx.departments.items()
        for res in dept.resources
        if res.has_source
    }
    longer = {w for res, ws in plan.values() if res.update_cycle not in DAILY for w in ws}
    hits = _hits(ctx, longer)
    out = {}
    for key, dept in ctx.departments.items():
        evidence, fixes, due, on_time = [], [], 0, 0
        for res in dept.resources:
            if not res.has_source:
                continue
            _, windows = plan[(key, res.key)]
            if not windows:
                continue
            missed = missed_windows(res.update_cycle, windows, days[(key, res.key)], hits, (key, res.key))
            due += len(windows)
            on_time += len(windows) - len(missed)
            text = f"{res.name}（{res.update_cycle}）：应归集 {len(windows)} 次，按时 {len(windows) - len(missed)} 次"
            if missed:
                labels = window_labels(missed)
                text += f"；未按时：{labels}"
                fixes.append(
                    f"{res.name}（{res.key}）：按更新周期「{res.update_cycle}」归集，本期 {len(missed)} 个周期未归集"
                    f"（{labels}）；检查数据源与归集调度"
                )
            evidence.append(Evidence("resource", f"{key}.{res.key}", text, not missed))
        if due:
            out[key] = ratio(on_time, due, evidence, fixes, limit=ctx.config.evidence_limit)
    return out


INDICATORS = (
    Indicator("collection_rate", "归集率", "collect", _rate_formula, collection_rate),
    Indicator("collection_timeliness", "归集及时率", "collect", _timeliness_formula, collection_timeliness),
)
