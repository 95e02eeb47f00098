"""整改期限 (:mod:`gongshu.cleanse.deadlines`): counted in working days of scorecard.yaml's calendar
from the day after an issue was first seen (Asia/Shanghai), and 整改用时 counted the same way, so
that an issue fixed on its last day took exactly ``issue_fix_days`` and is not overdue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gongshu.cleanse.deadlines import FixDeadlines
from gongshu.clock import SHANGHAI, WEEKDAYS
from gongshu.scorecard.config import load_config

CONFIG = load_config(Path(__file__).resolve().parents[2] / "scorecard.yaml")
DEADLINES = FixDeadlines(CONFIG.work_calendar(), CONFIG.issue_fix_days)  # 5 working days


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_the_deadline_skips_the_national_day_holidays_and_counts_the_make_up_saturday():
    # Tue 09-29: 09-30, (10-01..07 off), 10-08, 10-09, Sat 10-10 (调休上班), Mon 10-12
    due = DEADLINES.due(local("2026-09-29T10:00"))
    assert due == local("2026-10-12T23:59:59")
    # found on the 中秋 Friday (a holiday): the next working days are Mon 09-28 onwards
    assert DEADLINES.due(local("2026-09-25T10:00")) == local("2026-10-09T23:59:59")


def test_the_day_is_the_day_in_beijing():
    # 2026-09-28 17:30 UTC is 09-29 01:30 in Beijing: the same deadline as any time on 09-29
    assert DEADLINES.due(dt.datetime(2026, 9, 28, 17, 30, tzinfo=dt.UTC)) == local("2026-10-12T23:59:59")
    assert DEADLINES.due(dt.datetime(2026, 9, 28, 17, 30)) == local("2026-10-12T23:59:59")  # naive: UTC


def test_overdue_fixed_late_or_open_past_the_deadline():
    seen = local("2026-09-29T10:00")
    assert not DEADLINES.overdue(seen, local("2026-10-12T23:59:59"), local("2026-12-01T00:00"))
    assert DEADLINES.overdue(seen, local("2026-10-13T00:00"), local("2026-10-13T00:00"))
    assert not DEADLINES.overdue(seen, None, local("2026-10-12T23:59:59"))  # still open, not yet late
    assert DEADLINES.overdue(seen, None, local("2026-10-13T00:00:01"))


def test_time_taken_in_working_days():
    seen = local("2026-09-29T18:00")
    assert DEADLINES.taken(seen, local("2026-09-29T19:00")) == 0  # the same day
    assert DEADLINES.taken(seen, local("2026-10-07T12:00")) == 1  # only 09-30 worked
    assert DEADLINES.taken(seen, local("2026-10-10T12:00")) == 4  # 09-30, 10-08, 10-09, 10-10
    assert DEADLINES.taken(seen, local("2026-10-11T12:00")) == 4  # a Sunday adds nothing


@pytest.mark.parametrize("days", [1, 3, 5, 10])
def test_fixed_on_the_last_day_took_exactly_the_days_allowed(days):
    rule = FixDeadlines(DEADLINES.calendar, days)
    day = dt.date(2026, 9, 1)
    while day < dt.date(2026, 11, 1):
        seen = dt.datetime.combine(day, dt.time(15), tzinfo=SHANGHAI)
        due = rule.due(seen)
        assert rule.taken(seen, due) == days and not rule.overdue(seen, due, due)
        assert rule.overdue(seen, due + dt.timedelta(seconds=1), due)
        day += dt.timedelta(days=1)


def test_the_rule_in_one_sentence_and_at_least_one_day():
    assert DEADLINES.rule().startswith("整改期限：问题自首次发现之日起 5 个工作日（不含发现当日")
    with pytest.raises(ValueError, match="at least 1"):
        FixDeadlines(WEEKDAYS, 0)
