"""目录编制 and 数据归集 indicators on hand-made logs; the expected figures are worked out in comments."""

from __future__ import annotations

import pytest

from gongshu.scorecard.compute import compute_scorecard

from .fixtures import AFTER, PERIOD, at, indicator, resource, texts


def test_metadata_completeness_is_the_mean_over_resources(platform, config):
    platform.department("a", [resource("r1"), resource("r2", complete=False)])
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "metadata_completeness")
    # r1: 13/13 = 100; r2 without summary: 12/13 = 92.3 (as the catalog rounds it); (100 + 92.3) / 2
    assert (ind.numerator, ind.denominator) == (pytest.approx(192.3), 2)
    assert ind.value == pytest.approx(96.15)
    assert texts(ind.fixes) == ("资源r2（r2）：在目录中补充元数据 信息资源摘要",)
    assert [e.ok for e in ind.evidence] == [False, True]  # problems first
    assert "元数据" in ind.formula and ind.weight == 7.5


def test_metadata_completeness_reads_the_catalog_as_it_stood_at_the_period_end(platform, config):
    platform.department("a", [resource("r1", complete=False)], compiled=at(10, 1))
    platform.catalog("a", [resource("r1")], compiled=at(12, 2))  # fixed in December
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    assert indicator(sc, "a", "metadata_completeness").value == pytest.approx(92.3)


def test_catalog_validity_uses_the_last_catalog_run_of_the_period(platform, config):
    platform.department("a", [resource("r1"), resource("r2"), resource("r3")])
    platform.department("b", [resource("r1"), resource("r2")])
    platform.department("c", [resource("r1")])
    # an earlier run in which everything failed: superseded by the last one
    for r in ("r1", "r2", "r3"):
        platform.run("catalog", "a", r, "failed", at(11, 3), run_id="early")
    platform.run("catalog", "a", "r1", "completed", at(11, 20), run_id="late")
    platform.run(
        "catalog",
        "a",
        "r2",
        "failed",
        at(11, 20),
        run_id="late",
        error="/srv/catalogs/a.yaml:9:11: error: resource 'r2': field 'code': 'txt' is not an allowed kind",
        details={"error_kind": "CATALOG_INVALID_VALUE", "kinds": ["CATALOG_INVALID_VALUE"]},
    )
    platform.run("catalog", "a", "r3", "skipped", at(11, 20), run_id="late", reason="not registered")
    # b's file did not parse at all: one department-level failure, both registered resources count as wrong
    platform.run("catalog", "b", None, "failed", at(11, 20), run_id="late", error="YAML syntax error line 3")
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    a = indicator(sc, "a", "catalog_validity")
    # a: r1 compiled, r3 itself without error (skipped because of r2), r2 failed: 2 / 3
    assert (a.numerator, a.denominator) == (2, 3)
    assert a.value == pytest.approx(66.667, abs=1e-3)
    bad = [e for e in a.evidence if not e.ok]
    assert [(e.kind, e.ref) for e in bad] == [("run", "late")]
    assert bad[0].text == "资源r2（r2）目录条目编译出错：目录条目中有取值不在规定范围内"
    assert texts(a.fixes) == (
        "资源r2（r2）：目录条目出错：目录条目中有取值不在规定范围内。请按目录格式说明中的允许取值填写，然后重新编制目录",
    )
    b = indicator(sc, "b", "catalog_validity")
    assert (b.numerator, b.denominator, b.value) == (0, 2, 0.0)
    assert texts(b.fixes)[0].startswith("目录文件整体出错（11-20 编制）：目录文件有语法错误，无法读取")
    # c was in no catalog run of the period: nothing evaluated, 不适用
    assert indicator(sc, "c", "catalog_validity").value is None


def test_collection_rate(platform, config):
    platform.department("a", [resource("r1"), resource("r2"), resource("r3", source=False)])
    # r1: source unchanged (skipped with rows_in recorded) counts as a successful collection
    platform.run("collect", "a", "r1", "skipped", at(11, 5), rows_in=0, reason="same content as batch b0")
    platform.run("collect", "a", "r2", "failed", at(11, 5))  # the source file is missing
    platform.run("collect", "a", "r2", "failed", at(11, 6))
    platform.run("collect", "a", "r2", "completed", at(10, 31), rows_in=5)  # before the period
    platform.run("collect", "a", "r2", "completed", at(12, 1), rows_in=5)  # after it
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "collection_rate")
    # r3 has no source: not due. r1 collected, r2 only failed in November: 1 / 2
    assert (ind.numerator, ind.denominator, ind.value) == (1, 2, 50.0)
    (bad,) = [e for e in ind.evidence if not e.ok]
    assert bad.text == "资源r2 本期未归集成功（失败 2 次），最近一次 11-06：数据源文件「r2.csv」不存在"
    assert texts(ind.fixes) == (
        "资源r2（r2）：本期归集均失败，原因：数据源文件「r2.csv」不存在。"
        "请按目录登记的文件名提交数据文件，或在目录中更正数据源路径，然后重新归集",
    )


