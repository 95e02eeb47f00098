"""Totals, ranks, 红榜 and 黑榜.

A total is the weighted mean of the applicable indicators: an indicator that is 不适用 gives its
weight to the others in proportion, so a department is judged on what was due, never given a free
100 nor an unfair 0. Departments are compared on their totals as shown, to one decimal rounded
half up: 85.04 and 84.95 both show 85.0 and share a rank (ranks 1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from .config import RankingConfig
from .model import DepartmentScore, IndicatorScore

TENTH = Decimal("0.1")


def shown(value: float | None) -> Decimal | None:
    """The value as printed: one decimal, rounded half up (85.05 -> 85.1)."""
    if value is None:
        return None
    return _tenths(value)


def _tenths(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(TENTH, rounding=ROUND_HALF_UP)


def weighted_total(indicators: Iterable[IndicatorScore]) -> float | None:
    """Σ weight × value ÷ Σ weight over the applicable indicators; None when none applies."""
    applicable = [(i.weight, i.value) for i in indicators if i.value is not None and i.weight > 0]
    weight = sum(w for w, _ in applicable)
    if not weight:
        return None
    return sum(w * v for w, v in applicable) / weight


def effective_weight(indicator: IndicatorScore, indicators: Sequence[IndicatorScore]) -> float | None:
    """The points the indicator carries after 不适用 re-weighting (None: it is 不适用 itself)."""
    if indicator.value is None:
        return None
    applicable = sum(i.weight for i in indicators if i.value is not None)
    configured = sum(i.weight for i in indicators)
    return indicator.weight * configured / applicable if applicable else None


def rank(scores: Iterable[DepartmentScore], config: RankingConfig) -> tuple[DepartmentScore, ...]:
    """The departments in rank order with ``rank``, ``red`` and ``black`` set; those without a total
    unranked, last, by id.

    红榜: ranks 1..``red_top`` (all tied at the boundary), unless below ``black_below``.
    黑榜: the departments with fewer than ``black_bottom`` others strictly below them (the last
    ``black_bottom`` ranks, ties included), and every department below ``black_below``; never one
    on the 红榜 (with few departments the two would overlap)."""
    scores = list(scores)
    totals = sorted(
        ((s, _tenths(s.total)) for s in scores if s.total is not None), key=lambda sv: (-sv[1], sv[0].department)
    )
    unranked = sorted((s for s in scores if s.total is None), key=lambda s: s.department)
    values = [v for _, v in totals]
    threshold = Decimal(repr(config.black_below)) if config.black_below is not None else None
    out = []
    for s, v in totals:
        position = 1 + sum(other > v for other in values)
        below = sum(other < v for other in values)
        low = threshold is not None and v < threshold
        red = position <= config.red_top and not low
        black = not red and (below < config.black_bottom or low)
        out.append(replace(s, rank=position, red=red, black=black))
    out.extend(replace(s, rank=None, red=False, black=False) for s in unranked)
    return tuple(out)
