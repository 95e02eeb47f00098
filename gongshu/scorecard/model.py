"""What a scorecard holds (考核晾晒): the contract between the indicators that compute it, the store
that keeps it (``scorecard`` table) and the outputs that render it (HTML site, workbook, Prefect
artifacts). Plain frozen dataclasses: a scorecard is computed once per period from the logs and
then only read.

Scores are 0–100 with one decimal, rounded half up only when shown; ``value`` is None where the
department had nothing due on the indicator (不适用): the indicator's weight then goes to the
department's other indicators in proportion, never a free 100 nor an unfair 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal


def _shown(value: float) -> Decimal:
    """A score as printed: one decimal, half up through its shortest repr (ranking.shown's rule)."""
    return Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


EvidenceKind = Literal["resource", "run", "issue", "request", "release", "catalog"]
AppealStatus = Literal["pending", "accepted", "rejected"]


@dataclass(frozen=True)
class Evidence:
    """One fact behind an indicator: a resource, run, issue, request or release, and whether it
    counted for (``ok``) or against the department."""

    kind: EvidenceKind
    ref: str
    """Its identity as the platform knows it: ``dept.resource``, a run id, an issue or request id."""
    text: str
    """What happened, in Chinese, for the department page (e.g. 「企业登记信息 2026-11-03 归集成功」)."""
    ok: bool
    at: dt.datetime | None = None
    charged_in: str | None = None
    """One fault, one deduction: the fact's root cause is charged in another indicator (its code);
    shown here as evidence marked 已扣分, never deducted again. None: this indicator charges it."""


@dataclass(frozen=True)
class Fix:
    """One 整改清单 item: what to do (Chinese), by when, and where the department sees the problem."""

    text: str
    deadline: dt.date | None = None
    """整改期限: the last day (Asia/Shanghai) to fix it, counted in working days on the holiday calendar."""
    where: str | None = None
    """The 反馈表 file, sheet and row, or the evidence that shows it (Chinese, no server path)."""


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    """Stable id, e.g. ``metadata_completeness``; the scorecard.yaml keys."""
    dimension: str
    """维度, e.g. 目录编制."""
    name: str
    """指标, e.g. 元数据完整度."""
    formula: str
    """How it is computed, in Chinese, printed on the scorecard (e.g. 「按时归集次数 ÷ 应归集次数 × 100」)."""
    weight: float
    """The configured weight (points of the total) before any 不适用 re-weighting."""
    numerator: float | None
    denominator: float | None
    value: float | None
    """0–100, or None: 不适用 (nothing due in the period)."""
    evidence: tuple[Evidence, ...] = ()
    fixes: tuple[Fix, ...] = ()
    """整改清单 items, concrete and in Chinese (which resource, what to do, by when, where to look)."""

    @property
    def applicable(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class AppealNote:
    """A 申诉 as the department's page shows it: which evidence item, why, and the decision."""

    id: int
    indicator: str
    """The indicator's code."""
    evidence_ref: str
    reason: str
    status: AppealStatus
    decision: str | None = None
    """The administrator's reason (Chinese)."""
    filed_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None


@dataclass(frozen=True)
class DepartmentScore:
    department: str
    name: str
    total: float | None
    """Weighted over the applicable indicators; None when none applies (no resources, nothing due)."""
    rank: int | None
    """1 = best; departments with equal totals (to one decimal) share a rank (1, 2, 2, 4)."""
    indicators: tuple[IndicatorScore, ...]
    previous_total: float | None = None
    previous_rank: int | None = None
    usage: dict[str, int] = field(default_factory=dict)
    """Counts shown beside the score: share_calls (API calls served), downloads, apps (approved 开放应用 on
    its data); the 数据利用 indicators score use per resource (``indicators_use``)."""
    red: bool = False
    """红榜."""
    black: bool = False
    """黑榜."""
    note: str | None = None
    """Why the department has no total, in Chinese (e.g. 「未登记数据资源，不参与排名」); None otherwise."""
    appeals: tuple[AppealNote, ...] = ()
    """申诉 about this department's evidence in this period's versions, every one kept with its decision."""

    @property
    def change(self) -> float | None:
        """Points against the previous period (positive: improved): the difference of the two totals
        as shown, one decimal half up (81.44 − 78.15 is 81.4 − 78.2 = 3.2, not 3.3), so that 较上期 is
        the subtraction a reader does."""
        if self.total is None or self.previous_total is None:
            return None
        return float(_shown(self.total) - _shown(self.previous_total))


@dataclass(frozen=True)
class Scorecard:
    period: str
    """YYYY-MM."""
    starts: dt.date
    ends: dt.date
    """Inclusive bounds of the period (Asia/Shanghai calendar days)."""
    computed_at: dt.datetime
    departments: tuple[DepartmentScore, ...]
    """In rank order; departments without a total last, by id."""
    config_hash: str
    """SHA-256 of the scorecard configuration used: a recomputation with another weighting shows."""
    sample: bool = False
    """Computed from demo data: every output says 示例数据. Stored with the period: a recompute keeps it."""
    provisional: bool = False
    """暂定: the month is still in progress; every output says so and it is never stored as the result."""
    version: int = 1
    """A closed month is stored once as version 1; an accepted 申诉 re-issues it as the next version."""
    revisions: tuple[Revision, ...] = ()
    """Every version of the period issued so far, oldest first (this one last), with why it was re-issued."""
    platform: tuple[PlatformGap, ...] = ()
    """平台运行: due windows the platform itself never attempted (charged to no department)."""
    platform_ran: bool = True
    """False when the platform ran nothing that was due in the period: no month of 100s, no ranking."""


@dataclass(frozen=True)
class Revision:
    version: int
    issued_at: dt.datetime
    reason: str | None = None
    """Why this version replaced the one before (Chinese; e.g. 「申诉 #3 成立：…」); None for version 1."""


@dataclass(frozen=True)
class PlatformGap:
    """A due window in which the platform did not run a stage for some resources: the administrator's
    to answer for, not the departments'."""

    stage: str
    """collect, open, …"""
    window: str
    """The window's label as the scorecard prints it (11-03, 11-02～11-08, 2026年11月)."""
    resources: int
    """How many due resources the platform did not attempt in it."""
    departments: tuple[str, ...] = ()
