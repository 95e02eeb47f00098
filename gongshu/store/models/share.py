"""Sharing (共享): API keys, requests and their per-field grants, and the API call log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


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
