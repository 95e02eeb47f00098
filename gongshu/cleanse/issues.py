"""Quality issues (数据质量问题): the problems found in a department's records, kept open until a
later batch brings the record without them. 问题整改率 and 整改时长 are scored on these.

An issue is one record × field × rule. The record is known by its primary-key values (as
standardised, or as written where the key itself is what is wrong), or by ``#<source row>`` when
it has none. A batch that passes the clean gate closes the open issues of the records it brings
without the problem; a full snapshot (a resource collected whole each time) also closes those of
records it no longer holds: the department removed or re-keyed them. A batch that fails the gate
opens issues but closes none: its records were not published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..catalog.model import Resource
from ..rules.result import REJECT, WARN, CleanedTable
from ..store import models as m
from ..store.ods import SOURCE_ROW

OPEN, FIXED = "open", "fixed"
_SEEN = ("original", "source_row", "last_batch_id", "last_seen")


def _params(values: dict) -> dict:
    """Bind names for an executemany UPDATE (they may not be the column names themselves)."""
    return {f"p_{k}": values[k] for k in _SEEN}


@dataclass(frozen=True)
class IssueCounts:
    opened: int
    reopened: int
    fixed: int
    still_open: int
    """Open issues of the resource after this batch."""

    def to_dict(self) -> dict[str, int]:
        return {"opened": self.opened, "reopened": self.reopened, "fixed": self.fixed, "open": self.still_open}


def record_keys(resource: Resource, raw: pa.Table, cleaned: CleanedTable) -> pa.Array:
    """Per row, the record's identity: primary-key values joined by '|' (standardised where the
    value was accepted, else as written, trimmed), or ``#<source row>``."""
    source_rows = pc.cast(raw.column(SOURCE_ROW), pa.string())
    by_row = pc.binary_join_element_wise("#", source_rows, "")
    if not resource.primary_key:
        return by_row.combine_chunks() if isinstance(by_row, pa.ChunkedArray) else by_row
    parts = []
    for name in resource.primary_key:
        written = pc.utf8_trim_whitespace(raw.column(name))
        written = pc.if_else(pc.equal(written, ""), pa.scalar(None, pa.string()), written)
        parts.append(pc.coalesce(cleaned.table.column(name), written))
    joined = pc.binary_join_element_wise(*parts, "|", null_handling="replace", null_replacement="")
    empty = pc.and_(*[pc.is_null(p) for p in parts]) if len(parts) > 1 else pc.is_null(parts[0])
    keys = pc.if_else(empty, by_row, joined)
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys


@dataclass(frozen=True)
class Found:
    """The problems of one batch worth an issue (rejections and warnings), one per record × field × rule."""

    keys: list[str]
    fields: list[str]
    codes: list[str]
    severities: list[str]
    originals: list[str | None]
    source_rows: list[int]

    def identities(self) -> set[tuple[str, str, str]]:
        return set(zip(self.keys, self.fields, self.codes, strict=True))


def found(raw: pa.Table, cleaned: CleanedTable, keys: pa.Array) -> Found:
    f = cleaned.findings
    keep = pc.is_in(f.column("severity"), pa.array([REJECT, WARN]))
    f = f.filter(keep)
    rows = f.column("row").to_numpy()
    fields = f.column("field").to_pylist()
    originals: list[str | None] = [None] * len(rows)
    for name in set(fields):  # originals gathered column by column (a take per field, not per finding)
        at = np.flatnonzero(np.array(fields, dtype=object) == name)
        values = raw.column(name).take(pa.array(rows[at])).to_pylist()
        for k, v in zip(at, values, strict=True):
            originals[k] = v
    # a record listed twice in one batch: its last row speaks for it
    latest: dict[tuple[str, str, str], int] = {}
    key_list = keys.take(pa.array(rows)).to_pylist()
    codes = f.column("code").to_pylist()
    for i, ident in enumerate(zip(key_list, fields, codes, strict=True)):
        latest[ident] = i
    pick = sorted(latest.values())
    source_rows = raw.column(SOURCE_ROW).take(pa.array(rows[pick] if pick else [], pa.int64())).to_pylist()
    sev = f.column("severity").to_pylist()
    return Found(
        keys=[key_list[i] for i in pick],
        fields=[fields[i] for i in pick],
        codes=[codes[i] for i in pick],
        severities=[sev[i] for i in pick],
        originals=[originals[i] for i in pick],
        source_rows=source_rows,
    )


