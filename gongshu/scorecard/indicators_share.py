"""数据共享: 共享度 (the catalog at the period's end) and 申请响应及时率 (``share_request``)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from ..store import models as m
from .config import ScorecardConfig
from .indicators import SEE_EVIDENCE, Context, Indicator, Result, mmdd, ratio
from .model import Evidence, Fix

NEVER = "不予共享"


def _degree_formula(_: ScorecardConfig) -> str:
    return "共享属性不为「不予共享」的资源数 ÷ 资源数 × 100（以期末登记的目录为准）"


def share_degree(ctx: Context) -> dict[str, Result]:
    out = {}
    for key, dept in ctx.departments.items():
        if not dept.resources:
            continue
        evidence, fixes = [], []
        for res in dept.resources:
            shared = res.share_type != NEVER
            evidence.append(Evidence("resource", f"{key}.{res.key}", f"{res.name}：{res.share_type}", shared))
            if not shared:
                fixes.append(
                    Fix(
                        f"{res.name}（{res.key}）：目录登记为不予共享，核实是否有法律、行政法规依据；"
                        "无依据的改为有条件共享或无条件共享",
                        ctx.deadline(),
                        SEE_EVIDENCE,
                    )
                )
        good = sum(r.share_type != NEVER for r in dept.resources)
        out[key] = ratio(good, len(dept.resources), evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def _requests_formula(_: ScorecardConfig) -> str:
    return (
        "在答复期限内答复的共享申请数 ÷ 本期应计的共享申请数 × 100；批准或驳回时间不晚于答复期限即为按时。"
        "本期应计：答复期限在本期内的有条件共享申请，以及此前已逾期、本月初仍未答复的申请（逾期未办结）："
        "逾期未办结的申请每月都计为未按时，直到答复的那个月为止（当月计一次超期答复，之后不再计）"
    )


def request_timeliness(ctx: Context) -> dict[str, Result]:
    """Requests that wait for the provider (有条件共享: they carry ``due_at``) count in the period
    their ``due_at`` falls in (answered on time when ``decided_at <= due_at``), and, while still
    undecided, in every later period (逾期未办结) until the one they are answered in. A decision after
    the cut-off is not known yet. Requests the catalog decided at once (无条件共享, 不予共享) have no
    deadline and do not count."""
    sr = m.ShareRequest
    open_at_start = sa.or_(sr.decided_at.is_(None), sr.decided_at >= ctx.start)
    query = (
        sa.select(sr.id, sr.consumer_key, sr.provider_key, sr.resource_key, sr.requested_at, sr.due_at, sr.decided_at)
        .where(sr.due_at.is_not(None), sr.due_at < ctx.cutoff)
        .where(sa.or_(sr.due_at >= ctx.start, open_at_start))
        .order_by(sr.provider_key, sr.id)
    )
    grouped = defaultdict(list)
    for row in ctx.conn.execute(query):
        grouped[row.provider_key].append(row)
    out = {}
    for key, dept in ctx.departments.items():
        rows = grouped.get(key)
        if not dept.resources or not rows:
            continue
        evidence, late, pending = [], 0, []
        for r in rows:
            consumer = ctx.departments[r.consumer_key].name if r.consumer_key in ctx.departments else r.consumer_key
            decided = r.decided_at if r.decided_at is not None and r.decided_at < ctx.cutoff else None
            ok = decided is not None and decided <= r.due_at
            if decided is None:
                answer = f"逾期未办结（自 {mmdd(r.due_at)} 起）"
                pending.append(r)
            else:
                answer = f"{mmdd(decided)} 答复" + ("" if ok else "，超期")
            text = (
                f"{consumer} 申请 {dept.label(r.resource_key)}（{mmdd(r.requested_at)} 申请，"
                f"应于 {mmdd(r.due_at)} 前答复）：{answer}"
            )
            evidence.append(Evidence("request", str(r.id), text, ok, r.due_at))
            late += not ok
        fixes = []
        if pending:
            ids = "、".join(f"#{r.id}" for r in pending[:10]) + ("等" if len(pending) > 10 else "")
            fixes.append(Fix(f"尽快答复已超期的 {len(pending)} 个共享申请（{ids}）", ctx.deadline(), SEE_EVIDENCE))
        if late > len(pending):
            fixes.append(
                Fix(
                    f"{late - len(pending)} 个共享申请超期答复：在答复期限内批准或驳回（驳回须说明理由）",
                    ctx.deadline(),
                    SEE_EVIDENCE,
                )
            )
        out[key] = ratio(len(rows) - late, len(rows), evidence, fixes, limit=ctx.config.evidence_limit)
    return out


def share_calls(ctx: Context) -> dict[str, int]:
    """Sharing API calls served (2xx) for each providing department in the period: usage, not score."""
    cl = m.ApiCallLog
    query = (
        sa.select(cl.provider_key, sa.func.count())
        .where(cl.called_at >= ctx.start, cl.called_at < ctx.cutoff)
        .where(cl.status >= 200, cl.status < 300, cl.provider_key.is_not(None))
        .group_by(cl.provider_key)
    )
    return {k: int(n) for k, n in ctx.conn.execute(query) if k is not None}


INDICATORS = (
    Indicator("share_degree", "共享度", None, _degree_formula, share_degree),
    Indicator("request_timeliness", "申请响应及时率", None, _requests_formula, request_timeliness),
)
