"""The registered resources as the sharing API sees them: read from the ``resource`` table on every
call, so that a catalog compiled a minute ago (a resource that became 不予共享, a field removed)
governs the very next call.

What is cached is only the parsing: the declared resource and its DWD table are built once per
distinct catalog text (the ``spec`` column exactly as stored), so a changed entry is a cache miss by
construction, never a stale hit; validating the spec and building the Table on every call cost more
than the page query."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..catalog.model import Resource
from ..store import models as m
from ..store.dwd import dwd_table

_PARSED = 1024  # distinct resource texts kept parsed


@dataclass(frozen=True)
class SharedResource:
    department: str
    department_name: str
    code: str
    resource: Resource

    table: sa.Table
    """Its DWD table (which need not exist yet)."""

    @property
    def share_type(self) -> str:
        return self.resource.share.type


def entry_query() -> sa.Select:
    """The active resources with their stored spec text, code, department id and name."""
    # the spec as its stored text: the cache key of the parsed resource
    spec = sa.cast(m.Resource.spec, sa.Text).label("spec")
    return (
        sa.select(spec, m.Resource.code, m.Department.key, m.Department.name)
        .join(m.Department, m.Resource.department_id == m.Department.id)
        .where(m.Department.active, m.Resource.active)
    )


def _shared(row: sa.Row) -> SharedResource:
    return parsed_entry(row.key, row.name, row.code, row.spec)


@functools.lru_cache(maxsize=_PARSED)
def parsed_entry(department: str, department_name: str, code: str, spec: str) -> SharedResource:
    resource = Resource.model_validate(json.loads(spec))
    return SharedResource(
        department=department,
        department_name=department_name,
        code=code,
        resource=resource,
        table=dwd_table(department, resource),
    )


def find(session: Session | Connection, department: str, resource: str) -> SharedResource | None:
    """The active resource ``department.resource``, or None."""
    row = session.execute(entry_query().where(m.Department.key == department, m.Resource.key == resource)).first()
    return _shared(row) if row is not None else None


def browse(
    session: Session, *, department: str | None = None, share_type: str | None = None, name: str | None = None
) -> list[SharedResource]:
    """Every active resource, by department and resource id; ``name``: the name contains it."""
    query = entry_query().order_by(m.Department.key, m.Resource.key)
    if department:
        query = query.where(m.Department.key == department)
    if share_type:
        query = query.where(m.Resource.share_type == share_type)
    if name:
        query = query.where(m.Resource.name.contains(name, autoescape=True))
    return [_shared(row) for row in session.execute(query)]
