"""SQL sources on real databases: MariaDB as a department's front database (前置库), PostgreSQL as a
source, and the committed SQLite sample of 人社局 through its catalog."""

from __future__ import annotations

import datetime as dt
import gc
import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gongshu.catalog import load_catalog
from gongshu.catalog.model import SqlSource
from gongshu.collect.base import SOURCE_ROW, Reading, SourceError
from gongshu.collect.sqldb import read_sql
from gongshu.collect.values import render_value
from tests.conftest import REPO

CATALOGS = REPO / "catalogs"
MANIFEST = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))


def rows_of(reading: Reading) -> list[dict[str, Any]]:
    chunks = list(reading.chunks)
    for chunk in chunks:
        assert chunk.schema.field(SOURCE_ROW).type == pa.int64()
        assert all(chunk.schema.field(c).type == pa.string() for c in reading.columns)
    return [row for chunk in chunks for row in chunk.to_pylist()]


def sql(**kw: Any) -> SqlSource:
    return SqlSource(kind="sql", **kw)


# --------------------------------------------------------------------------------------------------
# one front database per backend


@dataclass
class FrontDb:
    kind: str
    url: str
    engine: sa.Engine
    new_table: Callable[[str], str]
    datetime: str
    """The column type for a date and time."""
    schema: str

    def run(self, *statements: str) -> None:
        with self.engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))

    def q(self, name: str) -> str:
        return self.engine.dialect.identifier_preparer.quote(name)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def front(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FrontDb]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'front.db'}"
        engine = sa.create_engine(url)
        yield FrontDb("sqlite", url, engine, lambda stem: f"{stem}_{secrets.token_hex(3)}", "DATETIME", "main")
        engine.dispose()
    elif request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            schema = conn.execute(sa.text("select current_schema()")).scalar_one()
        yield FrontDb("postgresql", url, engine, lambda stem: f"{stem}_{secrets.token_hex(3)}", "TIMESTAMP", schema)
        engine.dispose()
    else:
        maria = request.getfixturevalue("mariadb")
        yield FrontDb("mariadb", maria.url, maria.engine, maria.table, "DATETIME", "test")


def seed(front: FrontDb) -> str:
    """A 参保单位 table of the front database: Chinese text, DECIMAL, DATE, DATETIME, NULLs."""
    table = front.new_table("cbdw")
    charset = " DEFAULT CHARSET=utf8mb4" if front.kind == "mariadb" else ""
    front.run(
        f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, dwmc VARCHAR(100), jfjs DECIMAL(14,2), cbrq DATE, "
        f"updated_at {front.datetime}, note VARCHAR(200)){charset}",
        f"INSERT INTO {table} VALUES "
        "(1, '台州市椒江区甲机电有限公司', 1234.50, '2024-01-05', '2024-03-01 08:00:00', NULL), "
        "(3, '黄岩乙模塑厂（普通合伙）', 0.00, NULL, '2024-03-01 09:30:00', '备注：停保'), "
        "(2, '路桥丙商店', NULL, '2024-02-29', '2024-03-01 09:30:00', NULL)",
    )
    return table


def decimals(front: FrontDb, *values: str) -> list[str]:
    """DECIMAL as the database gives it: SQLite stores 1234.50 as the REAL 1234.5 (and 0.00 as 0)."""
    if front.kind != "sqlite":
        return list(values)
    return [repr(float(v)) if float(v) != int(float(v)) else str(int(float(v))) for v in values]


# --------------------------------------------------------------------------------------------------
# full and incremental reads on all three databases


