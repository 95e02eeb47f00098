"""The gongshu command as a user runs it: the installed console script in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GONGSHU = str(Path(sys.executable).with_name("gongshu"))


def gongshu(*args: str, env_extra: dict | None = None, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([GONGSHU, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def harness_api(prefect_harness) -> dict:
    """Point subprocesses at the session's Prefect test server (no temporary server per call)."""
    from prefect.settings import PREFECT_API_URL

    return {"PREFECT_API_URL": PREFECT_API_URL.value()}


def test_validate_the_bundled_catalogs():
    out = gongshu("catalog", "validate")
    assert out.returncode == 0, out.stderr
    n = len(list((REPO / "catalogs").glob("*.yaml")))
    assert f"checked {n} catalog file(s): {n} valid, 0 with errors; 0 error(s)" in out.stdout


def test_validate_reports_errors_with_positions_and_exits_1(tmp_path):
    bad = tmp_path / "qxj.yaml"
    bad.write_text(
        (REPO / "catalogs" / "qxj.yaml").read_text(encoding="utf-8").replace("update_cycle:", "update_cycel:", 1),
        encoding="utf-8",
    )
    out = gongshu("catalog", "validate", str(bad))
    assert out.returncode == 1
    assert f"{bad}:" in out.stderr and "unknown key 'update_cycel'" in out.stderr
    assert "did you mean 'update_cycle'" in out.stderr
    as_json = json.loads(gongshu("catalog", "validate", "--json", str(bad)).stdout)
    assert any(i["code"] == "CATALOG_UNKNOWN_KEY" and i["line"] for i in as_json)


def test_bad_arguments_get_clear_errors():
    out = gongshu("run", "--stages", "colect")
    assert out.returncode == 2 and "unknown stage" in out.stderr
    out = gongshu("run", "--period", "2026-13")
    assert out.returncode == 2 and "YYYY-MM" in out.stderr
    out = gongshu("run", "--department", "nosuch")
    assert out.returncode == 2 and "nosuch" in out.stderr and "scjgj" in out.stderr
    out = gongshu("catalog", "export", "--format", "xlsx")
    assert out.returncode == 2 and "nothing is compiled yet" in out.stderr


def test_run_writes_the_report_and_exports(tmp_path, harness_api, gongshu_home):
    report_path = tmp_path / "report.json"
    out = gongshu(
        "run",
        "--department",
        "scjgj",
        "--department",
        "wjw",
        "--report-json",
        str(report_path),
        env_extra=harness_api,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["status"] == "completed" and report["run_id"]
    assert report["started_at"] <= report["finished_at"]
    assert {r["department"] for r in report["resources"]} == {"scjgj", "wjw"}
    manifest = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]
    for entry in report["resources"]:
        stage = entry["stages"]["catalog"]
        assert stage["status"] == "completed" and stage["code"] and 0 <= stage["completeness"] <= 100
        collect = entry["stages"]["collect"]
        key = f"{entry['department']}/{entry['resource']}"
        assert collect["status"] == "completed" and collect["rows_in"] == collect["rows_out"] == manifest[key]["rows"]
        assert collect["gate"]["passed"] is True and collect["batch_id"]
    assert (gongshu_home / "reports" / f"{report['run_id']}.json").is_file()
    assert "where to look" in out.stdout and "catalog.xlsx" in out.stdout

    xlsx = tmp_path / "目录清单.xlsx"
    out = gongshu("catalog", "export", "--format", "xlsx", "--out", str(xlsx))
    assert out.returncode == 0 and xlsx.is_file()


def test_run_exits_1_when_a_catalog_fails(tmp_path, harness_api):
    folder = tmp_path / "catalogs"
    folder.mkdir()
    shutil.copy(REPO / "catalogs" / "qxj.yaml", folder / "qxj.yaml")
    text = (REPO / "catalogs" / "qxj.yaml").read_text(encoding="utf-8")
    (folder / "qxj.yaml").write_text(text, encoding="utf-8")
    (folder / "empty.yaml").write_text("", encoding="utf-8")
    report_path = tmp_path / "report.json"
    out = gongshu("run", "--catalogs", str(folder), "--report-json", str(report_path), env_extra=harness_api)
    assert out.returncode == 1
    assert "empty.yaml" in out.stderr and "the file is empty" in out.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["status"] == "failed"
    failed = [r for r in report["resources"] if r["stages"]["catalog"]["status"] == "failed"]
    assert [r["department"] for r in failed] == ["empty"]
    assert "the file is empty" in failed[0]["stages"]["catalog"]["error"]


