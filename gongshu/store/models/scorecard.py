"""The monthly scorecard (考核晾晒) as computed, one row per department and period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Scorecard(Base):
    """One department's scorecard for one period (考核晾晒): the total and rank for queries, the whole
    :class:`gongshu.scorecard.model.DepartmentScore` (indicators, evidence, fixes) as ``payload``.
    A period is recomputed whole: its rows are replaced together."""

    __tablename__ = "scorecard"
    __table_args__ = (
        UniqueConstraint("period", "department"),
        Index("ix_scorecard_department", "department", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    """YYYY-MM."""
    department: Mapped[str] = mapped_column(String(48))
    total: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column()
    config_hash: Mapped[str] = mapped_column(String(80))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    """Computed from demo data (示例数据)."""
    computed_at: Mapped[dt.datetime] = mapped_column()
