"""The collection stage (数据归集) for one resource: read its source in chunks, pass the raw gate,
and append the batch to its ODS table, whole or not at all.

Order of work, so that nothing is stored from a batch that fails:
  1. open the source (missing file, bad encoding, unreachable server fail here);
  2. a file whose bytes were collected before is skipped at once (batch fingerprint);
  3. the raw gate's header check: the catalog's columns are present (extra ones are a warning);
  4. every chunk is appended inside one transaction while per-row flags are gathered;
  5. the raw gate's row checks (row count, decodable text, no NUL byte, no value larger than
     ``GONGSHU_MAX_FIELD_BYTES``); then the batch row, with the new high-water mark, its gate results
     and its ``run_log`` row are written in the same transaction and committed, or everything is
     rolled back. Once a chunk holds a NUL byte or an
     oversized value the batch is lost anyway: later chunks are still read (so that the error counts
     every faulty row) but no longer stored (PostgreSQL's COPY would fail on the NUL byte).
Gate results are recorded whatever the outcome (those of a refused batch after the rollback). A
transient source error is raised (the task layer retries it); every other problem becomes a failed
outcome whose error says what to do.

Entry point: ``collect_resource(engine, department, resource, run_id, *, catalog_dir, ...)``, in the
shape every stage's has (``<stage>_resource(engine, department, resource, run_id, *, what that
stage alone needs)``, returning the resource's :class:`~gongshu.runs.Outcome`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from .. import clock
from ..catalog.issues import closest
from ..catalog.model import Resource
from ..quality import gate, raw
from ..runs import Outcome, outcome_for, record_now
from ..settings import get_settings
from ..store import models as m
from ..store import ods
from ..store.db import session_scope
from . import open_source
from .base import DEFAULT_CHUNK_ROWS, SOURCE_ROW, Reading, SourceError, failure, prefetched

STAGE = "collect"
# SQLite has one writer at a time: loads in this process take turns instead of waiting on its lock
_sqlite_writer = threading.Lock()


class _Abandon(Exception):
    """Roll the batch back and report ``outcome`` instead."""

    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def new_batch_id(now: dt.datetime) -> str:
    return f"b{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"


def last_high_water(session: Session, department: str, resource: str) -> str | None:
    return session.scalar(
        select(m.CollectBatch.high_water)
        .where(m.CollectBatch.department_key == department, m.CollectBatch.resource_key == resource)
        .where(m.CollectBatch.high_water.is_not(None))
        .order_by(m.CollectBatch.finished_at.desc())
        .limit(1)
    )


def batch_with(session: Session, department: str, resource: str, fingerprint: str) -> m.CollectBatch | None:
    return session.scalar(
        select(m.CollectBatch).where(
            m.CollectBatch.department_key == department,
            m.CollectBatch.resource_key == resource,
            m.CollectBatch.fingerprint == fingerprint,
        )
    )


def collect_resource(
    engine: Engine,
    department: str,
    resource: Resource,
    run_id: str,
    *,
    catalog_dir: Path,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    env: Mapping[str, str] | None = None,
    flow_run_id: str | None = None,
) -> Outcome:
    """Collect one resource. Raises :class:`SourceError` only for transient source errors.
    ``catalog_dir``: the folder of the resource's catalog file, where relative source paths start.

    A stored batch, its raw-gate results and its ``run_log`` row are committed in one transaction:
    a process killed after the commit leaves the run's record (the returned outcome is marked
    ``logged``); one killed before it leaves nothing of the batch."""
    started = clock.now()
    outcome = outcome_for(STAGE, department, resource.id, started)
    if resource.source is None:
        return outcome("skipped", reason="no source declared: the resource is catalogued only")
    watermark = getattr(resource.source, "watermark", None)
    with session_scope(engine) as session:
        since = last_high_water(session, department, resource.id) if watermark else None
    try:
        reading = open_source(resource, catalog_dir, since=since, chunk_rows=chunk_rows, env=env)
    except SourceError as exc:
        if exc.transient:
            raise
        return outcome("failed", error=str(exc), details={"code": exc.code, **failure(resource, exc.code)})

    details: dict[str, Any] = {"source": reading.description, "notes": reading.notes}
    if reading.digest:
        with session_scope(engine) as session:
            earlier = batch_with(session, department, resource.id, reading.digest)
        if earlier is not None:
            return outcome(
                "skipped",
                rows_in=0,
                rows_out=0,
                reason=f"same content as batch {earlier.id} collected {earlier.finished_at:%Y-%m-%d %H:%M} UTC; "
                "nothing added",
                details=details,
            )

    header = gate.evaluate("raw", [(raw.header_suite(department, resource), raw.header_frame(reading.columns))])
    if not header.passed:
        missing = [f.label or f.name for f in resource.fields if f.column not in reading.columns]
        _record(engine, header, run_id, department, resource.id, None)
        return outcome(
            "failed",
            error=_columns_error(resource, reading.columns, reading.description),
            details={**details, "gate": header.summary(), **failure(resource, "COLUMNS_MISSING", fields=missing)},
        )
    load = _Load(department, resource, run_id, started, outcome, reading, since, bool(watermark), details, header)
    return _store(engine, load, flow_run_id)


@dataclass
class _Load:
    """A batch being collected: the source opened and its header passed, then what its chunks held."""

    department: str
    resource: Resource
    run_id: str
    started: dt.datetime
    outcome: Callable[..., Outcome]
    reading: Reading
    since: str | None
    watermark: bool
    details: dict[str, Any]
    result: gate.GateResult
    """The raw gate's result so far: the header's, then the header's and the rows'."""
    batch_id: str = ""
    stored: int = 0
    hasher: Any = None
    rows_seen: list[pa.ChunkedArray] = field(default_factory=list)
    flags: dict[str, list[pa.ChunkedArray]] = field(
        default_factory=lambda: {raw.UNDECODABLE: [], raw.NUL_BYTE: [], raw.TOO_LARGE: []}
    )
    faults: list[raw.ValueFault] = field(default_factory=list)
    max_bytes: int = 0

    def __post_init__(self) -> None:
        self.batch_id = new_batch_id(self.started)
        self.hasher = None if self.reading.digest else hashlib.sha256()
        self.max_bytes = get_settings().max_field_bytes


def _store(engine: Engine, load: _Load, flow_run_id: str | None) -> Outcome:
    """Append the batch's chunks to its ODS table, pass the raw gate's row checks and record the
    batch, in one transaction; or roll it all back and say why."""
    resource = load.resource
    collected_at = clock.now()
    table = ods.ods_table(load.department, resource.id, [f.name for f in resource.fields])
    try:
        with _sqlite_writer if engine.dialect.name == "sqlite" else nullcontext(), engine.begin() as conn:
            ods.ensure_table(conn, table)
            _append(conn, table, load, collected_at)
            _check_rows(load)
            with Session(bind=conn) as session:
                done = _commit(session, load, table.name, flow_run_id)
    except _Abandon as abandon:
        _record(engine, load.result, load.run_id, load.department, resource.id, None)
        return abandon.outcome
    except SourceError as exc:
        if exc.transient:
            raise
        return load.outcome(
            "failed",
            rows_in=load.stored,
            rows_out=0,
            error=str(exc) + "; nothing from this batch was stored",
            details={**load.details, "code": exc.code, **failure(resource, exc.code)},
        )
    return done


def _append(conn: Connection, table: sa.Table, load: _Load, collected_at: dt.datetime) -> None:
    """Every chunk read, its per-row flags gathered and, while no value is faulty, appended."""
    by_column = {f.column: f.name for f in load.resource.fields}
    for picked, bad, values in prefetched(_prepare(load.reading.chunks, by_column, load.hasher, load.max_bytes)):
        load.rows_seen.append(picked.column(SOURCE_ROW))
        load.flags[raw.UNDECODABLE].append(bad)
        load.flags[raw.NUL_BYTE].append(values.nul)
        load.flags[raw.TOO_LARGE].append(values.too_large)
        load.faults.extend(values.faults)
        if not load.faults:
            load.stored += ods.append(conn, table, picked, load.batch_id, collected_at)


def _check_rows(load: _Load) -> None:
    """The raw gate's row checks; raises :class:`_Abandon` when there is nothing to keep: no rows past
    the high-water mark, or rows the gate refuses."""
    read = sum(len(r) for r in load.rows_seen)
    since, details = load.since, load.details
    if read == 0 and since is not None:
        note = {"since": since, "high_water": since, "note": "no rows past the high-water mark"}
        raise _Abandon(load.outcome("completed", rows_in=0, rows_out=0, details={**details, **note}))
    rows_suite = raw.rows_suite(load.department, load.resource, since is not None)
    rows_frame = raw.rows_frame(load.rows_seen, load.flags)
    load.result = gate.GateResult("raw", load.result.checks + gate.validate(rows_suite, rows_frame))
    details["gate"] = load.result.summary()
    if not load.result.passed:
        details.update(failure(load.resource, "RAW_GATE", checks=[c.rule for c in load.result.failed]))
        error = _rows_error(load.result, load.resource, load.faults, load.reading.description, load.max_bytes)
        raise _Abandon(
            load.outcome(
                "failed",
                rows_in=read,
                rows_out=0,
                error=error + "; nothing from this batch was stored",
                details=details,
            )
        )


def _commit(session: Session, load: _Load, ods_table: str, flow_run_id: str | None) -> Outcome:
    """The batch row with its fingerprint and high-water mark, its gate results and its ``run_log``
    row, in the transaction of its ODS rows; raises :class:`_Abandon` for content collected before."""
    department, resource, reading, details = load.department, load.resource.id, load.reading, load.details
    fingerprint = reading.digest or f"sha256:{load.hasher.hexdigest()}"
    earlier = batch_with(session, department, resource, fingerprint)
    if earlier is not None:
        raise _Abandon(
            load.outcome(
                "skipped",
                rows_in=load.stored,
                rows_out=0,
                reason=f"same content as batch {earlier.id}; nothing added",
                details=details,
            )
        )
    session.add(
        m.CollectBatch(
            id=load.batch_id,
            run_id=load.run_id,
            department_key=department,
            resource_key=resource,
            ods_table=ods_table,
            fingerprint=fingerprint,
            source=reading.description,
            rows=load.stored,
            since=load.since,
            high_water=reading.high_water if load.watermark else None,
            started_at=load.started,
            finished_at=clock.now(),
            notes=reading.notes,
        )
    )
    session.flush()
    gate.record(
        session, load.result, run_id=load.run_id, department=department, resource=resource, batch_id=load.batch_id
    )
    details.update({"batch_id": load.batch_id, "ods_table": ods_table})
    if load.watermark:
        details.update({"since": load.since, "high_water": reading.high_water})
    done = load.outcome("completed", rows_in=load.stored, rows_out=load.stored, details=details)
    return record_now(session, load.run_id, done, flow_run_id)


def _prepare(
    chunks,
    by_column: dict[str, str],
    hasher,
    max_bytes: int,
) -> Iterator[tuple[pa.Table, pa.ChunkedArray, raw.ValueChecks]]:
    """Each chunk as the ODS stores it, with its per-row decoding flags and value checks (run ahead
    in a thread)."""
    fields = list(by_column.values())
    for chunk in chunks:
        picked = _pick(chunk, by_column)
        if hasher is not None:
            hasher.update(_canonical_bytes(picked))
        yield picked, raw.undecodable(picked, fields), raw.value_checks(picked, fields, max_bytes)


def _pick(chunk: pa.Table, by_column: dict[str, str]) -> pa.Table:
    """The catalog's columns of a chunk under their field names (a column an API only sent on a
    later page is NULL in the earlier chunks)."""
    columns = {
        name: chunk.column(col) if col in chunk.column_names else pa.nulls(chunk.num_rows, pa.string())
        for col, name in by_column.items()
    }
    return pa.table({**columns, SOURCE_ROW: chunk.column(SOURCE_ROW)})


def _record(engine: Engine, result: gate.GateResult, run_id: str, department: str, resource: str, batch: str | None):
    with session_scope(engine) as session:
        gate.record(session, result, run_id=run_id, department=department, resource=resource, batch_id=batch)


def _canonical_bytes(chunk: pa.Table) -> bytes:
    """The chunk's values as CSV (without source row numbers), to fingerprint non-file sources."""
    buf = io.BytesIO()
    pacsv.write_csv(chunk.drop_columns([SOURCE_ROW]), buf, pacsv.WriteOptions(include_header=False))
    return buf.getvalue()


