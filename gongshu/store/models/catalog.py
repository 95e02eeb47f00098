"""The registered catalog: departments, their resources and fields, and each catalog version."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


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
