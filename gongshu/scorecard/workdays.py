"""Working days (工作日) as the State Council's holiday notices define them, and the 更新周期 windows
a month holds.

A day is a working day when it is a Monday to Friday that is not a public holiday, or a weekend
day that a notice turns into a working day (调休上班). The dates come from ``scorecard.yaml``
(one notice per year, published each November for the next year); a year the file does not cover
falls back to Monday–Friday, which is what :func:`gongshu.share.workflow.add_working_days` has
always done.

Deadlines end at 23:59:59 Asia/Shanghai of their last working day, as in the sharing workflow, so
the two agree on every day that is not a holiday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
END_OF_DAY = dt.time(23, 59, 59)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = frozenset()
    """放假 days (weekdays and weekend days alike)."""
    workdays: frozenset[dt.date] = frozenset()
    """调休上班: weekend days that are working days."""

    @classmethod
    def of(cls, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> WorkCalendar:
        holidays, workdays = frozenset(holidays), frozenset(workdays)
        both = sorted(holidays & workdays)
        if both:
            raise ValueError(f"dates both holiday and make-up working day: {', '.join(map(str, both))}")
        return cls(holidays, workdays)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The working days from ``first`` to ``last``, both included."""
        return [d for d in _days(first, last) if self.is_working_day(d)]

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """``start`` plus ``days`` working days, at the end of that day (Asia/Shanghai), in UTC: the
        day of ``start`` itself never counts, whatever the hour (as in the sharing workflow)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day = start.astimezone(SHANGHAI).date()
        left = days
        while left:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return end_of_day(day)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI).astimezone(dt.UTC)


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI).astimezone(dt.UTC)


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


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


def month_days(period: str) -> tuple[dt.date, dt.date]:
    """First and last calendar day of ``YYYY-MM``."""
    year, month = (int(p) for p in period.split("-"))
    first = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


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
