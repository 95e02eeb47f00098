"""``gongshu keys`` and ``gongshu api`` as an operator uses them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from gongshu.catalog import load_catalog
from gongshu.catalog.stage import compile_catalog
from gongshu.share.keys import verify
from gongshu.store.db import get_engine, session_scope

from .platform import write_sources

GONGSHU = str(Path(sys.executable).with_name("gongshu"))


@pytest.fixture
def registered(tmp_path) -> None:
    """The provider department (scjgj) registered in the default platform database."""
    write_sources(tmp_path)
    compile_catalog(load_catalog(tmp_path / "scjgj.yaml"), get_engine(), "r1")


def gongshu(*args: str):
    return CliRunner().invoke(app, list(args))


def test_a_key_is_printed_once_with_a_warning_and_listed_without_its_secret(registered):
    made = gongshu("keys", "create", "--department", "scjgj", "--label", "执法系统", "--expires-days", "30")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert key.startswith("gs_") and "\n" not in key
    assert "shown this once" in made.stderr and key[3:15] in made.stderr and "expires" in made.stderr
    with session_scope() as session:
        assert verify(session, key).department == "scjgj"
    admin = gongshu("keys", "create", "--admin").stdout.strip()

    listed = gongshu("keys", "list")
    assert listed.exit_code == 0
    assert key[3:15] in listed.stdout and admin[3:15] in listed.stdout
    assert "执法系统" in listed.stdout and "department" in listed.stdout and "admin" in listed.stdout
    assert key[16:] not in listed.stdout and admin[16:] not in listed.stdout
    only = gongshu("keys", "list", "--department", "scjgj").stdout
    assert key[3:15] in only and admin[3:15] not in only
    assert "no keys of department rsj" in gongshu("keys", "list", "--department", "rsj").stdout

    assert gongshu("keys", "revoke", key[3:15]).stdout.strip() == f"revoked key {key[3:15]}"
    again = gongshu("keys", "revoke", key[3:15])
    assert again.exit_code == 1 and "no active key" in again.stderr
    with session_scope() as session, pytest.raises(ValueError, match="revoked"):
        verify(session, key)


def test_key_creation_needs_one_known_department_or_admin(registered):
    for args, message in [
        ((), "either --department ID or --admin"),
        (("--department", "scjgj", "--admin"), "either --department ID or --admin"),
        (("--department", "nosuch"), "no registered department 'nosuch'; known: scjgj"),
    ]:
        out = gongshu("keys", "create", *args)
        assert out.exit_code == 2 and message in out.stderr, out.output
    assert gongshu("keys", "create", "--department", "scjgj", "--expires-days", "0").exit_code == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gongshu_api_serves_the_platform_database_and_logs_its_calls(registered, gongshu_home):
    key = gongshu("keys", "create", "--department", "scjgj").stdout.strip()
    port = free_port()
    env = {**os.environ, "GONGSHU_HOME": str(gongshu_home)}
    server = subprocess.Popen(
        [GONGSHU, "api", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        catalog = httpx.get(f"http://127.0.0.1:{port}/api/v1/catalog", headers={"X-API-Key": key})
        assert [r["resource"] for r in catalog.json()["resources"]] == [
            "drafts",
            "firms",
            "inspections",
            "licenses",
            "permits",
        ]
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert f"sharing API on http://127.0.0.1:{port}/api/v1" in output
    with get_engine().connect() as conn:  # drained into the log when the server stopped
        paths = conn.execute(sa.text("SELECT path, status FROM api_call_log ORDER BY id")).all()
    assert [tuple(p) for p in paths] == [("/api/v1/health", 200), ("/api/v1/catalog", 200)]
