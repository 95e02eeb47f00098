"""数据质量: 质量门通过率 and 数据合格率 from ``cleanse_batch``, 问题整改率 from ``quality_issue``.

A batch cleansed more than once in the period counts once, by its last attempt (as in the
feedback workbook); a batch superseded by a newer full snapshot was never cleansed and does not count.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import sqlalchemy as sa

from ..clock import local_day
from ..rules.errors import describe, rule_text
from ..store import models as m
from .config import ScorecardConfig
from .indicators import Context, Indicator, Result, mmdd, ratio
from .model import Evidence, Fix


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
                text = f"{name} {mmdd(r.finished_at)} 清洗的批次：{describe(r.error, run_id=r.run_id)}"
                evidence.append(Evidence("run", r.run_id, text, False, r.finished_at))
            if failed:
                fixes.append(
                    Fix(
                        f"{name}（{rk}）：{len(failed)} 个批次未通过清洗质量门（最近一次："
                        f"{describe(failed[-1].error, run_id=failed[-1].run_id)}），"
                        "按数据质量问题反馈表更正源数据后重新报送",
                        ctx.deadline(),
                        ctx.feedback(key, name),
                    )
                )
        out[key] = ratio(passed, evaluated, evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def _rows_formula(_: ScorecardConfig) -> str:
    return (
        "合格行数 ÷ 处理行数 × 100；合格行数 = 处理行数 − 隔离行数 − 主键重复合并行数（即入库行数）。"
        "一个问题只扣一次分：被清洗质量门拦截的批次已在「质量门通过率」扣分，其行数不计入本指标"
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
        for rk, all_rows in sorted(grouped.get(key, {}).items()):
            stopped = [r for r in all_rows if r.gate_passed is False]
            rows = [r for r in all_rows if r.gate_passed is not False]
            if stopped:
                text = (
                    f"{dept.label(rk)}：{len(stopped)} 个批次（{sum(r.rows_in for r in stopped)} 行）被清洗质量门拦截，"
                    "不计入本指标"
                )
                evidence.append(Evidence("resource", f"{key}.{rk}", text, False, charged_in="gate_pass_rate"))
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
                fixes.append(
                    Fix(
                        f"{name}（{rk}）：本期 {problems}，按数据质量问题反馈表更正源数据",
                        ctx.deadline(),
                        ctx.feedback(key, name),
                    )
                )
        if rows_all or evidence:
            out[key] = ratio(good_all, rows_all, evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def _issues_formula(config: ScorecardConfig) -> str:
    n = config.issue_fix_days
    return (
        f"按期整改的问题数 ÷ 本期应计的问题数 × 100；问题自首次发现之日起 {n} 个工作日（不含发现当日，"
        f"节假日与调休按国务院通知）届满之日为整改期限，期限当天 24 时前整改即为按期。"
        "本期应计：整改期限在本期内的问题，以及此前已逾期、本月初仍未整改的问题（逾期未办结）："
        "逾期未办结的问题每月都计为未按期，直到整改的那个月为止（当月计一次超期整改，之后不再计）"
    )


def _issue_rows(ctx: Context) -> list[sa.Row]:
    """Issues that count in the period: due in it, or overdue before it and still open at its start."""
    days = ctx.config.issue_fix_days
    qi = m.QualityIssue
    earliest = ctx.start - dt.timedelta(days=2 * days + 40)  # past any run of working days and holidays
    open_at_start = sa.or_(qi.fixed_at.is_(None), qi.fixed_at >= ctx.start)
    query = (
        sa.select(
            qi.id,
            qi.department_key,
            qi.resource_key,
            qi.record_key,
            qi.field,
            qi.code,
            qi.source_row,
            qi.first_seen,
            qi.fixed_at,
        )
        .where(qi.first_seen < ctx.cutoff, sa.or_(qi.first_seen >= earliest, open_at_start))
        .order_by(qi.department_key, qi.resource_key, qi.id)
    )
    return list(ctx.conn.execute(query).all())


def issue_fix_rate(ctx: Context) -> dict[str, Result]:
    """An issue falls due at the end of the ``issue_fix_days``-th working day after the day it was
    first seen. It counts in the period that day falls in (fixed on time when ``fixed_at`` is no
    later), and, while still open, in every later period (逾期未办结) until the one it is fixed in.
    A fix after the cut-off is not known yet. (An issue reopened later has lost its ``fixed_at``: it
    counts as not fixed when its period is recomputed; the platform keeps no history of an issue's
    states.)"""
    if "cleanse" not in ctx.stages_run:
        return {}
    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in _issue_rows(ctx):
        due = ctx.fix_deadlines.due(row.first_seen)
        fixed = row.fixed_at if row.fixed_at is not None and row.fixed_at < ctx.cutoff else None
        if ctx.start <= due < ctx.cutoff or (due < ctx.start and (fixed is None or fixed >= ctx.start)):
            grouped[row.department_key][row.resource_key].append((row, due, fixed))
    out = {}
    for key, dept in ctx.departments.items():
        if not dept.resources or key not in grouped:
            continue
        evidence: list[Evidence] = []
        fixes: list[Fix] = []
        late_all, falling = 0, 0
        for rk, items in sorted(grouped[key].items()):
            late = _late_issues(ctx, (key, rk), dept.label(rk), items, evidence, fixes)
            late_all += late
            falling += len(items)
        out[key] = ratio(falling - late_all, falling, evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def _late_issues(
    ctx: Context, where: tuple[str, str], name: str, items: list, evidence: list[Evidence], fixes: list[Fix]
) -> int:
    """One resource's issues of the period: its evidence and 整改 item; returns how many were late."""
    key, rk = where
    late = [(row, due, fixed) for row, due, fixed in items if fixed is None or fixed > due]
    backlog = sum(due < ctx.start for _, due, _ in items)
    text = (
        f"{name}：本期应计 {len(items)} 个问题（其中此前逾期未办结 {backlog} 个），按期整改 {len(items) - len(late)} 个"
    )
    evidence.append(Evidence("resource", f"{key}.{rk}", text, not late))
    for row, due, fixed in late:
        record = f"第 {row.source_row} 行" if row.record_key.startswith("#") else f"记录 {row.record_key}"
        field = ctx.departments[key].field_label(rk, row.field)
        when = f"逾期未办结（自 {mmdd(due)} 起）" if fixed is None else f"{mmdd(fixed)} 整改，超期"
        text = (
            f"{name} {record}「{field}」{rule_text(row.code)}：{mmdd(row.first_seen)} 发现，"
            f"应于 {mmdd(due)} 前整改，{when}"
        )
        evidence.append(Evidence("issue", str(row.id), text, False, due))
    if late:
        codes = "、".join(rule_text(code) for code, _ in Counter(r.code for r, _, _ in late).most_common(3))
        pending = sum(fixed is None for _, _, fixed in late)
        fixes.append(
            Fix(
                f"{name}（{rk}）：{len(late)} 个数据质量问题未在 {ctx.config.issue_fix_days} 个工作日内整改"
                f"（其中 {pending} 个仍未整改；{codes}），按数据质量问题反馈表更正源数据并重新报送",
                local_day(min(due for _, due, _ in late)),
                ctx.feedback(key, name),
            )
        )
    return len(late)


INDICATORS = (
    Indicator("gate_pass_rate", "质量门通过率", "cleanse", _gate_formula, gate_pass_rate),
    Indicator("row_pass_rate", "数据合格率", "cleanse", _rows_formula, row_pass_rate),
    Indicator("issue_fix_rate", "问题整改率", "cleanse", _issues_formula, issue_fix_rate),
)
