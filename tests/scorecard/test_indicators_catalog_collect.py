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
    assert texts(ind.fixes) == ("资源r2（r2）：在目录中补充元数据 信息资源摘要 (summary)",)
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
    platform.run("catalog", "a", "r2", "failed", at(11, 20), run_id="late", error="fields[0].kind: 未知类型 txt")
    platform.run("catalog", "a", "r3", "skipped", at(11, 20), run_id="late", reason="not registered")
    # b's file did not parse at all: one department-level failure, both registered resources count as wrong
    platform.run("catalog", "b", None, "failed", at(11, 20), run_id="late", error="YAML syntax error line 3")
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    a = indicator(sc, "a", "catalog_validity")
    # a: r1 compiled, r3 itself without error (skipped because of r2), r2 failed: 2 / 3
    assert (a.numerator, a.denominator) == (2, 3)
    assert a.value == pytest.approx(66.667, abs=1e-3)
    bad = [e for e in a.evidence if not e.ok]
    assert [(e.kind, e.ref) for e in bad] == [("run", "late")] and "未知类型 txt" in bad[0].text
    assert any("r2" in f and "未知类型 txt" in f for f in texts(a.fixes))
    b = indicator(sc, "b", "catalog_validity")
    assert (b.numerator, b.denominator, b.value) == (0, 2, 0.0)
    assert texts(b.fixes)[0].startswith("目录文件整体出错") and "YAML syntax error" in texts(b.fixes)[0]
    # c was in no catalog run of the period: nothing evaluated, 不适用
    assert indicator(sc, "c", "catalog_validity").value is None


def test_collection_rate(platform, config):
    platform.department("a", [resource("r1"), resource("r2"), resource("r3", source=False)])
    # r1: source unchanged (skipped with rows_in recorded) counts as a successful collection
    platform.run("collect", "a", "r1", "skipped", at(11, 5), rows_in=0, reason="same content as batch b0")
    platform.run("collect", "a", "r2", "failed", at(11, 5), error="源文件不存在: r2.csv")
    platform.run("collect", "a", "r2", "failed", at(11, 6), error="源文件不存在: r2.csv")
    platform.run("collect", "a", "r2", "completed", at(10, 31), rows_in=5)  # before the period
    platform.run("collect", "a", "r2", "completed", at(12, 1), rows_in=5)  # after it
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "collection_rate")
    # r3 has no source: not due. r1 collected, r2 only failed in November: 1 / 2
    assert (ind.numerator, ind.denominator, ind.value) == (1, 2, 50.0)
    (bad,) = [e for e in ind.evidence if not e.ok]
    assert "资源r2" in bad.text and "失败 2 次" in bad.text and "源文件不存在" in bad.text
    assert texts(ind.fixes) == ("资源r2（r2）：本期归集均失败，按提示处理后重新归集：源文件不存在: r2.csv",)


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
    for day in (2, 3, 4, 7):  # 11-07 is a Saturday: in no daily window
        platform.run("collect", "a", "daily", "completed", at(11, day), rows_in=1)
    platform.run("collect", "a", "weekly", "completed", at(10, 27), rows_in=1)  # week 10-26..11-01
    platform.run("collect", "a", "weekly", "completed", at(11, 10), rows_in=1)  # week 11-09..11-15
    platform.run("collect", "a", "monthly", "completed", at(11, 15), rows_in=1)
    platform.run("collect", "a", "daily", "completed", at(12, 1), rows_in=1)  # after the period
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "collection_timeliness")
    # daily: 21 working days due, 3 on time; weekly: 5 weeks due, 2 on time; monthly 1 of 1;
    # quarterly: no quarter ends in November; irregular: never due. (3 + 2 + 1) / (21 + 5 + 1)
    assert (ind.numerator, ind.denominator) == (6, 27)
    assert ind.value == pytest.approx(22.222, abs=1e-3)
    texts = {e.ref: e.text for e in ind.evidence}
    assert "应归集 21 次，按时 3 次" in texts["a.daily"] and "11-05" in texts["a.daily"]
    assert "应归集 5 次，按时 2 次" in texts["a.weekly"]
    assert "a.quarterly" not in texts and "a.irregular" not in texts
    assert any(
        f.startswith("资源daily（daily）：按更新周期「每日」归集，本期 18 个周期未归集")
        for f in (x.text for x in ind.fixes)
    )


def test_collection_timeliness_counts_windows_from_registration_and_up_to_now(platform, config):
    platform.department("a", [resource("daily"), resource("weekly", cycle="每周")], compiled=at(9, 1))
    platform.department("b", [resource("new")], compiled=at(11, 25, 9), first_seen={"new": at(11, 25, 9)})
    for day in (2, 3):
        platform.run("collect", "a", "daily", "completed", at(11, day), rows_in=1)
    platform.run("collect", "a", "weekly", "completed", at(10, 27), rows_in=1)
    platform.run("collect", "b", "new", "completed", at(11, 25, 11), rows_in=1)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    # b's resource was registered on 11-25: due on 11-25, 26, 27 and 30 only; collected on 11-25: 1 / 4
    assert (
        indicator(sc, "b", "collection_timeliness").numerator,
        indicator(sc, "b", "collection_timeliness").denominator,
    ) == (1, 4)
    # on 11-04 at 12:00 only the windows already over are due: daily 11-02, 11-03; the week ending 11-01
    now = at(11, 4, 12)
    early = compute_scorecard(platform.engine, PERIOD, config, now=now, compare=False)
    ind = indicator(early, "a", "collection_timeliness")
    assert (ind.numerator, ind.denominator, ind.value) == (3, 3, 100.0)
