"""How a scorecard says what it is, in the same words on every page, sheet and artifact: 暂定
(provisional: the month is in progress, computed up to a moment, issued after the month ends) or
正式 version N (a closed month, issued once; an accepted 申诉 re-issues it as the next version)."""

from __future__ import annotations

import datetime as dt

from .. import clock
from ..clock import local_time, period_label
from .model import Scorecard


def _day(moment: dt.datetime) -> str:
    return local_time(moment).strftime("%Y-%m-%d")


def short(card: Scorecard) -> str:
    """暂定 or 第 N 版."""
    return "暂定" if card.provisional else f"第 {card.version} 版"


def headline(card: Scorecard) -> str:
    """「2026年12月考核晾晒（暂定，截至 12-07 10:00，月末后正式发布）」 or
    「2026年11月考核晾晒（正式，第 1 版，2026-12-01 发布）」."""
    label = period_label(card.period)
    if card.provisional:
        upto = local_time(card.computed_at).strftime("%m-%d %H:%M")
        return f"{label}考核晾晒（暂定，截至 {upto}，月末后正式发布）"
    return f"{label}考核晾晒（正式，第 {card.version} 版，{_day(card.computed_at)} 发布）"


def revision_note(card: Scorecard) -> str | None:
    """Why this version replaced the one before and that the earlier ones stay (None for version 1
    and for a provisional month)."""
    if card.provisional or card.version <= 1:
        return None
    reason = next((r.reason for r in card.revisions if r.version == card.version and r.reason), None)
    earlier = "、".join(f"第 {r.version} 版" for r in card.revisions if r.version < card.version) or "此前各版"
    because = f"：{reason}" if reason else ""
    return f"本版为第 {card.version} 版，{_day(card.computed_at)} 重新发布{because}。{earlier}仍保留可查。"


def english(card: Scorecard) -> str:
    """The status as the CLI and the run report say it: ``provisional`` or ``version N``."""
    return "provisional" if card.provisional else f"version {card.version}"


def not_begun(period: str, now: dt.datetime | None = None) -> str | None:
    """Why ``period`` (YYYY-MM) cannot be scored yet (a month after the current one, Asia/Shanghai),
    in English for the CLI; None when it has begun."""
    now = now or clock.now()
    if period <= clock.current_period(now):
        return None
    today = clock.local_day(now).isoformat()
    return f"period {period} has not begun: today is {today} (Asia/Shanghai); a month is scored once it has begun"
