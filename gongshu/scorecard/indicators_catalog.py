"""目录编制: 元数据完整度 (state at the period's end) and 目录有效性 (the period's last catalog run)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .config import ScorecardConfig
from .indicators import SEE_EVIDENCE, Context, DeptInfo, Indicator, Result, as_fixes, limit_evidence, mmdd, ratio
from .indicators_collect import RATE, CollectState, collect_states, collect_verdicts
from .model import Evidence, Fix


def _completeness_formula(_: ScorecardConfig) -> str:
    return (
        "Σ 各资源元数据完整度 ÷ 资源数；单个资源的完整度 = 已填写的核心元数据项 ÷ 应填写项 × 100"
        "（《政务信息资源目录编制指南（试行）》13 项核心元数据，不适用的项不计；以期末登记的目录为准）"
    )


def metadata_completeness(ctx: Context) -> dict[str, Result]:
    """The mean completeness of the resources the catalog held at the period's end."""
    out = {}
    for key, dept in ctx.departments.items():
        if not dept.resources:
            continue
        evidence, fixes = [], []
        for res in dept.resources:
            complete = not res.missing
            text = f"{res.name} 元数据完整度 {res.completeness:g}" + (
                "" if complete else f"，缺：{'、'.join(res.missing)}"
            )
            evidence.append(Evidence("resource", f"{key}.{res.key}", text, complete))
            if not complete:
                fixes.append(
                    Fix(
                        f"{res.name}（{res.key}）：在目录中补充元数据 {'、'.join(res.missing)}",
                        ctx.deadline(),
                        SEE_EVIDENCE,
                    )
                )
        total = sum(r.completeness for r in dept.resources)
        count = len(dept.resources)
        limit = ctx.config.evidence_limit
        out[key] = Result(total, count, total / count, limit_evidence(evidence, limit), as_fixes(fixes))
    return out


def _validity_formula(_: ScorecardConfig) -> str:
    return (
        "本期最后一次目录编制中编译无误的资源条目数 ÷ 参与编制的资源条目数 × 100"
        "（目录文件整体出错时，已登记的资源均计为有误；本期未编制目录的部门不适用）。"
        "条目仅因登记的数据源文件缺失而出错的，已在「归集率」（本期从未归集成功）或「归集及时率」（有周期因此没有新数据）"
        "扣分，不再计入"
    )


def catalog_validity(ctx: Context) -> dict[str, Result]:
    """Per department, the outcomes of its last catalog run in the period (a file compiles whole,
    so the last run is the catalog's state): an entry compiled (completed), or was itself without
    error while another entry of the file failed (skipped), or failed. A failure of the file as a
    whole (syntax, department keys) counts against every registered resource the run did not
    report on."""
    if "catalog" not in ctx.stages_run:
        return {}
    last: dict[str, dt.datetime] = {}
    for row in ctx.run_rows("catalog"):
        last[row.department_key] = max(last.get(row.department_key, row.started_at), row.started_at)
    latest: dict[str, list] = {}
    for row in ctx.run_rows("catalog"):
        if row.started_at == last[row.department_key]:
            latest.setdefault(row.department_key, []).append(row)
    out = {}
    for key, dept in ctx.departments.items():
        rows = latest.get(key)
        if dept.resources and rows:
            out[key] = _department_validity(ctx, dept, rows)
    return out


def _department_validity(ctx: Context, dept: DeptInfo, rows: list) -> Result:
    """One department's 目录有效性 from the outcomes of its last catalog run."""
    key, states = dept.key, collect_states(ctx)
    outcomes = {r.resource_key: r for r in rows if r.resource_key is not None}
    whole = next((r for r in rows if r.resource_key is None and r.status == "failed"), None)
    evidence, fixes, good, due = [], [], 0, 0
    for rk in sorted(set(outcomes) | ({r.key for r in dept.resources} if whole else set())):
        outcome = outcomes.get(rk, whole)
        assert outcome is not None  # listed without an outcome of its own only when the whole file failed
        name = dept.label(rk)
        if outcome.status in ("completed", "skipped"):
            good += 1
            due += 1
            note = "" if outcome.status == "completed" else "（条目无误，因同一文件其他条目出错未登记）"
            evidence.append(
                Evidence("catalog", f"{key}.{rk}", f"{name} 目录条目编译通过{note}", True, outcome.started_at)
            )
            continue
        why = ctx.explain("catalog", outcome)
        source_only = outcome is not whole and _source_only(ctx, outcome)
        charged = _charged_in(ctx, states, (key, rk)) if source_only else None
        text = f"{name}（{rk}）目录条目" + ("出错" if charged else "编译出错") + f"：{why.sentence}"
        evidence.append(Evidence("run", outcome.run_id, text, False, outcome.started_at, charged_in=charged))
        if charged:
            continue
        due += 1
        if outcome is not whole:
            text = f"{name}（{rk}）：目录条目出错：{why.sentence}。{why.advice}，然后重新编制目录"
            fixes.append(Fix(text, ctx.deadline(), SEE_EVIDENCE))
    if whole is not None:
        why = ctx.explain("catalog", whole)
        text = f"目录文件整体出错（{mmdd(whole.started_at)} 编制）：{why.sentence}。{why.advice}，然后重新编制目录"
        fixes.insert(0, Fix(text, ctx.deadline(), SEE_EVIDENCE))
    return ratio(good, due, evidence, fixes, limit=ctx.config.evidence_limit)


_NONE = CollectState(False, False, False)


def _charged_in(ctx: Context, states: dict[tuple[str, str], CollectState], pair: tuple[str, str]) -> str | None:
    """Where the collection charges a missing source file: 归集率 when the resource was never collected
    in the period, else 归集及时率 when windows went without new data; None: nowhere (charge it here)."""
    if states.get(pair, _NONE).charged:
        return RATE
    if "missed" in collect_verdicts(ctx).get(pair, {}).values():
        return "collection_timeliness"
    return None


def _source_only(ctx: Context, outcome: Any) -> bool:
    """The entry failed only because its source file is missing (the fault 归集率 charges)."""
    kinds = ctx.failure_details("catalog").get(outcome.id, {}).get("kinds")
    return kinds == ["CATALOG_SOURCE_MISSING"]


INDICATORS = (
    Indicator("metadata_completeness", "元数据完整度", None, _completeness_formula, metadata_completeness),
    Indicator("catalog_validity", "目录有效性", "catalog", _validity_formula, catalog_validity),
)