def test_full_then_incremental_by_datetime(front: FrontDb, tmp_path: Path) -> None:
    table = seed(front)
    source = sql(url=front.url, table=table, watermark="updated_at")

    full = read_sql(source, tmp_path, chunk_rows=2)
    assert full.columns == ["id", "dwmc", "jfjs", "cbrq", "updated_at", "note"]
    assert full.high_water is None  # not yet consumed
    chunks = list(full.chunks)
    assert [c.num_rows for c in chunks] == [2, 1]
    rows = [r for c in chunks for r in c.to_pylist()]
    # ordered by the watermark, ties by the primary key
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert [r[SOURCE_ROW] for r in rows] == [1, 2, 3]
    assert rows[0] == {
        "id": "1",
        "dwmc": "台州市椒江区甲机电有限公司",
        "jfjs": decimals(front, "1234.50")[0],
        "cbrq": "2024-01-05",
        "updated_at": "2024-03-01 08:00:00",
        "note": None,
        SOURCE_ROW: 1,
    }
    assert rows[1]["jfjs"] is None and rows[2]["jfjs"] == decimals(front, "0.00")[0]
    assert rows[2]["note"] == "备注：停保" and rows[1]["cbrq"] == "2024-02-29"
    assert full.high_water == "2024-03-01 09:30:00"
    assert table in full.description and "updated_at" in full.description

    front.run(
        f"INSERT INTO {table} VALUES (5, '新增戊公司', 99.90, '2024-03-02', '2024-03-02 10:00:00', NULL), "
        "(4, '新增丁公司', 12.00, NULL, '2024-03-02 10:00:00', '新')",
        f"UPDATE {table} SET updated_at = '2024-03-02 08:15:00', note = '已变更' WHERE id = 2",
    )
    inc = read_sql(source, tmp_path, since=full.high_water)
    rows = rows_of(inc)
    assert [(r["id"], r["updated_at"], r[SOURCE_ROW]) for r in rows] == [
        ("2", "2024-03-02 08:15:00", 1),
        ("4", "2024-03-02 10:00:00", 2),
        ("5", "2024-03-02 10:00:00", 3),
    ]
    assert rows[2]["jfjs"] == decimals(front, "99.90")[0] and rows[1]["note"] == "新"
    assert inc.high_water == "2024-03-02 10:00:00"

    again = read_sql(source, tmp_path, since=inc.high_water)
    assert list(again.chunks) == [] and again.high_water == inc.high_water
    assert again.columns == full.columns


def test_query_with_watermark_and_literal_colons(front: FrontDb, tmp_path: Path) -> None:
    table = seed(front)
    query = (
        f"SELECT id, dwmc, updated_at, 'a:b%' AS tag FROM {table}\n"
        "WHERE dwmc LIKE '%公司%' OR dwmc LIKE '%商店%'\nORDER BY id;\n"
    )
    source = sql(url=front.url, query=query, watermark="updated_at")
    full = read_sql(source, tmp_path)
    rows = rows_of(full)
    assert full.columns == ["id", "dwmc", "updated_at", "tag"]
    assert [(r["id"], r["tag"]) for r in rows] == [("1", "a:b%"), ("2", "a:b%")]
    assert full.high_water == "2024-03-01 09:30:00"

    front.run(f"INSERT INTO {table} VALUES (9, '新公司', NULL, NULL, '2024-03-05 00:00:00', NULL)")
    inc = read_sql(source, tmp_path, since="2024-03-01 08:00:00")
    assert [r["id"] for r in rows_of(inc)] == ["2", "9"]
    assert inc.high_water == "2024-03-05 00:00:00"


def test_query_without_watermark_keeps_its_own_order(front: FrontDb, tmp_path: Path) -> None:
    table = seed(front)
    source = sql(url=front.url, query=f"SELECT id, dwmc FROM {table} ORDER BY id DESC")
    reading = read_sql(source, tmp_path, since="2024-01-01 00:00:00")
    assert [r["id"] for r in rows_of(reading)] == ["3", "2", "1"]
    assert reading.high_water is None and any("no watermark" in n for n in reading.notes)


def test_integer_watermark_compares_as_number(front: FrontDb, tmp_path: Path) -> None:
    table = front.new_table("seq")
    front.run(
        f"CREATE TABLE {table} (seq_no INTEGER NOT NULL, item VARCHAR(20))",
        f"INSERT INTO {table} VALUES (12, '十二'), (5, '五'), (10, '十'), (9, '九')",
    )
    for source in (
        sql(url=front.url, table=table, watermark="seq_no"),
        sql(url=front.url, query=f"SELECT item, seq_no FROM {table}", watermark="seq_no"),
    ):
        full = read_sql(source, tmp_path)
        assert [r["seq_no"] for r in rows_of(full)] == ["5", "9", "10", "12"]
        assert full.high_water == "12"
        # as text '9' > '10'; as numbers it is not
        inc = read_sql(source, tmp_path, since="9")
        assert [(r["seq_no"], r["item"]) for r in rows_of(inc)] == [("10", "十"), ("12", "十二")]
        assert inc.high_water == "12"


