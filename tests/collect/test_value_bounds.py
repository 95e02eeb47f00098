"""Source data that must not block a resource or exhaust memory (issue 14): NUL bytes, values larger
than GONGSHU_MAX_FIELD_BYTES and CSV lines longer than GONGSHU_MAX_LINE_BYTES are refused with an
error naming the source, row (or line) and field; nothing already collected is lost; and a large
value within the bound goes all the way to DWD on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
import xlwt

from gongshu.catalog import load_catalog
from gongshu.catalog.model import CsvSource
from gongshu.cleanse.stage import cleanse_resource
from gongshu.collect.csvfile import read_csv
from gongshu.collect.csvscan import ARROW_BLOCK
from gongshu.collect.stage import collect_resource
from gongshu.quality.suites import write_suites
from gongshu.settings import reset_settings
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope
from gongshu.store.dwd import dwd_table_name
from gongshu.store.ods import ods_table_name
from tests.collect.conftest import LoopbackServer, json_answer

CATALOG = """\
department: {id: scjgj, name: 台州市市场监督管理局}
resources:
  - id: licences
    name: 行政许可信息
    category: 信用体系
    format: 电子表格
    update_cycle: 每日
    share: {type: 无条件共享, method: 文件}
    open: {type: 无条件开放}
    level: L1
    primary_key: [licence_no]
    quality: {min_rows: 1, max_invalid_ratio: 0.5}
    fields:
      - {name: licence_no, label: 许可编号, kind: text, required: true}
      - {name: holder, label: 行政相对人名称, kind: text}
      - {name: decided_on, label: 许可决定日期, kind: date}
    source: SOURCE
