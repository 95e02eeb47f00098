"""数据质量: 质量门通过率 and 数据合格率 from ``cleanse_batch``, 问题整改率 from ``quality_issue``.

A batch cleansed more than once in the period counts once, by its last attempt (as in the
feedback workbook); a batch superseded by a newer full snapshot was never cleansed and does not count.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import sqlalchemy as sa

from ..clock import local_day
from ..store import models as m
from .config import ScorecardConfig
from .indicators import Context, Indicator, Result, mmdd, ratio, short
from .model import Evidence


def _batches(ctx: Context) -> list[sa.Row]:
    """The last attempt of every batch cleansed (completed or failed) in the period."""
    if "batches" not in ctx.cache:
        cb = m.CleanseBatch
        query = (
            sa.select(
                cb.id,
                cb.batch_id,
                cb.run_id,
                cb.department_key,
                cb.resource_key,
                cb.status,
                cb.rows_in,
                cb.loaded,
                cb.quarantined,
                cb.merged,
                cb.gate_passed,
                cb.error,
                cb.finished_at,
            )
            .where(cb.finished_at >= ctx.start, cb.finished_at < ctx.cutoff)
            .where(cb.status.in_(("completed", "failed")))
            .order_by(cb.finished_at, cb.id)
        )
        last = {}
        for row in ctx.conn.execute(query):
            last[(row.department_key, row.resource_key, row.batch_id)] = row
        ctx.cache["batches"] = sorted(last.values(), key=lambda r: (r.department_key, r.resource_key, r.finished_at))
    return ctx.cache["batches"]  # type: ignore[return-value]


def _by_resource(ctx: Context) -> dict[str, dict[str, list[sa.Row]]]:
    out: dict[str, dict[str, list[sa.Row]]] = defaultdict(lambda: defaultdict(list))
    for row in _batches(ctx):
        out[row.department_key][row.resource_key].append(row)
    return out


def _gate_formula(_: ScorecardConfig) -> str:
    return "通过清洗质量门的批次数 ÷ 经质量门校验的批次数 × 100（同一批次多次清洗以本期最后一次为准）"


def gate_pass_rate(ctx: Context) -> dict[str, Result]:
    if "cleanse" not in ctx.stages_run:
        return {}
    grouped = _by_resource(ctx)
    out = {}
    for key, dept in ctx.departments.items():
        if not dept.resources:
            continue
        evidence, fixes, passed, evaluated = [], [], 0, 0
        for rk, rows in sorted(grouped.get(key, {}).items()):
            gated = [r for r in rows if r.gate_passed is not None]
            if not gated:
                continue
            name = dept.label(rk)
            failed = [r for r in gated if not r.gate_passed]
            passed += len(gated) - len(failed)
            evaluated += len(gated)
            text = f"{name}：质量门通过 {len(gated) - len(failed)}/{len(gated)} 个批次"
            evidence.append(Evidence("resource", f"{key}.{rk}", text, not failed))
            for r in failed:
                text = f"{name} 批次 {r.batch_id} 未通过清洗质量门（{mmdd(r.finished_at)}）：{short(r.error)}"
                evidence.append(Evidence("run", r.run_id, text, False, r.finished_at))
            if failed:
                fixes.append(
                    f"{name}（{rk}）：{len(failed)} 个批次未通过清洗质量门（最近：{short(failed[-1].error, 80)}），"
                    "按数据质量问题反馈表更正源数据后重新报送"
                )
        out[key] = ratio(passed, evaluated, evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def _rows_formula(_: ScorecardConfig) -> str:
    return (
        "合格行数 ÷ 处理行数 × 100；合格行数 = 处理行数 − 隔离行数 − 主键重复合并行数"
        "（即入库行数；被质量门拦截的批次按其本应入库的行数计，不重复扣分）"
    )


def row_pass_rate(ctx: Context) -> dict[str, Result]:
    if "cleanse" not in ctx.stages_run:
        return {}
    grouped = _by_resource(ctx)
    out = {}
    for key, dept in ctx.departments.items():
        if not dept.resources:
            continue
        evidence, fixes, good_all, rows_all = [], [], 0, 0
        for rk, rows in sorted(grouped.get(key, {}).items()):
            total = sum(r.rows_in for r in rows)
            if not total:
                continue
            quarantined, merged = sum(r.quarantined for r in rows), sum(r.merged for r in rows)
            good = total - quarantined - merged
            good_all += good
            rows_all += total
            name = dept.label(rk)
            text = f"{name}：处理 {total} 行，合格 {good} 行（隔离 {quarantined}，主键重复合并 {merged}）"
            evidence.append(Evidence("resource", f"{key}.{rk}", text, good == total))
            if good < total:
                parts = [
                    f"{quarantined} 行因数据问题被隔离" if quarantined else "",
                    f"{merged} 行主键重复" if merged else "",
                ]
                problems = "、".join(p for p in parts if p)
                fixes.append(f"{name}（{rk}）：本期 {problems}，按数据质量问题反馈表更正源数据")
        out[key] = ratio(good_all, rows_all, evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def _issues_formula(config: ScorecardConfig) -> str:
    n = config.issue_fix_days
    return (
        f"按期整改的问题数 ÷ 本期到期的问题数 × 100；问题自首次发现之日起 {n} 个工作日（不含发现当日，"
        f"节假日与调休按国务院通知）届满之日为到期日，到期日在本期内的问题为本期到期；到期日当天 24 时前整改即为按期"
    )


def issue_fix_rate(ctx: Context) -> dict[str, Result]:
    """An issue falls due at the end of the ``issue_fix_days``-th working day after the day it was
    first seen; it counts in the period that day falls in, and was fixed on time when ``fixed_at``
    is no later than that. (An issue reopened later has lost its ``fixed_at``: it counts as not
    fixed when its period is recomputed; the platform keeps no history of an issue's states.)"""
    if "cleanse" not in ctx.stages_run:
        return {}
    days = ctx.config.issue_fix_days
    qi = m.QualityIssue
    earliest = ctx.start - dt.timedelta(days=2 * days + 40)  # past any run of working days and holidays
    query = (
        sa.select(
            qi.id, qi.department_key, qi.resource_key, qi.record_key, qi.field, qi.code, qi.first_seen, qi.fixed_at
        )
        .where(qi.first_seen >= earliest, qi.first_seen < ctx.cutoff)
        .order_by(qi.department_key, qi.resource_key, qi.id)
    )
    dues: dict[dt.date, dt.datetime] = {}
    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in ctx.conn.execute(query):
        day = local_day(row.first_seen)
        if day not in dues:
            dues[day] = ctx.calendar.add_working_days(row.first_seen, days)
        due = dues[day]
        if ctx.start <= due < ctx.cutoff:
            grouped[row.department_key][row.resource_key].append((row, due))
    out = {}
    for key, dept in ctx.departments.items():
        if not dept.resources or key not in grouped:
            continue
        evidence, fixes, fixed, falling = [], [], 0, 0
        for rk, items in sorted(grouped[key].items()):
            name = dept.label(rk)
            late = [(row, due) for row, due in items if row.fixed_at is None or row.fixed_at > due]
            fixed += len(items) - len(late)
            falling += len(items)
            text = f"{name}：本期到期 {len(items)} 个问题，按期整改 {len(items) - len(late)} 个"
            evidence.append(Evidence("resource", f"{key}.{rk}", text, not late))
            for row, due in late:
                record = f"第 {row.record_key[1:]} 行" if row.record_key.startswith("#") else f"记录 {row.record_key}"
                when = "未整改" if row.fixed_at is None else f"{mmdd(row.fixed_at)} 整改，超期"
                text = (
                    f"{name} {record} 字段 {row.field} {row.code}：{mmdd(row.first_seen)} 发现，"
                    f"应于 {mmdd(due)} 前整改，{when}"
                )
                evidence.append(Evidence("issue", str(row.id), text, False, due))
            if late:
                codes = "、".join(code for code, _ in Counter(r.code for r, _ in late).most_common(3))
                fixes.append(
                    f"{name}（{rk}）：{len(late)} 个数据质量问题未在 {days} 个工作日内整改（{codes}），"
                    "按数据质量问题反馈表更正源数据并重新报送"
                )
        out[key] = ratio(fixed, falling, evidence, fixes, limit=ctx.config.evidence_limit)
    return out


INDICATORS = (
    Indicator("gate_pass_rate", "质量门通过率", "cleanse", _gate_formula, gate_pass_rate),
    Indicator("row_pass_rate", "数据合格率", "cleanse", _rows_formula, row_pass_rate),
    Indicator("issue_fix_rate", "问题整改率", "cleanse", _issues_formula, issue_fix_rate),
)
