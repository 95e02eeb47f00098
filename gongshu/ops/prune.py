"""Retention (``gongshu prune --older-than DURATION``): what goes, what stays, and why.

The command plans first (:func:`plan_prune`, which deletes nothing: the CLI's dry run) and deletes
only when told to (:func:`apply_prune`). The cut-off is ``now - older_than``.

**ODS batches** (scope ``ods``) may go as soon as the operator likes: the rows of ``ods_*`` tables
of a collected batch that finished before the cut-off, once the batch is cleansed (a ``completed``
or ``superseded`` ``cleanse_batch`` row), and only when a *later* batch of the same resource has a
completed cleansing. So a resource never loses its newest batch, nor the batch its DWD table
reflects, and a batch still pending cleansing (never cleansed, or its cleansing failed) is never
touched: the cleanse stage would lose its input. The ``collect_batch`` row stays: its fingerprint
keeps collecting the same content again a no-op, its high-water mark is where the next incremental
collection starts, and the cleanse stage reads which batches were done from it and ``cleanse_batch``.
It gets a note (:data:`PRUNED_NOTE`, see :func:`is_pruned`) saying its rows are gone.

**History** (scope ``history``): ``run_log``, ``quality_result``, ``api_call_log`` and
``download_log`` rows timestamped before the cut-off. The scorecard recomputes a past month (and the
month before it, for the comparison) from these logs, so they are kept at least
:data:`HISTORY_MINIMUM` (400 days: the last 12 months, the month before, and some slack). A shorter
``older_than`` with history in scope is refused with :class:`RetentionError`, never silently
lengthened: prune ODS batches sooner with ``scope=("ods",)``.

Never pruned: the catalog tables, ``collect_batch``, ``cleanse_batch``, ``quality_issue``, the DWD
tables, sharing requests, grants and keys, open releases and applications, stored scorecards.

:func:`apply_prune` deletes in slices of ``slice_rows``, each slice in its own transaction, so that
collections and API calls are never held up for long (SQLite has one writer at a time). It can be
interrupted and run again: a batch is marked pruned in the transaction of its last slice, and a
half-deleted batch is planned again. SQLite files do not shrink by themselves (``VACUUM`` does).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..store import models as m
from ..store.ods import BATCH_ID

SCOPES = ("ods", "history")
HISTORY_MINIMUM = dt.timedelta(days=400)
"""The least retention of the logs the scorecard recomputes past periods from."""
HISTORY: tuple[tuple[str, Any], ...] = (
    ("run_log", m.RunLog.started_at),
    ("quality_result", m.QualityResult.evaluated_at),
    ("api_call_log", m.ApiCallLog.called_at),
    ("download_log", m.DownloadLog.downloaded_at),
)
"""Log tables pruned by time, and the column each is aged by."""
CLEANSED = ("completed", "superseded")
PRUNED_NOTE = "ODS rows deleted by retention"
"""The start of the note a pruned batch's ``collect_batch.notes`` gets."""
SLICE_ROWS = 20_000
_IDS_PER_QUERY = 500
_UNITS = {
    "h": dt.timedelta(hours=1),
    "d": dt.timedelta(days=1),
    "w": dt.timedelta(weeks=1),
    "y": dt.timedelta(days=365),
}
_DURATION = re.compile(r"(\d+)\s*([a-z]*)")


class RetentionError(ValueError):
    """A prune that would delete what must be kept."""


def parse_duration(text: str) -> dt.timedelta:
    """``36h``, ``90d``, ``12w`` or ``2y`` (365 days a year). Months are refused (``m`` reads as
    minutes or months, and months differ in length): write days."""
    raw = text.strip().lower()
    match = _DURATION.fullmatch(raw)
    if not match:
        raise ValueError(f"{text!r} is not a duration: write a whole number and a unit, e.g. 90d, 12w, 36h or 2y")
    number, unit = int(match[1]), match[2]
    if unit in ("m", "mo", "mon", "month", "months", "min", "mins", "minute", "minutes"):
        raise ValueError(f"{text!r}: 'm' could mean months or minutes; write days instead, e.g. 180d for six months")
    if not unit:
        raise ValueError(f"{text!r} has no unit: write e.g. {number}d (h hours, d days, w weeks, y years of 365 days)")
    if unit not in _UNITS:
        raise ValueError(f"{text!r}: unknown unit {unit!r}; use h (hours), d (days), w (weeks) or y (365 days)")
    if number == 0:
        raise ValueError(f"{text!r}: a retention must be longer than zero")
    return number * _UNITS[unit]


@dataclass(frozen=True)
class BatchToPrune:
    batch_id: str
    department: str
    resource: str
    ods_table: str
    finished_at: dt.datetime
    rows: int


@dataclass(frozen=True)
class HistoryToPrune:
    table: str
    column: str
    rows: int


