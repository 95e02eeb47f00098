"""ODS batches read back as they were stored, on SQLite and PostgreSQL (where they come back through
COPY and pyarrow's CSV reader): large values, line breaks inside values, NULL apart from ''."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from gongshu.store import ods
from gongshu.store.db import get_engine


def store(db_url: str, values: list[str | None]) -> pa.Table:
    engine = get_engine(db_url)
    table = ods.ods_table("scjgj", "notes", ["body"])
    chunk = pa.table({"body": pa.array(values, pa.string()), ods.SOURCE_ROW: pa.array(range(1, len(values) + 1))})
    with engine.begin() as conn:
        ods.ensure_table(conn, table)
        ods.append(conn, table, chunk, "b1", dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    with engine.connect() as conn:
        return ods.read_batch(conn, "scjgj", "notes", ["body"], "b1")


def test_a_value_larger_than_the_csv_readers_block_reads_back(db_url):
    # issue 14: 'straddling object straddles two block boundaries' on PostgreSQL for a ~4 MB value
    values = ["前", "台" * 1_500_000, None, "", "后"]
    back = store(db_url, values)
    assert back.column("body").to_pylist() == values
    assert back.column(ods.SOURCE_ROW).to_pylist() == [1, 2, 3, 4, 5]


def test_line_breaks_inside_values_read_back_across_blocks(db_url):
    # COPY quotes a value with a line break; read in several blocks, a break must not end the row
    values = [f"第一行\n第二行 {i}\r\n第三行," for i in range(60_000)]
    back = store(db_url, values)
    assert back.num_rows == 60_000
    assert back.column("body").to_pylist() == values
