"""The open datasets as the open-data API serves them: the newest ``open_release`` of each resource
whose catalog entry is still registered and opened.

Read from the platform tables on every call, like the sharing API's catalog: a resource the catalog
turned 不予开放 a minute ago is gone from the very next answer, whatever releases it has. Where the
release and the catalog disagree on the open type, the stricter one governs (a release written as
有条件开放 is never served without an applicant's key because the catalog later said 无条件开放; its
files sit outside the public portal anyway). The portal (``published.py``) takes the same two rules
from here, :func:`newest_standing` and :func:`effective_open_type`, so the pages and the API never
disagree about which release is served and how.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..catalog.model import Resource
from ..share.resources import SharedResource, browse, find
from ..store import models as m
from .layout import CONDITIONAL, UNCONDITIONAL

OPENED = (UNCONDITIONAL, CONDITIONAL)
# a dataset's name (CKAN's package name): ``<department>-<resource>``; neither id has a hyphen, so
# the name splits back unambiguously, and it is the stem of the release's file names too
_NAME = re.compile(r"([a-z][a-z0-9_]{0,15})-([a-z][a-z0-9_]{0,39})")


@dataclass(frozen=True)
class Release:
    """The release row, detached from its session (the API answers after the session closed)."""

    id: int
    version: int
    open_type: str
    rows: int
    fields: list[Any]
    files: dict[str, Any]
    folder: str
    released_at: dt.datetime

    @classmethod
    def of(cls, row: m.OpenRelease) -> Release:
        return cls(
            id=row.id,
            version=row.version,
            open_type=row.open_type,
            rows=row.rows,
            fields=list(row.fields or []),
            files=dict(row.files or {}),
            folder=row.folder,
            released_at=row.released_at,
        )


@dataclass(frozen=True)
class Dataset:
    department: str
    department_name: str
    code: str
    resource: Resource
    release: Release
    """The newest release (or the one asked for by version)."""
    first_released_at: dt.datetime

    @property
    def name(self) -> str:
        return dataset_name(self.department, self.resource.id)

    @property
    def qualified(self) -> str:
        """``department.resource``: how applications and applicant keys name the dataset."""
        return f"{self.department}.{self.resource.id}"

    @property
    def open_type(self) -> str:
        """The stricter of the release's and the catalog's open type."""
        return effective_open_type(self.release.open_type, self.resource.open.type) or CONDITIONAL

    @property
    def conditional(self) -> bool:
        return self.open_type == CONDITIONAL


def dataset_name(department: str, resource: str) -> str:
    return f"{department}-{resource}"


def split_name(name: str) -> tuple[str, str] | None:
    """``(department, resource)`` of a dataset name, or None when it is not one."""
    match = _NAME.fullmatch(name)
    return (match.group(1), match.group(2)) if match else None


def effective_open_type(released: str, declared: str) -> str | None:
    """The open type a release is served under: the stricter of the release's and the catalog's
    current one; None when either is 不予开放 (the dataset is not served at all)."""
    if released not in OPENED or declared not in OPENED:
        return None
    return UNCONDITIONAL if released == declared == UNCONDITIONAL else CONDITIONAL


def newest_standing(*where: sa.ColumnElement[bool]) -> sa.Subquery:
    """Per resource (among the releases ``where``), the newest version not withdrawn (``version``)
    and when it was first released (``first``): what the API and the portal both serve."""
    r = m.OpenRelease
    return (
        sa.select(
            r.department_key,
            r.resource_key,
            sa.func.max(r.version).label("version"),
            sa.func.min(r.released_at).label("first"),
        )
        .where(r.withdrawn_at.is_(None), *where)
        .group_by(r.department_key, r.resource_key)
        .subquery()
    )


def _releases(session: Session, where: list[sa.ColumnElement[bool]]) -> dict[tuple[str, str], tuple[Release, Any]]:
    """(department, resource) -> (newest release, first release time), among the releases ``where``."""
    r = m.OpenRelease
    spans = newest_standing(*where)
    rows = session.execute(
        sa.select(r, spans.c.first).join(
            spans,
            sa.and_(
                r.department_key == spans.c.department_key,
                r.resource_key == spans.c.resource_key,
                r.version == spans.c.version,
            ),
        )
    )
    return {(row.department_key, row.resource_key): (Release.of(row), first) for row, first in rows}


def _dataset(shared: SharedResource, release: Release, first: Any) -> Dataset | None:
    if shared.resource.open.type not in OPENED or release.open_type not in OPENED:
        return None
    return Dataset(
        department=shared.department,
        department_name=shared.department_name,
        code=shared.code,
        resource=shared.resource,
        release=release,
        first_released_at=first if isinstance(first, dt.datetime) else release.released_at,
    )


def all_datasets(session: Session) -> list[Dataset]:
    """Every open dataset, by department and resource id."""
    releases = _releases(session, [])
    found = []
    for shared in browse(session):
        newest = releases.get((shared.department, shared.resource.id))
        if newest is not None and (dataset := _dataset(shared, *newest)) is not None:
            found.append(dataset)
    return found


def find_dataset(session: Session, department: str, resource: str, version: int | None = None) -> Dataset | None:
    """The open dataset ``department.resource`` at its newest release (or at ``version``), or None."""
    shared = find(session, department, resource)
    if shared is None:
        return None
    r = m.OpenRelease
    newest = _releases(session, [r.department_key == department, r.resource_key == resource]).get(
        (department, resource)
    )
    if newest is None:
        return None
    release, first = newest
    if version is not None and version != release.version:
        row = session.scalar(
            sa.select(r).where(
                r.department_key == department,
                r.resource_key == resource,
                r.version == version,
                r.withdrawn_at.is_(None),
            )
        )
        if row is None:
            return None
        release = Release.of(row)
    return _dataset(shared, release, first)


def departments(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every active department: the organisations of the open-data API."""
    return [
        (row.key, row.name)
        for row in session.execute(
            sa.select(m.Department.key, m.Department.name).where(m.Department.active).order_by(m.Department.key)
        )
    ]