@dataclass
class PrunePlan:
    """What :func:`apply_prune` would delete (nothing is deleted by planning)."""

    now: dt.datetime
    older_than: dt.timedelta
    cutoff: dt.datetime
    scope: tuple[str, ...]
    batches: list[BatchToPrune] = field(default_factory=list)
    history: list[HistoryToPrune] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    """Batches older than the cut-off that stay, by reason."""

    @property
    def rows(self) -> dict[str, int]:
        """Rows to delete per table (ODS tables and logs), tables with none left out."""
        counts: dict[str, int] = defaultdict(int)
        for b in self.batches:
            counts[b.ods_table] += b.rows
        for h in self.history:
            counts[h.table] += h.rows
        return {t: n for t, n in sorted(counts.items()) if n}

    @property
    def empty(self) -> bool:
        return not self.batches and not any(h.rows for h in self.history)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "older_than_days": self.older_than / dt.timedelta(days=1),
            "scope": list(self.scope),
            "rows": self.rows,
            "batches": [
                {
                    "batch_id": b.batch_id,
                    "department": b.department,
                    "resource": b.resource,
                    "ods_table": b.ods_table,
                    "finished_at": b.finished_at.isoformat(),
                    "rows": b.rows,
                }
                for b in self.batches
            ],
            "kept": dict(self.kept),
            "history": {h.table: h.rows for h in self.history},
        }

    def describe(self) -> list[str]:
        """Lines for a person (the CLI's dry run)."""
        lines = [
            f"cut-off {self.cutoff:%Y-%m-%d %H:%M} UTC ({_days(self.older_than)} ago); scope: {', '.join(self.scope)}"
        ]
        if "ods" in self.scope:
            lines.append(f"ODS: {len(self.batches)} batch(es), {sum(b.rows for b in self.batches)} row(s)")
            lines += [f"  {table}: {n} row(s)" for table, n in self.rows.items() if table.startswith("ods_")]
            lines += [f"  kept although older: {n} batch(es), {why}" for why, n in self.kept.items() if n]
        for h in self.history:
            lines.append(f"{h.table}: {h.rows} row(s) with {h.column} before the cut-off")
        return lines


@dataclass
class PruneResult:
    cutoff: dt.datetime
    deleted: dict[str, int] = field(default_factory=dict)
    """Rows deleted per table."""
    batches: list[str] = field(default_factory=list)
    """Ids of the batches whose ODS rows are gone (marked pruned)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "deleted": dict(sorted(self.deleted.items())),
            "batches": self.batches,
        }


def _days(delta: dt.timedelta) -> str:
    days = delta / dt.timedelta(days=1)
    return f"{days:g} days"


def is_pruned(batch: m.CollectBatch) -> bool:
    """Whether the batch's ODS rows were deleted by retention (its ``collect_batch`` row stays).
    Cleansing such a batch again would read nothing."""
    return any(isinstance(n, str) and n.startswith(PRUNED_NOTE) for n in batch.notes or ())


def plan_prune(
    engine: Engine,
    older_than: dt.timedelta,
    *,
    scope: Sequence[str] = SCOPES,
    history_minimum: dt.timedelta = HISTORY_MINIMUM,
    now: dt.datetime | None = None,
) -> PrunePlan:
    """What a prune of everything older than ``older_than`` would delete (see the module docstring).
    Raises :class:`RetentionError` when history is in scope and ``older_than`` is shorter than
    ``history_minimum``; ``ValueError`` for an unknown scope or a retention not above zero."""
    unknown = [s for s in scope if s not in SCOPES]
    if unknown or not scope:
        raise ValueError(f"scope must be some of {', '.join(SCOPES)}, got {list(scope)}")
    if older_than <= dt.timedelta(0):
        raise ValueError("a retention must be longer than zero")
    if "history" in scope and older_than < history_minimum:
        raise RetentionError(
            f"run logs, quality results and API/download logs are kept at least {_days(history_minimum)}: the "
            f"scorecard recomputes past months from them; {_days(older_than)} is shorter. Prune only the ODS "
            f"batches (scope ods, `--only ods`), or give at least {_days(history_minimum)}"
        )
    now = now or clock.now()
    plan = PrunePlan(
        now=now, older_than=older_than, cutoff=now - older_than, scope=tuple(s for s in SCOPES if s in scope)
    )
    with engine.connect() as conn:
        if "ods" in plan.scope:
            plan.batches, plan.kept = _plan_batches(conn, plan.cutoff)
        if "history" in plan.scope:
            for table, column in HISTORY:
                n = conn.scalar(sa.select(sa.func.count()).select_from(column.table).where(column < plan.cutoff))
                plan.history.append(HistoryToPrune(table, column.key, int(n or 0)))
    return plan


def _plan_batches(conn: Connection, cutoff: dt.datetime) -> tuple[list[BatchToPrune], dict[str, int]]:
    b = m.CollectBatch
    later = aliased(m.CollectBatch)
    cleansed = sa.select(m.CleanseBatch.batch_id).where(m.CleanseBatch.status.in_(CLEANSED))
    completed = sa.select(m.CleanseBatch.batch_id).where(m.CleanseBatch.status == "completed")
    later_completed = (
        sa.exists()
        .where(later.department_key == b.department_key, later.resource_key == b.resource_key)
        .where(sa.or_(later.finished_at > b.finished_at, sa.and_(later.finished_at == b.finished_at, later.id > b.id)))
        .where(later.id.in_(completed))
    )
    old = sa.and_(b.finished_at < cutoff, sa.not_(sa.cast(b.notes, sa.Text).like(f"%{PRUNED_NOTE}%")))

    def count(*where: Any) -> int:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(b).where(old, *where)) or 0)

    kept = {
        "pending cleansing": count(b.id.not_in(cleansed)),
        "the latest cleansed data of their resource": count(b.id.in_(cleansed), sa.not_(later_completed)),
    }
    candidates = conn.execute(
        sa.select(b.id, b.department_key, b.resource_key, b.ods_table, b.finished_at)
        .where(old, b.id.in_(cleansed), later_completed)
        .order_by(b.finished_at, b.id)
    ).all()
    by_table: dict[str, list[Any]] = defaultdict(list)
    for row in candidates:
        by_table[row.ods_table].append(row)
    inspector = sa.inspect(conn)
    rows: dict[str, int] = {}
    for table, batch_rows in by_table.items():
        if not inspector.has_table(table):
            continue
        t = sa.table(table, sa.column(BATCH_ID))
        ids = [r.id for r in batch_rows]
        for start in range(0, len(ids), _IDS_PER_QUERY):
            part = ids[start : start + _IDS_PER_QUERY]
            query = sa.select(t.c[BATCH_ID], sa.func.count()).where(t.c[BATCH_ID].in_(part)).group_by(t.c[BATCH_ID])
            rows.update({batch_id: int(n) for batch_id, n in conn.execute(query)})
    batches = [
        BatchToPrune(r.id, r.department_key, r.resource_key, r.ods_table, r.finished_at, rows[r.id])
        for r in candidates
        if rows.get(r.id)
    ]
    return batches, kept


def apply_prune(engine: Engine, plan: PrunePlan, *, slice_rows: int = SLICE_ROWS) -> PruneResult:
    """Delete what ``plan`` lists, ``slice_rows`` at a time, each slice in its own transaction.
    Rows that aged past the plan's cut-off since it was made are deleted too (the cut-off is fixed)."""
    if slice_rows < 1:
        raise ValueError("slice_rows must be at least 1")
    result = PruneResult(cutoff=plan.cutoff)
    note = (
        f"{PRUNED_NOTE} on {clock.now():%Y-%m-%d %H:%M} UTC (batches finished before "
        f"{plan.cutoff:%Y-%m-%d %H:%M} UTC); this record stays"
    )
    for batch in plan.batches:
        deleted = _prune_batch(engine, batch, note, slice_rows)
        result.deleted[batch.ods_table] = result.deleted.get(batch.ods_table, 0) + deleted
        result.batches.append(batch.batch_id)
    for item in plan.history:
        column = dict(HISTORY)[item.table]
        result.deleted[item.table] = _prune_history(engine, column, plan.cutoff, slice_rows)
    return result


