"""The registered resources as the sharing API sees them: read from the ``resource`` table on every
call, so that a catalog compiled a minute ago (a resource that became 不予共享, a field removed)
governs the very next call."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..catalog.model import Resource
from ..store import models as m


@dataclass(frozen=True)
class SharedResource:
    department: str
    department_name: str
    code: str
    resource: Resource

    @property
    def share_type(self) -> str:
        return self.resource.share.type


def _query() -> sa.Select:
    return (
        sa.select(m.Resource.spec, m.Resource.code, m.Department.key, m.Department.name)
        .join(m.Department, m.Resource.department_id == m.Department.id)
        .where(m.Department.active, m.Resource.active)
    )


def _shared(row: sa.Row) -> SharedResource:
    return SharedResource(
        department=row.key, department_name=row.name, code=row.code, resource=Resource.model_validate(row.spec)
    )


def find(session: Session, department: str, resource: str) -> SharedResource | None:
    """The active resource ``department.resource``, or None."""
    row = session.execute(_query().where(m.Department.key == department, m.Resource.key == resource)).first()
    return _shared(row) if row is not None else None


def browse(
    session: Session, *, department: str | None = None, share_type: str | None = None, name: str | None = None
) -> list[SharedResource]:
    """Every active resource, by department and resource id; ``name``: the name contains it."""
    query = _query().order_by(m.Department.key, m.Resource.key)
    if department:
        query = query.where(m.Department.key == department)
    if share_type:
        query = query.where(m.Resource.share_type == share_type)
    if name:
        query = query.where(m.Resource.name.contains(name, autoescape=True))
    return [_shared(row) for row in session.execute(query)]