def test_identifiers_are_quoted_and_schema_qualified(front: FrontDb, tmp_path: Path) -> None:
    table = front.new_table("Front 表")
    q = front.q
    front.run(
        f"CREATE TABLE {q(table)} ({q('单位 名称')} VARCHAR(50), {q('Updated At')} {front.datetime}, {q('order')} INTEGER)",
        f"INSERT INTO {q(table)} VALUES ('甲', '2024-05-01 00:00:00', 1), ('乙', '2024-05-02 00:00:00', 2)",
    )
    for name in (table, f"{front.schema}.{table}"):
        reading = read_sql(
            sql(url=front.url, table=name, watermark="Updated At"), tmp_path, since="2024-05-01 00:00:00"
        )
        assert reading.columns == ["单位 名称", "Updated At", "order"]
        assert rows_of(reading) == [
            {"单位 名称": "乙", "Updated At": "2024-05-02 00:00:00", "order": "2", SOURCE_ROW: 1}
        ]
        assert reading.high_water == "2024-05-02 00:00:00"


def test_missing_table_names_similar_tables(front: FrontDb, tmp_path: Path) -> None:
    table = seed(front)
    wrong = table[:-1] + ("x" if table[-1] != "x" else "y")
    with pytest.raises(SourceError) as caught:
        read_sql(sql(url=front.url, table=wrong), tmp_path)
    err = caught.value
    assert err.code == "SOURCE_NOT_FOUND" and not err.transient
    assert wrong in err.message and table in err.message


def test_missing_watermark_column_is_a_config_error(front: FrontDb, tmp_path: Path) -> None:
    table = seed(front)
    with pytest.raises(SourceError) as caught:
        read_sql(sql(url=front.url, table=table, watermark="gxsj"), tmp_path, since="2024-01-01 00:00:00")
    assert caught.value.code == "SOURCE_CONFIG"
    assert "gxsj" in caught.value.message and "updated_at" in caught.value.message


def test_bad_query_reports_the_database_message(front: FrontDb, tmp_path: Path) -> None:
    table = seed(front)
    with pytest.raises(SourceError) as caught:
        read_sql(sql(url=front.url, query=f"SELECT no_such_column FROM {table}"), tmp_path)
    assert caught.value.code == "SOURCE_QUERY" and not caught.value.transient
    assert "no_such_column" in caught.value.message


# --------------------------------------------------------------------------------------------------
# MariaDB / PostgreSQL specifics


@pytest.mark.mariadb
def test_mariadb_value_rendering(mariadb, tmp_path: Path) -> None:
    table = mariadb.table("types")
    mariadb.execute(
        f"CREATE TABLE `{table}` (id INT PRIMARY KEY, t TIME, flag BOOLEAN, ratio DOUBLE, amount DECIMAL(20,4), "
        "at6 DATETIME(6), ts TIMESTAMP NULL, raw BLOB, yr YEAR) DEFAULT CHARSET=utf8mb4",
        f"INSERT INTO `{table}` VALUES (1, '08:30:05', TRUE, 0.1, 12.3400, '2024-03-01 08:00:00.250000', "
        "'2024-03-01 08:00:00', '中文字节', 2024), (2, '-01:02:03', FALSE, 1e20, -0.0001, '2024-03-01 08:00:00', "
        "NULL, NULL, NULL)",
    )
    rows = rows_of(read_sql(sql(url=mariadb.url, table=table), tmp_path))
    assert rows[0] == {
        "id": "1",
        "t": "08:30:05",
        "flag": "1",  # BOOLEAN is TINYINT(1) in MariaDB: the database gives 1
        "ratio": "0.1",
        "amount": "12.3400",
        "at6": "2024-03-01 08:00:00.250000",
        "ts": "2024-03-01 08:00:00",
        "raw": "中文字节",
        "yr": "2024",
        SOURCE_ROW: 1,
    }
    assert rows[1]["t"] == "-01:02:03" and rows[1]["ratio"] == "1e+20" and rows[1]["amount"] == "-0.0001"
    assert rows[1]["at6"] == "2024-03-01 08:00:00" and rows[1]["ts"] is None


def drop_without_waiting(front: FrontDb, table: str) -> None:
    """DROP TABLE, failing (instead of waiting) if a reading still holds the table."""
    if front.kind == "sqlite":
        with sqlite3.connect(front.url.removeprefix("sqlite:///"), timeout=1) as conn:
            conn.execute(f"DROP TABLE {table}")
        return
    wait = "SET SESSION lock_wait_timeout = 2" if front.kind == "mariadb" else "SET lock_timeout = '2s'"
    with front.engine.begin() as conn:
        conn.execute(sa.text(wait))
        conn.execute(sa.text(f"DROP TABLE {table}"))


