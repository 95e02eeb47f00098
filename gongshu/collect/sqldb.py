"""SQL sources: a department's front database (前置库) read through SQLAlchemy, in full or by watermark.

The source names a ``table`` (optionally ``schema.table``) or a ``query`` (a SELECT, read as the
subquery ``SELECT * FROM (<query>) AS q``). With a ``watermark`` column and ``since`` (the previous
run's ``high_water``), only rows whose watermark is greater than ``since`` are read; rows are always
ordered by the watermark (then by the primary key, or the other columns) so that the order is stable
and the last watermark read is the largest. ``since`` is bound as text without a type so that each
database converts it to the column's type (PostgreSQL infers it; MariaDB and SQLite coerce it).

Rows are streamed (server-side cursors where the driver has them) in chunks of ``chunk_rows``;
values become text as :func:`render_value` writes them, exactly the same for every database. The URL
is never shown with its password: descriptions and messages use the URL with the password hidden.
The database is ``sqltarget.py``; what is read, and in which order, ``sqlplan.py``.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Engine

from gongshu.catalog.model import SqlSource

from .base import DEFAULT_CHUNK_ROWS, SOURCE_ROW, ClosingChunks, Reading, SourceError, source_rows
from .sqlplan import SqlPlan, execute, plan_read
from .sqltarget import SqlTarget
from .values import render_value


def read_sql(
    source: SqlSource,
    catalog_dir: Path,
    *,
    since: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    env: Mapping[str, str] | None = None,
) -> Reading:
    """Open a SQL source: connect, find the columns, start the (ordered, filtered) read."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    env = os.environ if env is None else env
    target = SqlTarget.of(source, Path(catalog_dir), env)
    engine = target.engine()
    conn: Connection | None = None
    try:
        conn = target.connect(engine)
        plan = plan_read(conn, source, target)
        wm = plan.watermark
        params: dict[str, Any] = {}
        if wm is not None and since is not None:
            params["since"] = since
        elif since is not None:
            plan.notes.append(f"since={since!r} ignored: the source has no watermark, so it is read in full")
        result = execute(conn, plan, params, chunk_rows, target)
    except BaseException:
        if conn is not None:
            conn.invalidate()
            conn.close()
        engine.dispose()
        raise

    description = f"sql {target.label} {plan.what}"
    if wm is not None:
        description += f" watermark {wm}" + (f" > {since}" if since is not None else " (full read)")
    reading = Reading(
        columns=list(plan.columns),
        chunks=iter(()),
        notes=plan.notes,
        high_water=since if wm is not None else None,
        description=description,
    )

    ref = weakref.ref(reading)  # no cycle: a dropped reading releases its connection at once

    def finish(high_water: str | None) -> None:
        target_reading = ref()
        if target_reading is not None and wm is not None and high_water is not None:
            target_reading.high_water = high_water

    reading.chunks = ClosingChunks(
        _chunks(result, plan, chunk_rows, target, finish),
        lambda exhausted: _release(result, conn, engine, exhausted),
    )
    return reading


# --------------------------------------------------------------------------------------------------
# the chunks


def _chunks(
    result: CursorResult, plan: SqlPlan, chunk_rows: int, target: SqlTarget, finish: Callable[[str | None], None]
) -> Iterator[pa.Table]:
    columns = plan.columns
    wm_index = columns.index(plan.watermark) if plan.watermark is not None else None
    next_row = 1
    high_water: str | None = None
    parts = result.partitions(chunk_rows)
    while True:
        try:
            rows = next(parts, None)
        except sa.exc.DBAPIError as exc:
            raise target.db_error(exc, f"the read of {plan.what} after row {next_row - 1}") from None
        if rows is None:
            break
        if not rows:
            continue
        arrays: dict[str, pa.Array] = {}
        for i, name in enumerate(columns):
            values = _render_column([row[i] for row in rows], name, next_row, plan, target)
            arrays[name] = pa.array(values, type=pa.string())
            if i == wm_index:
                last = next((v for v in reversed(values) if v is not None), None)
                high_water = last if last is not None else high_water
        arrays[SOURCE_ROW] = source_rows(next_row, len(rows))
        next_row += len(rows)
        yield pa.table(arrays)
    finish(high_water)


def _render_column(values: list[Any], name: str, first_row: int, plan: SqlPlan, target: SqlTarget) -> list[str | None]:
    try:
        return [v if type(v) is str else render_value(v) for v in values]
    except UnicodeDecodeError:
        for offset, value in enumerate(values):
            try:
                render_value(value)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    "SOURCE_ENCODING",
                    f"column {name} of row {first_row + offset} of {plan.what} holds bytes that are not UTF-8 "
                    f"({exc.reason} at byte {exc.start})",
                    location=target.safe,
                    line=None,
                ) from None
        raise


def _release(result: CursorResult, conn: Connection, engine: Engine, exhausted: bool) -> None:
    try:
        pending = getattr(getattr(result, "cursor", None), "_result", None)
        if not exhausted and pending is not None and getattr(pending, "unbuffered_active", False):
            # pymysql streams the whole result whatever happens: closing it would read every remaining row
            # off the socket, so drop the connection instead (and tell the result not to drain it later)
            conn.invalidate()
            pending.unbuffered_active = False
        else:
            result.close()  # a PostgreSQL server-side cursor is closed by the server (CLOSE), at once
        conn.close()
    finally:
        engine.dispose()