"""
HEADER = ["许可编号", "行政相对人名称", "许可决定日期"]


def row(i: int, holder: str | None = None) -> list[str]:
    return [f"XK{i:06d}", holder if holder is not None else f"台州市第{i}号商行", f"2024-01-{1 + i % 28:02d}"]


def csv_text(rows: list[list[str]]) -> str:
    return "".join(",".join(r) + "\n" for r in [HEADER, *rows])


def catalog(folder: Path, source: str):
    (folder / "scjgj.yaml").write_text(CATALOG.replace("SOURCE", source), encoding="utf-8")
    loaded = load_catalog(folder / "scjgj.yaml")
    assert loaded.catalog is not None, [str(i) for i in loaded.issues]
    write_suites(loaded.catalog, folder / "expectations")
    return loaded.catalog.resources[0]


def csv_resource(folder: Path, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    (folder / "licences.csv").write_bytes(data)
    return catalog(folder, "{kind: csv, path: licences.csv, encoding: utf-8}")


def ods_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(ods_table_name("scjgj", "licences")):
            return []
        return conn.execute(
            sa.text('SELECT licence_no, length(holder) FROM "ods_scjgj__licences" ORDER BY licence_no')
        ).all()


def batches(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(sa.select(sa.func.count(m.CollectBatch.id)))


@pytest.fixture
def field_limit(monkeypatch: pytest.MonkeyPatch):
    def _set(n: int) -> None:
        monkeypatch.setenv("GONGSHU_MAX_FIELD_BYTES", str(n))
        reset_settings()

    return _set


# --- NUL bytes -------------------------------------------------------------------------------------


def test_a_nul_byte_in_a_csv_refuses_the_batch_naming_file_row_and_field(tmp_path, db_url):
    engine = get_engine(db_url)
    resource = csv_resource(tmp_path, csv_text([row(1), row(2)]))
    assert collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path).status == "completed"

    # the planted fault of issue 14: a licence number with two NUL bytes inside
    resource = csv_resource(tmp_path, csv_text([row(3), ["JY1331081000010\x00\x007", "某商行", "2024-02-01"], row(4)]))
    out = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=tmp_path)
    assert out.status == "failed"
    assert "licences.csv" in out.error
    assert "row 2 field 'licence_no' (column '许可编号')" in out.error
    assert "NUL byte" in out.error and "nothing from this batch was stored" in out.error
    assert "JY1331081000010" not in out.error  # where, never the value itself
    assert ods_rows(engine) == [("XK000001", 8), ("XK000002", 8)]  # the first batch is intact
    assert batches(engine) == 1
    with session_scope(engine) as session:
        failed = session.scalars(sa.select(m.QualityResult).where(m.QualityResult.success.is_(False))).all()
    assert [(c.rule, c.severity) for c in failed] == [("TEXT_NUL_BYTE", "critical")]


def test_a_nul_byte_from_a_database_source_keeps_the_high_water_mark(tmp_path, db_url):
    engine = get_engine(db_url)
    front = tmp_path / "front.db"
    with sqlite3.connect(front) as db:
        db.execute("CREATE TABLE t (xkbh TEXT, mc TEXT, jdrq TEXT)")
        db.executemany("INSERT INTO t VALUES (?, ?, ?)", [row(1), row(2)])
    source = '{kind: sql, url: "sqlite:///front.db", table: t, watermark: jdrq}'
    resource = catalog(tmp_path, source)
    text = (tmp_path / "scjgj.yaml").read_text(encoding="utf-8")
    for label, column in (("许可编号", "xkbh"), ("行政相对人名称", "mc"), ("许可决定日期", "jdrq")):
        text = text.replace(f"label: {label},", f"label: {label}, source_column: {column},")
    (tmp_path / "scjgj.yaml").write_text(text, encoding="utf-8")
    resource = load_catalog(tmp_path / "scjgj.yaml").catalog.resources[0]
    first = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
    assert first.status == "completed", first.error
    assert first.details["high_water"] == "2024-01-03"

    with sqlite3.connect(front) as db:
        db.execute("INSERT INTO t VALUES ('XK000010', ?, '2024-01-20')", ("商行\x00",))
    bad = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=tmp_path)
    assert bad.status == "failed", (bad.rows_out, bad.details)
    assert "sql" in bad.error and "row 1 field 'holder' (column 'mc')" in bad.error
    assert batches(engine) == 1 and len(ods_rows(engine)) == 2

    # the department fixes the row: the next collection takes it, past the same high-water mark
    with sqlite3.connect(front) as db:
        db.execute("UPDATE t SET mc = '商行' WHERE xkbh = 'XK000010'")
    fixed = collect_resource(engine, "scjgj", resource, "run-3", catalog_dir=tmp_path)
    assert fixed.status == "completed" and fixed.rows_out == 1, fixed.error
    assert fixed.details["since"] == "2024-01-03" and fixed.details["high_water"] == "2024-01-20"


def test_a_nul_byte_from_an_http_source_is_refused(tmp_path, db_url, http_server: LoopbackServer):
    engine = get_engine(db_url)
    records = [dict(zip(HEADER, row(1), strict=True)), dict(zip(HEADER, row(2, holder="商\u0000行"), strict=True))]
    url = http_server.route("/api/licences", lambda hit, n: json_answer({"data": records}))
    resource = catalog(tmp_path, f'{{kind: http, url: "{url}", records: data}}')
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
    assert out.status == "failed"
    assert "/api/licences" in out.error and "row 2 field 'holder'" in out.error
    assert ods_rows(engine) == [] and batches(engine) == 0


def test_a_nul_byte_in_an_xls_workbook_is_refused(tmp_path, db_url):
    engine = get_engine(db_url)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("许可")
    for r, values in enumerate([HEADER, row(1), row(2), row(3, holder="商行\x00\x00")]):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    book.save(str(tmp_path / "licences.xls"))
    resource = catalog(tmp_path, "{kind: excel, path: licences.xls}")
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
    assert out.status == "failed"
    assert "licences.xls" in out.error and "row 3 field 'holder' (column '行政相对人名称')" in out.error
    assert ods_rows(engine) == []


# --- large values ----------------------------------------------------------------------------------


def test_a_large_value_within_the_bound_reaches_dwd_and_later_batches_follow(tmp_path, db_url):
    """Issue 14: a 4 MB value was collected, then every cleanse of its batch failed on PostgreSQL
    (pyarrow's 'straddling object …' reading the batch back) and later rows never reached DWD."""
    engine = get_engine(db_url)
    big = "x" * 4_000_000  # about 4 MB, under the default bound of 4 MiB (4,194,304 bytes)
    resource = csv_resource(tmp_path, csv_text([row(1), row(2, holder=big), row(3)]))
    collected = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
    assert collected.status == "completed", collected.error
    first = cleanse_resource(engine, "scjgj", resource, "run-1", expectations_dir=tmp_path / "expectations")
    assert first.status == "completed", first.error

    csv_resource(tmp_path, csv_text([row(4), row(5)]))
    assert collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=tmp_path).status == "completed"
    later = cleanse_resource(engine, "scjgj", resource, "run-2", expectations_dir=tmp_path / "expectations")
    assert later.status == "completed", later.error
    with engine.connect() as conn:
        dwd = conn.execute(
            sa.text(f'SELECT licence_no, length(holder) FROM "{dwd_table_name("scjgj", "licences")}" ORDER BY 1')
        ).all()
    assert dwd == [("XK000001", 8), ("XK000002", 4_000_000), ("XK000003", 8), ("XK000004", 8), ("XK000005", 8)]


