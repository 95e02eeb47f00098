"""申诉 (issue 16): an accepted appeal re-issues the month as version 2 with the appealed item gone and
counted as met, everyone ranked again, the reason shown and version 1 still loadable; a rejected one
changes nothing but is kept; a late appeal, an unknown item, a provisional month, an item that did
not cost a unit and the same item twice are refused."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from openpyxl import load_workbook

from gongshu.scorecard import store
from gongshu.scorecard.appeals import AppealError, decide, file_appeal, list_appeals
from gongshu.scorecard.stage import prepare, publish, render
from gongshu.scorecard.waive import waive

from .fixtures import AFTER, PERIOD, at, department, indicator
from .test_compute import busy_platform

SH = dt.timezone(dt.timedelta(hours=8))
IN_WINDOW = dt.datetime(2026, 12, 14, 10, tzinfo=SH)


@pytest.fixture
def issued(platform, config, tmp_path):
    """2026-11 issued as version 1 on 2026-12-10; request #1 answered late by department a."""
    busy_platform(platform)
    publish(platform.engine, prepare(platform.engine, PERIOD, config, now=AFTER), tmp_path / PERIOD)
    return store.load(platform.engine, PERIOD)


def late_request(card) -> str:
    (item,) = [e for e in indicator(card, "a", "request_timeliness").evidence if not e.ok]
    return item.ref


def appeal(platform, config, ref: str, *, now=IN_WINDOW, code="request_timeliness", dept="a"):
    return file_appeal(
        platform.engine, config, period=PERIOD, department=dept, indicator=code, evidence_ref=ref,
        reason="申请人 11-09 已电话撤回，系统未登记", by="test", now=now,
    )  # fmt: skip


def test_an_accepted_appeal_reissues_the_month_as_version_2_and_keeps_version_1(platform, config, issued, tmp_path):
    ref = late_request(issued)
    before = department(issued, "a")
    assert indicator(issued, "a", "request_timeliness").value == 0.0
    filed = appeal(platform, config, ref)
    assert (filed.status, filed.version_filed) == ("pending", 1)

    decision = decide(platform.engine, config, filed.id, accept=True, reason="核实属实", now=IN_WINDOW)
    assert decision.appeal.status == "accepted" and decision.appeal.version_issued == 2
    v2 = store.load(platform.engine, PERIOD)
    assert v2.version == 2 and decision.card == v2
    assert [r.version for r in v2.revisions] == [1, 2]
    assert v2.revisions[-1].reason == f"申诉 #{filed.id} 成立：核实属实"
    timely = indicator(v2, "a", "request_timeliness")
    assert ref not in [e.ref for e in timely.evidence]  # the appealed item is gone ...
    assert (timely.numerator, timely.denominator, timely.value) == (1, 1, 100.0)  # ... and counted as met
    assert indicator(issued, "a", "request_timeliness").fixes and not timely.fixes  # nothing left to fix
    after = department(v2, "a")
    assert after.total > before.total  # the total weighted again ...
    ranked = sorted(["a", "b"], key=lambda k: -department(v2, k).total)
    assert [(d.department, d.rank) for d in v2.departments] == [(ranked[0], 1), (ranked[1], 2), ("z", None)]
    # every other figure is the one version 1 had: recomputed as of version 1's moment
    same = [i for i in after.indicators if i.code != "request_timeliness"]
    assert same == [i for i in before.indicators if i.code != "request_timeliness"]
    assert department(v2, "b").indicators == department(issued, "b").indicators

    v1 = store.load(platform.engine, PERIOD, version=1)
    assert v1.version == 1 and ref in [e.ref for e in indicator(v1, "a", "request_timeliness").evidence]
    assert department(v1, "a").total == before.total
    trend = store.history(platform.engine, "a")
    assert [p for p, _ in trend] == [PERIOD] and trend[-1][1].total == after.total  # trends: the latest version

    published = render(platform.engine, v2, tmp_path / "v2")
    page = (published.site.parent / "departments" / "a.html").read_text(encoding="utf-8")
    assert "<h2>申诉</h2>" in page and f"#{filed.id}" in page and "成立" in page and "核实属实" in page
    assert "本版为第 2 版" in page and f"申诉 #{filed.id} 成立：核实属实" in page
    sheet = load_workbook(published.workbook)["申诉"]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert f"#{filed.id}" in cells and "成立" in cells and "核实属实" in cells


