"""The cleansing stage (数据治理) for one resource: each collected batch not yet cleansed is
standardised field by field, split into the rows to load and the rows to quarantine (each keeping
all its reason codes), de-duplicated on the primary key (the latest row wins), passed through the
clean gate, and upserted into the DWD table in one transaction with its issues and its record.

Which batches: a resource collected whole each time (no watermark) is a series of full snapshots,
so only the newest batch not yet cleansed is cleansed and the older ones are marked superseded; an
incremental resource's batches are deltas, cleansed in collection order, stopping at the first that
fails (a later delta must not overtake an earlier one).

Every batch accounts for its rows: rows in = loaded + quarantined + merged, or the batch fails.
A failed gate leaves the DWD table as it was; the batch's problems are still recorded as issues so
the department hears of them, and the batch is tried again by the next run.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .. import claims, clock
from ..catalog.model import Resource
from ..ops.prune import is_pruned
from ..quality import docs, gate
from ..quality.suites import SuiteError, load_suite, suite_path
from ..rules.result import CleanedTable
from ..runs import Outcome, outcome_for, record_now
from ..store import dwd, ods
from ..store import models as m
from ..store.db import session_scope
from . import feedback_state, issues
from .table import standardise_table

STAGE = "cleanse"
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


def pending_batches(session: Session, department: str, resource: str) -> list[m.CollectBatch]:
    """Collected batches of the resource without a completed or superseded cleansing, oldest first."""
    done = (
        sa.select(m.CleanseBatch.batch_id)
        .where(m.CleanseBatch.department_key == department, m.CleanseBatch.resource_key == resource)
        .where(m.CleanseBatch.status.in_(("completed", "superseded")))
    )
    return list(
        session.scalars(
            sa.select(m.CollectBatch)
            .where(m.CollectBatch.department_key == department, m.CollectBatch.resource_key == resource)
            .where(m.CollectBatch.id.not_in(done))
            .order_by(m.CollectBatch.finished_at, m.CollectBatch.id)
        )
    )


def cleanse_resource(
    engine: Engine,
    department: str,
    resource: Resource,
    run_id: str,
    *,
    expectations_dir: Path,
    batch_id: str | None = None,
    results_home: Path | None = None,
    standardise: Standardise | None = None,
    flow_run_id: str | None = None,
) -> Outcome:
    """Cleanse the resource's pending batches (or, with ``batch_id``, that one batch again).
    ``results_home``: keep the gate's latest GX results there, for ``gongshu quality docs``.
    ``standardise``: what stands in for :func:`standardise_table` (same result, computed elsewhere:
    in chunks on a Dask cluster, see ``gongshu.cleanse.chunks``).

    A resource with something to cleanse is claimed first (``gongshu.claims``): while another run
    cleanses it, this one skips it saying so. The outcome of cleansed batches is written to
    ``run_log`` here, in the transaction of each batch's DWD commit, so that a process killed after
    that commit still leaves its record; such an outcome comes back marked logged. Outcomes of no
    commit (nothing to do, busy, no suite) are left to the flow's writer."""
    started = clock.now()
    outcome = outcome_for(STAGE, department, resource.id, started)
    if batch_id is None:  # nothing to do needs no claim
        with session_scope(engine) as session:
            if not pending_batches(session, department, resource.id):
                return _nothing_to_do(session, department, resource.id, outcome)
    claim = claims.acquire(engine, STAGE, department, resource.id, run_id)
    if isinstance(claim, claims.Busy):
        return outcome("skipped", reason=claim.reason("cleansed"))
    try:
        with claims.kept_alive(engine, claim):
            return _cleanse_claimed(
                engine,
                department,
                resource,
                run_id,
                claim,
                outcome,
                expectations_dir=expectations_dir,
                batch_id=batch_id,
                results_home=results_home,
                standardise=standardise,
                flow_run_id=flow_run_id,
            )
    finally:
        claims.release(engine, claim)


def _nothing_to_do(session: Session, department: str, resource: str, outcome: Callable[..., Outcome]) -> Outcome:
    last = session.scalar(
        sa.select(m.CleanseBatch)
        .where(m.CleanseBatch.department_key == department, m.CleanseBatch.resource_key == resource)
        .where(m.CleanseBatch.status == "completed")
        .order_by(m.CleanseBatch.finished_at.desc())
        .limit(1)
    )
    reason = (
        f"no batch collected since batch {last.batch_id} was cleansed (run {last.run_id}); nothing to do"
        if last
        else "nothing collected yet: run the collect stage first"
    )
    return outcome("skipped", reason=reason)