def _prune_batch(engine: Engine, batch: BatchToPrune, note: str, slice_rows: int) -> int:
    with engine.connect() as conn:
        exists = sa.inspect(conn).has_table(batch.ods_table)
    total = 0
    while True:
        with engine.begin() as conn:
            n = _delete_slice(conn, batch.ods_table, batch.batch_id, slice_rows) if exists else 0
            total += n
            if n < slice_rows:
                _mark(conn, batch.batch_id, note)
                return total


def _delete_slice(conn: Connection, table: str, batch_id: str, limit: int) -> int:
    name = conn.dialect.identifier_preparer.quote(table)
    dialect = conn.dialect.name
    if dialect == "sqlite":
        sql = f"DELETE FROM {name} WHERE rowid IN (SELECT rowid FROM {name} WHERE {BATCH_ID} = :b LIMIT :n)"
    elif dialect == "postgresql":
        sql = f"DELETE FROM {name} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {name} WHERE {BATCH_ID} = :b LIMIT :n))"
    else:  # no row address to slice by: the batch in one statement
        return conn.execute(sa.text(f"DELETE FROM {name} WHERE {BATCH_ID} = :b"), {"b": batch_id}).rowcount
    return conn.execute(sa.text(sql), {"b": batch_id, "n": limit}).rowcount


def _mark(conn: Connection, batch_id: str, note: str) -> None:
    with Session(bind=conn) as session:
        batch = session.get(m.CollectBatch, batch_id)
        if batch is not None and not is_pruned(batch):
            batch.notes = [*(batch.notes or []), note]
            session.flush()


def _prune_history(engine: Engine, column: Any, cutoff: dt.datetime, slice_rows: int) -> int:
    table = column.table
    total = 0
    while True:
        ids = sa.select(table.c.id).where(column < cutoff).limit(slice_rows)
        with engine.begin() as conn:
            n = conn.execute(sa.delete(table).where(table.c.id.in_(ids))).rowcount
        total += n
        if n < slice_rows:
            return total
