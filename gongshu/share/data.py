"""Pages of a DWD table for the sharing API: the chosen fields only, equality filters, a stable order
and a keyset cursor.

Nothing a caller sends becomes SQL text: column names are taken from the catalog (a name that is
not a field of the resource is refused before any query), and every value is converted to the
field's type and bound as a parameter.

Rows are ordered by the primary key (``_batch_id, _source_row`` for a resource without one: a
source row number alone repeats across appended batches), and a page continues after the last key
of the previous one (keyset, not offset): rows loaded or removed between two calls never make a
page repeat or skip a row that was there all along, and a deep page costs what the first one does.

Values are JSON-ready: dates and datetimes in ISO 8601, decimals (amounts) as strings, so that no
amount is rounded by a float on the way; integers as numbers.

CSV is UTF-8 with a byte-order mark: the consumers of a 共享 dataset open it in Excel, which reads a
CSV without one in the system code page (GBK on a Chinese Windows) and garbles every Chinese
character; Python's ``utf-8-sig``, pandas and LibreOffice read the mark as what it is. A value
that Excel would run as a formula (starting with ``= + - @``, tab or carriage return, and not a
plain number) is written with a leading apostrophe (OWASP's CSV injection advice); the JSON keeps
values as stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..catalog.model import Resource
from ..clock import SHANGHAI
from ..store.dwd import dwd_table
from ..store.ods import BATCH_ID, SOURCE_ROW
from .cursor import CursorSeal, InvalidCursor

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
_INT64 = 2**63
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class BadQuery(ValueError):
    """A filter value or cursor that cannot be used; the message is safe to show."""


@dataclass(frozen=True)
class Page:
    fields: list[str]
    rows: list[dict[str, Any]]
    next_cursor: str | None


def read_page(
    conn: Connection,
    department: str,
    resource: Resource,
    fields: Sequence[str],
    *,
    filters: Sequence[tuple[str, str]] = (),
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    seal: CursorSeal,
    table: sa.Table | None = None,
) -> Page:
    """One page of ``fields`` of the resource's DWD table. ``filters``: (field, value) pairs; pairs
    naming the same field match any of their values, different fields must all match. ``table``:
    the resource's DWD table when the caller keeps one (the same Table object call after call lets
    SQLAlchemy reuse the compiled statement; a new one per call compiles it afresh)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}")
    kinds = {f.name: f.kind for f in resource.fields}
    unknown = [f for f in [*fields, *(name for name, _ in filters)] if f not in kinds]
    if unknown or not fields:
        raise BadQuery(f"not a field of {department}.{resource.id}: {', '.join(unknown) or '(no fields chosen)'}")
    table = table if table is not None else dwd_table(department, resource)
    keys = list(resource.primary_key) or [BATCH_ID, SOURCE_ROW]
    key_kinds = [kinds.get(k, "integer" if k == SOURCE_ROW else "text") for k in keys]
    selected = list(dict.fromkeys([*fields, *keys]))
    query = sa.select(*(table.c[name] for name in selected)).order_by(*(table.c[k] for k in keys))

    wanted: dict[str, list[Any]] = defaultdict(list)
    for name, value in filters:
        wanted[name].append(parse_value(kinds[name], value, f"filter on {name}"))
    for name, values in wanted.items():
        query = query.where(table.c[name] == values[0] if len(values) == 1 else table.c[name].in_(values))

    scope = f"{department}.{resource.id}"
    if cursor:
        query = query.where(_after_cursor(seal, scope, cursor, [table.c[k] for k in keys], key_kinds))

    result = conn.execute(query.limit(limit + 1)).all()
    more = len(result) > limit
    result = result[:limit]
    rows = _json_rows(result, fields, kinds)
    next_cursor = None
    if more:
        last = result[-1]
        next_cursor = seal.seal(scope, [json_value(last[selected.index(k)]) for k in keys])
    return Page(fields=list(fields), rows=rows, next_cursor=next_cursor)


def _after_cursor(
    seal: CursorSeal, scope: str, cursor: str, columns: list[sa.Column[Any]], key_kinds: Sequence[str]
) -> sa.ColumnElement[bool]:
    """The condition for the rows after the key that ``cursor`` carries (keyset paging)."""
    try:
        last = seal.open(scope, cursor)
    except InvalidCursor as exc:
        raise BadQuery(str(exc)) from exc
    if len(last) != len(columns):
        raise BadQuery("the cursor is not valid here: pass next_cursor of the previous page unchanged")
    after = [parse_value(kind, value, "cursor") for kind, value in zip(key_kinds, last, strict=True)]
    if len(columns) == 1:
        return columns[0] > after[0]
    return sa.tuple_(*columns) > sa.tuple_(*(sa.literal(v, c.type) for v, c in zip(after, columns, strict=True)))


def _json_rows(result: Sequence[sa.Row[Any]], fields: Sequence[str], kinds: Mapping[str, str]) -> list[dict[str, Any]]:
    """The chosen fields of each row, JSON-ready. Rows are tuples, by position: the chosen fields come
    first in the query. Only the columns whose values are not JSON-ready already are converted,
    column by column (a function call per value took a third of a page's time)."""
    width = len(fields)
    converted = [(i, _JSON_READY[kinds[name]]) for i, name in enumerate(fields) if kinds[name] in _JSON_READY]
    if not converted:
        return [dict(zip(fields, row[:width], strict=True)) for row in result]
    rows = []
    for row in result:
        values = list(row[:width])
        for i, convert in converted:
            if values[i] is not None:
                values[i] = convert(values[i])
        rows.append(dict(zip(fields, values, strict=True)))
    return rows


def parse_value(kind: str, value: Any, what: str) -> Any:
    """``value`` (text from a query string, or a JSON value from a cursor) as the Python value of a
    field of ``kind``, within what both databases can bind; :class:`BadQuery` otherwise."""
    text = value if isinstance(value, str) else None
    try:
        if kind == "integer":
            number = int(value) if isinstance(value, int) and not isinstance(value, bool) else int(text or "")
            if not -_INT64 <= number < _INT64:
                raise ValueError
            return number
        if kind in ("decimal", "amount"):
            decimal = Decimal(text if text is not None else str(value))
            if not decimal.is_finite() or not -60 <= decimal.adjusted() <= 60:
                raise ValueError
            return decimal
        if kind == "date":
            return dt.date.fromisoformat(text or "")
        if kind == "datetime":
            stamp = dt.datetime.fromisoformat(text or "")
            # DWD datetimes are wall-clock time in Asia/Shanghai, without a zone
            return stamp.astimezone(SHANGHAI).replace(tzinfo=None) if stamp.tzinfo else stamp
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        raise BadQuery(f"{what}: not a valid {kind} value") from None
    if text is None or "\x00" in text or not _encodable(text):
        raise BadQuery(f"{what}: not a valid text value")
    return text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


# field kind -> how its database values become JSON-ready (the other kinds come back as text or int)
_JSON_READY: dict[str, Callable[[Any], Any]] = {
    "decimal": _decimal_text,
    "amount": _decimal_text,
    "date": dt.date.isoformat,
    "datetime": dt.datetime.isoformat,
}


def to_json(page: Page) -> bytes:
    """The page as the API's JSON answer (``DataPageOut``), encoded by orjson: the standard
    library's encoder took longer than the page's query."""
    return orjson.dumps({"fields": page.fields, "rows": page.rows, "next_cursor": page.next_cursor})


def to_csv(page: Page) -> bytes:
    """The page as CSV (UTF-8 with BOM), a header row of field names first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(page.fields)
    for row in page.rows:
        writer.writerow([_cell(row[name]) for name in page.fields])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
