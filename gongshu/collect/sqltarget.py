"""The database a SQL source reads from: its URL, engine and connection, and its errors worded.

A URL is never shown with its password: :func:`safe_url` hides it (and password-like query values),
and :meth:`SqlTarget.scrub` takes every secret of the URL out of a driver's message. A connection
refused for good (wrong credentials, unknown database) is ``SOURCE_CONFIG``; one that may succeed
later (the server down or slow to answer) is ``SOURCE_UNREACHABLE``, marked transient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from gongshu.catalog.model import SqlSource
from gongshu.catalog.paths import resolve_sql_url, sqlite_file

from .base import SourceError, scrub

CONNECT_TIMEOUT = 10
"""Seconds to wait for a database server to accept a connection before the read fails (transient)."""

_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
_TIMEOUT_ARG = {
    # dialect driver -> its connect-timeout keyword
    "psycopg": "connect_timeout",
    "psycopg2": "connect_timeout",
    "pymysql": "connect_timeout",
    "mysqldb": "connect_timeout",
    "mariadbconnector": "connect_timeout",
}
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)
# MySQL/MariaDB server errors on connect that trying again will not cure: access denied, unknown database
_MYSQL_CONFIG_ERRORS = {1044, 1045, 1049, 1698}
_PG_CONFIG_ERRORS = ("authentication failed", "no pg_hba.conf entry", "does not exist")


class SqlTarget:
    """Where to read from: the URL to connect with and how to show it without secrets."""

    def __init__(self, url: str, label: str, source_text: str | None) -> None:
        self.url = url
        self.label = label
        try:
            self.parsed: URL = make_url(url)
        except Exception:  # the parser's message would repeat the URL, password included
            raise SourceError(
                "SOURCE_CONFIG", f"the database URL {source_text or ''} is not a valid SQLAlchemy URL"
            ) from None
        self.safe = safe_url(self.parsed)
        self.secrets = [s for s in _secrets(self.parsed) if s]

    @classmethod
    def of(cls, source: SqlSource, catalog_dir: Path, env: Mapping[str, str]) -> SqlTarget:
        if source.url:
            url = source.url
            shown = "in the catalog"
        elif source.url_env:
            url = env.get(source.url_env, "")
            if not url.strip():
                raise SourceError(
                    "SOURCE_CONFIG",
                    f"environment variable {source.url_env} is not set: it must hold the database URL "
                    f"(e.g. mysql+pymysql://user:password@host:3306/db)",
                )
            url = url.strip()
            shown = f"in ${source.url_env}"
        else:
            raise SourceError("SOURCE_CONFIG", "the sql source names neither url nor url_env")
        try:
            resolved = resolve_sql_url(url, catalog_dir)
            db_file = sqlite_file(url, catalog_dir)
        except Exception:
            raise SourceError("SOURCE_CONFIG", f"the database URL {shown} is not a valid SQLAlchemy URL") from None
        target = cls(resolved, "", shown)
        target.label = target.safe if source.url else f"${source.url_env} ({target.safe})"
        if db_file is not None and not db_file.is_file():
            raise SourceError(
                "SOURCE_NOT_FOUND", f"SQLite database file {db_file} does not exist", location=target.safe
            )
        return target

    @property
    def backend(self) -> str:
        return self.parsed.get_backend_name()

    @property
    def address(self) -> str:
        host = self.parsed.host or "localhost"
        port = self.parsed.port or _DEFAULT_PORTS.get(self.backend)
        return f"{host}:{port}" if port else host

    def scrub(self, text: str) -> str:
        """``text`` with every secret of the URL replaced by ***."""
        return scrub(text, self.secrets)

    def error(self, code: str, message: str, *, transient: bool = False) -> SourceError:
        return SourceError(code, self.scrub(message), transient=transient, location=self.safe)

    def engine(self) -> Engine:
        connect_args: dict[str, Any] = {}
        arg = _TIMEOUT_ARG.get(self.parsed.get_driver_name())
        if arg and arg not in self.parsed.query:
            connect_args[arg] = CONNECT_TIMEOUT
        try:
            return sa.create_engine(self.url, poolclass=NullPool, connect_args=connect_args)
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            raise self.error(
                "SOURCE_CONFIG", f"no database driver for {self.parsed.drivername}: {_first_line(exc)}"
            ) from None
        except Exception as exc:
            raise self.error("SOURCE_CONFIG", f"cannot use the database URL: {_first_line(exc)}") from None

    def connect(self, engine: Engine) -> Connection:
        try:
            return engine.connect()
        except sa.exc.DBAPIError as exc:
            detail = db_message(exc)
            if self._refused_for_good(exc, detail):
                raise self.error(
                    "SOURCE_CONFIG", f"the database at {self.address} refused the connection: {detail}"
                ) from None
            raise self.error(
                "SOURCE_UNREACHABLE",
                f"cannot connect to the database at {self.address} (waited at most {CONNECT_TIMEOUT} s): {detail}",
                transient=True,
            ) from None

    def _refused_for_good(self, exc: sa.exc.DBAPIError, detail: str) -> bool:
        """Wrong credentials or an unknown database: trying again will not help."""
        if self.backend == "sqlite":
            return True
        if self.backend in ("mysql", "mariadb"):
            args: tuple[Any, ...] = getattr(exc.orig, "args", ())
            return bool(args) and args[0] in _MYSQL_CONFIG_ERRORS
        if self.backend == "postgresql":
            return any(marker in detail for marker in _PG_CONFIG_ERRORS)
        return False

    def db_error(self, exc: sa.exc.DBAPIError, doing: str) -> SourceError:
        detail = db_message(exc)
        if exc.connection_invalidated:
            return self.error(
                "SOURCE_UNREACHABLE", f"lost the connection to {self.address} while {doing}: {detail}", transient=True
            )
        return self.error("SOURCE_QUERY", f"the database rejected {doing}: {detail}")


def safe_url(url: str | URL) -> str:
    """The URL as text with its password (and password-like query values) hidden."""
    parsed = make_url(url) if isinstance(url, str) else url
    hidden = {k: "***" for k in parsed.query if _SECRET_KEY.search(k)}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True)


def _secrets(url: URL) -> list[str]:
    found = [url.password] if url.password else []
    for key, value in url.query.items():
        if _SECRET_KEY.search(key):
            found.extend([value] if isinstance(value, str) else list(value))
    return [str(s) for s in found]


def db_message(exc: sa.exc.DBAPIError) -> str:
    orig = exc.orig
    if orig is None:
        return _first_line(exc)
    args: tuple[Any, ...] = getattr(orig, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):  # pymysql: (code, message)
        return f"({args[0]}) {args[1]}"
    return " ".join(str(orig).split())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
