"""The 更新周期 windows a month holds: the days within which each collection (or release) of a
resource is due, counted in the working days of :class:`gongshu.clock.WorkCalendar` (the State
Council's holiday notices, from ``scorecard.yaml``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from ..clock import WorkCalendar, month_days, start_of_day


@dataclass(frozen=True)
class Window:
    """One 更新周期 window: the days (both included) within which one collection (or release) is due."""

    first: dt.date
    last: dt.date
    label: str

    @property
    def starts(self) -> dt.datetime:
        return start_of_day(self.first)

    @property
    def ends(self) -> dt.datetime:
        """Exclusive end (UTC): midnight after ``last`` in Asia/Shanghai."""
        return start_of_day(self.last + dt.timedelta(days=1))


DAILY = ("实时", "每日")
"""更新周期 whose windows are single working days: met by a success on that day."""


def missed_windows(
    cycle: str,
    windows: Iterable[Window],
    days: Collection[dt.date],
    hits: Mapping[Window, Collection[tuple[str, str]]],
    key: tuple[str, str],
) -> list[Window]:
    """The windows of resource ``key`` without a success inside: a daily cycle's by the days it
    succeeded on (``days``), a longer cycle's by the resources that succeeded within each window
    (``hits``). Both timeliness indicators (归集及时率, 开放更新及时率) count them so."""
    if cycle in DAILY:
        return [w for w in windows if w.first not in days]
    return [w for w in windows if key not in hits[w]]


def window_labels(windows: list[Window], most: int = 10) -> str:
    """``9-1、9-2…等``: the first ``most`` labels, for evidence and 整改清单 texts."""
    return "、".join(w.label for w in windows[:most]) + ("等" if len(windows) > most else "")


def cycle_windows(cycle: str, period: str, calendar: WorkCalendar) -> list[Window]:
    """The windows of ``cycle`` that close in ``period`` (YYYY-MM):

    实时, 每日   every working day of the month, each its own window;
    每周        every Monday–Sunday week whose Sunday is in the month (its Monday may be in the one before);
    每月        the month;
    每季度      the quarter, in its last month (3, 6, 9, 12);
    每半年      the half year, in June and December;
    每年        the year, in December;
    不定期      none: nothing is ever due.

    A window that closes in the month is due in the month, whole: a weekly collection made on the
    Monday before the month began counts for the week ending on the month's first Sunday. Every such
    window ends inside the month, so nothing after the month's end ever counts.
    """
    first, last = month_days(period)
    if cycle in ("实时", "每日"):
        return [Window(d, d, f"{d:%m-%d}") for d in calendar.working_days(first, last)]
    if cycle == "每周":
        sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7)
        out = []
        while sunday <= last:
            monday = sunday - dt.timedelta(days=6)
            out.append(Window(monday, sunday, f"{monday:%m-%d}～{sunday:%m-%d}"))
            sunday += dt.timedelta(days=7)
        return out
    if cycle == "每月":
        return [Window(first, last, f"{first.year}年{first.month}月")]
    if cycle == "每季度" and first.month % 3 == 0:
        q = first.month // 3
        return [Window(dt.date(first.year, first.month - 2, 1), last, f"{first.year}年第{q}季度")]
    if cycle == "每半年" and first.month in (6, 12):
        half = "上半年" if first.month == 6 else "下半年"
        return [Window(dt.date(first.year, first.month - 5, 1), last, f"{first.year}年{half}")]
    if cycle == "每年" and first.month == 12:
        return [Window(dt.date(first.year, 1, 1), last, f"{first.year}年")]
    return []
