"""What a release is made from: the rows of a resource's DWD table, every field as text.

The release files are text (CSV, JSON, the ``opn_`` table), so the database renders each value once
(``CAST(… AS TEXT)``: a date as ``YYYY-MM-DD``, an amount without float noise) rather than pandas
guessing a format per type. Rows come in primary-key order (a table without a key: load order), so
that the same records give the same bytes and an unchanged resource is recognised by its hash.
Rows are fetched through the DB-API cursor a slice at a time, as Arrow strings: only one slice is
Python objects at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..catalog.model import Resource
from ..rules.kinds import KINDS
from ..store import models as m
from ..store.dwd import LOADED_AT, dwd_table_name
from ..store.ods import SOURCE_ROW

_SLICE = 100_000


@dataclass(frozen=True)
class Cleansed:
    """The newest completed cleansing of a resource: what its DWD table was last loaded from."""

    table: str
    batch_id: str


def last_cleansed(conn: Connection, department: str, resource: Resource) -> Cleansed | None:
    """The DWD table and the batch of its newest completed cleansing; None before the first one."""
    table = dwd_table_name(department, resource.id)
    batch = conn.scalar(
        sa.select(m.CleanseBatch.batch_id)
        .where(m.CleanseBatch.department_key == department, m.CleanseBatch.resource_key == resource.id)
        .where(m.CleanseBatch.status == "completed")
        .order_by(m.CleanseBatch.finished_at.desc())
        .limit(1)
    )
    if batch is None or not sa.inspect(conn).has_table(table):
        return None
    return Cleansed(table, batch)


def read_text(conn: Connection, table: str, resource: Resource) -> pa.Table:
    """Every row of the DWD ``table``, one string column per catalog field, in catalog order."""
    quote = conn.dialect.identifier_preparer.quote
    names = [f.name for f in resource.fields]
    columns = ", ".join(
        f"CAST({quote(f.name)} AS TEXT) AS {quote(f.name)}" if KINDS[f.kind].stored != "text" else quote(f.name)
        for f in resource.fields
    )
    order = [quote(k) for k in resource.primary_key] or [quote(LOADED_AT), quote(SOURCE_ROW)]
    cursor = conn.connection.cursor()
    try:
        cursor.execute(f"SELECT {columns} FROM {quote(table)} ORDER BY {', '.join(order)}")
        parts: list[list[pa.Array]] = [[] for _ in names]
        while rows := cursor.fetchmany(_SLICE):
            for k, values in enumerate(zip(*rows, strict=True)):
                parts[k].append(pa.array(values, pa.string()))
    finally:
        cursor.close()
    return pa.table({name: pa.chunked_array(chunks, pa.string()) for name, chunks in zip(names, parts, strict=True)})