@pytest.mark.parametrize(
    "args, env, message",
    [
        (("run", "--as-of", "yesterday"), {}, "--as-of: 'yesterday' is not an ISO 8601 moment"),
        (("run", "--as-of", "2026-02-30T10:00"), {}, "ISO 8601"),
        (("scorecard", "--as-of", "2026-10-05 25:00"), {}, "--as-of"),
        (("scorecard", "--period", "2026-1"), {}, "YYYY-MM"),
        (("run", "--stages", "scorecard", "--period", "26-10"), {}, "YYYY-MM"),
        (("run", "--stages", "scorecard"), {"GONGSHU_AS_OF": "soon"}, "GONGSHU_AS_OF: 'soon'"),
        (
            ("scorecard", "--period", "2027-05"),
            {"GONGSHU_AS_OF": "2026-12-07T10:00"},
            "period 2027-05 has not begun: today is 2026-12-07 (Asia/Shanghai)",
        ),
        (("run", "--period", "2027-01", "--as-of", "2026-12-31T23:59"), {}, "period 2027-01 has not begun"),
    ],
)
def test_bad_moment_or_period_is_answered_at_once_without_prefect(args, env, message):
    started = time.monotonic()
    # a Prefect that cannot be reached: an answer that got that far would not be this one
    out = gongshu(*args, env_extra={"PREFECT_API_URL": "http://127.0.0.1:9/api", **env}, timeout=30)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert "Prefect" not in out.stdout + out.stderr
    assert time.monotonic() - started < 8


def local_days(stage: str) -> set[str]:
    import datetime as dt

    import sqlalchemy as sa

    from gongshu.store import models as m
    from gongshu.store.db import get_engine, session_scope

    with session_scope(get_engine()) as session:
        started = session.scalars(sa.select(m.RunLog.started_at).where(m.RunLog.stage == stage)).all()
    shanghai = dt.timezone(dt.timedelta(hours=8))
    return {f"{(t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(shanghai):%Y-%m-%d}" for t in started}


