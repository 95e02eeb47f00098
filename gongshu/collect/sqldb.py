"""SQL sources: a department's front database (前置库) read through SQLAlchemy, in full or by watermark.

The source names a ``table`` (optionally ``schema.table``) or a ``query`` (a SELECT, read as the
subquery ``SELECT * FROM (<query>) AS q``). With a ``watermark`` column and ``since`` (the previous
run's ``high_water``), only rows whose watermark is greater than ``since`` are read; rows are always
ordered by the watermark (then by the primary key, or the other columns) so that the order is stable
and the last watermark read is the largest. ``since`` is bound as text without a type so that each
database converts it to the column's type (PostgreSQL infers it; MariaDB and SQLite coerce it).

Rows are streamed (server-side cursors where the driver has them) in chunks of ``chunk_rows``;
values become text as :func:`render_value` writes them, exactly the same for every database. The URL
is never shown with its password: descriptions and messages use the URL with the password hidden.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, CursorResult, Engine, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.sqltypes import NullType

from gongshu.catalog.model import SqlSource
from gongshu.catalog.paths import resolve_sql_url, sqlite_file

from .base import DEFAULT_CHUNK_ROWS, SOURCE_ROW, ClosingChunks, Reading, SourceError

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


def read_sql(
    source: SqlSource,
    catalog_dir: Path,
    *,
    since: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    env: Mapping[str, str] | None = None,
) -> Reading:
    """Open a SQL source: connect, find the columns, start the (ordered, filtered) read."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    env = os.environ if env is None else env
    target = _Target.of(source, Path(catalog_dir), env)
    engine = target.engine()
    conn: Connection | None = None
    try:
        conn = target.connect(engine)
        plan = _plan(conn, source, target)
        wm = plan.watermark
        params: dict[str, Any] = {}
        if wm is not None and since is not None:
            params["since"] = since
        elif since is not None:
            plan.notes.append(f"since={since!r} ignored: the source has no watermark, so it is read in full")
        result = _execute(conn, plan, params, chunk_rows, target)
    except BaseException:
        if conn is not None:
            conn.invalidate()
            conn.close()
        engine.dispose()
        raise

    description = f"sql {target.label} {plan.what}"
    if wm is not None:
        description += f" watermark {wm}" + (f" > {since}" if since is not None else " (full read)")
    reading = Reading(
        columns=list(plan.columns),
        chunks=iter(()),
        notes=plan.notes,
        high_water=since if wm is not None else None,
        description=description,
    )

    ref = weakref.ref(reading)  # no cycle: a dropped reading releases its connection at once

    def finish(high_water: str | None) -> None:
        target_reading = ref()
        if target_reading is not None and wm is not None and high_water is not None:
            target_reading.high_water = high_water

    reading.chunks = ClosingChunks(
        _chunks(result, plan, chunk_rows, target, finish),
        lambda exhausted: _release(result, conn, engine, exhausted),
    )
    return reading


