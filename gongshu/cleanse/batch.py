"""One collected batch cleansed and committed (the cleansing stage, ``gongshu.cleanse.stage``, picks
the batches): its rows standardised, each given a status (loaded, quarantined, or merged into a later
row with the same primary key), the clean gate evaluated, and, in one transaction, the DWD rows
upserted when the gate passed, the batch's issues synced, the gate's results and the batch's
``cleanse_batch`` row written, with whatever the stage adds (the run's record)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .. import clock
from ..catalog.model import Resource
from ..quality import gate
from ..rules.result import CleanedTable
from ..store import dwd, ods
from ..store import models as m
from . import feedback_state, issues
from .table import standardise_table

STATUSES = ("loaded", "quarantined", "merged")
LOADED, QUARANTINED, MERGED = 0, 1, 2  # codes into STATUSES
STATUS = "_status"
Standardise = Callable[[Resource, pa.Table], CleanedTable]
# SQLite has one writer at a time: loads in this process take turns instead of waiting on its lock
_sqlite_writer = threading.Lock()


@dataclass
class BatchResult:
    batch_id: str
    rows_in: int = 0
    loaded: int = 0
    quarantined: int = 0
    merged: int = 0
    warned: int = 0
    gate: gate.GateResult | None = None
    issues: issues.IssueCounts | None = None
    rules: Counter = field(default_factory=Counter)
    """Rows per rule code (rejections, warnings, repairs and PK_DUPLICATE)."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def cleanse_batch(
    engine: Engine,
    department: str,
    resource: Resource,
    batch: m.CollectBatch,
    suite: Any,
    run_id: str,
    *,
    full_snapshot: bool,
    superseded: Sequence[m.CollectBatch] = (),
    standardise: Standardise | None = None,
    commit_with: Callable[[Session, BatchResult], None] | None = None,
) -> BatchResult:
    """Cleanse one batch and commit it: DWD rows, issues, gate results, its ``cleanse_batch`` row,
    the department's feedback generation and whatever ``commit_with(session, result)`` adds (the
    run's record), all in one transaction."""
    started = clock.now()
    names = [f.name for f in resource.fields]
    result = BatchResult(batch.id)
    with engine.connect() as conn:
        raw = ods.read_batch(conn, department, resource.id, names, batch.id)
    result.rows_in = raw.num_rows

    cleaned = (standardise or standardise_table)(resource, raw)
    status, keep = split(resource, cleaned)
    _count(result, cleaned, status)
    if result.loaded + result.quarantined + result.merged != result.rows_in:  # pragma: no cover - a defect
        result.error = (
            f"row accounting does not add up for batch {batch.id}: {result.rows_in} in, {result.loaded} loaded, "
            f"{result.quarantined} quarantined, {result.merged} merged; nothing was loaded"
        )
        return result

    loaded = cleaned.table.take(pa.array(keep)).append_column(ods.SOURCE_ROW, raw.column(ods.SOURCE_ROW).take(keep))
    frames = {
        "table": loaded.drop_columns([ods.SOURCE_ROW]).to_pandas(),
        "rows": pd.DataFrame({STATUS: pd.Categorical.from_codes(status, categories=list(STATUSES))}),
    }
    result.gate = gate.evaluate_scoped("clean", suite, frames)
    keys = issues.record_keys(resource, raw, cleaned)
    done = _Cleansed(
        department, resource, batch, run_id, started, result, loaded, keys, issues.found(raw, cleaned, keys)
    )
    if not result.gate.passed:
        result.error = _gate_error(result, resource)
    _commit(engine, done, full_snapshot, superseded, commit_with)
    return result


def _count(result: BatchResult, cleaned: CleanedTable, status: np.ndarray) -> None:
    """The batch's rows by status, its warned rows that load, and its rows per rule code."""
    result.loaded = int((status == LOADED).sum())
    result.quarantined = int((status == QUARANTINED).sum())
    result.merged = int((status == MERGED).sum())
    result.warned = int(np.count_nonzero(cleaned.warned & (status == LOADED)))
    result.rules = _rule_counts(cleaned, status)


@dataclass
class _Cleansed:
    """A batch cleansed in memory and judged by the clean gate, to be committed."""

    department: str
    resource: Resource
    batch: m.CollectBatch
    run_id: str
    started: dt.datetime
    result: BatchResult
    loaded: pa.Table
    """The rows to load, with their source row numbers."""
    keys: pa.Array
    """Per source row, the record's identity (``issues.record_keys``)."""
    problems: issues.Found


