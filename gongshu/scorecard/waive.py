"""What an accepted 申诉 (appeal) does to an indicator: the appealed evidence item is removed.

"Removed" means, precisely, for an item that counted against the department (``ok`` False and not
charged in another indicator):

* it leaves the indicator's evidence list (the page no longer shows it);
* the indicator counts it as met: one unit more in the numerator, the denominator unchanged, the
  score numerator ÷ denominator × 100 again (so the department neither loses the unit nor gains a
  free 不适用);
* the department's total is weighted again and every department ranked again (compute.py);
* when nothing is left against the department in that indicator, its 整改清单 items go too (a 整改
  item names the resource, not the evidence, so one that still has other failing items stays).

One item is one unit only where the indicator counts the things its evidence names one by one,
listed in :data:`UNITS` (indicator code → evidence kinds). Several items with the same reference
(two failed batches of one run) are each one unit. Other evidence is not a unit and is refused at
filing: a resource's summary line over several issues or windows, the rows of 数据合格率, the
completeness percentages of 元数据完整度, the windows of the two 及时率 indicators. An item that
counted for the department, or one charged in another indicator (one fault, one deduction), has
nothing to take back here either.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from .model import Evidence, IndicatorScore

UNITS: dict[str, frozenset[str]] = {
    "catalog_validity": frozenset({"run"}),  # a 目录条目 that failed to compile
    "collection_rate": frozenset({"run", "resource"}),  # a resource not collected in the period
    "gate_pass_rate": frozenset({"run"}),  # a batch that failed the clean gate
    "issue_fix_rate": frozenset({"issue"}),  # an issue not fixed in time
    "share_degree": frozenset({"resource"}),  # a resource declared 不予共享
    "request_timeliness": frozenset({"request"}),  # a share request answered late
    "open_rate": frozenset({"resource"}),  # an openable resource not opened
}
_EPS = 1e-6


def against(score: IndicatorScore, ref: str) -> list[Evidence]:
    """The items of ``score`` with reference ``ref`` that cost the department a unit."""
    kinds = UNITS.get(score.code, frozenset())
    return [e for e in score.evidence if e.ref == ref and not e.ok and e.charged_in is None and e.kind in kinds]


def _plain_ratio(score: IndicatorScore) -> bool:
    num, den, value = score.numerator, score.denominator, score.value
    return bool(den) and num is not None and value is not None and abs(value - 100.0 * num / den) < _EPS  # type: ignore[operator]


def refusal(score: IndicatorScore | None, ref: str) -> str | None:
    """Why evidence ``ref`` of ``score`` cannot be appealed (English, for the CLI and the API), or None."""
    if score is None:
        return "the department has no such indicator in this scorecard"
    items = [e for e in score.evidence if e.ref == ref]
    if not items:
        return f"indicator {score.code} has no evidence item {ref!r} for this department"
    if score.code not in UNITS or not _plain_ratio(score):
        return f"indicator {score.code} does not count its evidence item by item; it cannot be appealed item by item"
    if all(e.charged_in for e in items if not e.ok) and any(not e.ok for e in items):
        charged = next(e.charged_in for e in items if e.charged_in)
        return f"evidence {ref!r} is charged in indicator {charged}, not here: appeal it there"
    if not against(score, ref):
        if all(e.ok for e in items):
            return f"evidence {ref!r} counted for the department; there is nothing to appeal"
        return f"evidence {ref!r} of {score.code} summarises several items; appeal one of them"
    return None


def waive(score: IndicatorScore, refs: Collection[str]) -> IndicatorScore:
    """``score`` with the items of ``refs`` removed and counted as met (see the module's doc)."""
    removed = [e for ref in refs for e in against(score, ref)]
    if not removed or not _plain_ratio(score):
        return score
    assert score.numerator is not None and score.denominator is not None  # a plain ratio
    numerator = min(score.numerator + len(removed), score.denominator)
    evidence = tuple(e for e in score.evidence if e not in removed)
    still = any(not e.ok and e.charged_in is None for e in evidence)
    return replace(
        score,
        numerator=numerator,
        value=100.0 * numerator / score.denominator,
        evidence=evidence,
        fixes=score.fixes if still else (),  # nothing left against the department: nothing to fix
    )
