"""Working days with the State Council's holidays and 调休, and the 更新周期 windows of a month."""

from __future__ import annotations

import datetime as dt

import pytest

from gongshu.clock import SHANGHAI, WorkCalendar
from gongshu.scorecard.windows import cycle_windows
from gongshu.share.workflow import add_working_days as weekdays_only

D = dt.date


def test_2026_notice_holidays_and_make_up_days(config):
    cal = config.work_calendar()
    assert not cal.is_working_day(D(2026, 1, 2))  # Friday, 元旦
    assert cal.is_working_day(D(2026, 1, 4))  # Sunday, 元旦调休上班
    assert cal.is_working_day(D(2026, 2, 14))  # Saturday, 春节调休
    assert not cal.is_working_day(D(2026, 2, 23))  # Monday, 春节 (正月初七)
    assert cal.is_working_day(D(2026, 2, 28))  # Saturday, 春节调休
    assert not cal.is_working_day(D(2026, 5, 5))  # Tuesday, 劳动节
    assert cal.is_working_day(D(2026, 5, 9))  # Saturday, 劳动节调休
    assert not cal.is_working_day(D(2026, 9, 25))  # Friday, 中秋节
    assert cal.is_working_day(D(2026, 9, 20))  # Sunday, 国庆节调休
    assert not cal.is_working_day(D(2026, 10, 7))  # Wednesday, 国庆节
    assert cal.is_working_day(D(2026, 10, 10))  # Saturday, 国庆节调休
    assert cal.is_working_day(D(2026, 11, 3)) and not cal.is_working_day(D(2026, 11, 7))  # plain Tue / Sat


def test_2025_notice(config):
    cal = config.work_calendar()
    assert not cal.is_working_day(D(2025, 1, 28)) and not cal.is_working_day(D(2025, 2, 4))  # 春节 8 days
    assert cal.is_working_day(D(2025, 1, 26)) and cal.is_working_day(D(2025, 2, 8))
    assert not cal.is_working_day(D(2025, 10, 8)) and cal.is_working_day(D(2025, 10, 11))


def test_working_days_of_october_2026(config):
    # Mon–Fri in October 2026: 22; minus 国庆 on weekdays (1, 2, 5, 6, 7): 17; plus Saturday 10-10: 18
    days = config.work_calendar().working_days(D(2026, 10, 1), D(2026, 10, 31))
    assert len(days) == 18
    assert days[:3] == [D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10)]


def test_add_working_days_skips_the_national_day_week(config):
    start = dt.datetime(2026, 9, 29, 15, tzinfo=SHANGHAI)  # Tuesday
    # 9-30 (1), 10-1..7 holiday, 10-8 (2), 10-9 (3), 10-10 Saturday 调休 (4), 10-12 Monday (5)
    due = config.work_calendar().add_working_days(start, 5)
    assert due == dt.datetime(2026, 10, 12, 23, 59, 59, tzinfo=SHANGHAI)
    # the sharing workflow's Monday–Friday count ends on 10-6, in the middle of the holiday
    assert weekdays_only(start, 5) == dt.datetime(2026, 10, 6, 23, 59, 59, tzinfo=SHANGHAI)


def test_empty_calendar_is_monday_to_friday_like_the_sharing_workflow():
    start = dt.datetime(2026, 11, 6, 9, tzinfo=SHANGHAI)  # Friday
    assert WorkCalendar().add_working_days(start, 5) == weekdays_only(start, 5)


def test_a_day_cannot_be_both_holiday_and_working_day():
    with pytest.raises(ValueError, match="2026-01-03"):
        WorkCalendar.of([D(2026, 1, 3)], [D(2026, 1, 3)])


def test_cycle_windows_of_november_2026(config):
    cal = config.work_calendar()
    daily = cycle_windows("每日", "2026-11", cal)
    assert len(daily) == 21  # Nov 2026: 1st is a Sunday; 4 full weeks from the 2nd, plus Monday the 30th
    assert daily[0].first == D(2026, 11, 2) and daily[-1].first == D(2026, 11, 30)
    weekly = cycle_windows("每周", "2026-11", cal)
    # the weeks ending on the Sundays 11-01, 08, 15, 22, 29; the first starts in October
    assert [(w.first, w.last) for w in weekly][0] == (D(2026, 10, 26), D(2026, 11, 1))
    assert len(weekly) == 5
    assert [w.label for w in cycle_windows("每月", "2026-11", cal)] == ["2026年11月"]
    assert cycle_windows("每季度", "2026-11", cal) == []
    assert cycle_windows("不定期", "2026-11", cal) == []
    (quarter,) = cycle_windows("每季度", "2026-12", cal)
    assert (quarter.first, quarter.last) == (D(2026, 10, 1), D(2026, 12, 31))
    (half,) = cycle_windows("每半年", "2026-06", cal)
    assert half.first == D(2026, 1, 1) and half.label == "2026年上半年"
    assert cycle_windows("每年", "2026-11", cal) == [] and len(cycle_windows("每年", "2026-12", cal)) == 1


def test_window_bounds_are_shanghai_midnights(config):
    w = cycle_windows("每日", "2026-11", config.work_calendar())[0]
    assert w.starts == dt.datetime(2026, 11, 1, 16, tzinfo=dt.UTC)  # 11-02 00:00 in Beijing
    assert w.ends == dt.datetime(2026, 11, 2, 16, tzinfo=dt.UTC)