_TABLE: sa.Table = m.QualityIssue.__table__  # type: ignore[assignment]
_BY_ID: sa.BindParameter[Any] = sa.bindparam("_id")


def _existing(session: Session, department: str, resource: str) -> dict[tuple[str, str, str], Any]:
    """The resource's issues (id and status) by record key, field and code."""
    table = _TABLE
    return {
        (r.record_key, r.field, r.code): r
        for r in session.execute(
            sa.select(table.c.id, table.c.record_key, table.c.field, table.c.code, table.c.status).where(
                table.c.department_key == department, table.c.resource_key == resource
            )
        )
    }


@dataclass
class _Seen:
    """The problems of a batch sorted against the existing issues."""

    new: list[dict[str, Any]] = field(default_factory=list)
    refresh: list[dict[str, Any]] = field(default_factory=list)
    reopen: list[dict[str, Any]] = field(default_factory=list)


def _sort(
    problems: Found,
    existing: dict[tuple[str, str, str], Any],
    department: str,
    resource: str,
    batch_id: str,
    seen_at: dt.datetime,
) -> _Seen:
    """Each problem as a new issue, a refreshed open one or a reopened fixed one."""
    seen = _Seen()
    for key, field_name, code, severity, original, row in zip(
        problems.keys,
        problems.fields,
        problems.codes,
        problems.severities,
        problems.originals,
        problems.source_rows,
        strict=True,
    ):
        hit = existing.get((key, field_name, code))
        values = {"original": original, "source_row": row, "last_batch_id": batch_id, "last_seen": seen_at}
        if hit is None:
            seen.new.append(
                {
                    "department_key": department,
                    "resource_key": resource,
                    "record_key": key,
                    "field": field_name,
                    "code": code,
                    "severity": severity,
                    "status": OPEN,
                    "first_batch_id": batch_id,
                    "first_seen": seen_at,
                    **values,
                }
            )
        elif hit.status == FIXED:
            seen.reopen.append({"_id": hit.id, **_params(values)})
        else:
            seen.refresh.append({"_id": hit.id, **_params(values)})
    return seen


def _write_seen(session: Session, seen: _Seen) -> None:
    table = _TABLE
    if seen.new:
        session.execute(sa.insert(m.QualityIssue), seen.new)
    last: dict[str, sa.BindParameter[Any]] = {k: sa.bindparam(f"p_{k}") for k in _SEEN}
    if seen.refresh:
        session.execute(table.update().where(table.c.id == _BY_ID).values(last), seen.refresh)
    if seen.reopen:
        session.execute(
            table.update()
            .where(table.c.id == _BY_ID)
            .values({**last, "status": OPEN, "fixed_at": None, "fixed_batch_id": None}),
            seen.reopen,
        )


def _close(
    session: Session,
    existing: dict[tuple[str, str, str], Any],
    problems: Found,
    present: set[str],
    full_snapshot: bool,
    batch_id: str,
    seen_at: dt.datetime,
) -> int:
    """Close the open issues the batch no longer has (of its records, or of all in a full snapshot)."""
    table = _TABLE
    current = problems.identities()
    to_fix = [
        {"_id": r.id}
        for ident, r in existing.items()
        if r.status == OPEN and ident not in current and (full_snapshot or ident[0] in present)
    ]
    if to_fix:
        session.execute(
            table.update().where(table.c.id == _BY_ID).values(status=FIXED, fixed_at=seen_at, fixed_batch_id=batch_id),
            to_fix,
        )
    return len(to_fix)


def sync(
    session: Session,
    department: str,
    resource: str,
    batch_id: str,
    seen_at: dt.datetime,
    problems: Found,
    present: set[str] | None,
    *,
    full_snapshot: bool,
) -> IssueCounts:
    """Open, refresh and close the resource's issues for one batch (see the module docstring).

    ``present``: the record keys the batch holds, or None when the batch may close nothing (it
    failed the gate). Running it twice for the same batch changes nothing."""
    table = _TABLE
    existing = _existing(session, department, resource)
    seen = _sort(problems, existing, department, resource, batch_id, seen_at)
    _write_seen(session, seen)
    fixed = 0
    if present is not None:
        fixed = _close(session, existing, problems, present, full_snapshot, batch_id, seen_at)
    still_open = session.scalar(
        sa.select(sa.func.count())
        .select_from(table)
        .where(table.c.department_key == department, table.c.resource_key == resource, table.c.status == OPEN)
    )
    return IssueCounts(opened=len(seen.new), reopened=len(seen.reopen), fixed=fixed, still_open=still_open or 0)
