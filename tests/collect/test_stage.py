"""The collection stage on a real platform database (SQLite and PostgreSQL): batches stored whole or
not at all, never twice, behind the raw gate; failures say what to fix."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.catalog import load_catalog
from gongshu.collect.stage import collect_resource
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope
from gongshu.store.ods import ods_table_name

from ..killpoint import dies_at

REPO = Path(__file__).resolve().parents[2]

CATALOG = """\
department: {{id: scjgj, name: 台州市市场监督管理局}}
resources:
  - id: licences
    name: 行政许可信息
    category: 信用体系
    format: 电子表格
    update_cycle: 每日
    share: {{type: 无条件共享, method: 文件}}
    open: {{type: 无条件开放}}
    level: L1
    primary_key: [licence_no]
    quality: {{min_rows: {min_rows}, max_invalid_ratio: 0.1}}
    fields:
      - {{name: licence_no, label: 许可编号, kind: text, required: true}}
      - {{name: holder, label: 行政相对人名称, kind: text}}
      - {{name: decided_on, label: 许可决定日期, kind: date}}
    source: {{kind: csv, path: licences.csv, encoding: {encoding}}}
"""
HEADER = "许可编号,行政相对人名称,许可决定日期\n"


def rows(n: int, start: int = 1) -> str:
    return "".join(f"XK{i:06d},台州市第{i}号商行,2024-01-{1 + i % 28:02d}\n" for i in range(start, start + n))


@pytest.fixture
def make(tmp_path: Path):
    def _make(body: str, *, min_rows: int = 1, encoding: str = "auto", raw: bytes | None = None):
        (tmp_path / "scjgj.yaml").write_text(CATALOG.format(min_rows=min_rows, encoding=encoding), encoding="utf-8")
        (tmp_path / "licences.csv").write_bytes(raw if raw is not None else body.encode("utf-8"))
        loaded = load_catalog(tmp_path / "scjgj.yaml")
        assert loaded.catalog is not None, [str(i) for i in loaded.issues]
        return loaded.catalog.resources[0], tmp_path

    return _make


def ods_rows(engine, resource: str = "licences") -> list[tuple]:
    table = ods_table_name("scjgj", resource)
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(table):
            return []
        return conn.execute(
            sa.text(f'SELECT _source_row, licence_no, holder FROM "{table}" ORDER BY _source_row')
        ).all()


def test_a_csv_batch_lands_in_ods_with_batch_id_and_source_rows(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make(HEADER + rows(25))
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=folder)
    assert out.status == "completed", out.error
    assert (out.rows_in, out.rows_out) == (25, 25)
    assert out.details["gate"]["passed"] is True
    stored = ods_rows(engine)
    assert [r[0] for r in stored] == list(range(1, 26))
    assert stored[0][1:] == ("XK000001", "台州市第1号商行")
    with session_scope(engine) as session:
        [batch] = session.scalars(sa.select(m.CollectBatch)).all()
        checks = session.scalars(sa.select(m.QualityResult).where(m.QualityResult.gate == "raw")).all()
    assert batch.id == out.details["batch_id"] and batch.rows == 25 and batch.fingerprint.startswith("sha256:")
    assert {c.rule for c in checks} >= {"COLUMNS_MISSING", "ROW_COUNT", "TEXT_UNDECODABLE"}
    assert all(c.success for c in checks)


def test_collecting_the_same_content_again_adds_nothing(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make(HEADER + rows(10))
    assert collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=folder).status == "completed"
    again = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=folder)
    assert again.status == "skipped" and "same content" in again.reason
    assert len(ods_rows(engine)) == 10
    (folder / "licences.csv").write_text(HEADER + rows(12), encoding="utf-8")
    third = collect_resource(engine, "scjgj", resource, "run-3", catalog_dir=folder)
    assert third.status == "completed" and third.rows_out == 12
    assert len(ods_rows(engine)) == 22


def test_a_renamed_source_column_fails_the_raw_gate_and_stores_nothing(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("许可编号,行政相对人名称（全称）,许可决定日期\n" + rows(5))
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=folder)
    assert out.status == "failed"
    assert "'行政相对人名称' for field 'holder'" in out.error
    assert "did you mean '行政相对人名称（全称）'" in out.error
    assert ods_rows(engine) == []
    with session_scope(engine) as session:
        failed = session.scalars(sa.select(m.QualityResult).where(m.QualityResult.success.is_(False))).all()
        # the renamed column is missing (critical) and, under its new name, extra (a warning)
        assert sorted((c.rule, c.severity) for c in failed) == [
            ("COLUMNS_EXTRA", "warning"),
            ("COLUMNS_MISSING", "critical"),
        ]
        assert session.scalar(sa.select(sa.func.count(m.CollectBatch.id))) == 0


def test_an_extra_column_is_a_recorded_warning(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make(
        "许可编号,行政相对人名称,许可决定日期,备注\n" + "".join(line + ",无\n" for line in rows(4).splitlines())
    )
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=folder)
    assert out.status == "completed" and out.rows_out == 4
    assert out.details["gate"]["warnings"] == ["COLUMNS_EXTRA"]


def test_too_few_rows_fail_the_gate_and_nothing_is_stored(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make(HEADER + rows(3), min_rows=5)
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=folder)
    assert out.status == "failed"
    assert "the batch has 3 rows; the catalog expects at least 5" in out.error
    assert "nothing from this batch was stored" in out.error
    assert ods_rows(engine) == []


def test_source_problems_fail_with_a_sentence_and_keep_what_was_loaded(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make(HEADER + rows(6))
    assert collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=folder).status == "completed"

    (folder / "licences.csv").unlink()
    missing = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=folder)
    assert missing.status == "failed" and "licences.csv" in missing.error

    (folder / "licences.csv").write_text(HEADER + rows(6) + 'XK999999,"台州市未完', encoding="utf-8")
    truncated = collect_resource(engine, "scjgj", resource, "run-3", catalog_dir=folder)
    assert truncated.status == "failed" and "line 8" in truncated.error

    resource_utf8, folder = make("", encoding="utf-8", raw=(HEADER + rows(6, start=50)).encode("gbk"))
    gbk = collect_resource(engine, "scjgj", resource_utf8, "run-4", catalog_dir=folder)
    assert gbk.status == "failed" and "GB" in gbk.error
    assert len(ods_rows(engine)) == 6  # the first batch is intact


def test_a_field_added_to_the_catalog_adds_an_ods_column(make, db_url, tmp_path):
    engine = get_engine(db_url)
    resource, folder = make(HEADER + rows(3))
    collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=folder)
    text = (
        (folder / "scjgj.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "      - {name: decided_on", "      - {name: remark, label: 备注, kind: text}\n      - {name: decided_on"
        )
    )
    (folder / "scjgj.yaml").write_text(text, encoding="utf-8")
    (folder / "licences.csv").write_text(
        "许可编号,行政相对人名称,备注,许可决定日期\nXK100000,某商行,新增,2024-02-01\n", encoding="utf-8"
    )
    resource = load_catalog(folder / "scjgj.yaml").catalog.resources[0]
    out = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=folder)
    assert out.status == "completed", out.error
    with engine.connect() as conn:
        remarks = (
            conn.execute(sa.text('SELECT remark FROM "ods_scjgj__licences" ORDER BY _collected_at, _source_row'))
            .scalars()
            .all()
        )
    assert remarks == [None, None, None, "新增"]


def test_incremental_sql_collects_only_rows_past_the_high_water_mark(tmp_path, db_url):
    engine = get_engine(db_url)
    source_db = tmp_path / "front.db"
    with sqlite3.connect(source_db) as db:
        db.execute("CREATE TABLE t_licence (xkbh TEXT, mc TEXT, updated_at TEXT)")
        db.executemany(
            "INSERT INTO t_licence VALUES (?, ?, ?)",
            [(f"XK{i}", f"商行{i}", f"2026-11-0{i} 08:00:00") for i in range(1, 4)],
        )
    (tmp_path / "scjgj.yaml").write_text(
        textwrap.dedent("""\
        department: {id: scjgj, name: 台州市市场监督管理局}
        resources:
          - id: licences
            name: 行政许可信息
            category: 信用体系
            format: 数据库
            update_cycle: 每日
            share: {type: 无条件共享, method: 数据库}
            open: {type: 无条件开放}
            level: L1
            primary_key: [licence_no]
            fields:
              - {name: licence_no, source_column: xkbh, kind: text, required: true}
              - {name: holder, source_column: mc, kind: text}
              - {name: updated_at, source_column: updated_at, kind: datetime}
            source: {kind: sql, url: "sqlite:///front.db", table: t_licence, watermark: updated_at}
        """),
        encoding="utf-8",
    )
    resource = load_catalog(tmp_path / "scjgj.yaml").catalog.resources[0]
    first = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=tmp_path)
    assert first.status == "completed" and first.rows_out == 3, first.error
    assert first.details["high_water"] == "2026-11-03 08:00:00"
    nothing = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=tmp_path)
    assert nothing.status == "completed" and nothing.rows_out == 0
    with sqlite3.connect(source_db) as db:
        db.execute("INSERT INTO t_licence VALUES ('XK9', '商行9', '2026-11-09 08:00:00')")
    more = collect_resource(engine, "scjgj", resource, "run-3", catalog_dir=tmp_path)
    assert more.rows_out == 1 and more.details["since"] == "2026-11-03 08:00:00"
    assert sorted(r[1] for r in ods_rows(engine)) == ["XK1", "XK2", "XK3", "XK9"]


KILL_SCRIPT = """
import sys
from pathlib import Path
from gongshu.catalog import load_catalog
from gongshu.collect.stage import collect_resource
from gongshu.store.db import get_engine
folder = Path(sys.argv[1])
resource = load_catalog(folder / "scjgj.yaml").catalog.resources[0]
print(collect_resource(get_engine(sys.argv[2]), "scjgj", resource, "run-kill", catalog_dir=folder, chunk_rows=2000).status)
"""


def test_a_process_killed_mid_load_leaves_all_or_nothing_and_a_rerun_completes(make, gongshu_home):
    url = f"sqlite:///{gongshu_home / 'gongshu.db'}"
    engine = get_engine(url)
    n = 400_000
    resource, folder = make(HEADER + rows(n))
    wal = Path(str(gongshu_home / "gongshu.db") + "-wal")
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(folder), url], cwd=REPO, env=os.environ.copy())
    deadline = time.monotonic() + 120
    # wait until rows are being written (the write-ahead log grows past a few MB), then kill hard
    while time.monotonic() < deadline and proc.poll() is None and (not wal.exists() or wal.stat().st_size < 4_000_000):
        time.sleep(0.02)
    assert proc.poll() is None, "the load finished before it could be killed: make the file larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = len(ods_rows(engine))
    assert stored in (0, n)
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count(m.CollectBatch.id))) == (1 if stored else 0)
    rerun = collect_resource(engine, "scjgj", resource, "run-again", catalog_dir=folder)
    assert rerun.status == ("completed" if stored == 0 else "skipped")
    assert len(ods_rows(engine)) == n


@pytest.mark.parametrize("mangled", ["\ufffd", "锟斤拷"])
def test_mangled_text_over_the_catalogs_ratio_fails_the_raw_gate(make, db_url, mangled):
    engine = get_engine(db_url)
    lines = rows(10).splitlines(keepends=True)
    for i in (3, 8):  # rows 4 and 9, in different chunks of 3 rows
        lines[i] = lines[i].replace("商行", f"商{mangled}行")
    resource, folder = make(HEADER + "".join(lines))
    out = collect_resource(engine, "scjgj", resource, "run-1", catalog_dir=folder, chunk_rows=3)
    assert out.status == "failed"
    assert "2 rows hold text that was not decoded right" in out.error
    assert ods_rows(engine) == []
    lines[8] = rows(1, start=9)
    (folder / "licences.csv").write_text(HEADER + "".join(lines), encoding="utf-8")
    one = collect_resource(engine, "scjgj", resource, "run-2", catalog_dir=folder, chunk_rows=3)
    assert one.status == "completed"
    assert one.details["gate"]["warnings"] == ["TEXT_UNDECODABLE on _undecodable (1 rows)"]


def test_the_run_record_and_gate_results_commit_with_the_batch(make, db_url):
    """A process that dies after the batch's commit still leaves the run's record: the batch, its
    raw-gate results and its run_log row are one transaction."""
    engine = get_engine(db_url)
    resource, folder = make(HEADER + rows(5))

    with dies_at(engine):
        collect_resource(engine, "scjgj", resource, "r1", catalog_dir=folder)
    with session_scope(engine) as session:
        assert session.scalars(sa.select(m.CollectBatch)).all() == []
        assert session.scalars(sa.select(m.QualityResult).where(m.QualityResult.batch_id.is_not(None))).all() == []
    assert ods_rows(engine) == []

    # the next run stores the batch (not "same content": nothing of r1 was kept) and its record with it
    out = collect_resource(engine, "scjgj", resource, "r2", catalog_dir=folder)
    assert out.status == "completed" and out.logged, out.error
    with session_scope(engine) as session:
        (row,) = session.scalars(sa.select(m.RunLog).where(m.RunLog.stage == "collect")).all()
        assert (row.run_id, row.status, row.rows_in, row.rows_out) == ("r2", "completed", 5, 5)
        assert row.details["batch_id"] == out.details["batch_id"]
        assert session.scalars(
            sa.select(m.QualityResult).where(m.QualityResult.batch_id == row.details["batch_id"])
        ).all()
    assert len(ods_rows(engine)) == 5