def test_a_value_over_the_bound_refuses_the_batch_naming_row_and_field(tmp_path, db_url, field_limit):
    engine = get_engine(db_url)
    field_limit(1 << 20)
    resource = csv_resource(tmp_path, csv_text([row(1)]))
    assert collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path).status == "completed"

    resource = csv_resource(tmp_path, csv_text([row(2), row(3), row(4, holder="商" * 400_000), row(5)]))
    out = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=tmp_path)
    assert out.status == "failed"
    assert "licences.csv" in out.error and "larger than 1 MiB (GONGSHU_MAX_FIELD_BYTES)" in out.error
    assert "row 3 field 'holder' (column '行政相对人名称', 1.1 MiB)" in out.error
    assert ods_rows(engine) == [("XK000001", 8)] and batches(engine) == 1

    field_limit(2 << 20)  # the operator raises the limit: the same file goes in whole
    again = collect_resource(engine, "scjgj", resource, "run-3", catalog_dir=tmp_path)
    assert again.status == "completed" and again.rows_out == 4, again.error


# --- long lines ------------------------------------------------------------------------------------


def test_a_csv_line_over_the_bound_fails_fast_in_bounded_memory_naming_the_line(tmp_path, db_url):
    """Issue 14: a 2 GiB line took 11 GB of memory before failing without naming the file. Here a
    64 MiB line (over the default 16 MiB bound) must fail at once, holding far less than the line."""
    engine = get_engine(db_url)
    with (tmp_path / "licences.csv").open("wb") as f:
        f.write(csv_text([row(1), row(2)]).encode("utf-8"))
        f.write(b"XK000003,")
        block = b"y" * (1 << 20)
        for _ in range(64):
            f.write(block)
        f.write(b",2024-01-03\n")
        f.write(csv_text([row(4)]).split("\n", 1)[1].encode("utf-8"))
    resource = catalog(tmp_path, "{kind: csv, path: licences.csv, encoding: utf-8}")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.status == "failed"
    assert out.details["code"] == "SOURCE_LINE_TOO_LONG"
    assert "licences.csv" in out.error and "line 4 of licences.csv" in out.error
    assert "GONGSHU_MAX_LINE_BYTES" in out.error
    assert peak < 32 << 20, f"peak Python memory {peak / (1 << 20):.0f} MiB for a 64 MiB line"
    assert time.perf_counter() - started < 20
    assert ods_rows(engine) == []


