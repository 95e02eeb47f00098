"""The monthly scorecard (考核晾晒): every issued version of a period, one row per department, the
period's versions themselves (when and why each was issued, and the 示例数据 flag) and the 申诉
(appeals) departments file against a version's evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Scorecard(Base):
    """One department's scorecard for one version of one period (考核晾晒): the total and rank for
    queries, the whole :class:`gongshu.scorecard.model.DepartmentScore` (indicators, evidence, fixes)
    as ``payload``.

    Versions are rows, not replacements: a closed month is issued once as version 1 and an accepted
    申诉 issues version 2, 3, … beside it. A ``version`` column (rather than a second table holding
    old payloads) keeps every version in the one shape the readers already query, keeps the rows
    stored before versions existed readable as version 1, and makes "the latest version" one
    ``max(version)`` away."""

    __tablename__ = "scorecard"
    __table_args__ = (
        UniqueConstraint("period", "version", "department"),
        Index("ix_scorecard_department", "department", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    """YYYY-MM."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    department: Mapped[str] = mapped_column(String(48))
    total: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column()
    config_hash: Mapped[str] = mapped_column(String(80))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    """Computed from demo data (示例数据)."""
    computed_at: Mapped[dt.datetime] = mapped_column()


class ScorecardVersion(Base):
    """One issued version of a period's scorecard: when, why (the 申诉 that re-issued it) and whether
    the period is demo data. The 示例数据 flag is the period's, kept here so that no re-render or
    re-issue can drop it."""

    __tablename__ = "scorecard_version"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    issued_at: Mapped[dt.datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    """Why this version replaced the one before (Chinese); None for version 1."""
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    platform: Mapped[dict[str, Any] | None] = mapped_column()
    """平台运行 as the version was computed: ``{"ran": bool, "gaps": [{stage, window, resources,
    departments}, …]}`` (None for versions stored before it was kept: read as ran, no gaps)."""


class ScorecardAppeal(Base):
    """A 申诉: a department disputes one evidence item of a published month; the administrator
    accepts or rejects it with a reason. Every appeal and decision is kept; none is ever deleted."""

    __tablename__ = "scorecard_appeal"
    __table_args__ = (Index("ix_scorecard_appeal_period", "period", "department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    department: Mapped[str] = mapped_column(String(48))
    indicator: Mapped[str] = mapped_column(String(48))
    evidence_ref: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    """pending, accepted or rejected."""
    decision: Mapped[str | None] = mapped_column(Text)
    """The administrator's reason."""
    filed_at: Mapped[dt.datetime] = mapped_column()
    filed_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    version_filed: Mapped[int] = mapped_column(Integer)
    """The version whose evidence the appeal disputes."""
    version_issued: Mapped[int | None] = mapped_column(Integer)
    """The version an accepted appeal issued."""
