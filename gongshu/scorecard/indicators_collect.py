"""数据归集: 归集率, 归集及时率 (and 更新周期符合度, :mod:`indicators_cycle`).

A *successful collection* is a collect outcome that read the source: ``completed`` (a batch was
stored, or an incremental source had nothing new), or ``skipped`` with ``rows_in`` recorded (the
source held the same content as an earlier batch). A resource without a source is catalogued only
and never due.

One fault, one deduction: a resource the platform tried to collect in the period but never could
(source missing, unreadable, refused by the raw gate …) is charged once, in 归集率. The indicators
that depend on its data (目录有效性 when the entry failed only because its source file is missing,
归集及时率, 开放率, 开放更新及时率) show it as evidence 已在「归集率」扣分 and leave it out of their own
numerator and denominator. A resource the platform never tried in the period is charged to nobody
(平台运行).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from ..clock import month_days, period_label, start_of_day
from ..store import models as m
from .config import ScorecardConfig
from .indicators import SEE_EVIDENCE, Context, Indicator, ResInfo, Result, mmdd, scored
from .indicators_cycle import INDICATORS as CYCLE_INDICATORS
from .indicators_freshness import Verdict, attempts, new_batches, within
from .model import Evidence, Fix
from .windows import Window, cycle_windows, window_labels

RATE = "collection_rate"


def _success(status: str, rows_in: int | None) -> bool:
    return status == "completed" or (status == "skipped" and rows_in is not None)


@dataclass(frozen=True)
class CollectState:
    """A sourced resource's collection in the period."""

    attempted: bool
    """The platform ran the collect stage on it at least once."""
    collected: bool
    """At least one successful collection."""
    ever: bool
    """A batch of it was stored at some time before the cut-off."""

    @property
    def charged(self) -> bool:
        """归集率 charges it: tried and never collected."""
        return self.attempted and not self.collected


def collect_states(ctx: Context) -> dict[tuple[str, str], CollectState]:
    """Every sourced resource's :class:`CollectState` (empty when the platform ran no collection)."""
    if "collect_states" not in ctx.cache:
        out: dict[tuple[str, str], CollectState] = {}
        if "collect" in ctx.stages_run:
            runs: dict[tuple[str, str], list] = defaultdict(list)
            for row in ctx.run_rows("collect"):
                runs[(row.department_key, row.resource_key)].append(row)
            cb = m.CollectBatch
            stored = set(
                ctx.conn.execute(
                    sa.select(cb.department_key, cb.resource_key).where(cb.finished_at < ctx.cutoff).distinct()
                ).all()
            )
            for key, dept in ctx.departments.items():
                for res in dept.resources:
                    rows = runs.get((key, res.key), [])
                    collected = any(_success(r.status, r.rows_in) for r in rows)
                    out[(key, res.key)] = CollectState(bool(rows), collected, (key, res.key) in stored)
        ctx.cache["collect_states"] = out
    return ctx.cache["collect_states"]  # type: ignore[return-value]


def _rate_formula(_: ScorecardConfig) -> str:
    return (
        "本期至少成功归集一次的资源数 ÷ 本期平台尝试归集的、登记了数据源的资源数 × 100"
        "（成功归集：归集完成，或数据源已读取但内容与上一批次相同；本期平台未尝试归集的资源不计，列入平台运行情况）。"
        "一个问题只扣一次分：本期从未归集成功的资源只在本指标扣分，依赖其数据的目录有效性（仅因数据源文件缺失出错时）、"
        "归集及时率、开放率、开放更新及时率中标注「已在「归集率」扣分」，不再扣分"
    )


def collection_rate(ctx: Context) -> dict[str, Result]:
    if "collect" not in ctx.stages_run:
        return {}
    runs: dict[tuple[str, str], list] = defaultdict(list)
    for row in ctx.run_rows("collect"):
        runs[(row.department_key, row.resource_key)].append(row)
    states, month, first_day = collect_states(ctx), f"{period_label(ctx.period)}（整月）", month_days(ctx.period)[0]
    out = {}
    for key, dept in ctx.departments.items():
        sourced = [r for r in dept.resources if r.has_source]
        if not sourced:
            continue
        evidence: list[Evidence] = []
        fixes: list[Fix] = []
        good, due = 0, 0
        for res in sourced:
            rows = runs.get((key, res.key), [])
            if not states[(key, res.key)].attempted:
                ctx.platform_gap("collect", month, first_day, key, res.key)
                text = f"{res.name} 本期平台未运行归集，不计入（见平台运行情况）"
                evidence.append(Evidence("resource", f"{key}.{res.key}", text, True))
                continue
            due += 1
            ok = [r for r in rows if _success(r.status, r.rows_in)]
            if ok:
                good += 1
                last = ok[-1]
                text = f"{res.name} {mmdd(last.started_at)} 归集成功（本期成功 {len(ok)} 次）"
                evidence.append(Evidence("run", last.run_id, text, True, last.started_at))
                continue
            evidence.append(_not_collected(ctx, res, rows, fixes))
        if (result := scored(ctx, good, due, evidence, fixes)) is not None:
            out[key] = result
    return out


def _not_collected(ctx: Context, res: ResInfo, rows: list, fixes: list[Fix]) -> Evidence:
    """The evidence (and 整改 item) of a resource tried and never collected in the period."""
    failed = [r for r in rows if r.status == "failed"]
    last = (failed or rows)[-1]
    if failed:
        why = ctx.explain("collect", last)
        text = f"{res.name} 本期未归集成功（失败 {len(failed)} 次），最近一次 {mmdd(last.started_at)}：{why.sentence}"
        fix = f"{res.name}（{res.key}）：本期归集均失败，原因：{why.sentence}。{why.advice}，然后重新归集"
    else:
        text = f"{res.name} 本期未归集成功"
        fix = f"{res.name}（{res.key}）：本期没有成功归集，确认数据源可用后重新归集"
    fixes.append(Fix(fix, ctx.deadline(), SEE_EVIDENCE))
    return Evidence("run", last.run_id, text, False, last.started_at)


