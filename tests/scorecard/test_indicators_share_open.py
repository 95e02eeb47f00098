"""数据共享 and 数据开放 indicators, and the usage shown beside the score."""

from __future__ import annotations

import pytest

from gongshu.scorecard.compute import compute_scorecard

from .fixtures import AFTER, PERIOD, at, department, indicator, resource, texts


def test_share_degree(platform, config):
    platform.department("a", [resource("r1"), resource("r2", share="有条件共享"), resource("r3", share="不予共享")])
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "share_degree")
    assert (ind.numerator, ind.denominator) == (2, 3)  # r3 不予共享
    assert ind.value == pytest.approx(66.667, abs=1e-3)
    assert len(ind.fixes) == 1 and texts(ind.fixes)[0].startswith("资源r3（r3）：目录登记为不予共享")


def test_request_timeliness(platform, config):
    platform.department("a", [resource("r1", share="有条件共享")], name="市场监管局")
    platform.department("b", [resource("x")], name="交通运输局")
    on_time = platform.request("a", "b", "r1", at(11, 2), due=at(11, 9, 23), decided=at(11, 9, 9))
    late = platform.request("a", "b", "r1", at(11, 4), due=at(11, 11, 23), decided=at(11, 12))
    unanswered = platform.request("a", "b", "r1", at(11, 13), due=at(11, 20, 23))
    platform.request("a", "b", "r1", at(11, 25), due=at(12, 2, 23))  # due in December
    platform.request("a", "b", "r1", at(11, 3), due=None, decided=at(11, 3))  # 无条件共享: no deadline
    # due in October, answered late in November: counts in November (answered late), never after
    answered_late = platform.request("a", "b", "r1", at(10, 23), due=at(10, 30, 23), decided=at(11, 2))
    platform.request("a", "b", "r1", at(10, 20), due=at(10, 27, 23), decided=at(10, 29))  # late, in October
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "request_timeliness")
    assert (ind.numerator, ind.denominator) == (1, 4)
    assert ind.value == pytest.approx(25.0)
    ev = {e.ref: e for e in ind.evidence}
    assert set(ev) == {str(on_time), str(late), str(unanswered), str(answered_late)}
    assert ev[str(on_time)].ok and not ev[str(late)].ok
    assert ev[str(late)].text == "交通运输局 申请 资源r1（11-04 申请，应于 11-11 前答复）：11-12 答复，超期"
    assert ev[str(unanswered)].text.endswith("：逾期未办结（自 11-20 起）")
    assert ev[str(answered_late)].text.endswith("应于 10-30 前答复）：11-02 答复，超期")
    assert texts(ind.fixes)[0] == f"尽快答复已超期的 1 个共享申请（#{unanswered}）"
    # b had nothing due: 不适用, not 100
    assert indicator(sc, "b", "request_timeliness").value is None


def test_open_rate(platform, config):
    platform.department(
        "a",
        [
            resource("r1"),  # L1 无条件开放, released in October
            resource("r2", level="L2"),  # L2 declared 无条件开放: held back, the catalog must say 有条件开放
            resource("r3", level="L4", open_type="有条件开放"),  # L4: never openable
            resource("r4", open_type="不予开放"),  # not openable
            resource("r5", level="L3", open_type="有条件开放"),  # released only in December
        ],
    )
    release = platform.release("a", "r1", 1, at(10, 1))
    platform.release("a", "r5", 1, at(12, 3))
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "open_rate")
    assert (ind.numerator, ind.denominator) == (1, 3)  # openable: r1, r2, r5
    ok = [e for e in ind.evidence if e.ok]
    assert [(e.kind, e.ref) for e in ok] == [("release", str(release))]
    assert texts(ind.fixes)[0].startswith("资源r2（r2）：目录登记为无条件开放，但 L2 数据只能依申请开放")
    assert texts(ind.fixes)[1].startswith("资源r5（r5）：完成归集与清洗并通过发布质量门后开放")


def test_open_timeliness(platform, config):
    platform.department(
        "a",
        [
            resource("monthly", cycle="每月"),
            resource("stale", cycle="每月"),
            resource("daily", cycle="每日"),
            resource("never", cycle="每月"),
        ],
        compiled=at(9, 1),
    )
    platform.release("a", "monthly", 1, at(10, 1))
    platform.collected("a", "monthly", at(11, 9), "m-nov")  # new data in November ...
    platform.run("open", "a", "monthly", "completed", at(11, 10))
    platform.release("a", "monthly", 2, at(11, 10))  # ... released as v2: on time
    platform.release("a", "stale", 1, at(10, 1))
    platform.collected("a", "stale", at(10, 1), "s")
    platform.collected("a", "stale", at(11, 10), "s")  # November brought nothing new ...
    platform.run("open", "a", "stale", "skipped", at(11, 10), reason="unchanged since v1")  # ... nothing to release
    for day, content in ((26, "d26"), (27, "d27"), (30, "d27")):  # 11-30: the 11-27 data again
        platform.collected("a", "daily", at(11, day, 9), content)
        platform.run("open", "a", "daily", "completed", at(11, day))
    platform.release("a", "daily", 1, at(11, 26))  # first release: due from 11-26 on (26, 27, 30)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "open_timeliness")
    # monthly: v2 in November, 1 of 1. stale: no new data in November, charged once, in 归集及时率.
    # daily: 11-26 released; 11-27 new data collected but not released (charged here); 11-30 no new data
    # (归集及时率's). never released: not due. (1 + 1) / (1 + 2)
    assert (ind.numerator, ind.denominator) == (2, 3)
    assert ind.value == pytest.approx(66.667, abs=1e-3)
    assert any(e.text.endswith("未更新：11-27") for e in ind.evidence)
    charged = {e.ref: e for e in ind.evidence if e.charged_in}
    assert charged["a.stale"].charged_in == "collection_timeliness"
    assert charged["a.daily"].charged_in == "collection_timeliness" and "11-30" in charged["a.daily"].text
    # and 归集及时率 does charge them: stale's November and daily's 11-30 brought nothing new
    collect = {e.ref: e.text for e in indicator(sc, "a", "collection_timeliness").evidence if not e.ok}
    assert "没有新数据：2026年11月" in collect["a.stale"] and "没有新数据：11-30" in collect["a.daily"]


def test_usage_is_shown_beside_the_score_not_in_it(platform, config):
    platform.department("a", [resource("r1")])
    platform.department("b", [resource("r1")])
    for status in (200, 200, 403):
        platform.call("a", status, at(11, 5))
    platform.call("a", 200, at(12, 1))  # December
    for _ in range(3):
        platform.download("a", "r1", at(11, 6))
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    a, b = department(sc, "a"), department(sc, "b")
    assert a.usage == {"apps": 0, "downloads": 3, "share_calls": 2}
    assert b.usage == {"apps": 0, "downloads": 0, "share_calls": 0}
    assert a.total == b.total
