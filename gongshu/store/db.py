"""Engines and sessions for the platform database, with Alembic migrations applied on first use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..settings import get_settings

MIGRATIONS = Path(__file__).with_name("migrations")
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


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


def _create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # a long batch load holds the write lock: other writers wait for it rather than fail
        engine = create_engine(url, connect_args={"timeout": 600}, **POOL)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-131072")  # 128 MiB: a batch load spills less of the WAL
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


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
            migrate(engine)
            _engines[url] = engine
    return engine


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