@pytest.mark.parametrize("how", ["closed", "never iterated"])
def test_abandoned_read_releases_the_connection(front: FrontDb, tmp_path: Path, how: str) -> None:
    table = front.new_table("big")
    front.run(
        f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v VARCHAR(10))",
        f"INSERT INTO {table} VALUES " + ", ".join(f"({i}, 'v{i}')" for i in range(1, 2001)),
    )
    reading = read_sql(sql(url=front.url, table=table, watermark="id"), tmp_path, chunk_rows=100)
    if how == "closed":
        first = next(reading.chunks)
        assert first.num_rows == 100 and first.column(SOURCE_ROW).to_pylist()[-1] == 100
        reading.chunks.close()  # type: ignore[attr-defined]
        assert reading.high_water is None  # not read to the end: no high water
    else:
        del reading
        gc.collect()
    started = time.monotonic()
    drop_without_waiting(front, table)
    assert time.monotonic() - started < 1


@pytest.mark.mariadb
def test_mariadb_wrong_password_is_not_transient_and_hidden(mariadb, tmp_path: Path) -> None:
    url = make_url(mariadb.url).set(password="Wr0ng-Secret").render_as_string(hide_password=False)
    with pytest.raises(SourceError) as caught:
        read_sql(sql(url_env="FRONT_URL", table="anything"), tmp_path, env={"FRONT_URL": url})
    err = caught.value
    assert err.code == "SOURCE_CONFIG" and not err.transient
    assert "1045" in err.message or "denied" in err.message
    assert "Wr0ng-Secret" not in f"{err} {err.message} {err.location}"


@pytest.mark.postgres
def test_postgres_password_never_shown(pg_url: str, tmp_path: Path) -> None:
    url = pg_url.replace("postgres@", "postgres:Pg-S3cret@")
    assert "Pg-S3cret" in url
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER, updated_at TIMESTAMPTZ)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1, '2024-03-01 08:00:00+08'), (2, '2024-03-01 09:00:00+08')"))
    engine.dispose()
    for source, env in ((sql(url=url, table="t"), None), (sql(url_env="PG_FRONT", table="t"), {"PG_FRONT": url})):
        reading = read_sql(source, tmp_path, env=env)
        assert len(rows_of(reading)) == 2
        assert "Pg-S3cret" not in reading.description and "***" in reading.description
        with pytest.raises(SourceError) as caught:
            read_sql(source.model_copy(update={"table": "t_missing"}), tmp_path, env=env)
        assert caught.value.code == "SOURCE_NOT_FOUND"
        assert "Pg-S3cret" not in f"{caught.value} {caught.value.location}"
    # timestamptz: the offset is kept, and since with an offset compares as a time
    source = sql(url=url, table="t", watermark="updated_at")
    reading = read_sql(source, tmp_path, since="2024-03-01 08:30:00+08:00")
    rows = rows_of(reading)
    assert [r["id"] for r in rows] == ["2"]
    assert reading.high_water is not None and reading.high_water.startswith("2024-03-01 ")
    assert reading.high_water[-6] in "+-" and reading.high_water[-3] == ":"
    assert list(read_sql(source, tmp_path, since=reading.high_water).chunks) == []


# --------------------------------------------------------------------------------------------------
# the committed SQLite sample of 人社局 through its catalog


def rsj_source(resource_id: str) -> SqlSource:
    loaded = load_catalog(CATALOGS / "rsj.yaml")
    assert loaded.ok, loaded.errors
    resource = loaded.catalog.resource(resource_id)
    assert resource is not None and isinstance(resource.source, SqlSource)
    return resource.source


def test_rsj_sample_table_reads_in_rowid_order() -> None:
    reading = read_sql(rsj_source("insured_employers"), CATALOGS, chunk_rows=200)
    rows = rows_of(reading)
    assert len(rows) == MANIFEST["resources"]["rsj/insured_employers"]["rows"]
    assert reading.columns[:3] == ["DWBH", "DWMC", "TYSHXYDM"] and reading.high_water is None
    with sqlite3.connect(REPO / "samples" / "rsj" / "rsj_front.db") as db:
        expected = [r[0] for r in db.execute("SELECT DWBH FROM sb_cbdw ORDER BY rowid")]
    assert [r["DWBH"] for r in rows] == expected
    assert [r[SOURCE_ROW] for r in rows] == list(range(1, len(rows) + 1))
    assert "rsj_front.db" in reading.description