def _columns_error(resource: Resource, found: list[str], where: str) -> str:
    missing = [f for f in resource.fields if f.column not in found]
    parts = []
    for f in missing:
        guess = closest(f.column, [c for c in found if c not in {x.column for x in resource.fields}])
        hint = f" (did you mean '{guess}'? set source_column or fix the source)" if guess else ""
        parts.append(f"'{f.column}' for field '{f.name}'{hint}")
    return (
        f"{where}: the source lacks {len(missing)} column(s) the catalog declares: {', '.join(parts)}; "
        f"the source has: {', '.join(found)}; nothing was stored"
    )


def _rows_error(
    result: gate.GateResult,
    resource: Resource,
    faults: list[raw.ValueFault] | None = None,
    where: str = "",
    max_bytes: int = 0,
) -> str:
    """The raw gate's failure as a sentence; faulty values by source row and field, never their text."""
    q = resource.quality
    columns = {f.name: f.column for f in resource.fields}
    faults = faults or []

    def listed(kind: str, count: int | None, what: Callable[[raw.ValueFault], str]) -> str:
        shown = sorted((f for f in faults if f.kind == kind), key=lambda f: (f.row, f.field))[: raw.LISTED]
        named = [f"row {f.row} field '{f.field}' (column '{columns.get(f.field, f.field)}'{what(f)})" for f in shown]
        more = f" and {count - len(shown)} more row(s)" if count is not None and count > len(shown) else ""
        return ", ".join(named) + more + " (rows count the records from 1, header and title rows not counted)"

    parts = []
    for check in result.failed:
        if check.rule == "ROW_COUNT":
            bounds = f"at least {q.min_rows}" + (f" and at most {q.max_rows}" if q.max_rows else "")
            parts.append(f"the batch has {check.observed.get('observed_value')} rows; the catalog expects {bounds}")
        elif check.rule == "TEXT_NUL_BYTE":
            parts.append(
                f"{check.unexpected_count} row(s) of {where} hold a NUL byte (\\x00), which is not text and "
                f"cannot be stored: {listed('nul', check.unexpected_count, lambda f: '')}; "
                "remove the NUL bytes at the source (often a binary or fixed-width export)"
            )
        elif check.rule == "VALUE_TOO_LARGE":
            limit = _size(max_bytes)
            parts.append(
                f"{check.unexpected_count} row(s) of {where} hold a value larger than {limit} "
                f"(GONGSHU_MAX_FIELD_BYTES): {listed('size', check.unexpected_count, lambda f: ', ' + _size(f.size))}; "
                "shorten or remove the value at the source (a file, image or log does not belong in a catalog "
                "field), or raise the limit"
            )
        elif check.rule == "TEXT_UNDECODABLE":
            parts.append(
                f"{check.unexpected_count} rows hold text that was not decoded right (U+FFFD or 锟斤拷), "
                f"more than the catalog's max_invalid_ratio {q.max_invalid_ratio}: check the file's encoding"
            )
        else:
            parts.append(f"{check.rule} failed")
    return "raw gate failed: " + "; ".join(parts)


def _size(n: int) -> str:
    """Bytes as a person reads them: ``4 MiB``, ``5.2 MiB``, ``900 KiB``, ``12 bytes``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"
