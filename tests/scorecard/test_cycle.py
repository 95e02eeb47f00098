"""更新周期符合度: declaring a longer 更新周期 than the data has no longer pays."""

from __future__ import annotations

import datetime as dt

from gongshu.scorecard.compute import compute_scorecard
from gongshu.scorecard.indicators_cycle import allowed, fitting_cycle

from .fixtures import AFTER, PERIOD, at, department, indicator, resource


def _daily_data(platform, dept: str) -> None:
    """The same data in both departments: new content every working day of September to November."""
    day = dt.date(2026, 9, 1)
    while day <= dt.date(2026, 11, 30):
        if day.weekday() < 5:
            platform.collected(dept, "r1", at(day.month, day.day), f"{day}")
        day += dt.timedelta(days=1)


def test_declaring_quarterly_for_daily_data_no_longer_raises_the_score(platform, config):
    platform.department("honest", [resource("r1", cycle="每日")], compiled=at(8, 3))
    platform.department("lazy", [resource("r1", cycle="每季度")], compiled=at(8, 3))
    for dept in ("honest", "lazy"):
        _daily_data(platform, dept)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    honest, lazy = department(sc, "honest"), department(sc, "lazy")
    # 每季度: no quarter ends in November, so 归集及时率 has nothing due for "lazy" (不适用) ...
    assert indicator(sc, "lazy", "collection_timeliness").value is None
    assert indicator(sc, "honest", "collection_timeliness").value == 100.0
    # ... but its data changed on ~64 days of the last 90, a quarterly cycle allows 2 × 1: 0
    lazy_cycle = indicator(sc, "lazy", "cycle_accuracy")
    assert (lazy_cycle.numerator, lazy_cycle.denominator, lazy_cycle.value) == (0, 1, 0.0)
    assert "申报周期长于数据实际更新周期" in lazy_cycle.evidence[0].text
    (fix,) = lazy_cycle.fixes
    assert "目录申报的更新周期「每季度」长于数据实际的更新频率" in fix.text and "如「每日」" in fix.text
    # a daily cycle cannot be too long: not judged
    assert indicator(sc, "honest", "cycle_accuracy").value is None
    assert honest.total is not None and lazy.total is not None
    assert honest.total > lazy.total


def test_a_cycle_that_fits_and_one_with_too_few_observations(platform, config):
    platform.department("a", [resource("r1", cycle="每月"), resource("r2", cycle="每季度")], compiled=at(8, 3))
    # r1: read every working day, new content once a month (and one correction): fits 每月
    day = dt.date(2026, 9, 1)
    while day <= dt.date(2026, 11, 30):
        if day.weekday() < 5:
            content = f"{day:%Y-%m}" + ("-fix" if day.day >= 10 and day.month == 10 else "")
            platform.collected("a", "r1", at(day.month, day.day), content)
        day += dt.timedelta(days=1)
    # r2: read on two days only: a quarterly cycle allows 2 change days, nothing could be seen
    platform.collected("a", "r2", at(10, 5), "q1")
    platform.collected("a", "r2", at(11, 5), "q2")
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "cycle_accuracy")
    assert (ind.numerator, ind.denominator, ind.value) == (1, 1, 100.0)
    texts = {e.ref: e.text for e in ind.evidence}
    # the 90 days before 12-01 begin on 09-02: changes on 10-01, 10-12 (the correction) and 11-02
    assert "数据变化 3 天，按申报周期至多 6 天，相符" in texts["a.r1"]
    assert texts["a.r2"].endswith("成功读取数据源 2 天，不足以判断，不计")


def test_allowance_and_suggested_cycle():
    assert [allowed(c, 90) for c in ("每周", "每月", "每季度", "每半年", "每年", "不定期")] == [26, 6, 2, 2, 2, 6]
    assert fitting_cycle(64, 90) == "每日" and fitting_cycle(13, 90) == "每周" and fitting_cycle(3, 90) == "每月"
    assert fitting_cycle(1, 90) == "每年"