def _cleanse_claimed(
    engine: Engine,
    department: str,
    resource: Resource,
    run_id: str,
    claim: claims.Claim,
    outcome: Callable[..., Outcome],
    *,
    expectations_dir: Path,
    batch_id: str | None,
    results_home: Path | None,
    standardise: Standardise | None,
    flow_run_id: str | None,
) -> Outcome:
    full_snapshot = not getattr(resource.source, "watermark", None)
    with session_scope(engine) as session:
        if batch_id is not None:
            batch = session.get(m.CollectBatch, batch_id)
            if batch is None or (batch.department_key, batch.resource_key) != (department, resource.id):
                return outcome(
                    "failed", error=f"batch {batch_id} is not a collected batch of {department}.{resource.id}"
                )
            if is_pruned(batch):
                return outcome(
                    "failed",
                    error=f"batch {batch_id} of {department}.{resource.id} cannot be cleansed again: "
                    "its ODS rows were deleted by retention (gongshu prune)",
                )
            pending = [batch]
        else:
            pending = pending_batches(session, department, resource.id)
        if not pending:  # cleansed by another run between the look and the claim
            return _nothing_to_do(session, department, resource.id, outcome)
        session.expunge_all()

    path = suite_path(expectations_dir, department, resource.id)
    try:
        suite = load_suite(path)
    except SuiteError as exc:
        return outcome("failed", error=f"the clean gate cannot run: {exc}; nothing was loaded")

    units, superseded = (pending[-1:], pending[:-1]) if full_snapshot else (pending, [])
    results: list[BatchResult] = []
    logged: list[Outcome] = []

    def commit_with(session: Session, result: BatchResult) -> None:
        """In the batch's transaction: the outcome so far into ``run_log``, the claim refreshed."""
        done = _outcome(outcome, department, resource, [*results, result], superseded)
        logged[:] = [record_now(session, run_id, done, flow_run_id)]
        claims.refresh(session.connection(), claim)

    for batch in units:
        try:
            result = cleanse_batch(
                engine,
                department,
                resource,
                batch,
                suite,
                run_id,
                full_snapshot=full_snapshot,
                superseded=superseded,
                standardise=standardise,
                commit_with=commit_with,
            )
        except claims.ClaimLost as exc:
            return outcome("failed", error=str(exc))
        if results_home is not None and result.gate is not None:
            docs.save_results(results_home, department, resource.id, result.gate)
        results.append(result)
        if not result.ok:
            break
    return logged[0]


def _outcome(
    outcome: Callable[..., Outcome],
    department: str,
    resource: Resource,
    results: list[BatchResult],
    superseded: list[m.CollectBatch],
) -> Outcome:
    """The resource's outcome after ``results`` (the batches cleansed so far, in order)."""
    details = _details(department, resource, results, superseded)
    rows = {
        "rows_in": sum(r.rows_in for r in results),
        "rows_out": sum(r.loaded for r in results if r.ok),
    }
    failed = next((r for r in results if not r.ok), None)
    if failed is not None:
        return outcome("failed", error=failed.error, details=details, **rows)
    return outcome("completed", details=details, **rows)


def cleanse_batch(
    engine: Engine,
    department: str,
    resource: Resource,
    batch: m.CollectBatch,
    suite: Any,
    run_id: str,
    *,
    full_snapshot: bool,
    superseded: list[m.CollectBatch] = (),  # type: ignore[assignment]
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
    result.loaded = int((status == LOADED).sum())
    result.quarantined = int((status == QUARANTINED).sum())
    result.merged = int((status == MERGED).sum())
    result.warned = int(np.count_nonzero(cleaned.warned & (status == LOADED)))
    result.rules = _rule_counts(cleaned, status)
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
    problems = issues.found(raw, cleaned, keys)
    table = dwd.dwd_table(department, resource)
    seen_at = batch.finished_at
    passed = result.gate.passed
    if not passed:
        result.error = _gate_error(result, resource)
    with _sqlite_writer if engine.dialect.name == "sqlite" else nullcontext(), engine.begin() as conn:
        if passed:
            ods.ensure_table(conn, table)
            written = dwd.upsert(conn, table, loaded, batch.id, clock.now(), replace=full_snapshot)
            if written != result.loaded:  # pragma: no cover - a defect
                raise RuntimeError(f"{written} rows written to {table.name}, {result.loaded} expected")
        with Session(bind=conn) as session:
            present = set(keys.to_pylist()) if passed else None
            result.issues = issues.sync(
                session,
                department,
                resource.id,
                batch.id,
                seen_at,
                problems,
                present,
                full_snapshot=full_snapshot,
            )
            gate.record(
                session, result.gate, run_id=run_id, department=department, resource=resource.id, batch_id=batch.id
            )
            finished = clock.now()
            session.add(_record(result, department, resource.id, run_id, table.name, started, finished))
            if passed:
                for old in superseded:
                    session.add(
                        m.CleanseBatch(
                            batch_id=old.id,
                            run_id=run_id,
                            department_key=department,
                            resource_key=resource.id,
                            status="superseded",
                            rows_in=old.rows,
                            dwd_table=table.name,
                            error=f"a newer full snapshot, batch {batch.id}, was cleansed instead",
                            started_at=started,
                            finished_at=finished,
                        )
                    )
            session.flush()
            if commit_with is not None:
                commit_with(session, result)
            feedback_state.bump(session, department)  # last: on PostgreSQL it locks the department's row
            session.flush()
    return result


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
    counts = Counter()
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


def _details(
    department: str, resource: Resource, results: list[BatchResult], superseded: list[m.CollectBatch]
) -> dict[str, Any]:
    last = results[-1]
    rules: Counter = Counter()
    for r in results:
        rules.update(r.rules)
    details: dict[str, Any] = {
        "batches": [r.batch_id for r in results],
        "rows_quarantined": sum(r.quarantined for r in results),
        "rows_merged": sum(r.merged for r in results),
        "rows_warned": sum(r.warned for r in results),
        "dwd_table": dwd.dwd_table_name(department, resource.id),
        "rules": dict(sorted(rules.items())),
    }
    if last.gate is not None:
        details["gate"] = {**last.gate.summary(), "checks": [c.to_dict() for c in last.gate.checks]}
    if last.issues is not None:
        details["issues"] = last.issues.to_dict()
    if superseded:
        details["superseded"] = [b.id for b in superseded]
    return details
