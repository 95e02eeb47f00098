"""Test isolation: every test gets its own GONGSHU_HOME (and SQLite database); Prefect's home is a
temporary folder for the session; PostgreSQL tests get a schema of their own."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

# Before anything imports Prefect: keep its state out of the user's home and the repo.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="gongshu-prefect-")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")

import pytest

from gongshu.settings import reset_settings
from gongshu.store.db import dispose_engines

from .browser import CHROMIUM

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("GONGSHU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_SERVICES = os.environ.get("GONGSHU_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def gongshu_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GONGSHU_HOME", str(home))
    monkeypatch.setenv("GONGSHU_EXPECTATIONS", str(tmp_path / "expectations"))
    monkeypatch.setenv("GONGSHU_CATALOGS", str(REPO / "catalogs"))
    monkeypatch.delenv("GONGSHU_DB_URL", raising=False)
    reset_settings()
    yield home
    reset_settings()
    dispose_engines()


def service_unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; GONGSHU_REQUIRE_SERVICES=1 requires it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:
        service_unavailable(f"PostgreSQL at {PG_URL}", exc)
    return PG_URL


@pytest.fixture
def pg_url(pg_base_url: str):
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    import sqlalchemy as sa

    schema = f"gs_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(pg_base_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"create schema {schema}"))
    sep = "&" if "?" in pg_base_url else "?"
    yield f"{pg_base_url}{sep}options=-csearch_path%3D{schema}"
    dispose_engines()
    with admin.begin() as conn:
        conn.execute(sa.text(f"drop schema {schema} cascade"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, gongshu_home: Path) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{gongshu_home / 'gongshu.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (flow tests only)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


@pytest.fixture(scope="module")
def sample_api_port():
    """The sample departments' HTTP API (samples/api_server.py, the 气象局 sources) on a free
    loopback port; yields the port."""
    import importlib.util
    import threading

    spec = importlib.util.spec_from_file_location("gongshu_sample_api", REPO / "samples" / "api_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.serve("127.0.0.1", 0, REPO / "samples")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, headless, with a Chinese font (tests/browser.py runs it)."""
    reason = None
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    elif (
        shutil.which("fc-list")
        and not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
    ):
        reason = "no Chinese font installed: Chromium would draw empty boxes (apt-get install fonts-noto-cjk)"
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"{reason}; GONGSHU_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    return CHROMIUM
