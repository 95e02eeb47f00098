"""What a real installation across several hosts has, on this one: a standing Prefect server whose
own database is PostgreSQL (one fresh database, made for the scale tests and dropped after), and
fresh PostgreSQL platform databases for the flows. Without PostgreSQL these tests skip, saying so
(fail under GONGSHU_REQUIRE_SERVICES=1, as every service test does)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVER_STARTUP_SECONDS = 180  # a fresh Prefect database is migrated on first start: ~20-40 s on 2 cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(base: str, database: str, driver: str = "postgresql+psycopg") -> str:
    return make_url(base).set(drivername=driver, database=database).render_as_string(hide_password=False)


@contextmanager
def fresh_database(base: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database next to ``base``'s; yields its name; dropped after
    (connections still open to it are closed by the drop)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        from gongshu.store.db import dispose_engines

        dispose_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment of a Prefect process started here: quiet, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def stop(proc: subprocess.Popen, seconds: float = 30) -> int:
    """SIGTERM, then wait; SIGKILL if it does not end in time. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


def log_tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else "(no log)"


@dataclass
class PrefectServer:
    api_url: str
    database: str
    """The Prefect server's own PostgreSQL database (psycopg URL, for looking inside it)."""
    log: Path


@pytest.fixture(scope="session")
def prefect_pg_server(pg_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """``prefect server start`` on a free loopback port, its database a fresh PostgreSQL database."""
    home = tmp_path_factory.mktemp("prefect-server")
    log = home / "server.log"
    port = free_port()
    with fresh_database(pg_base_url, "prefect_test") as name:
        env = quiet_env(
            PREFECT_HOME=str(home),
            PREFECT_SERVER_DATABASE_CONNECTION_URL=database_url(pg_base_url, name, "postgresql+asyncpg"),
            PREFECT_SERVER_UI_ENABLED="false",
        )
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    str(BIN / "prefect"),
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--analytics-off",
                ],
                env=env,
                cwd=home,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        api_url = f"http://127.0.0.1:{port}/api"
        try:
            deadline = time.monotonic() + SERVER_STARTUP_SECONDS
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"prefect server exited with {proc.returncode}:\n{log_tail(log)}")
                try:
                    with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"prefect server not healthy after {SERVER_STARTUP_SECONDS} s:\n{log_tail(log)}")
                time.sleep(0.5)
            yield PrefectServer(api_url=api_url, database=database_url(pg_base_url, name), log=log)
        finally:
            stop(proc)


@pytest.fixture
def prefect_api(prefect_pg_server: PrefectServer) -> Iterator[PrefectServer]:
    """Flows called in this process report to the PostgreSQL-backed server (heartbeats off).

    Events (task run states among them) go through one events worker per process, chosen without
    regard to the API's address: one made earlier for the session's test harness would carry them
    there. This server gets a worker of its own for the test."""
    from prefect.events.clients import PrefectEventsClient
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(
        updates={PREFECT_API_URL: prefect_pg_server.api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    ):
        EventsWorker.drain_all()  # what earlier tests emitted goes where it was going
        EventsWorker.set_client_override(PrefectEventsClient, api_url=prefect_pg_server.api_url)
        try:
            yield prefect_pg_server
        finally:
            EventsWorker.drain_all()
            EventsWorker.set_client_override(None)


@pytest.fixture
def platform_db(pg_base_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The platform database on a fresh PostgreSQL database: ``GONGSHU_DB_URL``, migrated."""
    from gongshu.settings import reset_settings
    from gongshu.store.db import get_engine

    with fresh_database(pg_base_url, "gongshu_test") as name:
        url = database_url(pg_base_url, name)
        monkeypatch.setenv("GONGSHU_DB_URL", url)
        reset_settings()
        get_engine(url)  # migrated here, once: processes started later find the schema in place
        yield url


__all__ = ["REPO", "BIN", "PrefectServer", "database_url", "fresh_database", "quiet_env", "stop", "log_tail"]
