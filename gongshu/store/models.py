"""SQLAlchemy models of the platform tables. Schema changes go through Alembic migrations
(``gongshu/store/migrations``); a test fails when these models and the migrations disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .. import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return clock.now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSONType, list[Any]: JSONType}


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18))
    catalog_file: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resources: Mapped[list[Resource]] = relationship(back_populates="department", order_by="Resource.key")


class Resource(Base):
    __tablename__ = "resource"
    __table_args__ = (UniqueConstraint("department_id", "key"), UniqueConstraint("department_id", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(48))
    seq: Mapped[int] = mapped_column(Integer)
    """顺序码: assigned once per department, never reused."""
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(20))
    update_cycle: Mapped[str] = mapped_column(String(10))
    share_type: Mapped[str] = mapped_column(String(10))
    open_type: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(2))
    source_kind: Mapped[str | None] = mapped_column(String(10))
    completeness: Mapped[float] = mapped_column(Float, default=0.0)
    completeness_missing: Mapped[list[Any]] = mapped_column(default=list)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The resource as declared (catalog JSON), for later stages and exports."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column()

    department: Mapped[Department] = relationship(back_populates="resources")
    fields: Mapped[list[ResourceField]] = relationship(
        back_populates="resource", order_by="ResourceField.position", cascade="all, delete-orphan"
    )


class ResourceField(Base):
    __tablename__ = "resource_field"
    __table_args__ = (UniqueConstraint("resource_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(48))
    label: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    source_column: Mapped[str] = mapped_column(String(200))
    mask: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(2))
    unit: Mapped[str | None] = mapped_column(String(10))
    in_primary_key: Mapped[bool] = mapped_column(Boolean, default=False)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)

    resource: Mapped[Resource] = relationship(back_populates="fields")


class CatalogVersion(Base):
    __tablename__ = "catalog_version"
    __table_args__ = (UniqueConstraint("department_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(80))
    source_file: Mapped[str | None] = mapped_column(String(500))
    compiled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    run_id: Mapped[str | None] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    diff: Mapped[dict[str, Any]] = mapped_column(default=dict)
    completeness: Mapped[float] = mapped_column(Float, default=0.0)


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


class ApiKey(Base):
    """A key of the sharing API. The key is shown once (``gs_<key_id>_<secret>``); only the SHA-256
    of its secret is kept. A department key acts for its department; an admin key manages requests
    but reads no data."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(12))
    """department or admin."""
    department_key: Mapped[str | None] = mapped_column(String(48))
    resource_scope: Mapped[str | None] = mapped_column(String(100))
    """An applicant key's one dataset, ``department.resource`` (open data: 有条件开放); none otherwise."""
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()


class ShareRequest(Base):
    """A department's application for another department's resource (共享申请): the fields and the
    purpose. 无条件共享 is approved at once, 有条件共享 waits for the provider until ``due_at``,
    不予共享 is refused at once."""

    __tablename__ = "share_request"
    __table_args__ = (
        Index("ix_share_request_provider", "provider_key", "status"),
        Index("ix_share_request_consumer", "consumer_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_key: Mapped[str] = mapped_column(String(48))
    provider_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    fields: Mapped[list[Any]] = mapped_column(default=list)
    purpose: Mapped[str] = mapped_column(Text)
    share_type: Mapped[str] = mapped_column(String(12))
    """The resource's 共享类型 when the request was made."""
    status: Mapped[str] = mapped_column(String(12))
    """pending, approved, rejected (by the provider) or refused (不予共享)."""
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column()
    due_at: Mapped[dt.datetime | None] = mapped_column()
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(16))
    """The key id that decided (none for decisions the catalog made)."""


class ShareGrant(Base):
    """Access granted to a consumer department: one resource, the listed fields only, until revoked."""

    __tablename__ = "share_grant"
    __table_args__ = (Index("ix_share_grant_access", "consumer_key", "provider_key", "resource_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("share_request.id"))
    consumer_key: Mapped[str] = mapped_column(String(48))
    provider_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    fields: Mapped[list[Any]] = mapped_column(default=list)
    granted_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class ApiCallLog(Base):
    """One row per call of the sharing API, refused ones included."""

    __tablename__ = "api_call_log"
    __table_args__ = (
        Index("ix_api_call_log_called", "called_at"),
        Index("ix_api_call_log_consumer", "consumer_key", "called_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    called_at: Mapped[dt.datetime] = mapped_column()
    key_id: Mapped[str | None] = mapped_column(String(16))
    consumer_key: Mapped[str | None] = mapped_column(String(48))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    provider_key: Mapped[str | None] = mapped_column(String(48))
    resource_key: Mapped[str | None] = mapped_column(String(48))
    fields: Mapped[list[Any] | None] = mapped_column()
    rows: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class OpenRelease(Base):
    """A published release of an open resource (数据开放): version N of its masked rows, written under
    ``$GONGSHU_HOME/portal/`` (无条件开放) or ``$GONGSHU_HOME/open-restricted/`` (有条件开放, served
    only to approved applicants). Held-back and blocked releases are not recorded here: they keep
    the previous release, and the open stage's outcome says why. A withdrawn release keeps its row
    (the scorecard reads past months from it) but not its files."""

    __tablename__ = "open_release"
    __table_args__ = (UniqueConstraint("department_key", "resource_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    version: Mapped[int] = mapped_column(Integer)
    open_type: Mapped[str] = mapped_column(String(12))
    """无条件开放 or 有条件开放."""
    rows: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[Any]] = mapped_column(default=list)
    """The released fields, in catalog order."""
    dropped: Mapped[list[Any]] = mapped_column(default=list)
    """[{field, reason}] of the fields left out."""
    masks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """field -> mask applied (none included)."""
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """file name -> {format, bytes, sha256}; paths relative to the release folder."""
    folder: Mapped[str] = mapped_column(String(300))
    """The release folder, relative to ``$GONGSHU_HOME``."""
    source_batch_id: Mapped[str | None] = mapped_column(String(40))
    """The newest cleanse batch of the DWD rows released."""
    content_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the released rows: an unchanged resource is not released again."""
    run_id: Mapped[str | None] = mapped_column(String(40))
    released_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column()
    """Set when the catalog stopped opening the release as it was (不予开放, L4, or 有条件开放 for a
    release that was public): its files are gone and it is served no more."""
    withdraw_reason: Mapped[str | None] = mapped_column(Text)


class DownloadLog(Base):
    """One row per download of a released file, or datastore query, served through the API."""

    __tablename__ = "download_log"
    __table_args__ = (Index("ix_download_log_resource", "department_key", "resource_key", "downloaded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    downloaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("open_release.id"))
    department_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    what: Mapped[str] = mapped_column(String(40))
    """The file name, or ``datastore_search``."""
    key_id: Mapped[str | None] = mapped_column(String(16))
    """The applicant's key of a 有条件开放 download; none for a public one."""
    rows: Mapped[int | None] = mapped_column(Integer)


class OpenApplication(Base):
    """An application to use a 有条件开放 dataset: who, for what; the providing department decides.
    An approved applicant gets a key for that dataset alone (``api_key.role == "applicant"``)."""

    __tablename__ = "open_application"
    __table_args__ = (Index("ix_open_application_resource", "department_key", "resource_key", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_key: Mapped[str] = mapped_column(String(48))
    resource_key: Mapped[str] = mapped_column(String(48))
    applicant: Mapped[str] = mapped_column(String(200))
    """The applying person or organisation."""
    contact: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    """pending, approved or rejected."""
    reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(16))
    key_id: Mapped[str | None] = mapped_column(String(16))
    """The key issued on approval."""


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
