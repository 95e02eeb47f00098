"""Register compiled catalogs in the platform database, and read them back.

A resource's code is ``前段码/后段码`` (domain notes §1.2): the 3-digit category code, then the
department id and a 4-digit 顺序码. The 顺序码 is given once, when the resource is first registered
(resources new in the same compilation are numbered in id order, never in file order), and is never
reused, so a code stays the same across runs, file reorderings and edits of other resources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import clock
from ..store import models as m
from .compiled import CompiledCatalog, CompiledResource
from .completeness import resource_completeness
from .loader import LoadedCatalog
from .model import Catalog, Resource
from .versions import content_hash, diff, snapshot
from .vocab import CATEGORIES


def resource_code(category: str, department: str, seq: int) -> str:
    return f"{CATEGORIES[category]}/{department.upper()}{seq:04d}"


def register(session: Session, loaded: LoadedCatalog, run_id: str | None = None) -> CompiledCatalog:
    """Upsert the department, its resources and fields; record a new catalog version when the
    content changed. The caller's transaction makes it all-or-nothing."""
    catalog = loaded.catalog
    if catalog is None or loaded.errors:
        raise ValueError(f"{loaded.path}: cannot register a catalog with errors")
    now = clock.now()
    snap = snapshot(catalog)
    digest = content_hash(snap)
    dept_spec = catalog.department

    dept = session.scalar(
        select(m.Department).where(m.Department.key == dept_spec.id).options(selectinload(m.Department.resources))
    )
    latest = _latest_version(session, dept.id) if dept is not None else None
    if dept is not None and latest is not None and latest.content_hash == digest:
        if _unchanged(dept, catalog, str(loaded.path)):
            # the daily case: nothing changed, so nothing is written
            codes = {r.key: r.code for r in dept.resources}
            resources = tuple(
                CompiledResource(resource=r, code=codes[r.id], completeness=resource_completeness(dept_spec, r))
                for r in catalog.resources
            )
            return CompiledCatalog(
                catalog, loaded.path, latest.version, digest, now, resources, diff(latest.snapshot, snap)
            )
    dept = _upsert_department(session, dept, catalog, loaded.path)
    compiled = _upsert_resources(session, dept, catalog, now)
    changes = diff(latest.snapshot if latest else None, snap)
    result = CompiledCatalog(
        catalog=catalog,
        path=loaded.path,
        version=latest.version if latest else 1,
        content_hash=digest,
        compiled_at=now,
        resources=tuple(compiled),
        diff=changes,
    )
    if latest is None or latest.content_hash != digest:
        version = (latest.version + 1) if latest else 1
        session.add(
            m.CatalogVersion(
                department_id=dept.id,
                version=version,
                content_hash=digest,
                source_file=str(loaded.path),
                compiled_at=now,
                run_id=run_id,
                snapshot=snap,
                diff=changes,
                completeness=result.completeness,
            )
        )
        result = CompiledCatalog(**{**result.__dict__, "version": version, "new_version": True})
    session.flush()
    return result


def _upsert_department(session: Session, dept: m.Department | None, catalog: Catalog, path: Path) -> m.Department:
    """The department's row (added when new), filled from the catalog and active."""
    if dept is None:
        dept = m.Department(key=catalog.department.id, name=catalog.department.name)
        session.add(dept)
        session.flush()
    dept.name = catalog.department.name
    dept.uscc = catalog.department.uscc
    dept.catalog_file = str(path)
    dept.active = True
    return dept