def render_value(value: Any) -> str | None:
    """A database value as text, the same for every database (raises UnicodeDecodeError for bad bytes).

    Decimals without exponent and with the scale the database gives; floats by ``repr``; date and time as
    ``YYYY-MM-DD HH:MM:SS`` (``.ffffff`` only when not zero; a time zone aware value keeps its offset,
    ``+08:00``); booleans ``true``/``false``; bytes decoded as UTF-8.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.datetime, dt.time)):  # seconds, microseconds only when there are some
        spec = "microseconds" if value.microsecond else "seconds"
        return value.isoformat(sep=" ", timespec=spec) if isinstance(value, dt.datetime) else value.isoformat(spec)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # MySQL TIME columns arrive as timedelta (may exceed 24 h)
        micro = value // dt.timedelta(microseconds=1)
        sign, micro = ("-", -micro) if micro < 0 else ("", micro)
        seconds, micro = divmod(micro, 1_000_000)
        text = f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        return text + f".{micro:06d}" if micro else text
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dict, list)):  # JSON columns (PostgreSQL)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


# --------------------------------------------------------------------------------------------------
# the database: URL, engine, connection, errors


class _Target:
    """Where to read from: the URL to connect with and how to show it without secrets."""

    def __init__(self, url: str, label: str, source_text: str | None) -> None:
        self.url = url
        self.label = label
        try:
            self.parsed: URL = make_url(url)
        except Exception:  # noqa: BLE001 - the parser's message would repeat the URL, password included
            raise SourceError(
                "SOURCE_CONFIG", f"the database URL {source_text or ''} is not a valid SQLAlchemy URL"
            ) from None
        self.safe = safe_url(self.parsed)
        self.secrets = [s for s in _secrets(self.parsed) if s]

    @classmethod
    def of(cls, source: SqlSource, catalog_dir: Path, env: Mapping[str, str]) -> _Target:
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
        except Exception:  # noqa: BLE001
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
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

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
        except Exception as exc:  # noqa: BLE001
            raise self.error("SOURCE_CONFIG", f"cannot use the database URL: {_first_line(exc)}") from None

    def connect(self, engine: Engine) -> Connection:
        try:
            return engine.connect()
        except sa.exc.DBAPIError as exc:
            detail = _db_message(exc)
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
        detail = _db_message(exc)
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


def _db_message(exc: sa.exc.DBAPIError) -> str:
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


# --------------------------------------------------------------------------------------------------
# what to read


class _Plan:
    def __init__(self, what: str, columns: list[str], select: Callable[[list[str]], Any]) -> None:
        self.what = what
        self.columns = columns
        self.select = select
        """The statement reading all columns, ordered by the given column names (none: the source's order)."""
        self.watermark: str | None = None
        self.tiebreak: list[str] = []
        self.notes: list[str] = []


def _plan(conn: Connection, source: SqlSource, target: _Target) -> _Plan:
    if source.table:
        plan = _table_plan(conn, source.table, target)
    elif source.query:
        plan = _query_plan(conn, source.query, target)
    else:
        raise target.error("SOURCE_CONFIG", "the sql source names neither table nor query")
    if len(set(plan.columns)) != len(plan.columns):
        dupes = sorted({c for c in plan.columns if plan.columns.count(c) > 1})
        raise target.error(
            "SOURCE_QUERY", f"{plan.what} returns the column name(s) {', '.join(dupes)} more than once: alias them"
        )
    if SOURCE_ROW in plan.columns:
        raise target.error("SOURCE_QUERY", f"{plan.what} has a column named {SOURCE_ROW}, which gongshu reserves")
    if source.watermark:
        wm = _match(source.watermark, plan.columns)
        if wm is None:
            raise target.error(
                "SOURCE_CONFIG",
                f"watermark column {source.watermark!r} is not among the columns of {plan.what}: "
                f"{', '.join(plan.columns)}",
            )
        if wm != source.watermark:
            plan.notes.append(f"watermark column {source.watermark!r} matched {wm!r} (case differs)")
        plan.watermark = wm
        if not plan.tiebreak:
            plan.tiebreak = [c for c in plan.columns if c != wm]
        else:
            plan.tiebreak = [c for c in plan.tiebreak if c != wm]
    return plan


def _table_plan(conn: Connection, name: str, target: _Target) -> _Plan:
    schema, _, table = name.rpartition(".")
    schema_or_none = schema or None
    inspector = sa.inspect(conn)
    notes: list[str] = []
    try:
        columns = [c["name"] for c in inspector.get_columns(table, schema=schema_or_none)]
    except sa.exc.NoSuchTableError:
        columns = []
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise target.db_error(exc, f"reading the columns of {name}") from None
        conn.rollback()
        columns = []
    if not columns:
        existing = _existing_tables(conn, schema_or_none)
        same = [t for t in existing if t.lower() == table.lower() and t != table]
        if len(same) == 1:
            notes.append(f"table {table!r} matched {same[0]!r} (case differs)")
            table = same[0]
            inspector = sa.inspect(conn)
            columns = [c["name"] for c in inspector.get_columns(table, schema=schema_or_none)]
        else:
            raise target.error("SOURCE_NOT_FOUND", _not_found(name, table, schema, existing, target))
    try:
        pk = [c for c in inspector.get_pk_constraint(table, schema=schema_or_none).get("constrained_columns") or []]
    except Exception:  # noqa: BLE001 - a view has none; ordering then falls back to all columns
        pk = []

    def select(order: list[str]) -> sa.Select:
        tbl = sa.table(table, *[sa.column(c) for c in columns], schema=schema_or_none)
        return sa.select(*tbl.c).order_by(*[tbl.c[c] for c in order])

    plan = _Plan(f"table {name}", columns, select)
    plan.tiebreak = [c for c in pk if c in columns]
    plan.notes.extend(notes)
    return plan


def _existing_tables(conn: Connection, schema: str | None) -> list[str]:
    inspector = sa.inspect(conn)
    names: list[str] = []
    for getter in (inspector.get_table_names, inspector.get_view_names):
        try:
            names.extend(getter(schema=schema))
        except Exception:  # noqa: BLE001 - best effort, for the message only
            if conn.in_transaction():
                conn.rollback()
    return sorted(set(names))


def _not_found(name: str, table: str, schema: str, existing: list[str], target: _Target) -> str:
    where = f"schema {schema} of " if schema else ""
    message = f"table {name} not found in {where}{target.safe}"
    lowered = {t.lower(): t for t in existing}
    similar = [lowered[t] for t in difflib.get_close_matches(table.lower(), list(lowered), n=5, cutoff=0.6)]
    similar += [t for t in existing if table.lower() in t.lower() and t not in similar][: 5 - len(similar)]
    if similar:
        return f"{message}; tables with similar names: {', '.join(similar)}"
    if not existing:
        return f"{message}, which has no tables"
    shown = ", ".join(existing[:10]) + (f" (and {len(existing) - 10} more)" if len(existing) > 10 else "")
    return f"{message}; no similar name among its {len(existing)} tables: {shown}"


def _query_plan(conn: Connection, query: str, target: _Target) -> _Plan:
    body = query.strip().rstrip(";").strip()
    if not body:
        raise target.error("SOURCE_CONFIG", "the sql source's query is empty")
    escaped = body.replace(":", "\\:")  # a colon in the query is text, never a bind parameter
    try:
        probe = conn.execute(sa.text(f"SELECT * FROM ({escaped}) AS q WHERE 1 = 0"))
        columns = list(probe.keys())
        probe.close()
    except sa.exc.DBAPIError as exc:
        raise target.db_error(exc, "the query") from None

    def select(order: list[str]) -> sa.Select | sa.TextClause:
        if not order:
            # no watermark: the query as written (the probe showed it is one SELECT), so that its own
            # ORDER BY holds; MariaDB drops an ORDER BY inside a derived table
            return sa.text(escaped)
        sub = sa.text(escaped).columns(*[sa.column(c) for c in columns]).subquery("q")
        return sa.select(*sub.c).order_by(*[sub.c[c] for c in order])

    return _Plan("query", columns, select)


def _match(name: str, columns: Sequence[str]) -> str | None:
    if name in columns:
        return name
    same = [c for c in columns if c.lower() == name.lower()]
    return same[0] if len(same) == 1 else None


def _execute(conn: Connection, plan: _Plan, params: dict[str, Any], chunk_rows: int, target: _Target) -> CursorResult:
    wm = plan.watermark
    orders = [[wm, *plan.tiebreak], [wm]] if wm is not None else [[]]
    if len(orders[0]) == 1:
        orders = orders[:1]
    streaming = conn.execution_options(stream_results=True, yield_per=chunk_rows)
    for attempt, order in enumerate(orders):
        stmt = plan.select(order)
        if wm is not None and "since" in params:
            stmt = stmt.where(stmt.selected_columns[wm] > sa.bindparam("since", type_=NullType()))
        try:
            return streaming.execute(stmt, params)
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated or attempt == len(orders) - 1:
                raise target.db_error(exc, f"the read of {plan.what}") from None
            conn.rollback()  # some column types cannot be sorted (json, xml...): order by the watermark alone
            plan.notes.append(
                f"rows are ordered by {wm} only: the other columns cannot all be sorted ({_db_message(exc)[:200]})"
            )
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------------
# the chunks


def _chunks(
    result: CursorResult, plan: _Plan, chunk_rows: int, target: _Target, finish: Callable[[str | None], None]
) -> Iterator[pa.Table]:
    columns = plan.columns
    wm_index = columns.index(plan.watermark) if plan.watermark is not None else None
    next_row = 1
    high_water: str | None = None
    parts = result.partitions(chunk_rows)
    while True:
        try:
            rows = next(parts, None)
        except sa.exc.DBAPIError as exc:
            raise target.db_error(exc, f"the read of {plan.what} after row {next_row - 1}") from None
        if rows is None:
            break
        if not rows:
            continue
        arrays: dict[str, pa.Array] = {}
        for i, name in enumerate(columns):
            values = _render_column([row[i] for row in rows], name, next_row, plan, target)
            arrays[name] = pa.array(values, type=pa.string())
            if i == wm_index:
                last = next((v for v in reversed(values) if v is not None), None)
                high_water = last if last is not None else high_water
        arrays[SOURCE_ROW] = pa.array(range(next_row, next_row + len(rows)), type=pa.int64())
        next_row += len(rows)
        yield pa.table(arrays)
    finish(high_water)


def _render_column(values: list[Any], name: str, first_row: int, plan: _Plan, target: _Target) -> list[str | None]:
    try:
        return [v if type(v) is str else render_value(v) for v in values]
    except UnicodeDecodeError:
        for offset, value in enumerate(values):
            try:
                render_value(value)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    "SOURCE_ENCODING",
                    f"column {name} of row {first_row + offset} of {plan.what} holds bytes that are not UTF-8 "
                    f"({exc.reason} at byte {exc.start})",
                    location=target.safe,
                    line=None,
                ) from None
        raise


def _release(result: CursorResult, conn: Connection, engine: Engine, exhausted: bool) -> None:
    try:
        pending = getattr(getattr(result, "cursor", None), "_result", None)
        if not exhausted and pending is not None and getattr(pending, "unbuffered_active", False):
            # pymysql streams the whole result whatever happens: closing it would read every remaining row
            # off the socket, so drop the connection instead (and tell the result not to drain it later)
            conn.invalidate()
            pending.unbuffered_active = False
        else:
            result.close()  # a PostgreSQL server-side cursor is closed by the server (CLOSE), at once
        conn.close()
    finally:
        engine.dispose()
