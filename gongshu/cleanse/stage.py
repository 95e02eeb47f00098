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

Entry point: ``cleanse_resource(engine, department, resource, run_id, *, expectations_dir, ...)``, in
the shape every stage's has (``<stage>_resource(engine, department, resource, run_id, *, what that
stage alone needs)``, returning the resource's :class:`~gongshu.runs.Outcome`). One batch's work is
``gongshu.cleanse.batch``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .. import claims, clock
from ..catalog.model import Resource
from ..ops.prune import is_pruned
from ..quality import docs
from ..quality.suites import SuiteError, load_suite, suite_path
from ..runs import Outcome, outcome_for, record_now
from ..store import dwd
from ..store import models as m
from ..store.db import session_scope
from .batch import BatchResult, Standardise, cleanse_batch

STAGE = "cleanse"


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
    pending = _to_cleanse(engine, department, resource.id, batch_id, outcome)
    if isinstance(pending, Outcome):
        return pending
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


def _to_cleanse(
    engine: Engine, department: str, resource: str, batch_id: str | None, outcome: Callable[..., Outcome]
) -> list[m.CollectBatch] | Outcome:
    """The batches to cleanse, oldest first: the pending ones, or the batch ``batch_id`` again; or the
    outcome saying why there is none."""
    with session_scope(engine) as session:
        if batch_id is not None:
            batch = session.get(m.CollectBatch, batch_id)
            if batch is None or (batch.department_key, batch.resource_key) != (department, resource):
                return outcome("failed", error=f"batch {batch_id} is not a collected batch of {department}.{resource}")
            if is_pruned(batch):
                return outcome(
                    "failed",
                    error=f"batch {batch_id} of {department}.{resource} cannot be cleansed again: "
                    "its ODS rows were deleted by retention (gongshu prune)",
                )
            pending = [batch]
        else:
            pending = pending_batches(session, department, resource)
        if not pending:  # cleansed by another run between the look and the claim
            return _nothing_to_do(session, department, resource, outcome)
        session.expunge_all()
    return pending


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
