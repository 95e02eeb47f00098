"""DWD tables: one per resource, ``dwd_<department>__<resource>``, holding the cleansed records keyed
by the catalog's primary key, with typed columns (numbers as numbers, dates as dates) and the
lineage of each record: the batch and source row it last came from, and when it was loaded.

Batches are upserted inside the caller's transaction, so a batch is published whole or not at all:
``INSERT … ON CONFLICT DO UPDATE`` through ``executemany`` on SQLite, ``COPY`` into a temporary
table then one ``INSERT … SELECT … ON CONFLICT`` on PostgreSQL. A resource without a primary key
cannot be upserted: a full snapshot replaces the table's rows, an incremental batch is appended.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..rules.kinds import KINDS
from .db import driver_connection
from .models import UTCDateTime
from .ods import BATCH_ID, SAFE_LITERAL, SOURCE_ROW

if TYPE_CHECKING:  # the store sits below the catalog: it takes a resource, never imports the package
    from ..catalog.model import Resource

LOADED_AT = "_loaded_at"
SYSTEM_COLUMNS = (BATCH_ID, SOURCE_ROW, LOADED_AT)
_SLICE = 100_000
_TYPES = {
    # a kind's dwd column type (gongshu.rules.kinds.Kind.stored): anything else is text
    "integer": sa.BigInteger,
    "decimal": sa.Numeric,
    "date": sa.Date,
    "datetime": sa.DateTime,
}


def dwd_table_name(department: str, resource: str) -> str:
    return f"dwd_{department}__{resource}"


def dwd_table(department: str, resource: Resource) -> sa.Table:
    pk = set(resource.primary_key)
    return sa.Table(
        dwd_table_name(department, resource.id),
        sa.MetaData(),
        *(
            sa.Column(
                f.name, _TYPES.get(KINDS[f.kind].stored, sa.Text)(), primary_key=f.name in pk, nullable=f.name not in pk
            )
            for f in resource.fields
        ),
        sa.Column(BATCH_ID, sa.String(40), nullable=False),
        sa.Column(SOURCE_ROW, sa.BigInteger, nullable=False),
        sa.Column(LOADED_AT, UTCDateTime(), nullable=False),
    )


def upsert(
    conn: Connection,
    table: sa.Table,
    rows: pa.Table,
    batch_id: str,
    loaded_at: dt.datetime,
    *,
    replace: bool = False,
) -> int:
    """Write ``rows`` (the field columns as standardised text, plus ``_source_row``) into ``table``.

    With a primary key, a record already there is updated. Without one, ``replace`` empties the
    table first (a full snapshot); otherwise the rows are appended."""
    fields = [c.name for c in table.columns if c.name not in SYSTEM_COLUMNS]
    pk = [c.name for c in table.primary_key.columns]
    if not pk and replace:
        conn.execute(table.delete())
    if rows.num_rows == 0:
        return 0
    columns = [*fields, BATCH_ID, SOURCE_ROW, LOADED_AT]
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    conflict = ""
    if pk:
        updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in pk)
        conflict = f" ON CONFLICT ({', '.join(quote(c) for c in pk)}) DO UPDATE SET {updates}"
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return _insert_sqlite(conn, table, rows, fields, names, conflict, batch_id, loaded_at)
    if dialect == "postgresql":
        return _copy_postgres(conn, table, rows, fields, names, conflict, batch_id, loaded_at)
    raise NotImplementedError(f"DWD loads support SQLite and PostgreSQL, not {dialect}")


def _insert_sqlite(
    conn: Connection,
    table: sa.Table,
    rows: pa.Table,
    fields: list[str],
    names: str,
    conflict: str,
    batch_id: str,
    loaded_at: dt.datetime,
) -> int:
    """``INSERT … ON CONFLICT`` through the driver's ``executemany``, a slice of rows at a time."""
    quote = conn.dialect.identifier_preparer.quote
    # batch id and time are the same on every row: literals in the statement, so that each row
    # binds only its own values; rows become Python values a slice at a time (flat memory)
    stamp = loaded_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if not SAFE_LITERAL.fullmatch(batch_id):
        raise ValueError(f"unexpected batch id {batch_id!r}")
    params = ", ".join("?" * len(fields))
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({params}, '{batch_id}', ?, '{stamp}'){conflict}"
    cursor = driver_connection(conn).cursor()
    for start in range(0, rows.num_rows, _SLICE):
        part = rows.slice(start, _SLICE)
        values = [part.column(c).to_pylist() for c in (*fields, SOURCE_ROW)]
        cursor.executemany(sql, zip(*values, strict=True))
    return rows.num_rows


def _copy_postgres(
    conn: Connection,
    table: sa.Table,
    rows: pa.Table,
    fields: list[str],
    names: str,
    conflict: str,
    batch_id: str,
    loaded_at: dt.datetime,
) -> int:
    """``COPY`` into a temporary table, then one ``INSERT … SELECT … ON CONFLICT``."""
    quote = conn.dialect.identifier_preparer.quote
    n = rows.num_rows
    full = pa.table(
        {
            **{f: rows.column(f) for f in fields},
            BATCH_ID: pa.array([batch_id] * n, pa.string()),
            SOURCE_ROW: rows.column(SOURCE_ROW),
            LOADED_AT: pa.array([loaded_at.isoformat()] * n, pa.string()),
        }
    )
    buf = io.BytesIO()
    pacsv.write_csv(full, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    staging = quote(f"_stage_{table.name}")
    cursor = driver_connection(conn).cursor()
    cursor.execute(f"CREATE TEMPORARY TABLE {staging} (LIKE {quote(table.name)}) ON COMMIT DROP")
    with cursor.copy(f"COPY {staging} ({names}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buf.getvalue())
    cursor.execute(f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {staging}{conflict}")
    cursor.execute(f"DROP TABLE {staging}")
    return n
