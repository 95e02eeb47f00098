"""逾期未办结: a request or an issue past its deadline counts against its department in every month
while it stays open, until the month it is answered or fixed, and never after."""

from __future__ import annotations

from gongshu.scorecard.compute import compute_scorecard

from .fixtures import AFTER, at, indicator, resource


def test_overdue_request_and_issue_count_every_month_until_closed(platform, config):
    platform.department("a", [resource("r1", share="有条件共享")], name="卫健委", compiled=at(8, 3))
    platform.department("b", [resource("x")], name="人社局", compiled=at(8, 3))
    # requested 09-03, due 09-10, answered only on 11-16
    request = platform.request("a", "b", "r1", at(9, 3), due=at(9, 10, 23), decided=at(11, 16))
    # first seen Thu 09-03: due Thu 09-10; fixed on 11-18
    issue = platform.issue("a", "r1", at(9, 3), fixed_at=at(11, 18))
    for month in (9, 10, 11, 12):  # the platform cleansed something every month
        platform.run("cleanse", "a", "r1", "completed", at(month, 1 if month != 10 else 9))
    now = AFTER.replace(year=2027, month=1, day=15)
    months = {p: compute_scorecard(platform.engine, p, config, now=now, compare=False) for p in
              ("2026-09", "2026-10", "2026-11", "2026-12")}  # fmt: skip

    def counted(period: str, code: str) -> tuple[float | None, float | None, list[str]]:
        ind = indicator(months[period], "a", code)
        refs = [e.ref for e in ind.evidence if e.kind in ("request", "issue")]
        return ind.numerator, ind.denominator, refs

    # September: fell due, not answered / not fixed
    assert counted("2026-09", "request_timeliness") == (0, 1, [str(request)])
    assert counted("2026-09", "issue_fix_rate") == (0, 1, [str(issue)])
    # October: still open at the month's start: 逾期未办结, against the department again
    assert counted("2026-10", "request_timeliness") == (0, 1, [str(request)])
    assert counted("2026-10", "issue_fix_rate") == (0, 1, [str(issue)])
    october = indicator(months["2026-10"], "a", "request_timeliness").evidence[0].text
    assert october.endswith("应于 09-10 前答复）：逾期未办结（自 09-10 起）")
    issue_text = next(e.text for e in indicator(months["2026-10"], "a", "issue_fix_rate").evidence if e.kind == "issue")
    assert issue_text.endswith("应于 09-10 前整改，逾期未办结（自 09-10 起）")
    # November: answered / fixed late in the month: counted once more, as late
    assert counted("2026-11", "request_timeliness") == (0, 1, [str(request)])
    assert counted("2026-11", "issue_fix_rate") == (0, 1, [str(issue)])
    assert indicator(months["2026-11"], "a", "request_timeliness").evidence[0].text.endswith("11-16 答复，超期")
    # December: closed, never counted again (nothing else due: 不适用, not a free 100 nor a 0)
    assert indicator(months["2026-12"], "a", "request_timeliness").value is None
    assert indicator(months["2026-12"], "a", "issue_fix_rate").value is None


def test_a_past_month_does_not_see_a_later_answer(platform, config):
    """Recomputing October after the answer came in November gives October's figures as they were."""
    platform.department("a", [resource("r1", share="有条件共享")], compiled=at(8, 3))
    platform.department("b", [resource("x")], compiled=at(8, 3))
    platform.request("a", "b", "r1", at(9, 3), due=at(9, 10, 23), decided=at(11, 16))
    before = compute_scorecard(platform.engine, "2026-10", config, now=at(11, 2), compare=False)
    after = compute_scorecard(platform.engine, "2026-10", config, now=AFTER, compare=False)
    assert indicator(before, "a", "request_timeliness") == indicator(after, "a", "request_timeliness")
    assert indicator(after, "a", "request_timeliness").evidence[0].text.endswith("逾期未办结（自 09-10 起）")