def test_a_rejected_appeal_changes_nothing_but_is_kept(platform, config, issued):
    filed = appeal(platform, config, late_request(issued))
    decision = decide(platform.engine, config, filed.id, accept=False, reason="逾期事实清楚", now=IN_WINDOW)
    assert decision.card is None and decision.appeal.status == "rejected"
    card = store.load(platform.engine, PERIOD)
    assert card.version == 1
    assert dataclasses.replace(card, departments=()) == dataclasses.replace(issued, departments=())
    assert [i for d in card.departments for i in d.indicators] == [i for d in issued.departments for i in d.indicators]
    (kept,) = list_appeals(platform.engine, PERIOD)
    assert (kept.status, kept.decision, kept.version_issued) == ("rejected", "逾期事实清楚", None)
    assert department(card, "a").appeals[0].status == "rejected"  # shown on the page
    with pytest.raises(AppealError, match="already decided"):
        decide(platform.engine, config, filed.id, accept=True, reason="改判", now=IN_WINDOW)


def test_a_late_appeal_is_refused(platform, config, issued):
    ref = late_request(issued)
    # version 1 issued on Thursday 12-10: 10 working days run to Thursday 12-24
    appeal(platform, config, ref, now=dt.datetime(2026, 12, 24, 23, 0, tzinfo=SH)).id  # noqa: B018
    with pytest.raises(AppealError, match="too late") as refused:
        appeal(platform, config, "…", now=dt.datetime(2026, 12, 25, 9, 0, tzinfo=SH))
    assert refused.value.kind == "late" and "2026-12-24" in str(refused.value)


@pytest.mark.parametrize(
    "period_ref, code, kind, message",
    [
        ("nosuch", "request_timeliness", "not_found", "no evidence item"),
        ("a.r1", "share_degree", "invalid", "counted for the department"),
        ("a.r1", "row_pass_rate", "invalid", "item by item"),
    ],
)
def test_appeals_of_what_cannot_be_appealed_are_refused(platform, config, issued, period_ref, code, kind, message):
    with pytest.raises(AppealError, match=message) as refused:
        appeal(platform, config, period_ref, code=code)
    assert refused.value.kind == kind
    assert list_appeals(platform.engine) == []


def test_the_same_item_twice_and_a_provisional_month_are_refused(platform, config, issued):
    ref = late_request(issued)
    first = appeal(platform, config, ref)
    with pytest.raises(AppealError, match=f"already appealed as #{first.id}") as refused:
        appeal(platform, config, ref)
    assert refused.value.kind == "conflict"
    with pytest.raises(AppealError, match="not published yet"):
        file_appeal(
            platform.engine, config, period="2026-12", department="a", indicator="request_timeliness",
            evidence_ref=ref, reason="x", now=IN_WINDOW,
        )  # fmt: skip


def test_waiving_counts_each_unit_item_as_met_and_leaves_other_items(platform, config, issued):
    """Two failed batches of one run are two units; an item that cost nothing changes nothing."""
    platform.run("collect", "a", "r1", "completed", at(11, 20), rows_in=5)
    gate = indicator(issued, "a", "collection_rate")
    assert waive(gate, {"nosuch"}) == gate
    bad = [e for e in gate.evidence if not e.ok]
    assert bad, "department a's r2 failed to collect"
    waived = waive(gate, {bad[0].ref})
    assert waived.numerator == gate.numerator + len([e for e in bad if e.ref == bad[0].ref])
    assert waived.value == 100.0 * waived.numerator / waived.denominator
    assert bad[0] not in waived.evidence and all(e in gate.evidence for e in waived.evidence)
