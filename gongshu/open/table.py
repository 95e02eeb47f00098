"""The ``opn_<dept>__<resource>`` table: a release's masked rows for the CKAN ``datastore_search``,
which never reads a DWD table. One text column per released field (the CSV's values, null as
null) and ``_row``, the row's number in the release files (from 1).

It is replaced whole by each release, inside the transaction that records the release, so the API
serves the rows of exactly the latest recorded release. Dropping and creating the table rather than
deleting its rows lets the columns follow the catalog (a field added, or newly dropped as L4).
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .layout import ROW, open_table_name

_SLICE = 100_000


def open_table(department: str, resource: str, columns: list[str]) -> sa.Table:
    return sa.Table(
        open_table_name(department, resource),
        sa.MetaData(),
        sa.Column(ROW, sa.BigInteger, primary_key=True, autoincrement=False),
        *(sa.Column(name, sa.Text) for name in columns),
    )


def replace_open_table(conn: Connection, department: str, resource: str, rows: pa.Table) -> int:
    """Drop, create and fill the resource's ``opn_`` table with ``rows`` (strings, release order)."""
    table = open_table(department, resource, rows.column_names)
    table.drop(conn, checkfirst=True)
    table.create(conn)
    if rows.num_rows == 0:
        return 0
    numbered = rows.add_column(0, ROW, pa.array(range(1, rows.num_rows + 1), pa.int64()))
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in numbered.column_names)
    cursor = conn.connection.driver_connection.cursor()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        buf = io.BytesIO()
        pacsv.write_csv(numbered, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buf.getvalue())
        return rows.num_rows
    marker = "?" if dialect == "sqlite" else "%s"
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([marker] * numbered.num_columns)})"
    for batch in numbered.to_batches(max_chunksize=_SLICE):  # one slice of Python values at a time
        cursor.executemany(sql, zip(*(c.to_pylist() for c in batch.columns), strict=True))
    return rows.num_rows
