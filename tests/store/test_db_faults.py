"""The platform database down, frozen, locked or too slow: whatever waits on it ends within the
configured time with a sentence a person can act on (never the statement or a row's values), and a
database that is gone is not waited for again by every connection. PostgreSQL through a loopback
proxy that freezes or closes (tests/dbproxy.py); SQLite through a locked database file."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.settings import reset_settings
from gongshu.store.db import database_problem, get_engine, session_scope

from ..dbproxy import TcpProxy, closed_port

PG = ("127.0.0.1", 5432)


@pytest.fixture(autouse=True)
def short_limits(monkeypatch):
    monkeypatch.setenv("GONGSHU_DB_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("GONGSHU_DB_STATEMENT_TIMEOUT", "1")
    monkeypatch.setenv("GONGSHU_DB_BUSY_TIMEOUT", "0.5")
    monkeypatch.setenv("GONGSHU_DB_RETRY_DELAYS", "[0.2, 0.2]")
    reset_settings()


def within(seconds: float, work):
    """Run ``work()`` in a thread; its exception (or None), and the seconds it took. A run still
    going after ``seconds`` fails the test (the thread is left behind, as a hung run would be)."""
    box: dict = {}

    def target():
        started = time.monotonic()
        try:
            work()
        except BaseException as exc:
            box["exc"] = exc
        box["took"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting on the database after {seconds} s"
    return box.get("exc"), box["took"]


def test_a_stopped_postgresql_is_tried_again_then_reported_in_a_sentence(pg_base_url):
    url = pg_base_url.replace("127.0.0.1:5432", f"127.0.0.1:{closed_port()}")
    exc, took = within(20, lambda: get_engine(url))
    problem = database_problem(exc, url)
    assert problem is not None and problem.unavailable
    assert "is not reachable" in problem.message and "Connection refused" in problem.message
    assert "gave up after 2 retries" in problem.message
    assert "GONGSHU_DB_URL" in problem.message
    assert took >= 0.4  # the two delays were waited


def test_a_frozen_postgresql_times_out_at_connect(pg_base_url):
    with TcpProxy(PG, frozen=True) as proxy:  # accepts, never answers
        url = proxy.url(pg_base_url)
        exc, took = within(20, lambda: get_engine(url))
    problem = database_problem(exc, url)
    assert problem is not None and "connection timeout expired" in problem.message
    assert took < 10


def test_a_postgresql_that_freezes_mid_run_is_given_up_and_not_waited_for_again(pg_url):
    with TcpProxy(PG) as proxy:
        url = proxy.url(pg_url)
        engine = get_engine(url)  # connected and migrated through the proxy
        conn = engine.connect()
        assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        proxy.freeze()
        exc, took = within(20, lambda: conn.execute(sa.text("SELECT 1")))
        assert "gave no answer within 2 s" in database_problem(exc, url).message
        assert took < 6
        conn.close()
        # the pool's next connection cannot be made either: given up once, then failing at once
        exc, took = within(20, lambda: engine.connect().close())
        assert "connection timeout expired" in database_problem(exc, url).message
        exc, took = within(20, lambda: engine.connect().close())
        assert "not tried again" in str(exc) and took < 0.5


def test_a_postgresql_that_stops_mid_run_fails_the_statement_at_once(pg_url):
    proxy = TcpProxy(PG)
    url = proxy.url(pg_url)
    engine = get_engine(url)
    with engine.connect() as conn:
        proxy.close()  # the server goes away with the connection open
        exc, took = within(20, lambda: conn.execute(sa.text("SELECT 1")))
    problem = database_problem(exc, url)
    assert problem is not None and problem.unavailable and "is not reachable" in problem.message
    assert took < 5


def test_a_statement_waiting_on_a_lock_ends_at_the_statement_timeout(pg_url):
    engine = get_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE held (id int)"))
    blocker = sa.create_engine(pg_url)
    with blocker.connect() as other:
        other.execute(sa.text("LOCK TABLE held IN ACCESS EXCLUSIVE MODE"))

        def insert():
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO held VALUES (1)"))

        exc, took = within(20, insert)
        other.rollback()
    blocker.dispose()
    problem = database_problem(exc, pg_url)
    assert "did not finish a statement within 1 s (GONGSHU_DB_STATEMENT_TIMEOUT)" in problem.message
    assert took < 5


def test_a_locked_sqlite_file_ends_a_write_at_the_busy_timeout(gongshu_home: Path):
    engine = get_engine()
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE held (id int)"))
    holder = sqlite3.connect(gongshu_home / "gongshu.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:

        def insert():
            with session_scope() as session:
                session.execute(sa.text("INSERT INTO held VALUES (1)"))

        exc, took = within(30, insert)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    problem = database_problem(exc)
    assert problem is not None and problem.unavailable
    assert "stayed locked by another process for 0.5 s (GONGSHU_DB_BUSY_TIMEOUT)" in problem.message
    assert took < 5


def test_the_sentence_never_carries_the_statement_or_a_rows_values(db_url):
    engine = get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE person (id_card varchar(18) PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO person VALUES ('33100219900307001X')"))
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO person VALUES (:v)"), {"v": "33100219900307001X"})
    problem = database_problem(caught.value, db_url)
    assert problem is not None and not problem.unavailable
    assert "refused the work" in problem.message
    assert "33100219900307001X" not in problem.message and "INSERT" not in problem.message
