"""The platform's clock and calendar: every time the platform records (run logs, batches, issues,
requests, releases) is read here, so that a run can be played as of another moment; and the one
time zone (Asia/Shanghai), the months (assessment periods) and the working days everything is
counted in.

Normally :func:`now` is the wall clock in UTC. :func:`travel_to` (or ``GONGSHU_AS_OF`` for a whole
process, e.g. ``gongshu run --as-of 2026-09-05T10:00+08:00``) sets the clock to a moment from which
it keeps running at the wall clock's pace: durations stay real, the dates are those of the moment.
That is how the demo plays several past months of runs whose logs the scorecard then ranks, and how
a missed run can be backfilled into its own period. Timings of work (latencies, benchmarks) use
``time.perf_counter`` and are not affected.

China has one time zone and no daylight saving: :data:`SHANGHAI` is a fixed offset and needs no tz
database. Working days (工作日) are those of the State Council's holiday notices: a Monday to Friday
that is not a public holiday, or a weekend day that a notice turns into a working day (调休上班).
The dates come from ``scorecard.yaml`` (one notice per year, published each November for the next
year); a year the file does not cover falls back to Monday–Friday. Deadlines end at 23:59:59
Asia/Shanghai of their last working day.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
"""The platform's time zone: every local day, month and wall-clock time is counted in it."""
END_OF_DAY = dt.time(23, 59, 59)
AS_OF_ENV = "GONGSHU_AS_OF"
_lock = threading.Lock()
_anchor: tuple[dt.datetime, float] | None = None


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 moment; one without a zone is Asia/Shanghai wall-clock time."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 moment such as 2026-09-05T10:00+08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(dt.UTC)


def now() -> dt.datetime:
    """The current moment, UTC."""
    anchor = _anchor
    if anchor is None:
        env = os.environ.get(AS_OF_ENV)
        if not env:
            return dt.datetime.now(dt.UTC)
        anchor = _set(parse_moment(env))
    moment, started = anchor
    return moment + dt.timedelta(seconds=time.monotonic() - started)


def _set(moment: dt.datetime) -> tuple[dt.datetime, float]:
    global _anchor
    with _lock:
        anchor = _anchor = (moment.astimezone(dt.UTC), time.monotonic())
        return anchor


@contextmanager
def travel_to(moment: dt.datetime) -> Iterator[None]:
    """Run the block as of ``moment`` (the clock runs on from it); the clock is restored after."""
    if moment.tzinfo is None:
        raise ValueError("travel_to needs an aware datetime")
    previous = _anchor
    _set(moment)
    try:
        yield
    finally:
        with _lock:
            globals()["_anchor"] = previous


def local_day(moment: dt.datetime) -> dt.date:
    """The day of ``moment`` in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI).date()


def local_time(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Beijing time, naive (Excel has no time zones); a naive ``moment`` is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight starting ``day`` in Asia/Shanghai, in UTC."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI).astimezone(dt.UTC)


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 of ``day`` in Asia/Shanghai, in UTC: when a deadline on that day ends."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI).astimezone(dt.UTC)


def resolve_generated_at(generated_at: dt.datetime | None) -> dt.datetime:
    """``generated_at`` as an aware datetime to the second; None: now; naive: Beijing time."""
    if generated_at is None:
        return now().astimezone(SHANGHAI).replace(microsecond=0)
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=SHANGHAI)
    return generated_at.replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    """``moment`` in ISO 8601, to the second."""
    return moment.isoformat(timespec="seconds")


def current_period(moment: dt.datetime | None = None) -> str:
    """The month (YYYY-MM) of ``moment`` (default: now) in Asia/Shanghai."""
    return f"{(moment or now()).astimezone(SHANGHAI):%Y-%m}"


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a month in Asia/Shanghai, as UTC datetimes."""
    first, last = month_days(period)
    return start_of_day(first), start_of_day(last + dt.timedelta(days=1))


def month_days(period: str) -> tuple[dt.date, dt.date]:
    """First and last calendar day of ``YYYY-MM``."""
    year, month = (int(p) for p in period.split("-"))
    first = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def period_label(period: str) -> str:
    """A month ``2026-11`` as ``2026年11月``; any other period as given."""
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", period)
    return f"{month[1]}年{int(month[2])}月" if month else period


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: Monday to Friday, less ``holidays``, plus ``workdays``."""

    holidays: frozenset[dt.date] = frozenset()
    """放假 days (weekdays and weekend days alike)."""
    workdays: frozenset[dt.date] = frozenset()
    """调休上班: weekend days that are working days."""

    @classmethod
    def of(cls, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> WorkCalendar:
        off, on = frozenset(holidays), frozenset(workdays)
        both = sorted(off & on)
        if both:
            raise ValueError(f"dates both holiday and make-up working day: {', '.join(map(str, both))}")
        return cls(off, on)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The working days from ``first`` to ``last``, both included."""
        return [d for d in days_between(first, last) if self.is_working_day(d)]

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """``start`` plus ``days`` working days, at the end of that day (Asia/Shanghai), in UTC: the
        day of ``start`` itself never counts, whatever the hour (as in the sharing workflow)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day = local_day(start)
        left = days
        while left:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return end_of_day(day)

    def working_days_after(self, start: dt.datetime, end: dt.datetime) -> int:
        """The working days after the day of ``start`` up to the day of ``end`` (Asia/Shanghai),
        that day included: how many of :meth:`add_working_days`'s days a task took, so that a task
        done by ``add_working_days(start, n)`` took at most ``n``."""
        first, last = local_day(start) + dt.timedelta(days=1), local_day(end)
        return sum(1 for d in days_between(first, last) if self.is_working_day(d))


WEEKDAYS = WorkCalendar()
"""Monday to Friday, no holidays."""


def days_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)