def _upsert_resources(
    session: Session, dept: m.Department, catalog: Catalog, now: dt.datetime
) -> list[CompiledResource]:
    """Every resource of the catalog registered (a new one numbered in id order) with its fields; a
    registered resource the catalog dropped retired. The compiled resources in catalog order."""
    existing = {r.key: r for r in dept.resources}
    next_seq = max((r.seq for r in existing.values()), default=0) + 1
    compiled: list[CompiledResource] = []
    for res in sorted(catalog.resources, key=lambda r: r.id):
        row = existing.get(res.id)
        if row is None:
            row = m.Resource(department_id=dept.id, key=res.id, seq=next_seq, first_seen_at=now)
            next_seq += 1
            session.add(row)
        completeness = resource_completeness(catalog.department, res)
        _fill_resource(row, res, catalog.department.id, completeness.to_dict())
        row.retired_at = None
        _sync_fields(session, row, res)
        compiled.append(CompiledResource(resource=res, code=row.code, completeness=completeness))
    for key, row in existing.items():
        if catalog.resource(key) is None and row.active:
            row.active = False
            row.retired_at = now
    order = {r.id: i for i, r in enumerate(catalog.resources)}
    compiled.sort(key=lambda c: order[c.resource.id])
    return compiled


def _latest_version(session: Session, department_id: int) -> m.CatalogVersion | None:
    return session.scalar(
        select(m.CatalogVersion)
        .where(m.CatalogVersion.department_id == department_id)
        .order_by(m.CatalogVersion.version.desc())
        .limit(1)
    )


def _unchanged(dept: m.Department, catalog: Catalog, path: str) -> bool:
    """The registered rows already say what the file says (same content hash checked by the caller)."""
    active = {r.key for r in dept.resources if r.active}
    return dept.active and dept.catalog_file == path and active == {r.id for r in catalog.resources}


def _fill_resource(row: m.Resource, res: Resource, department: str, completeness: dict) -> None:
    row.code = resource_code(res.category, department, row.seq)
    row.name = res.name
    row.category = res.category
    row.format = res.format
    row.update_cycle = res.update_cycle
    row.share_type = res.share.type
    row.open_type = res.open.type
    row.level = res.level
    row.source_kind = res.source.kind if res.source else None
    row.completeness = completeness["score"]
    row.completeness_missing = completeness["missing"]
    row.spec = res.model_dump(mode="json", exclude_none=True)
    row.active = True


def _sync_fields(session: Session, row: m.Resource, res: Resource) -> None:
    current = {f.name: f for f in row.fields} if row.id is not None else {}
    keep = []
    for position, fld in enumerate(res.fields, start=1):
        frow = current.get(fld.name) or m.ResourceField(name=fld.name)
        frow.position = position
        frow.label = fld.label
        frow.kind = fld.kind
        frow.required = fld.required
        frow.source_column = fld.column
        frow.mask = fld.mask
        frow.level = fld.level
        frow.unit = fld.unit
        frow.in_primary_key = fld.name in res.primary_key
        frow.spec = fld.model_dump(mode="json", exclude_none=True)
        keep.append(frow)
    row.fields = keep


def registered(session: Session, departments: Sequence[str] | None = None) -> list[CompiledCatalog]:
    """The latest registered version of every (or the named) active department, rebuilt from the
    database: what exports and later stages read, so that a catalog file that fails to compile
    today never removes its department's last good entry."""
    query = select(m.Department).where(m.Department.active).order_by(m.Department.key)
    if departments:
        query = query.where(m.Department.key.in_(list(departments)))
    result = []
    for dept in session.scalars(query.options(selectinload(m.Department.resources))):
        latest = _latest_version(session, dept.id)
        if latest is None:
            continue
        catalog = Catalog.model_validate(latest.snapshot)
        codes = {r.key: r.code for r in dept.resources}
        resources = tuple(
            CompiledResource(resource=r, code=codes[r.id], completeness=resource_completeness(catalog.department, r))
            for r in catalog.resources
        )
        result.append(
            CompiledCatalog(
                catalog=catalog,
                path=Path(dept.catalog_file or ""),
                version=latest.version,
                content_hash=latest.content_hash,
                compiled_at=latest.compiled_at,
                resources=resources,
                diff=latest.diff,
            )
        )
    return result
