"""数据质量 indicators: clean-gate pass rate, row pass rate, issues fixed within 5 working days."""

from __future__ import annotations

import datetime as dt

import pytest

from gongshu.scorecard.compute import compute_scorecard
from gongshu.scorecard.config import parse_config

from .fixtures import AFTER, PERIOD, at, indicator, resource


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
    assert {e.kind for e in bad} == {"run", "resource"}
    (stopped,) = [e for e in bad if e.kind == "run"]
    assert stopped.text == (
        "资源r1 11-03 清洗的批次：清洗质量门未通过：50 行中有 10 行（20.0%）因数据问题被隔离，"
        "超过目录允许的 5.0%；主要问题：电话号码无效（PHONE_INVALID）"
    )
    (fix,) = ind.fixes
    assert fix.text.startswith("资源r1（r1）：1 个批次未通过清洗质量门")
    # 整改期限: 5 working days after the period's last day (Mon 11-30): Mon 12-07; where: the period's 反馈表
    assert fix.deadline == dt.date(2026, 12, 7)
    assert fix.where == "数据质量问题反馈表 a-2026-11.xlsx「问题明细」表，资源「资源r1」"


def test_row_pass_rate_counts_rows_that_were_or_would_have_been_loaded(platform, config):
    _batches(platform)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "row_pass_rate")
    # b1: 100 - 8 - 2 = 90; b3 last attempt: 40 of 40. b2 was stopped by the clean gate: charged once, in
    # 质量门通过率, so its 50 rows (10 quarantined) are left out here. (130 good of 140) -> 92.86
    assert (ind.numerator, ind.denominator) == (130, 140)
    assert ind.value == pytest.approx(92.857, abs=1e-3)
    assert any("隔离 8" in e.text and "主键重复合并 2" in e.text for e in ind.evidence)
    (charged,) = [e for e in ind.evidence if e.charged_in]
    assert charged.charged_in == "gate_pass_rate" and "1 个批次（50 行）被清洗质量门拦截" in charged.text


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
    # first seen 10-20: due 10-27, in October, still open: 逾期未办结, it counts in November too
    backlog = platform.issue("a", "r1", at(10, 20))
    # first seen 10-19: due 10-26, fixed late on 10-30: counted in October, never after
    platform.issue("a", "r1", at(10, 19), fixed_at=at(10, 30))
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    ind = indicator(sc, "a", "issue_fix_rate")
    assert (ind.numerator, ind.denominator) == (1, 4)
    assert ind.value == pytest.approx(25.0)
    issues = {e.ref: e.text for e in ind.evidence if e.kind == "issue"}
    assert set(issues) == {str(late), str(still_open), str(backlog)}
    assert issues[str(late)].endswith("应于 11-09 前整改，11-10 整改，超期")
    assert "「phone」电话号码写法不规范（PHONE_FORMAT）：11-20 发现，" in issues[str(still_open)]
    assert issues[str(still_open)].endswith("应于 11-27 前整改，逾期未办结（自 11-27 起）")
    assert issues[str(backlog)].endswith("应于 10-27 前整改，逾期未办结（自 10-27 起）")
    (fix,) = ind.fixes
    assert fix.text == (
        "资源r1（r1）：3 个数据质量问题未在 5 个工作日内整改（其中 2 个仍未整改；电话号码写法不规范（PHONE_FORMAT）），"
        "按数据质量问题反馈表更正源数据并重新报送"
    )
    assert fix.deadline == dt.date(2026, 10, 27)  # the earliest 整改期限 among them, as the 反馈表 gives it
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