def test_long_lines_within_the_bound_are_read(tmp_path, db_url, field_limit):
    """A line longer than the CSV reader's usual 4 MiB block (here 6 MB) but within the line bound
    is read: pyarrow's block grows for that file instead of failing with 'straddling object'."""
    engine = get_engine(db_url)
    field_limit(8 << 20)
    resource = csv_resource(tmp_path, csv_text([row(1), row(2, holder="z" * 6_000_000), row(3)]))
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
    assert out.status == "completed", out.error
    assert ods_rows(engine) == [("XK000001", 8), ("XK000002", 6_000_000), ("XK000003", 8)]


def test_a_quote_never_closed_in_a_long_file_names_its_line(tmp_path, db_url, field_limit):
    """A quote opened and never closed makes the rest of the file one value: the error names the
    line, without reading the rest into one string of unbounded size."""
    engine = get_engine(db_url)
    field_limit(1 << 20)
    lines = (
        csv_text([row(i) for i in range(1, 4)])
        + 'XK000004,"台州市未完\n'
        + csv_text([row(i) for i in range(5, 60_000)]).split("\n", 1)[1]
    )
    resource = csv_resource(tmp_path, lines)
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
    assert out.status == "failed"
    assert "licences.csv" in out.error and "line 5" in out.error, out.error
    assert ods_rows(engine) == []


# --- line breaks inside values ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_cr_lf_inside_a_value_at_a_block_end_is_kept(tmp_path, encoding):
    """pyarrow drops the LF of a CR LF inside a quoted value when its read block ends right after the
    CR (apache/arrow#51368): the value came into the ODS a byte short, silently. pyarrow cuts its
    blocks (4 MiB) from the UTF-8 text, so for GBK the CR is placed where it falls after transcoding."""
    text = "许可编号,行政相对人名称,许可决定日期\n" + "".join(
        f"XK{i:06d},台州市第{i}号商行,2024-01-01\n" for i in range(1, 60_000)
    )
    prefix = 'XK999999,"多行\r\n'
    cr_at = ARROW_BLOCK - 1  # in the UTF-8 text pyarrow parses
    pad = cr_at - len((text + prefix).encode("utf-8")) - len("末行".encode())
    assert pad > 0
    value = "多行\r\n" + "y" * pad + "末行\r\n结束"
    text += 'XK999999,"' + value + '",2024-01-01\r\nXK999998,好,2024-01-02\r\n'
    assert text.encode("utf-8").index("末行\r\n".encode()) + len("末行".encode()) == cr_at
    (tmp_path / "licences.csv").write_bytes(text.encode(encoding))
    reading = read_csv(CsvSource(kind="csv", path="licences.csv", encoding=encoding), tmp_path)
    table = pa.concat_tables(list(reading.chunks))
    assert table.num_rows == 60_001
    assert table.column("行政相对人名称").to_pylist()[-2:] == [value, "好"]


# --- HTTP answers ----------------------------------------------------------------------------------


def test_an_http_answer_over_the_bound_is_refused_as_it_arrives(tmp_path, db_url, http_server, monkeypatch):
    engine = get_engine(db_url)
    monkeypatch.setenv("GONGSHU_MAX_RESPONSE_BYTES", str(1 << 20))
    reset_settings()
    records = [dict(zip(HEADER, row(i), strict=True)) for i in range(1, 20_001)]  # about 1.6 MB of JSON
    url = http_server.route("/api/licences", lambda hit, n: json_answer({"data": records}))
    resource = catalog(tmp_path, f'{{kind: http, url: "{url}", records: data}}')
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
    assert out.status == "failed" and out.details["code"] == "SOURCE_TOO_LARGE"
    assert "/api/licences" in out.error and "larger than 1 MiB (GONGSHU_MAX_RESPONSE_BYTES)" in out.error
    assert ods_rows(engine) == []

    monkeypatch.setenv("GONGSHU_MAX_RESPONSE_BYTES", str(4 << 20))
    reset_settings()
    fine = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=tmp_path)
    assert fine.status == "completed" and fine.rows_out == 20_000, fine.error
