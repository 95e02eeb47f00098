"""Queries of a release's masked rows, ``opn_<dept>__<resource>`` (see ``layout``): the data behind
CKAN's ``datastore_search``. Never a DWD table: what the open API can return is exactly what the
publish gate let into a release.

The table's columns are read from the database on each query rather than from the catalog: they are
the columns of the release that wrote it (a field dropped since, or added, is the next release's
business). Every column is text; ``_row`` orders the rows and is served as CKAN's ``_id``. Names a
caller sends are checked against the columns and values are bound as parameters: nothing a caller
sends becomes SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .layout import ROW, open_table_name

ID = "_id"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_SCALAR = (str, int, float, bool)


class BadSearch(ValueError):
    """A search the table cannot answer; ``field`` names the parameter at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Search:
    filters: dict[str, Any]
    q: str | dict[str, Any] | None = None
    fields: list[str] | None = None
    sort: str | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class Page:
    fields: list[str]
    """The columns served, ``_id`` first."""
    records: list[dict[str, Any]]
    total: int


def columns(conn: Connection, department: str, resource: str) -> list[str] | None:
    """The data columns of the dataset's table, in table order (``_row`` left out); None without a table."""
    name = open_table_name(department, resource)
    inspector = sa.inspect(conn)
    if not inspector.has_table(name):
        return None
    return [c["name"] for c in inspector.get_columns(name) if c["name"] != ROW]


def search(conn: Connection, department: str, resource: str, known: list[str], s: Search) -> Page:
    table = sa.table(open_table_name(department, resource), sa.column(ROW), *(sa.column(c) for c in known))
    col = table.c
    where = [_match(col, known, name, value) for name, value in s.filters.items()]
    where += _text_search(col, known, s.q)
    chosen = _chosen(known, s.fields)
    rows = conn.execute(
        sa.select(col[ROW], *(col[c] for c in chosen))
        .where(*where)
        .order_by(*_ordering(col, known, s.sort))
        .limit(s.limit)
        .offset(s.offset)
    )
    records = [{ID: int(r[0]), **dict(zip(chosen, r[1:], strict=True))} for r in rows]
    total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
    return Page(fields=[ID, *chosen], records=records, total=total)


def _match(col: Any, known: list[str], name: str, value: Any) -> sa.ColumnElement[bool]:
    if name not in known:
        raise BadSearch("filters", f"a name that is not a field of this dataset; its fields: {', '.join(known)}")
    values = value if isinstance(value, list) else [value]
    if not values or not all(v is None or isinstance(v, _SCALAR) for v in values):
        raise BadSearch("filters", f"filter {name}: give a value or a list of values")
    texts = [str(v) for v in values if v is not None]
    tests = [col[name].in_(texts)] if texts else []
    if None in values:
        tests.append(col[name].is_(None))
    return sa.or_(*tests)


def _text_search(col: Any, known: list[str], q: str | dict[str, Any] | None) -> list[sa.ColumnElement[bool]]:
    """Every word of ``q`` somewhere in the row (or, for ``{field: text}``, in that field)."""
    if q is None or q == "":
        return []
    if isinstance(q, dict):
        for name, text in q.items():
            if name not in known or not isinstance(text, str):
                raise BadSearch("q", f"q: give {{field: text}} with fields of this dataset ({', '.join(known)})")
        return [col[name].icontains(word, autoescape=True) for name, text in q.items() for word in text.split()]
    if not isinstance(q, str):
        raise BadSearch("q", "q: give text, or {field: text}")
    return [sa.or_(*(col[c].icontains(word, autoescape=True) for c in known)) for word in q.split()]


def _chosen(known: list[str], fields: list[str] | None) -> list[str]:
    if not fields:
        return list(known)
    unknown = [f for f in fields if f not in known and f != ID]
    if unknown:
        raise BadSearch("fields", f"{len(unknown)} name(s) not fields of this dataset; its fields: {', '.join(known)}")
    return [f for f in dict.fromkeys(fields) if f != ID]


def _ordering(col: Any, known: list[str], sort: str | None) -> list[sa.ColumnElement[Any]]:
    """``field [asc|desc], ...`` (CKAN's sort), then ``_row`` so that pages never overlap."""
    order = []
    for part in (sort or "").split(","):
        words = part.split()
        if not words:
            continue
        name, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
        if name not in known and name != ID or direction not in ("asc", "desc") or len(words) > 2:
            raise BadSearch(
                "sort", f"sort: write 'field asc' or 'field desc' with fields of this dataset ({', '.join(known)})"
            )
        column = col[ROW] if name == ID else col[name]
        order.append(column.desc() if direction == "desc" else column.asc())
    return [*order, col[ROW].asc()]
