"""kill -9 of a cleanse run (issue 14), on SQLite and PostgreSQL: the real cleanse flow runs in a
process of its own and is killed the moment its DWD commit is visible, while the department's
feedback workbook (反馈表) of thousands of problems is still to be written. The run's record must be
there with the DWD rows, and the next run, with nothing left to cleanse, must bring the stale
workbook up to the database's issues."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from stdnum.cn import uscc as stdnum_uscc

from gongshu.settings import reset_settings
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

CATALOG = """\
department: {id: scjgj, name: 台州市市场监督管理局}
resources:
  - id: firms
    name: 企业登记信息
    category: 法人
    format: 数据库
    update_cycle: 每日
    share: {type: 无条件共享, method: 接口}
    open: {type: 不予开放}
    level: L2
    primary_key: [uscc]
    quality: {min_rows: 1, max_invalid_ratio: 0.9}
    fields:
      - {name: uscc, label: 统一社会信用代码, kind: uscc, required: true}
      - {name: name, label: 企业名称, kind: text, required: true}
      - {name: founded, label: 成立日期, kind: date}
    source: {kind: csv, path: firms.csv, encoding: utf-8}
"""
CLEANSE_IN_A_PROCESS = """
from flows.cleanse import cleanse_flow
cleanse_flow(departments=["scjgj"], run_id="run-killed")
"""


def uscc(n: int) -> str:
    first = f"91331002MA{n:07d}"
    return first + stdnum_uscc.calc_check_digit(first)


def write_source(folder: Path, rows: int, bad_dates: int) -> None:
    """``rows`` firms, the last ``bad_dates`` of them with an impossible 成立日期 (one problem each)."""
    lines = ["统一社会信用代码,企业名称,成立日期\n"]
    lines += [
        f"{uscc(i)},台州市第{i}贸易有限公司,{'2021-02-30' if i > rows - bad_dates else '2020-01-02'}\n"
        for i in range(1, rows + 1)
    ]
    (folder / "firms.csv").write_text("".join(lines), encoding="utf-8")


def listed(workbook: Path) -> int:
    book = openpyxl.load_workbook(workbook, read_only=True)
    return sum(1 for _ in book["问题明细"].iter_rows(min_row=2))


def open_issues(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(m.QualityIssue).where(m.QualityIssue.status == "open")
        )


def test_a_run_killed_after_its_dwd_commit_keeps_its_record_and_the_rerun_rewrites_the_workbook(
    tmp_path, db_url, monkeypatch
):
    from prefect.settings import PREFECT_API_URL

    from flows.cleanse import cleanse_flow
    from flows.pipeline import pipeline_flow

    monkeypatch.setenv("GONGSHU_DB_URL", db_url)
    reset_settings()
    engine = get_engine(db_url)
    folder = tmp_path / "catalogs"
    folder.mkdir()
    (folder / "scjgj.yaml").write_text(CATALOG, encoding="utf-8")
    write_source(folder, rows=20, bad_dates=2)
    first = pipeline_flow(
        catalogs=str(folder), stages=["catalog", "collect", "cleanse"], run_id="r1", return_state=True
    )
    assert first.is_completed()
    workbook = Path(first.result().outputs["feedback_scjgj"])
    assert listed(workbook) == 2

    # the department's next export brings 3,000 problems; it is collected, then cleansed in a process
    # that is killed once the DWD commit is visible: its workbook takes seconds more to write
    write_source(folder, rows=8_000, bad_dates=3_000)
    assert pipeline_flow(stages=["collect"], run_id="r2", return_state=True).is_completed()
    with session_scope(engine) as session:
        batch = session.scalars(sa.select(m.CollectBatch).order_by(m.CollectBatch.finished_at.desc())).first().id
    log = (tmp_path / "killed.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-c", CLEANSE_IN_A_PROCESS],
        cwd=REPO,
        env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    committed = sa.select(m.CleanseBatch.id).where(m.CleanseBatch.batch_id == batch)
    try:
        deadline = time.monotonic() + 240
        while True:
            with engine.connect() as conn:
                if conn.execute(committed).first() is not None:
                    break
            assert proc.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "the cleanse run never committed its batch"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()

    with engine.connect() as conn:
        loaded = conn.execute(sa.text('SELECT COUNT(*) FROM "dwd_scjgj__firms"')).scalar_one()
    assert loaded == 5_000
    with session_scope(engine) as session:
        (record,) = session.scalars(
            sa.select(m.RunLog).where(m.RunLog.run_id == "run-killed", m.RunLog.stage == "cleanse")
        ).all()
        assert (record.status, record.rows_in, record.rows_out) == ("completed", 8_000, 5_000)
        assert record.details["rows_quarantined"] == 3_000

    rerun = cleanse_flow(departments=["scjgj"], run_id="r3", return_state=True)
    report = rerun.result(raise_on_failure=False)
    (outcome,) = [o for o in report.outcomes if o.resource == "firms"]
    assert outcome.status == "skipped" and "nothing to do" in outcome.reason  # the batch is not cleansed twice
    assert Path(report.outputs["feedback_scjgj"]) == workbook
    assert listed(workbook) == open_issues(engine) == 3_000
    with session_scope(engine) as session:
        cleansed = session.scalars(sa.select(m.CleanseBatch.run_id).where(m.CleanseBatch.batch_id == batch)).all()
    assert cleansed == ["run-killed"]
