"""数据归集: 更新周期符合度 — the declared 更新周期 against how often the data actually changed.

Timeliness is judged against the cycle a department declares, so declaring a longer cycle than the
data has (每季度 for data that changes every day) would make most windows not due and raise the
score. This indicator makes that visible and costs points:

* the look-back is the 90 days before the cut-off (from the resource's registration when later);
* the data *changed* on a day when a batch of new content was stored (``collect_batch``); it was
  *observed* on a day with a successful collection (a read of the source, changed or not);
* the declared cycle allows ``2 × ⌈look-back days ÷ cycle days⌉`` change days (每周 7, 每月 30,
  每季度 91, 每半年 182, 每年 365 days; 不定期 is held to 每月: data that changes more often than that
  has a cycle to declare). The factor 2 leaves room for a correction resubmitted within a cycle;
* the declared cycle is too long when the data changed on more days than it allows;
* 不适用 when the source was observed on no more days than the cycle allows (no violation could have
  been seen), and for 实时 and 每日, which no data outpaces.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import sqlalchemy as sa

from ..clock import local_day
from ..store import models as m
from .config import ScorecardConfig
from .indicators import SEE_EVIDENCE, Context, Indicator, ResInfo, Result, scored
from .model import Evidence, Fix

LOOK_BACK = dt.timedelta(days=90)
CYCLE_DAYS = {"每周": 7, "每月": 30, "每季度": 91, "每半年": 182, "每年": 365, "不定期": 30}
SHORTER = ("每日", "每周", "每月", "每季度", "每半年", "每年")


def allowed(cycle: str, days: int) -> int:
    """The change days a look-back of ``days`` allows under ``cycle``."""
    return 2 * math.ceil(days / CYCLE_DAYS[cycle])


def fitting_cycle(changes: int, days: int) -> str:
    """The longest cycle whose allowance holds ``changes`` change days (每日 at worst)."""
    fits = [c for c in SHORTER[1:] if changes <= allowed(c, days)]
    return fits[-1] if fits else "每日"


def _formula(_: ScorecardConfig) -> str:
    return (
        "更新周期与数据实际变化相符的资源数 ÷ 参与判断的资源数 × 100。取期末前 90 天（资源登记晚于此时从登记起），"
        "数据内容发生变化（归集到新批次）的天数不超过按申报周期应更新次数的 2 倍即为相符"
        "（应更新次数 = 天数 ÷ 周期天数，向上取整；每周 7 天、每月 30 天、每季度 91 天、每半年 182 天、每年 365 天，"
        "不定期按每月计）；成功读取数据源的天数不超过允许的变化天数时无法判断，不计；实时、每日不计"
    )


def _days(
    ctx: Context, since: dt.datetime, keys: set[str]
) -> tuple[dict[tuple[str, str], set[dt.date]], dict[tuple[str, str], set[dt.date]]]:
    """(observed days, change days) from ``since`` to the cut-off of the resources with these keys
    (not of the 实时 ones, collected every hour and never judged)."""
    rl, cb = m.RunLog, m.CollectBatch
    observed: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
    changed: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
    reads = (
        sa.select(rl.department_key, rl.resource_key, rl.started_at)
        .where(rl.stage == "collect", rl.started_at >= since, rl.started_at < ctx.cutoff, rl.resource_key.in_(keys))
        .where(sa.or_(rl.status == "completed", sa.and_(rl.status == "skipped", rl.rows_in.is_not(None))))
    )
    for d, r, at in ctx.conn.execute(reads):
        if r is not None:
            observed[(d, r)].add(local_day(at))
    batches = sa.select(cb.department_key, cb.resource_key, cb.finished_at).where(
        cb.finished_at >= since, cb.finished_at < ctx.cutoff, cb.resource_key.in_(keys)
    )
    for d, r, at in ctx.conn.execute(batches):
        changed[(d, r)].add(local_day(at))
    return observed, changed


def cycle_accuracy(ctx: Context) -> dict[str, Result]:
    if "collect" not in ctx.stages_run:
        return {}
    keys = {r.key for d in ctx.departments.values() for r in d.resources if r.update_cycle in CYCLE_DAYS}
    observed, changed = _days(ctx, ctx.cutoff - LOOK_BACK, keys)
    out = {}
    for key, dept in ctx.departments.items():
        evidence, fixes, fits, judged = [], [], 0, 0
        for res in dept.resources:
            if not res.has_source or res.update_cycle not in CYCLE_DAYS:
                continue
            since = max(ctx.cutoff - LOOK_BACK, res.first_seen)
            days = max(1, math.ceil((ctx.cutoff - since).total_seconds() / 86400))
            seen = {d for d in observed.get((key, res.key), set()) if d >= local_day(since)}
            changes = len({d for d in changed.get((key, res.key), set()) if d >= local_day(since)})
            limit = allowed(res.update_cycle, days)
            ref = f"{key}.{res.key}"
            if len(seen) <= limit:
                text = f"{res.name}（{res.update_cycle}）：近 {days} 天成功读取数据源 {len(seen)} 天，不足以判断，不计"
                evidence.append(Evidence("resource", ref, text, True))
                continue
            judged += 1
            ok = changes <= limit
            fits += ok
            text = (
                f"{res.name}（申报{res.update_cycle}）：近 {days} 天读取 {len(seen)} 天，数据变化 {changes} 天，"
                f"按申报周期至多 {limit} 天" + ("，相符" if ok else "，申报周期长于数据实际更新周期")
            )
            evidence.append(Evidence("resource", ref, text, ok))
            if not ok:
                fixes.append(_fix(ctx, res, changes, days))
        if (result := scored(ctx, fits, judged, evidence, fixes)) is not None:
            out[key] = result
    return out


def _fix(ctx: Context, res: ResInfo, changes: int, days: int) -> Fix:
    return Fix(
        f"{res.name}（{res.key}）：目录申报的更新周期「{res.update_cycle}」长于数据实际的更新频率"
        f"（近 {days} 天变化 {changes} 天）；请按实际更新频率修改目录中的更新周期"
        f"（如「{fitting_cycle(changes, days)}」），"
        "并按该周期报送",
        ctx.deadline(),
        SEE_EVIDENCE,
    )


INDICATORS = (Indicator("cycle_accuracy", "更新周期符合度", "collect", _formula, cycle_accuracy),)
