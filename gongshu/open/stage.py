"""The open stage (数据开放) for one resource, run after sharing: decide whether it may be opened,
mask its cleansed rows, pass the publish gate, and write version N of its release.

  held back   不予开放, L4, or L2/L3 declared 无条件开放 (:func:`~gongshu.open.masking.release_decision`):
              skipped with why, nothing written; no cleansed data yet: skipped too
  blocked     the publish gate found an L4 column or unmasked personal data: failed, naming the
              column and the kind; nothing written, the previous release stays the latest
  unchanged   the released rows hash as the latest release's (same open type, its folder there):
              skipped, "unchanged since vN"
  released    the files written into a temporary folder beside the target, then, in one database
              transaction, the ``opn_`` table replaced, the ``open_release`` row added and the folder
              renamed into place: a failure at any point leaves the previous release whole.

The content hash is the SHA-256 of the release CSV: the released rows, in primary-key order, with the
released columns' names, so a change of data, of masks or of released fields makes a new version.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .. import claims, clock
from ..catalog.model import Resource
from ..catalog.vocab import LEVEL_LABELS
from ..quality import gate
from ..rules.kinds import FIELD_KIND_LABELS
from ..runs import Outcome, outcome_for, record_now
from ..store import models as m
from ..store.db import session_scope
from . import files, layout
from .masking import Masked, MaskSaltMissing, mask_frame, release_decision
from .publish_gate import PublishCheck, check_release
from .source import last_cleansed, read_text
from .table import replace_open_table
from .withdraw import withdraw

STAGE = "open"
_sqlite_writer = threading.Lock()  # SQLite has one writer: releases in this process take turns


@dataclass
class Prepared:
    """A release made ready in memory: the masked rows as Arrow strings, and the gate's verdict."""

    rows: pa.Table
    masked: Masked
    check: PublishCheck


def prepare(resource: Resource, rows: pa.Table) -> Prepared:
    """Mask ``rows`` (strings, one column per field) and pass them through the publish gate."""
    frame = rows.to_pandas()
    frame.index = pd.RangeIndex(1, len(frame) + 1)  # row numbers as in the files and ``_row``
    masked = mask_frame(resource, frame)
    check = check_release(resource, masked.frame)
    released = pa.Table.from_pandas(masked.frame, preserve_index=False).replace_schema_metadata(None)
    released = released.cast(pa.schema([(name, pa.string()) for name in released.column_names]))
    return Prepared(rows=released, masked=masked, check=check)


def latest_release(session: Session, department: str, resource: str) -> m.OpenRelease | None:
    return session.scalar(
        sa.select(m.OpenRelease)
        .where(m.OpenRelease.department_key == department, m.OpenRelease.resource_key == resource)
        .order_by(m.OpenRelease.version.desc())
        .limit(1)
    )


def open_resource(
    engine: Engine,
    home: Path,
    department: str,
    resource: Resource,
    run_id: str,
    *,
    now: dt.datetime | None = None,
    flow_run_id: str | None = None,
) -> Outcome:
    """Release the resource if it may be opened and has changed (see the module docstring).

    A resource that may open is claimed first (``gongshu.claims``): while another run releases it,
    this one skips it saying so. A new release's ``run_log`` row is written in the release's own
    transaction (the returned outcome is then marked logged): a process killed after the commit
    still leaves its record."""
    started = now or clock.now()
    outcome = outcome_for(STAGE, department, resource.id, started)
    if not release_decision(resource).openable:
        return _open_claimed(engine, home, department, resource, run_id, None, outcome, started, flow_run_id)
    claim = claims.acquire(engine, STAGE, department, resource.id, run_id)
    if isinstance(claim, claims.Busy):
        return outcome("skipped", reason=claim.reason("released"), details={"held": "another run"})
    try:
        with claims.kept_alive(engine, claim):
            return _open_claimed(engine, home, department, resource, run_id, claim, outcome, started, flow_run_id)
    except claims.ClaimLost as exc:
        return outcome("failed", error=str(exc))
    finally:
        claims.release(engine, claim)


