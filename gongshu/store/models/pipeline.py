"""What the pipeline records as it runs: run logs and stage claims, collect and cleanse batches,
quality results and issues, and the state of each department's feedback workbook."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class RunLog(Base):
    """One row per resource × stage × run (resource empty for department-level outcomes such as a
    catalog file that failed to load). Departments and resources are recorded by key, so that a
    failure is logged even when nothing could be registered."""

    __tablename__ = "run_log"
    __table_args__ = (
        Index("ix_run_log_run", "run_id"),
        Index("ix_run_log_dept_stage_started", "department_key", "stage", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(20))
    department_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str | None] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[dt.datetime] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    rows_in: Mapped[int | None] = mapped_column(Integer)
    rows_out: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CollectBatch(Base):
    """One batch appended to a resource's ODS table: stored whole or not at all. The fingerprint
    makes collecting the same content again a no-op; ``high_water`` is where the next incremental
    collection starts, and it is written in the same transaction as the rows."""

    __tablename__ = "collect_batch"
    __table_args__ = (
        UniqueConstraint("department_key", "resource_key", "fingerprint"),
        Index("ix_collect_batch_resource", "department_key", "resource_key", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    department_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    ods_table: Mapped[str] = mapped_column(String(63))
    fingerprint: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer)
    since: Mapped[str | None] = mapped_column(String(64))
    high_water: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column()
    finished_at: Mapped[dt.datetime] = mapped_column()
    notes: Mapped[list[Any]] = mapped_column(default=list)


class QualityResult(Base):
    """One row per check a quality gate evaluated."""

    __tablename__ = "quality_result"
    __table_args__ = (
        Index("ix_quality_result_run", "run_id"),
        Index("ix_quality_result_resource", "department_key", "resource_key", "gate", "evaluated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    department_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    gate: Mapped[str] = mapped_column(String(10))
    """raw (collect), clean (cleanse), publish (open)."""
    batch_id: Mapped[str | None] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(40))
    expectation: Mapped[str] = mapped_column(String(80))
    column: Mapped[str | None] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    success: Mapped[bool] = mapped_column(Boolean)
    unexpected_count: Mapped[int | None] = mapped_column(Integer)
    observed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evaluated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CleanseBatch(Base):
    """One cleansing of one collected batch: what came in, what was loaded into the DWD table,
    quarantined or merged, and the clean gate's verdict. A batch counts as cleansed once it has a
    ``completed`` row (or ``superseded``: a newer full snapshot was cleansed instead); a ``failed``
    one is tried again by the next run."""

    __tablename__ = "cleanse_batch"
    __table_args__ = (
        Index("ix_cleanse_batch_batch", "batch_id"),
        Index("ix_cleanse_batch_resource", "department_key", "resource_key", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(40))
    run_id: Mapped[str] = mapped_column(String(64))
    department_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(12))
    """completed, failed or superseded."""
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    gate_passed: Mapped[bool | None] = mapped_column(Boolean)
    dwd_table: Mapped[str] = mapped_column(String(63))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column()
    finished_at: Mapped[dt.datetime] = mapped_column()


class QualityIssue(Base):
    """A problem found in a department's record (数据质量问题), identified by the record's primary
    key, the field and the rule. Opened when a batch brings the problem; fixed when a later batch
    brings the record without it (or, for a full snapshot, no longer brings the record at all).
    The times are the collection times of those batches: 整改时长 is ``fixed_at - first_seen``."""

    __tablename__ = "quality_issue"
    __table_args__ = (
        UniqueConstraint(
            "department_key", "resource_key", "record_key", "field", "code", name="uq_quality_issue_identity"
        ),
        Index("ix_quality_issue_status", "department_key", "status", "resource_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    record_key: Mapped[str] = mapped_column(String(400))
    """The record's primary-key values joined by '|'; '#<source row>' where it has none."""
    field: Mapped[str] = mapped_column(String(48))
    code: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    """reject (the record was quarantined) or warn (loaded, flagged)."""
    status: Mapped[str] = mapped_column(String(10))
    """open or fixed."""
    original: Mapped[str | None] = mapped_column(Text)
    """The value as the source last held it."""
    source_row: Mapped[int] = mapped_column(Integer)
    """The record's number in the source, as last seen."""
    first_batch_id: Mapped[str] = mapped_column(String(40))
    last_batch_id: Mapped[str] = mapped_column(String(40))
    first_seen: Mapped[dt.datetime] = mapped_column()
    last_seen: Mapped[dt.datetime] = mapped_column()
    fixed_at: Mapped[dt.datetime | None] = mapped_column()
    fixed_batch_id: Mapped[str | None] = mapped_column(String(40))


class StageClaim(Base):
    """Who is working on a resource in a stage right now (cleanse, open): a run takes the row with
    one conditional UPDATE (free, or held by a run that is stale) before it works on the resource,
    refreshes it in each of its commits and frees it at the end, so two runs at once never cleanse or
    release one resource twice. A free claim has no ``run_id``."""

    __tablename__ = "stage_claim"

    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    department_key: Mapped[str] = mapped_column(String(48), primary_key=True)
    resource_key: Mapped[str] = mapped_column(String(48), primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(64))
    holder: Mapped[str | None] = mapped_column(String(200))
    """``host:pid`` of the process holding the claim."""
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    refreshed_at: Mapped[dt.datetime | None] = mapped_column()
    """Last sign of life of the holder: a claim not refreshed within GONGSHU_CLAIM_TIMEOUT is stale."""


class FeedbackState(Base):
    """Per department, how far its quality issues have moved and how far its feedback workbook
    (反馈表) has followed: every cleansing commit adds one to ``issues_generation`` in its own
    transaction; a workbook, once renamed into place, records the generation it was read at. A
    department whose ``workbook_generation`` is behind (a process killed while writing the workbook)
    gets its workbook written again by the next cleanse run."""

    __tablename__ = "feedback_state"

    department_key: Mapped[str] = mapped_column(String(48), primary_key=True)
    issues_generation: Mapped[int] = mapped_column(Integer, default=0)
    workbook_generation: Mapped[int | None] = mapped_column(Integer)
    workbook_period: Mapped[str | None] = mapped_column(String(7))
    workbook_path: Mapped[str | None] = mapped_column(String(500))
    """The workbook last written, relative to ``$GONGSHU_HOME``."""
    workbook_written_at: Mapped[dt.datetime | None] = mapped_column()