def _commit(
    engine: Engine,
    c: _Cleansed,
    full_snapshot: bool,
    superseded: Sequence[m.CollectBatch],
    commit_with: Callable[[Session, BatchResult], None] | None,
) -> None:
    """The DWD rows (when the gate passed), the issues, the gate's results, the ``cleanse_batch``
    rows and ``commit_with``'s, and the department's feedback generation, in one transaction."""
    result, department, resource = c.result, c.department, c.resource
    table = dwd.dwd_table(department, resource)
    passed = result.gate is not None and result.gate.passed
    with _sqlite_writer if engine.dialect.name == "sqlite" else nullcontext(), engine.begin() as conn:
        if passed:
            ods.ensure_table(conn, table)
            written = dwd.upsert(conn, table, c.loaded, c.batch.id, clock.now(), replace=full_snapshot)
            if written != result.loaded:  # pragma: no cover - a defect
                raise RuntimeError(f"{written} rows written to {table.name}, {result.loaded} expected")
        with Session(bind=conn) as session:
            present = set(c.keys.to_pylist()) if passed else None
            result.issues = issues.sync(
                session,
                department,
                resource.id,
                c.batch.id,
                c.batch.finished_at,
                c.problems,
                present,
                full_snapshot=full_snapshot,
            )
            assert result.gate is not None  # evaluated before any commit
            gate.record(
                session, result.gate, run_id=c.run_id, department=department, resource=resource.id, batch_id=c.batch.id
            )
            finished = clock.now()
            session.add(_record(result, department, resource.id, c.run_id, table.name, c.started, finished))
            if passed:
                session.add_all(_superseded(c, superseded, table.name, finished))
            session.flush()
            if commit_with is not None:
                commit_with(session, result)
            feedback_state.bump(session, department)  # last: on PostgreSQL it locks the department's row
            session.flush()


def _superseded(
    c: _Cleansed, superseded: Sequence[m.CollectBatch], table: str, finished: dt.datetime
) -> list[m.CleanseBatch]:
    """The ``cleanse_batch`` rows of the older full snapshots this batch, cleansed instead, supersedes."""
    return [
        m.CleanseBatch(
            batch_id=old.id,
            run_id=c.run_id,
            department_key=c.department,
            resource_key=c.resource.id,
            status="superseded",
            rows_in=old.rows,
            dwd_table=table,
            error=f"a newer full snapshot, batch {c.batch.id}, was cleansed instead",
            started_at=c.started,
            finished_at=finished,
        )
        for old in superseded
    ]


def split(resource: Resource, cleaned: CleanedTable) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a code into STATUSES: loaded, quarantined or merged (an earlier valid row whose
    primary key a later valid row repeats); and the positions of the rows to load, in source order."""
    n = cleaned.table.num_rows
    status = np.full(n, LOADED, dtype=np.int8)
    status[cleaned.rejected] = QUARANTINED
    valid = np.flatnonzero(~cleaned.rejected)
    if resource.primary_key and len(valid):
        keys = pd.DataFrame({k: cleaned.table.column(k).take(valid).to_pandas() for k in resource.primary_key})
        earlier = keys.duplicated(keep="last").to_numpy()
        status[valid[earlier]] = MERGED
        valid = valid[~earlier]
    return status, valid


def _rule_counts(cleaned: CleanedTable, status: np.ndarray) -> Counter:
    f = cleaned.findings
    counts: Counter[str] = Counter()
    if f.num_rows:
        pairs = (
            pa.table({"row": f.column("row"), "code": f.column("code")})
            .group_by(["code"])
            .aggregate([("row", "count_distinct")])
        )
        counts.update(
            dict(zip(pairs.column("code").to_pylist(), pairs.column("row_count_distinct").to_pylist(), strict=True))
        )
    merged = int((status == MERGED).sum())
    if merged:
        counts["PK_DUPLICATE"] = merged
    return counts


def _record(
    result: BatchResult,
    department: str,
    resource: str,
    run_id: str,
    table: str,
    started: dt.datetime,
    finished: dt.datetime,
) -> m.CleanseBatch:
    return m.CleanseBatch(
        batch_id=result.batch_id,
        run_id=run_id,
        department_key=department,
        resource_key=resource,
        status="completed" if result.ok else "failed",
        rows_in=result.rows_in,
        loaded=result.loaded if result.ok else 0,
        quarantined=result.quarantined,
        merged=result.merged,
        warnings=result.warned,
        gate_passed=result.gate.passed if result.gate else None,
        dwd_table=table,
        error=result.error,
        started_at=started,
        finished_at=finished,
    )


def _gate_error(result: BatchResult, resource: Resource) -> str:
    parts = []
    for check in result.gate.failed if result.gate else []:
        if check.rule == "INVALID_RATIO":
            share = result.quarantined / result.rows_in if result.rows_in else 0
            parts.append(
                f"{result.quarantined} of {result.rows_in} rows ({share:.1%}) were quarantined, more than the "
                f"catalog's max_invalid_ratio {resource.quality.max_invalid_ratio:.1%}"
            )
        elif check.rule == "ROW_COUNT":
            parts.append(
                f"{result.loaded} rows would be loaded; the catalog expects at least {resource.quality.min_rows}"
            )
        else:
            where = f" on '{check.column}'" if check.column else ""
            count = f" ({check.unexpected_count} rows)" if check.unexpected_count else ""
            parts.append(f"{check.rule}{where}{count}")
    if not parts and result.gate is not None and result.gate.evaluated == 0:
        parts.append("the gate evaluated no expectation")
    top = ", ".join(f"{code} {n}" for code, n in result.rules.most_common(5) if code != "PK_DUPLICATE")
    hint = f"; most frequent problems: {top}" if top else ""
    return (
        f"clean gate failed for batch {result.batch_id}: " + "; ".join(parts) + hint + "; the DWD table was left "
        "as it was, the problems were sent to the department's feedback workbook"
    )