def test_rsj_sample_query_by_watermark() -> None:
    source = rsj_source("employment_subsidy")
    assert source.watermark == "updated_at"
    reading = read_sql(source, CATALOGS, chunk_rows=128)
    rows = rows_of(reading)
    assert len(rows) == MANIFEST["resources"]["rsj/employment_subsidy"]["rows"]
    with sqlite3.connect(REPO / "samples" / "rsj" / "rsj_front.db") as db:
        ordered = db.execute(source.query).fetchall()
    assert [r["payment_id"] for r in rows] == [r[0] for r in ordered]  # the query's ORDER BY is kept
    assert reading.high_water == max(r[-1] for r in ordered)

    since = ordered[400][-1]
    inc = read_sql(source, CATALOGS, since=since)
    new = rows_of(inc)
    assert [r["payment_id"] for r in new] == [r[0] for r in ordered if r[-1] > since]
    assert new and [r[SOURCE_ROW] for r in new] == list(range(1, len(new) + 1))
    assert inc.high_water == reading.high_water


def test_sqlite_undecodable_bytes_name_column_and_row(tmp_path: Path) -> None:
    db = tmp_path / "front.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id INTEGER, payload BLOB)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, "好".encode()), (2, b"\xff\xfe"), (3, None)])
    reading = read_sql(sql(url="sqlite:///front.db", table="t"), tmp_path)  # relative to the catalog folder
    with pytest.raises(SourceError) as caught:
        list(reading.chunks)
    assert caught.value.code == "SOURCE_ENCODING"
    assert "payload" in caught.value.message and "row 2" in caught.value.message


# --------------------------------------------------------------------------------------------------
# errors before any data


def test_unreachable_server_is_transient_fast_and_hides_the_password(tmp_path: Path) -> None:
    for url, shown in (
        ("mysql+pymysql://root:S3cret-Pw@127.0.0.1:1/test", "127.0.0.1:1"),
        ("postgresql+psycopg://postgres:S3cret-Pw@127.0.0.1:1/test", "127.0.0.1:1"),
    ):
        started = time.monotonic()
        with pytest.raises(SourceError) as caught:
            read_sql(sql(url_env="RSJ_FRONT_URL", table="sb_cbdw"), tmp_path, env={"RSJ_FRONT_URL": url})
        assert time.monotonic() - started < 5
        err = caught.value
        assert err.code == "SOURCE_UNREACHABLE" and err.transient
        assert shown in err.message
        assert "S3cret-Pw" not in f"{err} {err.message} {err.location}"
        assert err.location is not None and "***" in err.location


def test_url_env_unset_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_sql(sql(url_env="RSJ_FRONT_URL", table="sb_cbdw"), tmp_path, env={})
    assert caught.value.code == "SOURCE_CONFIG" and "RSJ_FRONT_URL" in caught.value.message


def test_malformed_url_is_a_config_error_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_sql(sql(url_env="U", table="t"), tmp_path, env={"U": "mysql+pymysql//root:Hidden-Pw@db:3306"})
    assert caught.value.code == "SOURCE_CONFIG" and "Hidden-Pw" not in str(caught.value)


def test_missing_sqlite_file_and_table(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_sql(sql(url="sqlite:///no_such.db", table="t"), tmp_path)
    assert caught.value.code == "SOURCE_NOT_FOUND" and "no_such.db" in caught.value.message
    assert not (tmp_path / "no_such.db").exists()  # never created by the attempt

    source = rsj_source("insured_employers").model_copy(update={"table": "sb_cbdx"})
    with pytest.raises(SourceError) as caught:
        read_sql(source, CATALOGS)
    assert caught.value.code == "SOURCE_NOT_FOUND"
    assert "sb_cbdx" in caught.value.message and "sb_cbdw" in caught.value.message


def test_render_value() -> None:
    cst = dt.timezone(dt.timedelta(hours=8))
    cases = [
        ("中文", "中文"),
        (12, "12"),
        (True, "true"),
        (False, "false"),
        (Decimal("1E+3"), "1000"),
        (Decimal("12.3400"), "12.3400"),
        (Decimal("-0.00001"), "-0.00001"),
        (0.1, "0.1"),
        (1e20, "1e+20"),
        (dt.datetime(2024, 3, 1, 8, 0), "2024-03-01 08:00:00"),
        (dt.datetime(2024, 3, 1, 8, 0, 0, 5), "2024-03-01 08:00:00.000005"),
        (dt.datetime(2024, 3, 1, 8, 0, tzinfo=cst), "2024-03-01 08:00:00+08:00"),
        (dt.datetime(1, 1, 1), "0001-01-01 00:00:00"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.time(8, 0, 0, 120000), "08:00:00.120000"),
        (dt.time(23, 59, 1), "23:59:01"),
        (dt.timedelta(hours=26, minutes=3), "26:03:00"),
        ("中".encode(), "中"),
    ]
    for value, text in cases:
        assert render_value(value) == text, value
    assert render_value(None) is None
    with pytest.raises(UnicodeDecodeError):
        render_value(b"\xff")
