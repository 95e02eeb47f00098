"""Engines and sessions for the platform database, with Alembic migrations applied on first use.

A database that is down, frozen or locked ends what waits on it within bounded time (the settings'
``db_*`` knobs): PostgreSQL connections time out (``connect_timeout``), keep TCP keepalives, carry a
``statement_timeout`` and give up on a server that does not answer at all; SQLite waits
``db_busy_timeout`` for a lock. A connection that cannot be made is tried again (``db_retry_delays``);
once it gave up, new connections fail at once for a short while instead of each waiting again, so a
run against a stopped database ends in seconds rather than once per resource.
:func:`database_problem` turns such an error into a sentence a person can act on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from ..settings import get_settings

MIGRATIONS = Path(__file__).with_name("migrations")
_engines: dict[str, Engine] = {}
_lock = threading.Lock()

FAIL_FAST_SECONDS = 30.0
"""After connecting gave up, new connections fail at once for this long (then they are tried again)."""
ANSWER_MARGIN_SECONDS = 30.0
"""PostgreSQL: a server that has not answered ``statement_timeout`` + this long (at most twice the
statement timeout) is taken as frozen: it could not even say that the statement timed out."""
# Connection errors that trying again will not cure (wrong credentials, unknown database); the same
# markers as a PostgreSQL source's (gongshu/collect/sqltarget.py _PG_CONFIG_ERRORS).
_PG_FOR_GOOD = ("authentication failed", "no pg_hba.conf entry", "does not exist")


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


# Connections kept open: the sharing API runs up to 12 calls at once (GONGSHU_API_CONCURRENCY) and
# its call-log writer one more. Beyond the pool a connection is opened and closed per use: on
# SQLite with a cold page cache, which made each call under load ~60% dearer (measured by
# bench/share_api.py).
POOL = {"pool_size": 16, "max_overflow": 8}


def safe_url(url: str | URL) -> str:
    """The database URL as a person may read it: no password."""
    return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)


class _Connector:
    """Opens the engine's DBAPI connections: tries again on a transient failure, and after giving up
    fails at once for FAIL_FAST_SECONDS (one shared state for every thread using the engine)."""

    def __init__(self, dbapi: Any, delays: list[float]) -> None:
        self.dbapi = dbapi
        self.delays = list(delays)
        self._down_at: float | None = None
        self._down_message = ""
        self._lock = threading.Lock()

    def connect(self, open_one: Callable[[], Any]) -> Any:
        with self._lock:
            down_at, message = self._down_at, self._down_message
        if down_at is not None and time.monotonic() - down_at < FAIL_FAST_SECONDS:
            ago = time.monotonic() - down_at
            raise self.dbapi.OperationalError(f"{message}; not tried again: connecting gave up {ago:.0f} s ago")
        started = time.monotonic()
        for attempt in range(len(self.delays) + 1):
            try:
                conn = open_one()
            except self.dbapi.OperationalError as exc:
                text = _first_line(exc)
                if any(marker in text for marker in _PG_FOR_GOOD) or attempt == len(self.delays):
                    if attempt:
                        text += f" (gave up after {attempt} retr{'y' if attempt == 1 else 'ies'} over "
                        text += f"{time.monotonic() - started:.0f} s)"
                    with self._lock:
                        self._down_at, self._down_message = time.monotonic(), text
                    raise self.dbapi.OperationalError(text) from exc
                time.sleep(self.delays[attempt])
            else:
                with self._lock:
                    self._down_at = None
                return conn
        raise AssertionError("unreachable")  # pragma: no cover


def _answering_connection_class(answer_timeout: float) -> type | None:
    """A psycopg connection that waits at most ``answer_timeout`` seconds for any one answer of the
    server, then closes (the pool drops it). ``statement_timeout`` is the server's own limit; this one
    is for a server that cannot say even that (frozen, or the network path to it). None with a psycopg
    whose wait() takes no timeout (before 3.2): the server-side limits alone apply then."""
    import inspect

    import psycopg

    if "timeout" not in inspect.signature(psycopg.Connection.wait).parameters:
        return None

    class AnsweringConnection(psycopg.Connection):
        # psycopg has no client-side limit on waiting for an answer (libpq neither); its wait()
        # takes a timeout since 3.2, raising an internal OperationalError subclass.
        def wait(self, gen, interval=0.1, timeout=None):
            if timeout is not None:
                return super().wait(gen, interval=interval, timeout=timeout)
            try:
                return super().wait(gen, interval=interval, timeout=answer_timeout)
            except psycopg.OperationalError as exc:
                if not type(exc).__name__ == "_WaitTimeout":
                    raise
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the server gave no answer within {answer_timeout:.0f} s: frozen, or the network to it is"
                ) from None

    return AnsweringConnection


def _create(url: str) -> Engine:
    settings = get_settings()
    parsed = make_url(url)
    answering: type | None = None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # a long batch load holds the write lock: other writers wait for it (at most db_busy_timeout)
        engine = create_engine(url, connect_args={"timeout": settings.db_busy_timeout}, **POOL)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-131072")  # 128 MiB: a batch load spills less of the WAL
            cur.close()

    else:
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
            # given in the URL, a libpq parameter wins; `options` is merged (the URL may set search_path)
            libpq = {
                "connect_timeout": max(int(settings.db_connect_timeout), 1),
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            }
            connect_args = {k: v for k, v in libpq.items() if k not in parsed.query}
            if settings.db_statement_timeout:
                options = str(parsed.query.get("options", ""))
                if "statement_timeout" not in options:
                    ms = int(settings.db_statement_timeout * 1000)
                    connect_args["options"] = f"{options} -c statement_timeout={ms}".strip()
                timeout = settings.db_statement_timeout
                answering = _answering_connection_class(timeout + min(timeout, ANSWER_MARGIN_SECONDS))
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **POOL)

    connector = _Connector(engine.dialect.loaded_dbapi, settings.db_retry_delays)

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, _record, cargs, cparams):
        if answering is not None:  # psycopg.connect() is Connection.connect(): the subclass's own
            return connector.connect(lambda: answering.connect(*cargs, **cparams))
        return connector.connect(lambda: dialect.connect(*cargs, **cparams))

    return engine


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already)."""
    if current_revision(engine) != head_revision():
        command.upgrade(alembic_config(engine), "head")


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the settings' database), migrated to head on first use."""
    url = url or get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create(url)
            try:
                migrate(engine)
            except BaseException:
                engine.dispose()
                raise
            _engines[url] = engine
    return engine


