import datetime as dt
import time

import pytest

from gongshu import clock

SEPT = dt.datetime(2026, 9, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_the_clock_is_the_wall_clock_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(clock.AS_OF_ENV, raising=False)
    before = dt.datetime.now(dt.UTC)
    assert before <= clock.now() <= dt.datetime.now(dt.UTC)


def test_travel_runs_on_from_the_moment_and_comes_back(monkeypatch):
    monkeypatch.delenv(clock.AS_OF_ENV, raising=False)
    with clock.travel_to(SEPT):
        first = clock.now()
        time.sleep(0.05)
        second = clock.now()
        assert first.tzinfo is not None and first.astimezone(SEPT.tzinfo).date() == dt.date(2026, 9, 5)
        assert dt.timedelta(seconds=0.04) <= second - first < dt.timedelta(seconds=1)
        with clock.travel_to(SEPT + dt.timedelta(days=31)):
            assert clock.now().astimezone(SEPT.tzinfo).month == 10
        assert clock.now().astimezone(SEPT.tzinfo).month == 9
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=1)


def test_as_of_in_the_environment_sets_a_whole_process(monkeypatch):
    monkeypatch.setattr(clock, "_anchor", None)
    monkeypatch.setenv(clock.AS_OF_ENV, "2026-09-05T10:00")  # no zone: Asia/Shanghai
    assert clock.now() - SEPT < dt.timedelta(seconds=1)
    monkeypatch.setattr(clock, "_anchor", None)


def test_records_take_their_time_from_the_clock(tmp_path, monkeypatch):
    from gongshu.store import models as m

    with clock.travel_to(SEPT):
        assert m.utcnow().astimezone(SEPT.tzinfo).date() == dt.date(2026, 9, 5)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", ""])
def test_a_bad_moment_is_refused_clearly(text):
    with pytest.raises(ValueError, match="ISO 8601"):
        clock.parse_moment(text)