def _timeliness_formula(_: ScorecardConfig) -> str:
    return (
        "有新数据的周期数 ÷ 应归集的周期数 × 100。应归集的周期按更新周期划分："
        "实时、每日为本期每个工作日（节假日与调休按国务院通知）；每周为周日落在本期的自然周（周一至周日）；"
        "每月为本月；每季度、每半年、每年为在本月结束的季度、半年、年。周期内归集到内容有变化的新批次即为按时；"
        "重复报送未变化的数据、增量数据源没有新增记录，都不算按时。资源登记当日及以后开始的周期才计，"
        "尚未结束的周期不计，不定期资源不计；平台在周期内未尝试归集的不计（列入平台运行情况）；"
        "本期从未归集成功的资源已在「归集率」扣分，不再计入"
    )


def due_windows(ctx: Context, res: ResInfo) -> list[Window]:
    """The resource's windows that closed in the period before the cut-off, from its registration on."""
    cache: dict[str, list[Window]] = ctx.cache.setdefault("windows", {})  # type: ignore[assignment]
    if res.update_cycle not in cache:
        windows = cycle_windows(res.update_cycle, ctx.period, ctx.calendar)
        cache[res.update_cycle] = [w for w in windows if w.ends <= ctx.cutoff]
    return [w for w in cache[res.update_cycle] if res.first_day <= w.first]


def collect_verdicts(ctx: Context) -> dict[tuple[str, str], dict[Window, Verdict]]:
    """Each sourced resource's due windows and what became of each (see :data:`Verdict`)."""
    if "collect_verdicts" in ctx.cache:
        return ctx.cache["collect_verdicts"]  # type: ignore[return-value]
    plan = {
        (key, res.key): due_windows(ctx, res)
        for key, dept in ctx.departments.items()
        for res in dept.resources
        if res.has_source
    }
    firsts = [w.first for ws in plan.values() for w in ws]
    since = start_of_day(min(firsts)) if firsts else ctx.start
    tried, fresh = attempts(ctx, "collect", since), new_batches(ctx, since)
    states = collect_states(ctx)
    out: dict[tuple[str, str], dict[Window, Verdict]] = {}
    for pair, windows in plan.items():
        charged = states.get(pair, CollectState(False, False, False)).charged
        verdicts: dict[Window, Verdict] = {}
        for w in windows:
            if within(fresh.get(pair, []), w, ctx.cutoff):
                verdicts[w] = "fresh"
            elif not within(tried.get(pair, []), w, ctx.cutoff):
                verdicts[w] = "gap"
            else:
                verdicts[w] = "charged_rate" if charged else "missed"
        out[pair] = verdicts
    ctx.cache["collect_verdicts"] = out
    return out


def collection_timeliness(ctx: Context) -> dict[str, Result]:
    if "collect" not in ctx.stages_run:
        return {}
    verdicts = collect_verdicts(ctx)
    out = {}
    for key, dept in ctx.departments.items():
        evidence, fixes, due, on_time = [], [], 0, 0
        for res in dept.resources:
            judged = verdicts.get((key, res.key))
            if not judged:
                continue
            counted = [w for w, v in judged.items() if v in ("fresh", "missed")]
            missed = [w for w in counted if judged[w] == "missed"]
            due += len(counted)
            on_time += len(counted) - len(missed)
            evidence.extend(_timeliness_evidence(ctx, key, res, judged, missed))
            if missed:
                labels = window_labels(missed)
                fixes.append(
                    Fix(
                        f"{res.name}（{res.key}）：按更新周期「{res.update_cycle}」报送有更新的数据，"
                        f"本期 {len(missed)} 个周期"
                        f"没有新数据（{labels}）；检查数据源是否按时更新、归集是否成功",
                        ctx.deadline(),
                        SEE_EVIDENCE,
                    )
                )
        if (result := scored(ctx, on_time, due, evidence, fixes)) is not None:
            out[key] = result
    return out


def _timeliness_evidence(
    ctx: Context, key: str, res: ResInfo, judged: dict[Window, Verdict], missed: list[Window]
) -> list[Evidence]:
    ref = f"{key}.{res.key}"
    gaps = [w for w, v in judged.items() if v == "gap"]
    for w in gaps:
        ctx.platform_gap("collect", w.label, w.first, key, res.key)
    counted = [w for w, v in judged.items() if v in ("fresh", "missed")]
    out = []
    if counted:
        text = f"{res.name}（{res.update_cycle}）：应归集 {len(counted)} 次，有新数据 {len(counted) - len(missed)} 次"
        if missed:
            text += f"；没有新数据：{window_labels(missed)}"
        out.append(Evidence("resource", ref, text, not missed))
    charged = [w for w, v in judged.items() if v == "charged_rate"]
    if charged:
        text = f"{res.name}：{len(charged)} 个周期（{window_labels(charged)}）因本期未能归集而没有新数据"
        out.append(Evidence("resource", ref, text, False, charged_in=RATE))
    if gaps:
        text = f"{res.name}：{len(gaps)} 个周期（{window_labels(gaps)}）平台未运行归集，不计入（见平台运行情况）"
        out.append(Evidence("resource", ref, text, True))
    return out


INDICATORS = (
    Indicator(RATE, "归集率", "collect", _rate_formula, collection_rate),
    Indicator("collection_timeliness", "归集及时率", "collect", _timeliness_formula, collection_timeliness),
    *CYCLE_INDICATORS,
)
