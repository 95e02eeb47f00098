"""数据利用: use per resource, scored against the median of the departments that had any use, so that a
small department whose data is used a lot beats a big one whose data is barely used."""

from __future__ import annotations

import pytest

from gongshu.scorecard.compute import compute_scorecard
from gongshu.store import models as m
from gongshu.store.db import session_scope

from .fixtures import AFTER, PERIOD, at, department, indicator, resource

DATA = "/api/v1/data"


def _calls(platform, provider: str, res: str, n: int, when, *, status: int = 200, path: str | None = None) -> None:
    with session_scope(platform.engine) as s:
        s.add_all(
            m.ApiCallLog(
                called_at=when,
                consumer_key="someone",
                method="GET",
                path=path or f"{DATA}/{provider}/{res}",
                provider_key=provider,
                resource_key=res,
                status=status,
                latency_ms=1.0,
            )
            for _ in range(n)
        )


def _reads(platform, dept: str, res: str, n: int, when, *, what: str = "data.csv", rows: int | None = 10) -> None:
    with session_scope(platform.engine) as s:
        s.add_all(
            m.DownloadLog(downloaded_at=when, department_key=dept, resource_key=res, what=what, rows=rows)
            for _ in range(n)
        )


def _app(platform, datasets: list[tuple[str, str]], status: str, reviewed) -> None:
    with session_scope(platform.engine) as s:
        app = m.OpenApp(
            name="某应用",
            submitter="某公司",
            contact="王先生 0576-88000000",
            description="说明",
            status=status,
            submitted_at=at(10, 20),
            reviewed_at=reviewed,
        )
        s.add(app)
        s.flush()
        s.add_all(m.OpenAppDataset(app_id=app.id, department_key=d, resource_key=r) for d, r in datasets)


def _shared(prefix: str, n: int, share: str = "无条件共享") -> list[dict]:
    return [resource(f"{prefix}{i}", share=share, open_type="不予开放") for i in range(1, n + 1)]


def test_share_use_per_resource_against_the_median_a_small_busy_department_beats_a_big_idle_one(platform, config):
    platform.department("small", _shared("s", 2))
    platform.department("big", _shared("b", 10))
    platform.department("mid", _shared("m", 4))
    platform.department("tiny", _shared("t", 5))
    platform.department("idle", _shared("i", 3))
    platform.department("closed", _shared("c", 2, share="不予共享"))
    for dept in ("small", "big", "mid", "tiny", "idle", "closed"):  # the platform ran in November
        platform.run("catalog", dept, None, "completed", at(11, 2))
    _calls(platform, "small", "s1", 30, at(11, 5))
    _calls(platform, "small", "s2", 10, at(11, 6))  # small: 40 calls ÷ 2 resources = 20 a resource
    _calls(platform, "big", "b1", 50, at(11, 7))  # big: 50 ÷ 10 = 5
    _calls(platform, "mid", "m2", 40, at(11, 8))  # mid: 40 ÷ 4 = 10
    _calls(platform, "tiny", "t1", 1, at(11, 9))  # tiny: 1 ÷ 5 = 0.2
    # not data served in November: refused, not a data read, in December
    _calls(platform, "big", "b2", 99, at(11, 7), status=403)
    _calls(platform, "idle", "i1", 5, at(11, 7), status=201, path="/api/v1/requests")
    _calls(platform, "idle", "i1", 5, at(12, 2))
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)

    use = {d: indicator(sc, d, "share_use") for d in ("small", "big", "mid", "tiny", "idle", "closed")}
    # the departments with use: 0.2, 5, 10, 20 a resource; median (5 + 10) / 2 = 7.5
    assert (use["small"].numerator, use["small"].denominator) == (40, 2)
    assert use["small"].value == 100.0  # 100 × 20 / 7.5 = 267, capped at 100
    assert use["mid"].value == 100.0  # 100 × 10 / 7.5 = 133, capped
    assert use["big"].value == pytest.approx(66.67, abs=0.01)  # 100 × 5 / 7.5
    assert use["tiny"].value == 30.0  # 100 × 0.2 / 7.5 = 2.7: any real use earns the floor of 30
    assert use["idle"].value == 0.0 and use["idle"].fixes  # no use: 0, and what to do about it
    assert use["closed"].value is None  # nothing shareable: 不适用 (charged in 共享度 already)
    assert use["small"].dimension == "数据利用" and "中位数" in use["small"].formula
    texts = [e.text for e in use["big"].evidence]
    assert "资源b1（无条件共享）：本期共享接口调用 50 次" in texts
    assert any("中位数 7.50" in t for t in texts)
    assert department(sc, "small").total > department(sc, "big").total  # all else equal


def test_open_use_counts_data_reads_and_approved_apps_on_opened_datasets(platform, config):
    platform.department("a", [resource("r1"), resource("r2")])
    platform.department("b", [resource(f"r{i}") for i in range(1, 5)])
    platform.department("c", [resource("r1"), resource("r2")])  # openable, never released
    platform.department("d", [resource("r1")])
    for dept, n in (("a", 2), ("b", 4), ("d", 1)):
        for i in range(1, n + 1):
            platform.release(dept, f"r{i}", 1, at(10, 10))
    _reads(platform, "a", "r2", 6, at(11, 3))  # a: 6 reads + 20 for one approved app on r1 = 26; 26 ÷ 2 = 13
    _app(platform, [("a", "r1")], "approved", at(11, 4))
    _reads(platform, "b", "r3", 8, at(11, 3), what="datastore_search")  # b: 8 ÷ 4 = 2
    _reads(platform, "b", "r3", 2, at(11, 3), what="dictionary.csv", rows=None)  # not the data: not counted
    _app(platform, [("b", "r1")], "pending", None)
    _app(platform, [("d", "r1")], "rejected", at(11, 4))
    _app(platform, [("d", "r1"), ("b", "r2")], "approved", at(12, 3))  # approved after November
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)

    use = {d: indicator(sc, d, "open_use") for d in "abcd"}
    # median of 13 and 2: 7.5
    assert (use["a"].numerator, use["a"].denominator, use["a"].value) == (26, 2, 100.0)  # 100 × 13 / 7.5, capped
    assert (use["b"].numerator, use["b"].denominator, use["b"].value) == (8, 4, 30.0)  # 26.7, floor 30
    assert use["c"].value is None  # nothing opened yet: 不适用 here, charged in 开放率
    assert use["d"].value == 0.0 and use["d"].fixes
    assert "资源r1：本期下载与接口查询 0 次，开放应用 1 个" in [e.text for e in use["a"].evidence]
    assert {d: department(sc, d).usage["apps"] for d in "abcd"} == {"a": 1, "b": 0, "c": 0, "d": 0}


def test_a_month_without_any_use_is_not_applicable_to_anyone(platform, config):
    platform.department("a", [resource("r1")])
    platform.department("b", [resource("r1")])
    platform.release("a", "r1", 1, at(10, 10))
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    for d in "ab":
        assert indicator(sc, d, "share_use").value is None
        assert indicator(sc, d, "open_use").value is None
