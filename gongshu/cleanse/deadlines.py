"""整改期限 of a data-quality issue: the one rule the 反馈表 shows and the scorecard's 问题整改率
judges by, so that the two can never disagree about a deadline.

An issue is due at the end (23:59:59 Asia/Shanghai) of the ``days``-th working day after the day
it was first seen; that day itself never counts, whatever the hour. Working days are those of the
holiday calendar of ``scorecard.yaml`` (放假 and 调休), ``days`` its ``issue_fix_days``. An issue is
overdue when it was fixed after its deadline, or is still open at a moment past it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..clock import WorkCalendar, local_day


@dataclass(frozen=True)
class FixDeadlines:
    calendar: WorkCalendar
    days: int
    """问题整改时限: working days after the day an issue was first seen."""
    _dues: dict[dt.date, dt.datetime] = field(default_factory=dict, compare=False, repr=False)
    _taken: dict[tuple[dt.date, dt.date], int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"issue_fix_days must be at least 1, not {self.days}")

    def due(self, first_seen: dt.datetime) -> dt.datetime:
        """The deadline (UTC) of an issue first seen at ``first_seen`` (a naive time is UTC)."""
        seen = _aware(first_seen)
        day = local_day(seen)
        if day not in self._dues:  # thousands of issues share a few days: count each day once
            self._dues[day] = self.calendar.add_working_days(seen, self.days)
        return self._dues[day]

    def overdue(self, first_seen: dt.datetime, fixed_at: dt.datetime | None, as_of: dt.datetime) -> bool:
        """Fixed after the deadline, or still open at ``as_of`` past it."""
        end = _aware(fixed_at) if fixed_at is not None else _aware(as_of)
        return end > self.due(first_seen)

    def taken(self, first_seen: dt.datetime, fixed_at: dt.datetime) -> int:
        """整改用时 in working days: those after the day first seen, up to the day fixed."""
        seen, fixed = _aware(first_seen), _aware(fixed_at)
        days = (local_day(seen), local_day(fixed))
        if days not in self._taken:  # thousands of issues share a few pairs of days
            self._taken[days] = self.calendar.working_days_after(seen, fixed)
        return self._taken[days]

    def rule(self) -> str:
        """The rule in one sentence, as a department reads it."""
        return (
            f"整改期限：问题自首次发现之日起 {self.days} 个工作日（不含发现当日，节假日与调休按国务院通知），"
            "期限当日 24 时前整改为按期，超过期限仍未整改或超期整改的为逾期。"
        )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