def _open_claimed(
    engine: Engine,
    home: Path,
    department: str,
    resource: Resource,
    run_id: str,
    claim: claims.Claim | None,
    outcome: Callable[..., Outcome],
    started: dt.datetime,
    flow_run_id: str | None,
) -> Outcome:
    decision = release_decision(resource)
    base: dict[str, Any] = {"open_type": resource.open.type, "level": resource.level}
    if not decision.openable:
        held = _held(resource)
        reason = "不予开放" if held == "不予开放" else decision.reason
        details = {**base, "held": held, "why": decision.reason}
        withdrawn = withdraw(engine, home, department, resource.id, f"{held}: {decision.reason}", now=started)
        if withdrawn:
            details["withdrawn"] = withdrawn
            reason += f"; released version(s) {', '.join(f'v{v}' for v in withdrawn)} withdrawn, their files deleted"
        return outcome("skipped", reason=reason, details=details)
    withdrawn = []
    if decision.release != layout.UNCONDITIONAL:  # what was public must not stay public
        why = f"now {decision.release}: served to approved applicants only"
        withdrawn = withdraw(engine, home, department, resource.id, why, public_only=True, now=started)

    with engine.connect() as conn:
        cleansed = last_cleansed(conn, department, resource)
        if cleansed is None:
            reason = (
                f"nothing to open yet: no completed cleansing has loaded "
                f"dwd_{department}__{resource.id} (run the cleanse stage)"
            )
            return outcome("skipped", reason=reason, details={**base, "held": "no cleansed data"})
        rows = read_text(conn, cleansed.table, resource)
    with session_scope(engine) as session:
        latest = latest_release(session, department, resource.id)
        previous = _previous(latest)
        dept_name, code = _names(session, department, resource.id)
        if latest is not None:
            session.expunge(latest)

    try:
        prepared = prepare(resource, rows)
    except MaskSaltMissing as exc:
        return outcome("failed", rows_in=rows.num_rows, error=f"{exc}; nothing was released", details=base)
    check = prepared.check
    with session_scope(engine) as session:
        gate.record(
            session,
            check.result,
            run_id=run_id,
            department=department,
            resource=resource.id,
            batch_id=cleansed.batch_id,
        )
    details: dict[str, Any] = {
        **base,
        "release": decision.release,
        "gate": check.result.summary(),
        "dropped": [d.field for d in prepared.masked.dropped],
        "previous_version": previous,
    }
    if withdrawn:
        details["withdrawn"] = withdrawn
    if not check.passed:
        problems = check.problems(resource)
        kept = f"v{previous} stays the latest release" if previous else "nothing has been released"
        details["held"] = "gate"
        details["findings"] = [
            {"column": f.column, "kind": f.kind, "rows": f.count, "sample": f.sample} for f in check.findings
        ]
        error = f"the publish gate blocked the release: {'; '.join(problems)}; {kept}"
        return outcome("failed", rows_in=rows.num_rows, error=error + _hint(check), details=details)

    version = (previous or 0) + 1
    final = layout.release_dir(home, department, resource.id, version, decision.release)
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(".v*.tmp-*"):  # left by a process that died while writing
        shutil.rmtree(stale, ignore_errors=True)
    tmp = final.parent / f".v{version}.tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        csv_name = layout.data_file(department, resource.id, "csv")
        files.write_csv(tmp / csv_name, prepared.rows)
        content_hash = files.sha256_file(tmp / csv_name)
        if (
            latest is not None
            and latest.content_hash == content_hash
            and latest.open_type == decision.release
            and (home / latest.folder).is_dir()
        ):
            shutil.rmtree(tmp)
            details["version"] = latest.version
            return outcome(
                "skipped", rows_in=rows.num_rows, reason=f"unchanged since v{latest.version}", details=details
            )
        released_at = clock.now()
        meta = {
            "department": {"id": department, "name": dept_name},
            "resource": _resource_meta(resource, code),
            "version": version,
            "previous_version": previous,
            "released_at": released_at.isoformat(),
            "rows": prepared.rows.num_rows,
            "content_hash": content_hash,
            "source_batch_id": cleansed.batch_id,
            "run_id": run_id,
        }
        listing = write_release(tmp, department, resource, prepared, meta, csv_name=csv_name)
        record = m.OpenRelease(
            department_key=department,
            resource_key=resource.id,
            version=version,
            open_type=decision.release,
            rows=prepared.rows.num_rows,
            fields=list(prepared.rows.column_names),
            dropped=[{"field": d.field, "reason": d.reason} for d in prepared.masked.dropped],
            masks=dict(prepared.masked.masks),
            files=listing,
            folder=final.relative_to(home).as_posix(),
            source_batch_id=cleansed.batch_id,
            content_hash=content_hash,
            run_id=run_id,
            released_at=released_at,
        )
        details.update(version=version, folder=record.folder, files=sorted(listing), content_hash=content_hash)
        done = outcome("completed", rows_in=rows.num_rows, rows_out=prepared.rows.num_rows, details=details)

        def commit_with(session: Session) -> None:
            record_now(session, run_id, done, flow_run_id)
            if claim is not None:
                claims.refresh(session.connection(), claim)

        _publish(engine, department, resource.id, prepared.rows, record, tmp, final, commit_with)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return done