def driver_connection(conn: Connection) -> Any:
    """The driver's own connection under ``conn`` (sqlite3's, psycopg's), for what SQLAlchemy does
    not do as fast: ``executemany`` with literals, ``COPY``."""
    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("the connection is closed")
    return raw


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back on error."""
    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


@dataclass(frozen=True)
class DatabaseProblem:
    """What went wrong with the platform database, as a person reads it (no SQL, no row values)."""

    message: str
    unavailable: bool
    """Down, frozen, locked or too slow: every later use will fail the same way for now."""


def database_problem(exc: BaseException, url: str | None = None) -> DatabaseProblem | None:
    """The platform database's error behind ``exc`` (or its causes) as a sentence, or None when the
    error is not the database's. Only the driver's first line is kept: the statement, its parameters
    (row values) and the server's DETAIL never are. ``url``: default the settings' database."""
    found: BaseException | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) or _is_dbapi_error(current):
            found = current
            break
        current = current.__cause__ or current.__context__
    if found is None:
        return None
    settings = get_settings()
    where = f"the platform database {safe_url(url or settings.database_url)}"
    orig = found.orig if isinstance(found, sa_exc.DBAPIError) else found
    detail = _first_line(orig) if orig is not None else _first_line(found)
    lowered = detail.lower()
    invalidated = isinstance(found, sa_exc.DBAPIError) and found.connection_invalidated
    if "database is locked" in lowered or "database table is locked" in lowered:
        return DatabaseProblem(
            f"{where} stayed locked by another process for {settings.db_busy_timeout:g} s "
            "(GONGSHU_DB_BUSY_TIMEOUT): find the process holding it (e.g. fuser on the file), then run again",
            True,
        )
    if "statement timeout" in lowered:
        return DatabaseProblem(
            f"{where} did not finish a statement within {settings.db_statement_timeout:g} s "
            "(GONGSHU_DB_STATEMENT_TIMEOUT): check the server's load and locks, then run again",
            True,
        )
    if "database or disk is full" in lowered or "no space left" in lowered or "disk full" in lowered:
        return DatabaseProblem(f"{where} has no space left to write: {detail}; free disk space, then run again", True)
    sqlite = make_url(url or settings.database_url).get_backend_name() == "sqlite"
    down = (
        any(marker in lowered for marker in ("unable to open database", "disk i/o error"))
        if sqlite
        else _is_operational(orig)
    )
    if down or invalidated:
        return DatabaseProblem(
            f"{where} is not reachable: {detail}; check that it is running and reachable (GONGSHU_DB_URL), "
            "then run again",
            True,
        )
    return DatabaseProblem(f"{where} refused the work: {detail}", False)


def _is_dbapi_error(exc: BaseException) -> bool:
    """A driver's own error (PEP 249 names its base class Error, on the driver's module)."""
    return any(c.__name__ in ("DatabaseError", "OperationalError") for c in type(exc).__mro__) and not isinstance(
        exc, sa_exc.SQLAlchemyError
    )


def _is_operational(exc: BaseException | None) -> bool:
    return exc is not None and any(c.__name__ == "OperationalError" for c in type(exc).__mro__)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    return line.removesuffix(".")


def check_database(url: str | None = None) -> Engine:
    """Connect (trying again as the settings say), migrate, and for SQLite take the write lock for a
    moment: a run finds out here, before it starts, that its database is down, frozen or locked.
    Raises the database's error (see :func:`database_problem`)."""
    engine = get_engine(url)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            raw = driver_connection(conn)
            raw.execute("BEGIN IMMEDIATE")  # waits at most db_busy_timeout for another writer
            raw.execute("ROLLBACK")
        else:
            conn.exec_driver_sql("SELECT 1")
            conn.rollback()
    return engine
