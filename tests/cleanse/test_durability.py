"""Faults of issue 14 in the cleansing stage, on SQLite and PostgreSQL: the run's record commits with
the DWD rows (a crash after that commit never loses it), two runs at once never cleanse one batch
twice (a claim in the database; a claim left by a killed process is taken over), and a feedback
workbook never goes back to an older state of the issues."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu import claims
from gongshu.catalog import load_catalog
from gongshu.cleanse import feedback_state
from gongshu.cleanse.feedback_data import write_department_feedback
from gongshu.cleanse.stage import STAGE, cleanse_resource
from gongshu.cleanse.table import standardise_table
from gongshu.collect.stage import collect_resource
from gongshu.settings import reset_settings
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

from ..killpoint import dies_at
from . import test_stage
from .test_feedback import DEADLINES
from .test_stage import GOOD, bad_check, dwd, run, uscc

make = test_stage.make  # the fixture: a resource and its source file

REPO = Path(__file__).resolve().parents[2]


def run_log(engine, stage: str = STAGE) -> list[m.RunLog]:
    with session_scope(engine) as session:
        rows = list(session.scalars(sa.select(m.RunLog).where(m.RunLog.stage == stage).order_by(m.RunLog.id)))
        session.expunge_all()
    return rows


def cleansings(engine) -> list[tuple[str, str, str]]:
    with session_scope(engine) as session:
        return [
            (b.batch_id, b.run_id, b.status)
            for b in session.scalars(sa.select(m.CleanseBatch).order_by(m.CleanseBatch.id))
        ]


def test_the_run_record_is_written_with_the_dwd_rows_in_one_transaction(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD) + f"{bad_check(uscc(4))},台州市丁有限公司,50,2021-01-01,存续\n")
    assert collect_resource(engine, "scjgj", resource, "r1", catalog_dir=folder).status == "completed"

    # the process dies (here: the statement fails) once the DWD rows are written, before the commit
    with dies_at(engine):
        cleanse_resource(engine, "scjgj", resource, "r1", expectations_dir=folder / "expectations")
    assert dwd(engine) == {} and cleansings(engine) == [] and run_log(engine) == []

    # nothing else is needed for the record: no flow writes it after the stage returns
    out = cleanse_resource(engine, "scjgj", resource, "r2", expectations_dir=folder / "expectations")
    assert out.status == "completed" and out.logged
    assert len(dwd(engine)) == 3
    (row,) = run_log(engine)
    assert (row.run_id, row.resource_key, row.status, row.rows_in, row.rows_out) == ("r2", "firms", "completed", 4, 3)
    assert row.details["rows_quarantined"] == 1 and row.details["batches"] == out.details["batches"]


def test_two_runs_at_once_cleanse_a_batch_once(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD))
    assert collect_resource(engine, "scjgj", resource, "c1", catalog_dir=folder).status == "completed"
    inside, second_done = threading.Event(), threading.Event()
    first: dict = {}

    def slow_standardise(res, raw):
        inside.set()  # run A has its batch in hand and has committed nothing yet
        second_done.wait(timeout=30)
        return standardise_table(res, raw)

    def run_a() -> None:
        first["out"] = cleanse_resource(
            engine, "scjgj", resource, "run-a", expectations_dir=folder / "expectations", standardise=slow_standardise
        )

    thread = threading.Thread(target=run_a)
    thread.start()
    try:
        assert inside.wait(timeout=60)
        second = cleanse_resource(engine, "scjgj", resource, "run-b", expectations_dir=folder / "expectations")
    finally:
        second_done.set()
        thread.join(timeout=60)
    assert first["out"].status == "completed", first["out"].error
    assert second.status == "skipped", (second.status, second.error)
    assert second.reason.startswith("being cleansed by run run-a since ")
    assert [(run_id, status) for _, run_id, status in cleansings(engine)] == [("run-a", "completed")]
    assert [(r.run_id, r.status) for r in run_log(engine)] == [("run-a", "completed")]  # B's skip: by its flow

    # the claim was freed: the next run finds nothing to do, not a busy resource
    again = cleanse_resource(engine, "scjgj", resource, "run-c", expectations_dir=folder / "expectations")
    assert again.status == "skipped" and "nothing to do" in again.reason


HOLD_A_CLAIM = """
import sys
from gongshu import claims
from gongshu.store.db import get_engine
claims.acquire(get_engine(sys.argv[1]), "cleanse", "scjgj", "firms", "run-killed")
print("claimed", flush=True)
sys.stdin.read()
"""


def test_a_claim_left_by_a_killed_process_is_taken_over(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD))
    assert collect_resource(engine, "scjgj", resource, "c1", catalog_dir=folder).status == "completed"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_CLAIM, db_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "claimed"
        busy = cleanse_resource(engine, "scjgj", resource, "run-b", expectations_dir=folder / "expectations")
        assert busy.status == "skipped" and busy.reason.startswith("being cleansed by run run-killed since ")
        assert f":{holder.pid})" in busy.reason
    finally:
        holder.kill()  # SIGKILL: the claim stays in the database
        holder.wait()
    out = cleanse_resource(engine, "scjgj", resource, "run-c", expectations_dir=folder / "expectations")
    assert out.status == "completed", out.error
    assert [(run_id, status) for _, run_id, status in cleansings(engine)] == [("run-c", "completed")]


def test_a_stale_claim_is_taken_over_and_its_holder_can_no_longer_commit(make, db_url, monkeypatch):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD))
    assert collect_resource(engine, "scjgj", resource, "c1", catalog_dir=folder).status == "completed"
    monkeypatch.setenv("GONGSHU_CLAIM_TIMEOUT", "0.5")
    reset_settings()
    stuck = claims.acquire(engine, STAGE, "scjgj", "firms", "run-stuck")  # alive (this process) but silent
    assert isinstance(stuck, claims.Claim)
    assert isinstance(claims.acquire(engine, STAGE, "scjgj", "firms", "run-b"), claims.Busy)
    time.sleep(0.7)

    out = cleanse_resource(engine, "scjgj", resource, "run-c", expectations_dir=folder / "expectations")
    assert out.status == "completed", out.error
    # the stuck run wakes up: whatever it would commit now is rolled back
    with pytest.raises(claims.ClaimLost, match="run-stuck"), engine.begin() as conn:
        now = dt.datetime.now(dt.UTC)
        row = {"run_id": "run-stuck", "stage": STAGE, "department_key": "scjgj", "status": "completed"}
        conn.execute(sa.insert(m.RunLog.__table__).values(**row, started_at=now, details={}))
        claims.refresh(conn, stuck)
    assert {r.run_id for r in run_log(engine)} == {"run-c"}


def test_a_live_run_keeps_its_claim_however_long_its_batch_takes(make, db_url, monkeypatch):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD))
    assert collect_resource(engine, "scjgj", resource, "c1", catalog_dir=folder).status == "completed"
    monkeypatch.setenv("GONGSHU_CLAIM_TIMEOUT", "0.6")
    reset_settings()
    inside, second_done = threading.Event(), threading.Event()
    first: dict = {}

    def slow_standardise(res, raw):
        inside.set()
        second_done.wait(timeout=30)  # far longer than the claim's timeout
        return standardise_table(res, raw)

    def run_a() -> None:
        first["out"] = cleanse_resource(
            engine, "scjgj", resource, "run-a", expectations_dir=folder / "expectations", standardise=slow_standardise
        )

    thread = threading.Thread(target=run_a)
    thread.start()
    try:
        assert inside.wait(timeout=60)
        time.sleep(1.5)
        second = cleanse_resource(engine, "scjgj", resource, "run-b", expectations_dir=folder / "expectations")
    finally:
        second_done.set()
        thread.join(timeout=60)
    assert second.status == "skipped" and second.reason.startswith("being cleansed by run run-a since ")
    assert first["out"].status == "completed", first["out"].error
    assert [(run_id, status) for _, run_id, status in cleansings(engine)] == [("run-a", "completed")]


def test_an_older_workbook_never_replaces_a_newer_one(make, db_url, gongshu_home):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD) + f"{bad_check(uscc(4))},台州市丁有限公司,50,2021-01-01,存续\n")
    catalog = load_catalog(folder / "scjgj.yaml").catalog
    # writer A reads the issues (generation 1) and is slow to rename its workbook
    assert run(engine, resource, folder).status == "completed"
    with session_scope(engine) as session:
        at_a = feedback_state.generation(session, "scjgj")
    make(
        "".join(GOOD) + f"{bad_check(uscc(4))},台州市丁有限公司,50,2021-01-01,存续\n"
        f"{bad_check(uscc(5))},台州市戊有限公司,50,2021-01-01,存续\n"
    )
    assert run(engine, resource, folder, run_id="r2").status == "completed"
    # writer B reads generation 2 (two problems) and installs first
    with session_scope(engine) as session:
        path = write_department_feedback(session, catalog, "2026-12", gongshu_home, DEADLINES)
    newer = path.read_bytes()
    with session_scope(engine) as session:
        assert not feedback_state.install(session, gongshu_home, "scjgj", "2026-12", path, b"older", at_a)
    assert path.read_bytes() == newer
    assert not list(path.parent.glob(".*.tmp"))
    with session_scope(engine) as session:
        assert feedback_state.behind(session, gongshu_home, ["scjgj"]) == {}
    path.unlink()
    with session_scope(engine) as session:
        assert "missing" in feedback_state.behind(session, gongshu_home, ["scjgj"])["scjgj"]


INCREMENTAL = """\
department: {id: scjgj, name: 台州市市场监督管理局}
resources:
  - id: licences
    name: 行政许可信息
    category: 信用体系
    format: 数据库
    update_cycle: 每日
    share: {type: 无条件共享, method: 数据库}
    open: {type: 不予开放}
    level: L1
    primary_key: [licence_no]
    fields:
      - {name: licence_no, source_column: xkbh, kind: text, required: true}
      - {name: holder, source_column: mc, kind: text}
      - {name: updated_at, source_column: updated_at, kind: datetime}
    source: {kind: sql, url: "sqlite:///front.db", table: t_licence, watermark: updated_at}
