"""`gongshu run` when the platform database is stopped, frozen or locked, stops mid-run, when the disk
is full, and when the run itself is killed: it ends within bounded time, non-zero, with one clear
line on stderr (no traceback) and a run report whose failed stage says what to do; a full disk keeps
the previous report; a killed run leaves no Prefect server behind."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from .dbproxy import TcpProxy, closed_port
from .test_cli import GONGSHU, REPO, gongshu, harness_api  # noqa: F401

PG = ("127.0.0.1", 5432)
FAST = {
    "GONGSHU_DB_CONNECT_TIMEOUT": "1",
    "GONGSHU_DB_STATEMENT_TIMEOUT": "2",
    "GONGSHU_DB_BUSY_TIMEOUT": "1",
    "GONGSHU_DB_RETRY_DELAYS": "[0.5, 0.5]",
}


def one_line_and_report(out: subprocess.CompletedProcess, report_path: Path, *, first_failed: str) -> dict:
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["status"] == "failed"
    stages = report["resources"][0]["stages"]
    assert stages[first_failed]["status"] == "failed"
    assert stages[first_failed]["error"] in lines[0]
    return report


def test_a_stopped_postgresql_ends_the_run_with_one_line_and_a_report(tmp_path, pg_base_url):
    url = pg_base_url.replace("127.0.0.1:5432", f"127.0.0.1:{closed_port()}")
    report_path = tmp_path / "report.json"
    started = time.monotonic()
    out = gongshu(
        "run", "-d", "scjgj", "--report-json", str(report_path), env_extra={**FAST, "GONGSHU_DB_URL": url}, timeout=60
    )
    assert time.monotonic() - started < 30
    report = one_line_and_report(out, report_path, first_failed="catalog")
    error = report["resources"][0]["stages"]["catalog"]["error"]
    assert "is not reachable" in error and "Connection refused" in error and "then run again" in error
    assert report["resources"][0]["stages"]["collect"]["status"] == "skipped"


def test_a_frozen_postgresql_ends_the_run_with_one_line_and_a_report(tmp_path, pg_base_url):
    report_path = tmp_path / "report.json"
    with TcpProxy(PG, frozen=True) as proxy:
        started = time.monotonic()
        out = gongshu(
            "run",
            "-d",
            "scjgj",
            "--report-json",
            str(report_path),
            env_extra={**FAST, "GONGSHU_DB_URL": proxy.url(pg_base_url)},
            timeout=60,
        )
    assert time.monotonic() - started < 30
    report = one_line_and_report(out, report_path, first_failed="catalog")
    assert "connection timeout expired" in report["resources"][0]["stages"]["catalog"]["error"]


def test_a_locked_sqlite_database_ends_the_run_with_one_line_and_a_report(tmp_path, gongshu_home):
    gongshu_home.mkdir(parents=True, exist_ok=True)
    db = gongshu_home / "gongshu.db"
    sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a hung process holding the write lock
    report_path = tmp_path / "report.json"
    try:
        started = time.monotonic()
        out = gongshu("run", "-d", "scjgj", "--report-json", str(report_path), env_extra=FAST, timeout=90)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert time.monotonic() - started < 45
    report = one_line_and_report(out, report_path, first_failed="catalog")
    assert "stayed locked by another process" in report["resources"][0]["stages"]["catalog"]["error"]


def test_a_postgresql_that_stops_mid_run_ends_it_with_a_report(tmp_path, pg_url, harness_api):  # noqa: F811
    report_path = tmp_path / "report.json"
    proxy = TcpProxy(PG)
    env = {**os.environ, **FAST, **harness_api, "GONGSHU_DB_URL": proxy.url(pg_url)}
    run = subprocess.Popen(
        [GONGSHU, "run", "-d", "scjgj", "--report-json", str(report_path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watcher = sa.create_engine(pg_url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:  # the catalog stage has logged its runs
            try:
                with watcher.connect() as conn:
                    if conn.execute(sa.text("SELECT count(*) FROM run_log WHERE stage = 'catalog'")).scalar():
                        break
            except sa.exc.ProgrammingError:  # not migrated yet
                pass
            time.sleep(0.1)
        proxy.close()  # the database stops
        stopped = time.monotonic()
        stdout, stderr = run.communicate(timeout=120)
    finally:
        watcher.dispose()
        if run.poll() is None:
            run.kill()
    assert time.monotonic() - stopped < 60
    assert run.returncode == 1, stdout + stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: the platform database") and "is not reachable" in last
    assert str(report_path) in last or "run report:" in last
    report = json.loads(report_path.read_text(encoding="utf-8"))
    entries = [(s, e) for r in report["resources"] for s, e in r["stages"].items()]
    failed = [e for _, e in entries if e["status"] == "failed"]
    assert failed and all("is not reachable" in e["error"] and "then run again" in e["error"] for e in failed)


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs, filled: writing more there fails with ENOSPC (needs root's mount)."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_keeps_the_previous_report_and_says_so_in_one_line(tmp_path, full_disk, harness_api):  # noqa: F811
    previous = full_disk / "report.json"
    previous.write_text('{"run_id": "before", "status": "completed"}\n', encoding="utf-8")
    fd = os.open(full_disk / "filler", os.O_WRONLY | os.O_CREAT)  # the rest of the disk
    try:
        while True:
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)
    # the 8 sample departments' report (~10 KiB) is larger than the previous one: rewriting it in place
    # would truncate it and then fail
    out = gongshu("run", "--stages", "catalog", "--report-json", str(previous), env_extra=harness_api)
    assert out.returncode == 1, out.stdout + out.stderr
    assert json.loads(previous.read_text(encoding="utf-8"))["run_id"] == "before"
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"the run report {previous} was not written: No space left on device" in lines[0]
    assert "the previous one is kept" in lines[0]
    assert not [p for p in full_disk.iterdir() if p.name not in ("report.json", "filler")]  # nothing left aside


def test_a_killed_run_takes_prefects_temporary_server_with_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    run = subprocess.Popen(
        [GONGSHU, "run", "-d", "scjgj"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = None
    try:
        deadline = time.monotonic() + 180
        while server is None and time.monotonic() < deadline and run.poll() is None:
            for child in psutil.Process(run.pid).children(recursive=True):
                try:
                    if "prefect.server.api.server:create_app" in " ".join(child.cmdline()):
                        server = child
                except psutil.Error:
                    pass
            time.sleep(0.2)
        assert server is not None, "Prefect's temporary server did not start"
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        gone = time.monotonic() + 10
        while time.monotonic() < gone and server.is_running() and server.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.1)
        alive = server.is_running() and server.status() != psutil.STATUS_ZOMBIE
        assert not alive, "Prefect's temporary server outlived the killed run"
    finally:
        if run.poll() is None:
            run.kill()
        if server is not None and server.is_running():
            server.kill()
