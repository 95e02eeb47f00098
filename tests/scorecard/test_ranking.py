"""Totals with 不适用 re-weighting, ranks with ties to one decimal, 红榜 and 黑榜."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gongshu.scorecard.config import RankingConfig
from gongshu.scorecard.model import DepartmentScore, IndicatorScore
from gongshu.scorecard.ranking import effective_weight, rank, shown, weighted_total


def ind(code: str, weight: float, value: float | None) -> IndicatorScore:
    return IndicatorScore(code, "维度", code, "公式", weight, None, None, value)


def dept(key: str, total: float | None) -> DepartmentScore:
    return DepartmentScore(key, f"{key}局", total, None, ())


def test_not_applicable_gives_its_weight_to_the_others():
    indicators = [ind("a", 10, 80), ind("b", 10, None), ind("c", 20, 50)]
    # (10 × 80 + 20 × 50) / (10 + 20) = 1800 / 30 = 60; b neither 100 (→ 65) nor 0 (→ 45)
    assert weighted_total(indicators) == pytest.approx(60)
    assert effective_weight(indicators[0], indicators) == pytest.approx(10 * 40 / 30)
    assert effective_weight(indicators[1], indicators) is None
    assert weighted_total([ind("a", 10, None)]) is None


def test_shown_rounds_half_up_to_one_decimal():
    assert shown(85.05) == Decimal("85.1")
    assert shown(84.95) == Decimal("85.0")
    assert shown(None) is None


def test_ties_share_a_rank_and_unranked_come_last():
    scores = [dept("d", 80.0), dept("z", None), dept("b", 89.96), dept("a", 90.04), dept("c", 70.0), dept("y", None)]
    ranked = rank(scores, RankingConfig(red_top=1, black_bottom=1, black_below=None))
    # a and b both show 90.0: rank 1, 1, then 3, 4; z and y unranked, by id
    assert [(d.department, d.rank) for d in ranked] == [
        ("a", 1), ("b", 1), ("d", 3), ("c", 4), ("y", None), ("z", None)
    ]  # fmt: skip
    assert [d.department for d in ranked if d.red] == ["a", "b"]  # ties at the boundary included
    assert [d.department for d in ranked if d.black] == ["c"]
    assert not any(d.red or d.black for d in ranked if d.rank is None)


def test_black_list_by_threshold_and_bottom_ties():
    scores = [dept("a", 95.0), dept("b", 70.0), dept("c", 59.9), dept("d", 59.9)]
    ranked = {d.department: d for d in rank(scores, RankingConfig(red_top=1, black_bottom=1, black_below=60))}
    assert ranked["a"].red and not ranked["a"].black
    assert ranked["c"].black and ranked["d"].black and ranked["c"].rank == ranked["d"].rank == 3
    assert not ranked["b"].black and not ranked["b"].red
    # below the threshold: never on the 红榜, even when first
    (only,) = rank([dept("a", 40.0)], RankingConfig(red_top=3, black_bottom=0, black_below=60))
    assert only.black and not only.red


def test_few_departments_are_not_on_both_lists():
    ranked = rank([dept("a", 90.0), dept("b", 80.0)], RankingConfig(red_top=3, black_bottom=3, black_below=None))
    assert [(d.red, d.black) for d in ranked] == [(True, False), (True, False)]