def test_run_as_of_records_that_moment_and_scorecard_prints_its_outputs(tmp_path, harness_api, gongshu_home):
    report_path = tmp_path / "report.json"
    out = gongshu(
        "run", "--as-of", "2026-10-15T10:00", "-d", "scjgj", "-s", "catalog", "--report-json", str(report_path),
        env_extra=harness_api,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "running as of 2026-10-15 10:00 (Asia/Shanghai)" in out.stdout
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["started_at"].startswith("2026-10-15T02:0")  # 10:0x in Beijing, kept in UTC
    assert report["outputs"]["period"] == "2026-09"  # the month before the moment
    assert local_days("catalog") == {"2026-10-15"}

    out = gongshu("scorecard", "--period", "2026-10", "--as-of", "2026-11-02T09:00+08:00", env_extra=harness_api)
    assert out.returncode == 0, out.stdout + out.stderr
    folder = gongshu_home / "scorecards" / "2026-10"
    tail = out.stdout[out.stdout.index("考核晾晒 2026-10:") :]
    assert f"site      {folder / 'index.html'}" in tail and f"workbook  {folder / 'scorecard-2026-10.xlsx'}" in tail
    assert (folder / "index.html").is_file() and (folder / "scorecard-2026-10.xlsx").is_file()
    assert "scorecard 2026-10 rank 1" in out.stdout  # scjgj, the only department, in the summary
    assert local_days("scorecard") == {"2026-11-02"}


def test_scorecard_appeal_file_decide_and_list(gongshu_home):
    """申诉 from the command line on a stored month: filed, accepted (the month re-issued as version 2,
    the department's page showing 申诉), listed; a late one refused with exit 2."""
    import datetime as dt

    from gongshu.scorecard import store
    from gongshu.scorecard.config import load_config
    from gongshu.scorecard.stage import prepare, publish
    from gongshu.store.db import get_engine
    from tests.scorecard.fixtures import Platform, at, resource

    platform = Platform(get_engine())
    platform.department("a", [resource("r1")], name="甲局", compiled=at(9, 1))
    platform.department("b", [resource("r1")], name="乙局", compiled=at(9, 1))
    for dept in ("a", "b"):
        platform.run("collect", dept, "r1", "completed", at(11, 3), rows_in=10)
    request = platform.request("a", "b", "r1", at(11, 2), due=at(11, 9, 23), decided=at(11, 10))
    issued_at = dt.datetime(2026, 12, 2, 2, tzinfo=dt.UTC)
    config = load_config(REPO / "scorecard.yaml")
    publish(
        get_engine(), prepare(get_engine(), "2026-11", config, now=issued_at), gongshu_home / "scorecards" / "2026-11"
    )

    out = gongshu(
        "scorecard", "appeal", "file", "--period", "2026-11", "-d", "a", "--indicator", "request_timeliness",
        "--evidence", str(request), "--reason", "申请人已撤回", "--as-of", "2026-12-03T10:00",
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "filed appeal #1" in out.stdout
    out = gongshu(
        "scorecard", "appeal", "decide", "1", "--accept", "--reason", "核实属实", "--as-of", "2026-12-04T10:00"
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "appeal #1 accepted: 2026-11 re-issued as version 2" in out.stdout
    assert store.load(get_engine(), "2026-11").version == 2 and store.load(get_engine(), "2026-11", 1).version == 1
    page = (gongshu_home / "scorecards" / "2026-11" / "departments" / "a.html").read_text(encoding="utf-8")
    assert "<h2>申诉</h2>" in page and "申诉 #1 成立：核实属实" in page and "第 2 版" in page

    out = gongshu("scorecard", "appeal", "list", "--period", "2026-11")
    assert (
        out.returncode == 0 and "#1 2026-11 a request_timeliness" in out.stdout and "accepted: 核实属实" in out.stdout
    )
    out = gongshu(
        "scorecard", "appeal", "file", "--period", "2026-11", "-d", "b", "--indicator", "collection_rate",
        "--evidence", "b.r1", "--reason", "x", "--as-of", "2027-01-20T10:00",
    )  # fmt: skip
    assert out.returncode == 2 and "appeal refused: too late" in out.stderr, out.stderr


def test_run_with_a_catalogs_folder_that_does_not_exist_is_refused(tmp_path):
    """It used to ignore the folder and run every registered department from the database."""
    missing = tmp_path / "no" / "such" / "folder"
    out = gongshu(
        "run",
        "--catalogs",
        str(missing),
        "--stages",
        "collect",
        env_extra={"PREFECT_API_URL": "http://127.0.0.1:9/api"},
    )
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"catalog folder {missing} does not exist" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_a_crashed_stage_is_one_line_without_verbose_and_a_traceback_with_it(harness_api):
    """Nothing is registered yet, so the collect stage cannot run: without -v the user reads one
    line saying so (there used to be two full tracebacks); -v still shows Prefect's traceback."""
    out = gongshu("run", "--stages", "collect", env_extra=harness_api)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "no registered catalog to collect: run the catalog stage first" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    out = gongshu("run", "--stages", "collect", "-v", env_extra=harness_api)
    assert out.returncode == 1 and "Traceback" in out.stderr


def test_a_broken_file_never_stops_another_departments_run(tmp_path, harness_api):
    """An alias bomb and a file nested 100,000 levels deep next to slj.yaml: `gongshu run -d slj`
    runs slj and names each broken file in one line."""
    folder = tmp_path / "catalogs"
    folder.mkdir()
    (tmp_path / "samples").symlink_to(REPO / "samples")
    shutil.copy(REPO / "catalogs" / "slj.yaml", folder / "slj.yaml")
    bomb = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 11)]
    (folder / "bomb.yaml").write_text("\n".join(bomb) + "\ndepartment: *a10\n", encoding="utf-8")
    (folder / "deep.yaml").write_text("department: " + "[" * 100_000 + "\n", encoding="utf-8")
    report_path = tmp_path / "report.json"
    started = time.monotonic()
    out = gongshu(
        "run", "-d", "slj", "--catalogs", str(folder), "--stages", "catalog,collect", "--report-json",
        str(report_path), env_extra=harness_api, timeout=180,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    assert time.monotonic() - started < 120
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert {r["department"] for r in report["resources"]} == {"slj"}
    assert all(r["stages"]["collect"]["status"] == "completed" for r in report["resources"])
    warned = [line for line in out.stderr.splitlines() if "not part of this run" in line]
    assert len(warned) == 2, out.stderr[-3000:]
    assert any(line.startswith(f"warning: {folder / 'bomb.yaml'}:") and "aliases" in line for line in warned)
    assert any(line.startswith(f"warning: {folder / 'deep.yaml'}:1:") for line in warned)
    assert "Traceback" not in out.stdout + out.stderr


def test_runs_on_the_temporary_server_end_without_tracebacks(tmp_path):
    """Prefect's temporary server printed `task_run_recorder - Error flushing ... CancelledError`
    tracebacks after "finished" in about one run in four: it was stopped while still recording task
    runs. flows/shutdown.py waits for it to catch up first; three runs in a row stay quiet."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    for _ in range(3):
        out = subprocess.run(
            [GONGSHU, "run", "-d", "slj", "--stages", "catalog,collect"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert out.returncode == 0, out.stdout + out.stderr[-3000:]
        assert "finished in" in out.stdout
        assert "Traceback" not in out.stdout + out.stderr and "CancelledError" not in out.stderr, out.stderr[-3000:]
