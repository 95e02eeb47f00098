"""数据开放: 开放率 (releases made by the period's end) and 开放更新及时率 (the open stage's runs).

A resource is *openable* when its 开放属性 is not 不予开放 and its level is not L4. An L2/L3
resource declared 无条件开放 is openable but held back by the open stage until the catalog says
有条件开放: the department's to fix, so it counts against 开放率.

A release is *kept current* in a window when a new version was released in it (see
:mod:`indicators_freshness`). A window without one is charged here only when new data had been
collected in it and the platform tried to open it: no new data is 归集及时率's (or 归集率's) fault, a
new batch the clean gate stopped is 质量门通过率's, a window the platform never attempted nobody's.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..clock import local_day, start_of_day
from ..rules.errors import describe
from ..store import models as m
from .config import ScorecardConfig
from .indicators import SEE_EVIDENCE, Context, Indicator, ResInfo, Result, mmdd, scored
from .indicators_collect import RATE, collect_states, collect_verdicts, due_windows
from .indicators_freshness import Verdict, attempts, gate_stops, new_releases, stopped_by_gate, within
from .model import Evidence, Fix
from .windows import Window, window_labels


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
    states = collect_states(ctx)
    out = {}
    for key, dept in ctx.departments.items():
        candidates = [r for r in dept.resources if openable(r)]
        if not candidates:
            continue
        evidence, fixes, good, due = [], [], 0, 0
        for res in candidates:
            rel = releases.get((key, res.key))
            ref = f"{key}.{res.key}"
            if rel is not None:
                good += 1
                due += 1
                text = f"{res.name} 已开放 v{rel.version}（{mmdd(rel.released_at)} 发布）"
                evidence.append(Evidence("release", str(rel.id), text, True, rel.released_at))
                continue
            state = states.get((key, res.key))
            if res.has_source and state is not None and not state.ever:
                if state.charged:
                    text = f"{res.name}（{res.open_type}）尚未开放：从未归集到数据"
                    evidence.append(Evidence("resource", ref, text, False, charged_in=RATE))
                else:
                    text = f"{res.name}（{res.open_type}）尚未开放：尚未归集到数据，本期平台未运行归集，不计入"
                    evidence.append(Evidence("resource", ref, text, True))
                continue
            due += 1
            evidence.append(Evidence("resource", ref, f"{res.name}（{res.open_type}）尚未开放", False))
            fixes.append(
                Fix(
                    f"{res.name}（{res.key}）：{_open_fix(ctx, res, last_open.get((key, res.key)))}",
                    ctx.deadline(),
                    SEE_EVIDENCE,
                )
            )
        if (result := scored(ctx, good, due, evidence, fixes)) is not None:
            out[key] = result
    return out


def _open_fix(ctx: Context, res: ResInfo, run: Any) -> str:
    if res.level in ("L2", "L3") and res.open_type == "无条件开放":
        return f"目录登记为无条件开放，但 {res.level} 数据只能依申请开放：改为有条件开放并写明开放条件"
    why = ""
    if run is not None and run.status == "failed":
        why = f"（最近一次开放：{ctx.explain('open', run).sentence}）"
    elif run is not None and run.reason:
        why = f"（最近一次开放：{describe(run.reason, run_id=run.run_id)}）"
    return f"完成归集与清洗并通过发布质量门后开放{why}"


def _timeliness_formula(_: ScorecardConfig) -> str:
    return (
        "有新版本的周期数 ÷ 应更新的周期数 × 100；已开放资源按更新周期划分周期（同归集及时率），"
        "首次发布当日及以后开始的周期才计；周期内发布了新版本即为按时。平台在周期内未尝试开放的不计"
        "（列入平台运行情况）。一个问题只扣一次分：周期内没有归集到新数据的，已在「归集及时率」"
        "（或本期从未归集成功的，在「归集率」）扣分；新数据被清洗质量门拦截的，已在「质量门通过率」扣分，均不再计入"
    )


def _plan(ctx: Context) -> dict[tuple[str, str], tuple[ResInfo, list[Window]]]:
    """The released openable resources and their windows due in the period, from the first release on."""
    releases = _latest_releases(ctx)
    plan = {}
    for key, dept in ctx.departments.items():
        for res in dept.resources:
            rel = releases.get((key, res.key))
            if openable(res) and rel is not None:
                first = local_day(rel.first_released)
                plan[(key, res.key)] = (res, [w for w in due_windows(ctx, res) if first <= w.first])
    return plan


def open_verdicts(ctx: Context) -> dict[tuple[str, str], dict[Window, Verdict | str]]:
    """Each released resource's windows: fresh (a new version), gap, missed, or the code of the
    indicator that already charged why there was nothing new to release."""
    plan = _plan(ctx)
    firsts = [w.first for _, ws in plan.values() for w in ws]
    since = start_of_day(min(firsts)) if firsts else ctx.start
    tried, released, gates = attempts(ctx, "open", since), new_releases(ctx, since), gate_stops(ctx, since)
    upstream = collect_verdicts(ctx)
    out: dict[tuple[str, str], dict[Window, Verdict | str]] = {}
    for pair, (res, windows) in plan.items():
        verdicts: dict[Window, Verdict | str] = {}
        for w in windows:
            collected = upstream.get(pair, {}).get(w) if res.has_source else None
            if within(released.get(pair, []), w, ctx.cutoff):
                verdicts[w] = "fresh"
            elif collected == "gap":
                verdicts[w] = "gap_upstream"
            elif not within(tried.get(pair, []), w, ctx.cutoff):
                verdicts[w] = "gap"
            elif collected == "missed":
                verdicts[w] = "collection_timeliness"
            elif collected == "charged_rate":
                verdicts[w] = RATE
            elif stopped_by_gate(gates.get(pair, []), w, ctx.cutoff):
                verdicts[w] = "gate_pass_rate"
            else:
                verdicts[w] = "missed"
        out[pair] = verdicts
    return out


CHARGED_NAMES = {
    "collection_timeliness": "周期内没有归集到新数据",
    RATE: "本期未能归集",
    "gate_pass_rate": "新数据未通过清洗质量门",
}


def open_timeliness(ctx: Context) -> dict[str, Result]:
    if "open" not in ctx.stages_run:
        return {}
    verdicts = open_verdicts(ctx)
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
            evidence.extend(_open_evidence(ctx, key, res, judged, counted, missed))
            if missed:
                fixes.append(
                    Fix(
                        f"{res.name}（{res.key}）：开放数据按更新周期「{res.update_cycle}」更新，"
                        f"本期 {len(missed)} 个周期"
                        f"归集到新数据却未发布新版本（{window_labels(missed)}）；确认清洗正常、通过发布质量门后开放",
                        ctx.deadline(),
                        SEE_EVIDENCE,
                    )
                )
        if (result := scored(ctx, on_time, due, evidence, fixes)) is not None:
            out[key] = result
    return out


def _open_evidence(
    ctx: Context, key: str, res: ResInfo, judged: dict, counted: list[Window], missed: list[Window]
) -> list[Evidence]:
    ref = f"{key}.{res.key}"
    out = []
    if counted:
        text = f"{res.name}（{res.update_cycle}）：应更新 {len(counted)} 次，发布新版本 {len(counted) - len(missed)} 次"
        out.append(
            Evidence("resource", ref, text + (f"；未更新：{window_labels(missed)}" if missed else ""), not missed)
        )
    for code, why in CHARGED_NAMES.items():
        charged = [w for w, v in judged.items() if v == code]
        if charged:
            text = f"{res.name}：{len(charged)} 个周期（{window_labels(charged)}）未发布新版本，因{why}"
            out.append(Evidence("resource", ref, text, False, charged_in=code))
    gaps = [w for w, v in judged.items() if v in ("gap", "gap_upstream")]
    for w in gaps:
        if judged[w] == "gap":
            ctx.platform_gap("open", w.label, w.first, key, res.key)
    if gaps:
        text = f"{res.name}：{len(gaps)} 个周期（{window_labels(gaps)}）平台未运行归集或开放，不计入（见平台运行情况）"
        out.append(Evidence("resource", ref, text, True))
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