def write_release(
    folder: Path, department: str, resource: Resource, prepared: Prepared, meta: dict[str, Any], *, csv_name: str
) -> dict[str, dict[str, Any]]:
    """Every file but the CSV (written already) into ``folder``; returns name -> {format, bytes, sha256}."""
    rows = prepared.rows
    numeric = [f.name for f in resource.fields if f.kind in files.NUMERIC_KINDS]
    written = {csv_name: "csv"}
    json_name = layout.data_file(department, resource.id, "json")
    files.write_json(folder / json_name, rows, numeric)
    written[json_name] = "json"
    if rows.num_rows <= files.XLSX_MAX_ROWS:
        xlsx_name = layout.data_file(department, resource.id, "xlsx")
        files.write_xlsx(folder / xlsx_name, rows, resource.name, numeric)
        written[xlsx_name] = "xlsx"
        meta["xlsx"] = None
    else:
        meta["xlsx"] = f"not made: {rows.num_rows:,} rows, more than the {files.XLSX_MAX_ROWS:,} a release puts in XLSX"
    files.write_dictionary(folder / layout.DICTIONARY, resource, prepared.masked.masks)
    written[layout.DICTIONARY] = "csv"
    listing = {name: _entry(folder / name, fmt) for name, fmt in written.items() if name != csv_name}
    listing = {csv_name: _entry(folder / csv_name, "csv", meta["content_hash"]), **listing}
    meta["fields"] = [_field_meta(resource, name, mask) for name, mask in prepared.masked.masks.items()]
    meta["dropped"] = [{"field": d.field, "reason": d.reason} for d in prepared.masked.dropped]
    meta["files"] = listing
    text = json.dumps(meta, ensure_ascii=False, indent=2, default=str) + "\n"
    (folder / layout.METADATA).write_text(text, encoding="utf-8")
    listing[layout.METADATA] = _entry(folder / layout.METADATA, "json")
    files.write_checksums(folder / layout.CHECKSUMS, {name: e["sha256"] for name, e in listing.items()})
    listing[layout.CHECKSUMS] = _entry(folder / layout.CHECKSUMS, "text")
    return listing


def _publish(
    engine: Engine,
    department: str,
    resource: str,
    rows: pa.Table,
    record: m.OpenRelease,
    tmp: Path,
    final: Path,
    commit_with: Callable[[Session], None],
) -> None:
    """The ``opn_`` table, the record and whatever ``commit_with(session)`` adds (the run's record)
    in one transaction, the folder renamed into place last inside it: a failed rename rolls the
    transaction back, a failed commit removes the renamed folder."""
    renamed = False
    try:
        with _sqlite_writer if engine.dialect.name == "sqlite" else nullcontext(), engine.begin() as conn:
            replace_open_table(conn, department, resource, rows)
            with Session(bind=conn) as session:
                session.add(record)
                session.flush()
                commit_with(session)
                session.expunge(record)
            if final.exists():  # left by a release whose commit failed: no record names it
                shutil.rmtree(final)
            tmp.rename(final)
            renamed = True
    except BaseException:
        if renamed:
            shutil.rmtree(final, ignore_errors=True)
        raise


def _held(resource: Resource) -> str:
    """Why a resource that may not open is held back, as the open-summary artifact groups it."""
    if resource.open.type == "不予开放":
        return "不予开放"
    return "L4" if resource.level == "L4" else "L2/L3 declared 无条件开放"


def _previous(latest: m.OpenRelease | None) -> int | None:
    return latest.version if latest is not None else None


def _names(session: Session, department: str, resource: str) -> tuple[str | None, str | None]:
    """The department's name and the resource's code, as registered by the catalog stage."""
    row = session.execute(
        sa.select(m.Department.name, m.Resource.code)
        .join(m.Resource, m.Resource.department_id == m.Department.id)
        .where(m.Department.key == department, m.Resource.key == resource)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def _entry(path: Path, fmt: str, sha256: str | None = None) -> dict[str, Any]:
    return {"format": fmt, "bytes": path.stat().st_size, "sha256": sha256 or files.sha256_file(path)}


def _resource_meta(resource: Resource, code: str | None) -> dict[str, Any]:
    return {
        "id": resource.id,
        "name": resource.name,
        "code": code,
        "summary": resource.summary,
        "category": resource.category,
        "format": resource.format,
        "update_cycle": resource.update_cycle,
        "level": resource.level,
        "level_label": LEVEL_LABELS[resource.level],
        "open_type": resource.open.type,
        "open_condition": resource.open.condition,
        "publish_date": resource.publish_date.isoformat() if resource.publish_date else None,
        "tags": list(resource.tags),
    }


def _field_meta(resource: Resource, name: str, mask: str) -> dict[str, Any]:
    f = resource.field(name)
    assert f is not None  # masking releases catalog fields only
    return {
        "name": f.name,
        "label": f.label,
        "kind": f.kind,
        "kind_label": FIELD_KIND_LABELS[f.kind],
        "unit": f.unit,
        "mask": mask,
        "mask_label": files.MASK_LABELS.get(mask, mask),
        "description": f.description,
    }


def _hint(check: PublishCheck) -> str:
    """What to do about it, said once."""
    if check.findings:
        return (
            " (remove the numbers from the data at the source, or give the column a mask, or mask: drop, "
            "in the catalog)"
        )
    return ""