"""


def test_a_crash_in_the_second_batch_keeps_the_record_of_the_first(tmp_path, db_url):
    """An incremental resource cleanses its batches one commit each: the run's record follows each
    commit, and the flow's writer, told of the crash, replaces that row rather than adding one."""
    import sqlite3

    from gongshu.quality.suites import write_suites
    from gongshu.runs import Outcome, record

    engine = get_engine(db_url)
    with sqlite3.connect(tmp_path / "front.db") as db:
        db.execute("CREATE TABLE t_licence (xkbh TEXT, mc TEXT, updated_at TEXT)")
        db.executemany(
            "INSERT INTO t_licence VALUES (?, ?, ?)",
            [(f"XK{i}", f"商行{i}", f"2026-11-0{i} 08:00:00") for i in (1, 2, 3)],
        )
    (tmp_path / "scjgj.yaml").write_text(INCREMENTAL, encoding="utf-8")
    catalog = load_catalog(tmp_path / "scjgj.yaml").catalog
    write_suites(catalog, tmp_path / "expectations")
    resource = catalog.resources[0]
    assert collect_resource(engine, "scjgj", resource, "c1", catalog_dir=tmp_path).rows_out == 3
    with sqlite3.connect(tmp_path / "front.db") as db:
        db.execute("INSERT INTO t_licence VALUES ('XK9', '商行9', '2026-11-09 08:00:00')")
    assert collect_resource(engine, "scjgj", resource, "c2", catalog_dir=tmp_path).rows_out == 1

    commits = []

    def die_in_the_second_batch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO CLEANSE_BATCH"):
            commits.append(statement)
            if len(commits) == 2:
                raise RuntimeError("killed")

    sa.event.listen(engine, "before_cursor_execute", die_in_the_second_batch)
    try:
        with pytest.raises(RuntimeError, match="killed"):
            cleanse_resource(engine, "scjgj", resource, "r1", expectations_dir=tmp_path / "expectations")
    finally:
        sa.event.remove(engine, "before_cursor_execute", die_in_the_second_batch)
    with engine.connect() as conn:
        assert conn.execute(sa.text('SELECT COUNT(*) FROM "dwd_scjgj__licences"')).scalar_one() == 3
    (row,) = run_log(engine)
    assert (row.run_id, row.status, row.rows_in, row.rows_out) == ("r1", "completed", 3, 3)
    assert len(row.details["batches"]) == 1

    # the flow learns of the crash and logs it: the resource keeps one row in the run
    now = dt.datetime.now(dt.UTC)
    crashed = Outcome(STAGE, "scjgj", "licences", "failed", now, now, error="cleansing crashed: killed")
    with session_scope(engine) as session:
        record(session, "r1", [crashed])
    (row,) = run_log(engine)
    assert (row.status, row.error) == ("failed", "cleansing crashed: killed")
    assert (row.rows_in, row.rows_out, len(row.details["batches"])) == (3, 3, 1)  # what was committed

    out = cleanse_resource(engine, "scjgj", resource, "r2", expectations_dir=tmp_path / "expectations")
    assert (out.status, out.rows_in, out.rows_out) == ("completed", 1, 1)
    assert [(r.run_id, r.rows_in) for r in run_log(engine)] == [("r1", 3), ("r2", 1)]
