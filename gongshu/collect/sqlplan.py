"""What a SQL source reads and in which order: the table or query, its columns, the statement.

A ``table`` is looked up by name (a name differing only in case is matched and noted; an unknown one
lists the tables with similar names); a ``query`` is probed for its columns. The watermark column is
matched the same way, and rows are ordered by it, then by the primary key (or the other columns),
falling back to the watermark alone when those cannot be sorted.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.sql.sqltypes import NullType

from gongshu.catalog.model import SqlSource

from .base import SOURCE_ROW
from .sqltarget import SqlTarget, db_message


class SqlPlan:
    """What to read: a description for messages, the columns, and the statement that reads them."""

    def __init__(self, what: str, columns: list[str], select: Callable[[list[str]], Any]) -> None:
        self.what = what
        self.columns = columns
        self.select = select
        """The statement reading all columns, ordered by the given column names (none: the source's order)."""
        self.watermark: str | None = None
        self.tiebreak: list[str] = []
        self.notes: list[str] = []


def plan_read(conn: Connection, source: SqlSource, target: SqlTarget) -> SqlPlan:
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


def _table_plan(conn: Connection, name: str, target: SqlTarget) -> SqlPlan:
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
    except Exception:  # a view has none; ordering then falls back to all columns
        pk = []

    def select(order: list[str]) -> sa.Select:
        tbl = sa.table(table, *[sa.column(c) for c in columns], schema=schema_or_none)
        return sa.select(*tbl.c).order_by(*[tbl.c[c] for c in order])

    plan = SqlPlan(f"table {name}", columns, select)
    plan.tiebreak = [c for c in pk if c in columns]
    plan.notes.extend(notes)
    return plan


def _existing_tables(conn: Connection, schema: str | None) -> list[str]:
    inspector = sa.inspect(conn)
    names: list[str] = []
    for getter in (inspector.get_table_names, inspector.get_view_names):
        try:
            names.extend(getter(schema=schema))
        except Exception:  # best effort, for the message only
            if conn.in_transaction():
                conn.rollback()
    return sorted(set(names))


def _not_found(name: str, table: str, schema: str, existing: list[str], target: SqlTarget) -> str:
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


def _query_plan(conn: Connection, query: str, target: SqlTarget) -> SqlPlan:
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

    return SqlPlan("query", columns, select)


def _match(name: str, columns: Sequence[str]) -> str | None:
    if name in columns:
        return name
    same = [c for c in columns if c.lower() == name.lower()]
    return same[0] if len(same) == 1 else None


def execute(
    conn: Connection, plan: SqlPlan, params: dict[str, Any], chunk_rows: int, target: SqlTarget
) -> CursorResult:
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
                f"rows are ordered by {wm} only: the other columns cannot all be sorted ({db_message(exc)[:200]})"
            )
    raise AssertionError("unreachable")
