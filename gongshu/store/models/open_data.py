"""Opening (开放): the released datasets, their downloads, the applications to use them, and the
开放应用 (apps) built on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


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


class OpenApp(Base):
    """An 开放应用: an application, service or study someone built on open datasets (a 数据开放大赛
    entry), submitted with the datasets it uses; the administrator approves it (then the portal lists
    it and the 数据利用 indicator counts it for the datasets' departments) or rejects it with a reason.
    Not an :class:`OpenApplication`, which asks to *use* a 有条件开放 dataset."""

    __tablename__ = "open_app"
    __table_args__ = (Index("ix_open_app_status", "status", "reviewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    submitter: Mapped[str] = mapped_column(String(200))
    """The organisation or person who built it, as shown on the portal."""
    contact: Mapped[str] = mapped_column(String(200))
    """How the administrator reaches the submitter: personal data, never shown on the portal nor logged."""
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    """Where the app is, shown as text (the portal loads nothing from it)."""
    status: Mapped[str] = mapped_column(String(12))
    """pending, approved or rejected."""
    reason: Mapped[str | None] = mapped_column(Text)
    """The reviewer's reason (required for a rejection)."""
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(16))
    """The admin key's id."""


class OpenAppDataset(Base):
    """A dataset an :class:`OpenApp` uses (``department.resource`` of a dataset opened when submitted)."""

    __tablename__ = "open_app_dataset"
    __table_args__ = (Index("ix_open_app_dataset_resource", "department_key", "resource_key"),)

    app_id: Mapped[int] = mapped_column(ForeignKey("open_app.id"), primary_key=True)
    department_key: Mapped[str] = mapped_column(String(48), primary_key=True)
    resource_key: Mapped[str] = mapped_column(String(48), primary_key=True)
