"""数据质量 indicators: clean-gate pass rate, row pass rate, issues fixed within 5 working days."""

from __future__ import annotations

import pytest

from gongshu.scorecard.compute import compute_scorecard
from gongshu.scorecard.config import parse_config

from .fixtures import AFTER, PERIOD, at, indicator, resource, texts


def _batches(platform) -> None:
    platform.department("a", [resource("r1"), resource("r2")])
    platform.run("cleanse", "a", "r1", "completed", at(11, 2))
    platform.batch("a", "r1", "b1", at(11, 2), rows_in=100, loaded=90, quarantined=8, merged=2)
    platform.batch("a", "r1", "b2", at(11, 3), rows_in=50, quarantined=10, gate_passed=False, status="failed")
    # b3 failed first, then passed when cleansed again: its last attempt counts
    platform.batch("a", "r2", "b3", at(11, 4), rows_in=40, quarantined=40, gate_passed=False, status="failed")
    platform.batch("a", "r2", "b3", at(11, 5), rows_in=40, loaded=40)
    platform.batch("a", "r2", "b4", at(11, 5), rows_in=30, loaded=30, status="superseded")  # never cleansed
    platform.batch("a", "r2", "b5", at(11, 6), gate_passed=None, status="failed")  # the gate could not run
    platform.batch("a", "r2", "b6", at(12, 1), rows_in=10, gate_passed=False, status="failed")  # December


def test_gate_pass_rate_counts_each_batch_by_its_last_attempt(platform, config):
    _batches(platform)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "gate_pass_rate")
    # evaluated: b1 (passed), b2 (failed), b3 (last attempt passed); b4 superseded, b5 no gate, b6 December
    assert (ind.numerator, ind.denominator) == (2, 3)
    assert ind.value == pytest.approx(66.667, abs=1e-3)
    bad = [e for e in ind.evidence if not e.ok]
    assert {e.kind for e in bad} == {"run", "resource"} and any("b2" in e.text for e in bad)
    assert len(ind.fixes) == 1 and texts(ind.fixes)[0].startswith("资源r1（r1）：1 个批次未通过清洗质量门")


def test_row_pass_rate_counts_rows_that_were_or_would_have_been_loaded(platform, config):
    _batches(platform)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "row_pass_rate")
    # b1: 100 - 8 - 2 = 90; b2 (gate failed, nothing loaded): 50 - 10 = 40; b3 last attempt: 40 of 40
    # (170 good of 190) -> 89.47
    assert (ind.numerator, ind.denominator) == (170, 190)
    assert ind.value == pytest.approx(89.474, abs=1e-3)
    assert any("隔离 18" in e.text and "主键重复合并 2" in e.text for e in ind.evidence)


def test_issue_fix_rate_five_working_days(platform, config):
    platform.department("a", [resource("r1")])
    platform.run("cleanse", "a", "r1", "completed", at(11, 2))
    # first seen Mon 10-26: due end of Mon 11-02 (10-27, 28, 29, 30, 11-02); fixed 10-30: on time
    platform.issue("a", "r1", at(10, 26), fixed_at=at(10, 30))
    # first seen Mon 11-02: due Mon 11-09; fixed Tue 11-10: late
    late = platform.issue("a", "r1", at(11, 2), fixed_at=at(11, 10))
    # first seen Fri 11-20: due Fri 11-27; still open: late
    still_open = platform.issue("a", "r1", at(11, 20))
    # first seen Tue 11-24: due Tue 12-01, outside the period
    platform.issue("a", "r1", at(11, 24))
    # first seen 10-20: due 10-27, in October
    platform.issue("a", "r1", at(10, 20))
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "issue_fix_rate")
    assert (ind.numerator, ind.denominator) == (1, 3)
    assert ind.value == pytest.approx(33.333, abs=1e-3)
    issues = {e.ref: e.text for e in ind.evidence if e.kind == "issue"}
    assert set(issues) == {str(late), str(still_open)}
    assert "应于 11-09 前整改，11-10 整改，超期" in issues[str(late)]
    assert "未整改" in issues[str(still_open)]
    assert texts(ind.fixes) == (
        "资源r1（r1）：2 个数据质量问题未在 5 个工作日内整改（PHONE_FORMAT），按数据质量问题反馈表更正源数据并重新报送",
    )
    assert "5 个工作日" in ind.formula


def test_issue_deadline_skips_the_national_day_holiday(platform, config):
    platform.department("a", [resource("r1")])
    platform.run("cleanse", "a", "r1", "completed", at(10, 9))
    # first seen Tue 09-29, fixed Fri 10-09. With the 2026 notice the deadline is Mon 10-12
    # (09-30, 10-08, 10-09, Saturday 10-10 调休, 10-12): on time. Counting Monday to Friday only it
    # would have been Tue 10-06, in the middle of the holiday: late.
    platform.issue("a", "r1", at(9, 29), fixed_at=at(10, 9))
    with_holidays = compute_scorecard(platform.engine, "2026-10", config, now=AFTER, compare=False)
    assert indicator(with_holidays, "a", "issue_fix_rate").value == 100.0
    weekdays_only = compute_scorecard(platform.engine, "2026-10", parse_config({}), now=AFTER, compare=False)
    assert indicator(weekdays_only, "a", "issue_fix_rate").value == 0.0
