"""ODS tables: one per resource, ``ods_<department>__<resource>``, holding every collected row as
received (text) with its batch id, collection time and source row number.

Tables are created from the catalog on first collection; a field added to the catalog later adds
a column (old rows hold NULL there), a field removed keeps its column (history stays readable).
Bulk loads use the fastest path each database offers inside the caller's transaction, so a batch
is stored whole or not at all: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .db import driver_connection
from .models import UTCDateTime

BATCH_ID = "_batch_id"
COLLECTED_AT = "_collected_at"
SOURCE_ROW = "_source_row"
_READ_SLICE = 100_000
_ARROW_BLOCK = 1 << 20  # pyarrow's default read block
_ARROW_MAX_BLOCK = (1 << 31) - 1  # its block size is a 32-bit integer
SAFE_LITERAL = re.compile(r"[A-Za-z0-9_-]+")


def ods_table_name(department: str, resource: str) -> str:
    """``ods_<department>__<resource>`` (ids are short enough for PostgreSQL's 63 characters)."""
    return f"ods_{department}__{resource}"


def ods_table(department: str, resource: str, fields: Sequence[str]) -> sa.Table:
    table = sa.Table(
        ods_table_name(department, resource),
        sa.MetaData(),
        sa.Column(BATCH_ID, sa.String(40), nullable=False, index=True),
        sa.Column(COLLECTED_AT, UTCDateTime(), nullable=False),
        sa.Column(SOURCE_ROW, sa.BigInteger, nullable=False),
        *(sa.Column(name, sa.Text) for name in fields),
    )
    return table


def ensure_table(conn: Connection, table: sa.Table) -> list[str]:
    """Create the table, or add the columns the catalog gained since (nullable, of the column's
    type); returns the columns added. Used for the DWD tables too."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(table.name):
        table.create(conn)
        return []
    existing = {c["name"] for c in inspector.get_columns(table.name)}
    added = []
    preparer = conn.dialect.identifier_preparer
    for column in table.columns:
        if column.name not in existing:
            conn.execute(
                sa.text(
                    f"ALTER TABLE {preparer.quote(table.name)} ADD COLUMN {preparer.quote(column.name)} "
                    f"{column.type.compile(dialect=conn.dialect)}"
                )
            )
            added.append(column.name)
    return added


def append(conn: Connection, table: sa.Table, chunk: pa.Table, batch_id: str, collected_at: dt.datetime) -> int:
    """Append a chunk (field columns as text plus ``_source_row``) inside the caller's transaction."""
    n = chunk.num_rows
    if n == 0:
        return 0
    fields = [c for c in chunk.column_names if c != SOURCE_ROW]
    columns = [BATCH_ID, COLLECTED_AT, SOURCE_ROW, *fields]
    quote = conn.dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(c) for c in columns)})"
    dialect = conn.dialect.name
    if dialect == "postgresql":
        full = pa.table(
            {
                BATCH_ID: pa.array([batch_id] * n, pa.string()),
                COLLECTED_AT: pa.array([collected_at.isoformat()] * n, pa.string()),
                SOURCE_ROW: chunk.column(SOURCE_ROW),
                **{f: chunk.column(f) for f in fields},
            }
        )
        buf = io.BytesIO()
        # strings are written quoted and NULL as an unquoted empty field: COPY keeps '' and NULL apart
        pacsv.write_csv(full, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        cursor = driver_connection(conn).cursor()
        with cursor.copy(f"COPY {target} FROM STDIN (FORMAT csv)") as copy:
            copy.write(buf.getvalue())
        return n
    if dialect == "sqlite":
        # The batch id (ours, [a-z0-9-]) and the time (SQLAlchemy's text form for SQLite: UTC, no
        # offset) are the same on every row: written once into the statement as literals, so that
        # each row binds only its own values.
        stamp = collected_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if not SAFE_LITERAL.fullmatch(batch_id):
            raise ValueError(f"unexpected batch id {batch_id!r}")
        placeholders = ", ".join("?" * (len(columns) - 2))
        values = [chunk.column(c).to_pylist() for c in (SOURCE_ROW, *fields)]
        driver_connection(conn).cursor().executemany(
            f"INSERT INTO {target} VALUES ('{batch_id}', '{stamp}', {placeholders})", zip(*values, strict=True)
        )
    else:
        values = [chunk.column(c).to_pylist() for c in (SOURCE_ROW, *fields)]
        rows = [(batch_id, collected_at, *row) for row in zip(*values, strict=True)]
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
    return n


def read_batch(conn: Connection, department: str, resource: str, fields: Sequence[str], batch_id: str) -> pa.Table:
    """One batch of an ODS table in source order: ``_source_row`` and each field as text. A field
    the table lacks (added to the catalog after the batch was collected) comes back all NULL.

    On PostgreSQL the rows come through ``COPY … TO STDOUT``, read by pyarrow's CSV reader; elsewhere
    they are fetched a slice at a time and turned into Arrow slice by slice (flat memory)."""
    name = ods_table_name(department, resource)
    existing = {c["name"] for c in sa.inspect(conn).get_columns(name)}
    present = [f for f in fields if f in existing]
    if conn.dialect.name == "postgresql":
        table = _read_postgresql(conn, name, present, batch_id)
    else:
        table = _read_rows(conn, name, present, batch_id)
    n = table.num_rows
    return pa.table(
        {
            SOURCE_ROW: table.column(SOURCE_ROW).cast(pa.int64()),
            **{f: table.column(f).cast(pa.string()) if f in present else pa.nulls(n, pa.string()) for f in fields},
        }
    )


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join('"' + c.replace('"', '""') + '"' for c in columns)


def _read_postgresql(conn: Connection, name: str, fields: Sequence[str], batch_id: str) -> pa.Table:
    cursor = driver_connection(conn).cursor()
    literal = "'" + batch_id.replace("'", "''") + "'"
    select = f"SELECT {_quoted([SOURCE_ROW, *fields])} FROM {_quoted([name])} WHERE {BATCH_ID} = {literal} ORDER BY 1"
    data = bytearray()
    longest = 0
    with cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT csv, HEADER true)") as copy:
        # libpq hands COPY TO's output over one row at a time, so the longest piece is the longest row
        for piece in copy:
            data += piece
            longest = max(longest, len(piece))
    # pyarrow's reader fails on a row longer than its block ("straddling object straddles two block
    # boundaries"), so the block holds the longest row with room to spare: a batch holding one large
    # value must be readable, or every cleanse of it fails. Values may hold line breaks (COPY quotes
    # them), which pyarrow only reads right across blocks with newlines_in_values; but a CR LF inside
    # a value whose CR ends a block loses its LF (apache/arrow#51368, open in pyarrow 26): when the
    # batch holds a CR at all, it is read as one block (it is in memory whole already).
    block = max(_ARROW_BLOCK, 2 * longest + 1)
    if b"\r" in data:
        block = max(block, len(data) + 1)
    block = min(block, _ARROW_MAX_BLOCK)
    return pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(block_size=block),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={SOURCE_ROW: pa.int64(), **{f: pa.string() for f in fields}},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            null_values=[""],
        ),
    )


def _read_rows(conn: Connection, name: str, fields: Sequence[str], batch_id: str) -> pa.Table:
    cursor = driver_connection(conn).cursor()
    param = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    cursor.execute(
        f"SELECT {_quoted([SOURCE_ROW, *fields])} FROM {_quoted([name])} WHERE {BATCH_ID} = {param} ORDER BY 1",
        (batch_id,),
    )
    schema = pa.schema([(SOURCE_ROW, pa.int64()), *((f, pa.string()) for f in fields)])
    slices = []
    while rows := cursor.fetchmany(_READ_SLICE):
        columns = zip(*rows, strict=True)
        slices.append(pa.record_batch([pa.array(c, t) for c, t in zip(columns, schema.types, strict=True)], schema))
    cursor.close()
    return pa.Table.from_batches(slices, schema)
