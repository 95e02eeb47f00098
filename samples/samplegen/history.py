"""The demo's history: how each sample department's sources change from one monthly period to the next.

Every period keeps the same records (the clean rows of the base seed) and places its faults anew
(seeded by the period). A department's :class:`Course` says, per step (the period's position in
the history, 0 first), how many rejecting faults, warnings and duplicates its sources carry
(``scale``, relative to the committed samples), which share of them it corrects in a resubmission
a few working days later (``corrected``; none: it does not resubmit), and which of its sources are
missing. A step past the end of a tuple repeats its last value.

- improving (scjgj, wjw, slj): fewer faults each month, and a growing share of them corrected;
- worsening (zhzfj, hyj): more faults each month, never corrected; zhzfj's complaints export is
  missing in the third period, and hyj's fault rate pushes its sources past the clean gate;
- steady (rsj, qxj, jtysj): the committed mix every month, not corrected.

Only the improving departments resubmit: each resubmission is one more collect + cleanse of their
resources in the demo, so the history stays short.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IMPROVING, WORSENING, STEADY = "improving", "worsening", "steady"


@dataclass(frozen=True)
class Course:
    trend: str
    scale: tuple[float, ...] = (1.0,)
    corrected: tuple[float, ...] = (0.0,)
    missing: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """Step -> resources whose source file is not delivered that period."""

    def scale_at(self, step: int) -> float:
        return self.scale[min(step, len(self.scale) - 1)]

    def corrected_at(self, step: int) -> float:
        return self.corrected[min(step, len(self.corrected) - 1)]

    def missing_at(self, step: int) -> tuple[str, ...]:
        return self.missing.get(step, ())


COURSES: dict[str, Course] = {
    "scjgj": Course(IMPROVING, scale=(1.6, 0.9, 0.4), corrected=(0.3, 0.7, 1.0)),
    "wjw": Course(IMPROVING, scale=(1.8, 1.0, 0.5), corrected=(0.2, 0.6, 1.0)),
    "slj": Course(IMPROVING, scale=(1.5, 1.0, 0.6), corrected=(0.0, 0.5, 0.9)),
    "zhzfj": Course(WORSENING, scale=(0.7, 1.3, 1.8), missing={2: ("citizen_complaints",)}),
    "hyj": Course(WORSENING, scale=(0.8, 1.6, 2.6)),
    "rsj": Course(STEADY),
    "qxj": Course(STEADY),
    "jtysj": Course(STEADY),
}
RESUBMITTED = "resubmitted"
"""The folder, inside a period's, of the departments' corrected sources."""


def course(department: str) -> Course:
    return COURSES.get(department, Course(STEADY))


def parse_periods(text: str) -> list[str]:
    """``2026-08..2026-10`` (inclusive) or ``2026-08,2026-09``: the months, in order."""
    text = text.strip()
    if ".." in text:
        first, last = (p.strip() for p in text.split("..", 1))
        months = []
        year, month = _month(first)
        end = _month(last)
        if end < (year, month):
            raise ValueError(f"{text!r}: {last} is before {first}")
        while (year, month) <= end:
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months
    months = [p.strip() for p in text.split(",") if p.strip()]
    for p in months:
        _month(p)
    if months != sorted(set(months)):
        raise ValueError(f"{text!r}: periods must be distinct and in order")
    return months


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in text.split("-"))
    except ValueError:
        raise ValueError(f"{text!r} is not a month YYYY-MM") from None
    if not 1 <= month <= 12 or len(text) != 7:
        raise ValueError(f"{text!r} is not a month YYYY-MM")
    return year, month
