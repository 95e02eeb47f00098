"""The scorecard as a whole: departments without resources, a period without runs, re-weighting,
determinism, the previous period."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from gongshu.scorecard import store
from gongshu.scorecard.compute import compute_scorecard
from gongshu.scorecard.config import parse_config
from gongshu.scorecard.ranking import shown

from .fixtures import AFTER, PERIOD, at, department, indicator, resource

RUN_BASED = (
    "catalog_validity",
    "collection_rate",
    "collection_timeliness",
    "cycle_accuracy",
    "gate_pass_rate",
    "row_pass_rate",
    "issue_fix_rate",
    "open_timeliness",
)


def busy_platform(platform) -> None:
    """Two departments with something on every indicator, and a third without resources."""
    platform.department("a", [resource("r1"), resource("r2", complete=False, share="不予共享")], compiled=at(9, 1))
    platform.department("b", [resource("r1", cycle="每周"), resource("r2", level="L4")], compiled=at(9, 1))
    platform.department("z")  # registered, never catalogued
    for dept in ("a", "b"):
        platform.run("catalog", dept, "r1", "completed", at(11, 2), run_id="cat")
        platform.run("catalog", dept, "r2", "completed", at(11, 2), run_id="cat")
        platform.run("collect", dept, "r1", "completed", at(11, 3), rows_in=10)
        platform.run("cleanse", dept, "r1", "completed", at(11, 3))
        platform.run("open", dept, "r1", "completed", at(11, 4))
        platform.release(dept, "r1", 1, at(11, 4))
    platform.run("collect", "a", "r2", "failed", at(11, 3))
    platform.batch("a", "r1", "ba1", at(11, 3), rows_in=100, loaded=95, quarantined=5)
    platform.batch("b", "r1", "bb1", at(11, 3), rows_in=100, loaded=100)
    platform.issue("a", "r1", at(11, 3), fixed_at=at(11, 5))
    platform.issue("a", "r1", at(11, 3))
    platform.request("a", "b", "r1", at(11, 2), due=at(11, 9, 23), decided=at(11, 10))
    platform.call("a", 200, at(11, 6))
    platform.download("b", "r1", at(11, 7))


def test_department_without_resources_is_unranked_last_and_marked(platform, config):
    busy_platform(platform)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    assert [d.department for d in sc.departments][-1] == "z"
    z = department(sc, "z")
    assert (z.total, z.rank, z.red, z.black) == (None, None, False, False)
    assert z.note and "未登记数据资源" in z.note
    assert len(z.indicators) == 14 and all(i.value is None for i in z.indicators)
    assert all(d.rank is not None for d in sc.departments if d.department != "z")


def test_catalog_compiled_after_the_period_does_not_count(platform, config):
    platform.department("late", [resource("r1")], created=at(10, 1), compiled=at(12, 2))
    platform.department("gone", [resource("r1")], created=at(12, 2))
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    assert [d.department for d in sc.departments] == ["late"]
    assert department(sc, "late").total is None


def test_period_without_runs_leaves_run_based_indicators_not_applicable(platform, config):
    platform.department("a", [resource("r1"), resource("r2", share="不予共享")], compiled=at(9, 1))
    platform.release("a", "r1", 1, at(10, 2))
    platform.issue("a", "r1", at(10, 28))  # falls due 11-04: but nothing ran to fix it with
    platform.run("collect", "a", "r1", "completed", at(10, 30), rows_in=1)  # October: not this period
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    a = department(sc, "a")
    for code in RUN_BASED:
        ind = indicator(sc, "a", code)
        assert ind.value is None, code
        assert ind.evidence and "本期平台未运行" in ind.evidence[0].text
    # state-based ones still count: completeness 100, 共享度 1/2 = 50, 开放率 1/2 (r2 L1 unreleased) = 50
    assert indicator(sc, "a", "metadata_completeness").value == 100.0
    assert indicator(sc, "a", "share_degree").value == 50.0
    assert indicator(sc, "a", "open_rate").value == 50.0
    assert indicator(sc, "a", "request_timeliness").value is None  # nothing due
    # the platform ran nothing in the period: no month of 100s nor of state-based scores, nobody ranked
    assert sc.platform_ran is False
    assert (a.total, a.rank, a.red, a.black) == (None, None, False, False)
    assert a.note == "本期平台未运行应运行的环节，不作排名"


def test_total_is_the_weighted_mean_of_what_applies(platform, config):
    busy_platform(platform)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    for d in sc.departments[:2]:
        applicable = [i for i in d.indicators if i.value is not None]
        expected = sum(i.weight * i.value for i in applicable) / sum(i.weight for i in applicable)
        assert d.total == pytest.approx(expected)
    b = department(sc, "b")
    # b had no request and no issue due; its weekly resource was collected and opened only on 11-03/04,
    # so every later week is a window the platform never attempted (charged to nobody), and its source was
    # read on one day only, too few to judge its 更新周期; nobody's data was read through the API (the call
    # and the download logged here are no data read): 数据利用 不适用 too. Those six are 不适用, 8 apply
    assert {i.code for i in b.indicators if i.value is None} == {
        "request_timeliness",
        "issue_fix_rate",
        "open_timeliness",
        "cycle_accuracy",
        "share_use",
        "open_use",
    }


def test_configured_weights_change_the_total_and_the_hash(platform, config):
    busy_platform(platform)
    only_sharing = parse_config(
        {"dimensions": [{"name": "数据共享", "weight": 100, "indicators": [{"code": "share_degree"}]}]}
    )
    sc = compute_scorecard(platform.engine, PERIOD, only_sharing, now=AFTER, compare=False)
    assert department(sc, "a").total == 50.0  # r2 不予共享: 1 / 2
    assert department(sc, "b").total == 100.0
    assert [d.department for d in sc.departments] == ["b", "a", "z"]
    assert sc.config_hash != config.digest()


def test_recomputing_a_past_period_gives_the_same_scorecard(platform, config):
    busy_platform(platform)
    first = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    second = compute_scorecard(platform.engine, PERIOD, config, now=AFTER + dt.timedelta(days=40), compare=False)
    assert second.computed_at != first.computed_at
    assert dataclasses.replace(second, computed_at=first.computed_at) == first
    # rows written after the period's end change nothing
    platform.run("collect", "a", "r2", "completed", at(12, 1), rows_in=3)
    platform.run("catalog", "a", "r2", "failed", at(12, 1))
    platform.batch("a", "r1", "ba2", at(12, 1), rows_in=10, gate_passed=False, status="failed")
    platform.issue("a", "r1", at(11, 30))
    platform.release("a", "r2", 1, at(12, 1))
    platform.request("a", "b", "r1", at(11, 25), due=at(12, 2, 23))
    platform.call("a", 200, at(12, 1))
    platform.download("b", "r1", at(12, 1))
    platform.catalog("a", [resource("r1")], compiled=at(12, 1))
    platform.department("new", [resource("r1")], created=at(12, 1))
    third = compute_scorecard(platform.engine, PERIOD, config, now=AFTER + dt.timedelta(days=40), compare=False)
    assert dataclasses.replace(third, computed_at=first.computed_at) == first


def test_previous_period_from_the_store_or_recomputed(platform, config):
    busy_platform(platform)
    platform.run("collect", "a", "r1", "completed", at(10, 5), rows_in=1)  # October: a has a run there
    october = compute_scorecard(platform.engine, "2026-10", config, now=AFTER, compare=False)
    november = compute_scorecard(platform.engine, PERIOD, config, now=AFTER)
    a_oct, a_nov = department(october, "a"), department(november, "a")
    assert a_nov.previous_total == a_oct.total and a_nov.previous_rank == a_oct.rank
    assert a_nov.change == float(shown(a_nov.total) - shown(a_oct.total))  # the totals as displayed
    # a stored October wins over recomputing it
    doctored = dataclasses.replace(
        october,
        departments=tuple(dataclasses.replace(d, total=12.3, rank=7) for d in october.departments),
    )
    store.save(platform.engine, doctored)
    again = compute_scorecard(platform.engine, PERIOD, config, now=AFTER)
    assert (department(again, "a").previous_total, department(again, "a").previous_rank) == (12.3, 7)


def test_period_must_be_a_month(platform, config):
    with pytest.raises(ValueError, match="YYYY-MM"):
        compute_scorecard(platform.engine, "2026-13", config)


def test_evidence_beyond_the_limit_is_counted_in_one_line(platform):
    platform.department("a", [resource(f"r{n}", complete=False) for n in range(5)])
    cfg = parse_config({"evidence_limit": 2})
    sc = compute_scorecard(platform.engine, PERIOD, cfg, now=AFTER, compare=False)
    ev = indicator(sc, "a", "metadata_completeness").evidence
    assert len(ev) == 3 and ev[-1].text == "另有 3 条未列出（其中 3 条不达标）"
    assert len(indicator(sc, "a", "metadata_completeness").fixes) == 5  # the fixes are all listed