def test_collection_timeliness_by_update_cycle(platform, config):
    platform.department(
        "a",
        [
            resource("daily", cycle="每日"),
            resource("weekly", cycle="每周"),
            resource("monthly", cycle="每月"),
            resource("quarterly", cycle="每季度"),
            resource("irregular", cycle="不定期"),
        ],
        compiled=at(9, 1),
    )
    for day in (2, 3, 4, 7):  # new content each day; 11-07 is a Saturday: in no daily window
        platform.collected("a", "daily", at(11, day), f"daily-{day}")
    platform.collected("a", "daily", at(11, 5), "daily-4")  # the 11-04 data delivered again: nothing new
    platform.run("collect", "a", "daily", "failed", at(11, 6))  # tried, the source was missing
    platform.collected("a", "weekly", at(10, 27), "w1")  # week 10-26..11-01
    platform.collected("a", "weekly", at(11, 10), "w2")  # week 11-09..11-15
    platform.collected("a", "weekly", at(11, 17), "w2")  # week 11-16..11-22: the same content again
    platform.collected("a", "monthly", at(11, 15), "m1")
    platform.collected("a", "daily", at(12, 1), "daily-12")  # after the period
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "collection_timeliness")
    # daily: tried on 11-02..11-06 (5 windows), new data on 3 of them; the other 16 working days the platform
    # never tried: not charged. weekly: tried in 3 weeks, new data in 2. monthly 1 of 1. quarterly: no
    # quarter ends in November; irregular: never due. (3 + 2 + 1) / (5 + 3 + 1)
    assert (ind.numerator, ind.denominator) == (6, 9)
    assert ind.value == pytest.approx(66.667, abs=1e-3)
    texts = {(e.ref, e.ok): e.text for e in ind.evidence}
    assert texts[("a.daily", False)] == "资源daily（每日）：应归集 5 次，有新数据 3 次；没有新数据：11-05、11-06"
    assert texts[("a.daily", True)].startswith("资源daily：16 个周期（11-09、11-10")
    assert "平台未运行归集，不计入" in texts[("a.daily", True)]
    assert texts[("a.weekly", False)] == "资源weekly（每周）：应归集 3 次，有新数据 2 次；没有新数据：11-16～11-22"
    assert not any(ref in ("a.quarterly", "a.irregular") for ref, _ in texts)
    assert [f.text for f in ind.fixes][0] == (
        "资源daily（daily）：按更新周期「每日」报送有更新的数据，本期 2 个周期没有新数据（11-05、11-06）；"
        "检查数据源是否按时更新、归集是否成功"
    )
    # the windows the platform skipped go to the administrator's 平台运行 section, charged to nobody
    gaps = {(g.stage, g.window): g for g in sc.platform}
    assert gaps[("collect", "11-09")].resources == 1 and gaps[("collect", "11-09")].departments == ("a",)
    assert gaps[("collect", "11-02～11-08")].resources == 1
    assert ("collect", "11-05") not in gaps and ("collect", "11-16～11-22") not in gaps


def test_unchanged_redelivery_is_not_on_time(platform, config):
    """Re-delivering the same data every day is collecting, not updating: on time only when it changed."""
    platform.department("a", [resource("r1")], compiled=at(9, 1))
    platform.department("b", [resource("r1")], compiled=at(9, 1))
    for day in (2, 3, 4, 5, 6):
        platform.collected("a", "r1", at(11, day), "same")  # a: the same file every day
        platform.collected("b", "r1", at(11, day), f"new-{day}")  # b: new data every day
    sc = compute_scorecard(platform.engine, "2026-11", config, now=at(11, 7), compare=False)
    a, b = indicator(sc, "a", "collection_timeliness"), indicator(sc, "b", "collection_timeliness")
    assert (a.numerator, a.denominator) == (1, 5)  # only 11-02 brought new data
    assert (b.numerator, b.denominator) == (5, 5)
    # both read their source every day: 归集率 cannot tell them apart
    assert indicator(sc, "a", "collection_rate").value == indicator(sc, "b", "collection_rate").value == 100.0


def test_collection_timeliness_counts_windows_from_registration_and_up_to_now(platform, config):
    platform.department("a", [resource("daily"), resource("weekly", cycle="每周")], compiled=at(9, 1))
    platform.department("b", [resource("new")], compiled=at(11, 25, 9), first_seen={"new": at(11, 25, 9)})
    for day in (2, 3):
        platform.collected("a", "daily", at(11, day), f"d{day}")
    platform.collected("a", "weekly", at(10, 27), "w")
    platform.collected("b", "new", at(11, 20, 11), "n0")  # before its registration: no window due yet
    platform.collected("b", "new", at(11, 25, 11), "n1")
    platform.collected("b", "new", at(11, 26, 11), "n1")  # unchanged
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    # b's resource was registered on 11-25: due on 11-25, 26, 27 and 30 only; tried on 11-25 (new data)
    # and 11-26 (unchanged); 11-27 and 11-30 never tried: 1 / 2
    b = indicator(sc, "b", "collection_timeliness")
    assert (b.numerator, b.denominator) == (1, 2)
    # on 11-04 at 12:00 only the windows already over are due: daily 11-02, 11-03; the week ending 11-01
    now = at(11, 4, 12)
    early = compute_scorecard(platform.engine, PERIOD, config, now=now, compare=False)
    ind = indicator(early, "a", "collection_timeliness")
    assert (ind.numerator, ind.denominator, ind.value) == (3, 3, 100.0)
