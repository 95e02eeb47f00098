"""The records in a JSON service's answers: where they are in the body, their columns, their values as text.

Records are JSON objects. The columns are the keys in order of first appearance; a key first seen
on a later page is added (and noted), and a missing key is ``None``. Values become text: strings as
they are, numbers as JSON writes them (floats by ``repr``), booleans ``true``/``false``, null
``None``, nested objects and arrays as compact JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from .base import SOURCE_ROW, SourceError, source_rows
from .httpfetch import Fetcher, service_says
from .values import render_value


@dataclass
class Page:
    """One answer of the service: its page number, its URL as shown, its records, the first one's row."""

    number: int
    where: str
    records: list[Any]
    first_row: int


def page_records(body: Any, path: str | None, what: str, fetcher: Fetcher, where: str) -> tuple[list[Any], int | None]:
    if not path:
        if isinstance(body, list):
            return body, None
        keys = f" with keys {', '.join(map(str, body))}" if isinstance(body, dict) else ""
        raise fetcher.error(
            "SOURCE_MALFORMED",
            f"{what} is a JSON {_json_type(body)}{keys}, not a list of records: "
            f"set records: to the path of the list in the catalog",
            where,
        )
    parts = path.split(".")
    current: Any = body
    parent: Any = None
    for i, part in enumerate(parts):
        if not isinstance(current, dict) or part not in current:
            at = ".".join(parts[:i]) or "the body"
            found = (
                f"{at} has the keys {', '.join(map(str, current)) or '(none)'}"
                if isinstance(current, dict)
                else f"{at} is a JSON {_json_type(current)}"
            )
            said = service_says(body) if isinstance(body, dict) else ""
            raise fetcher.error(
                "SOURCE_MALFORMED",
                f"{what} has no {path}: {found}" + (f" (the service says {said})" if said else ""),
                where,
            )
        parent, current = current, current[part]
    if current is None:
        current = []
    if not isinstance(current, list):
        raise fetcher.error(
            "SOURCE_MALFORMED", f"{path} in {what} is a JSON {_json_type(current)}, not a list of records", where
        )
    total = parent.get("total") if isinstance(parent, dict) else None
    if isinstance(total, str) and total.strip().isdigit():
        total = int(total)
    if not isinstance(total, int) or isinstance(total, bool):
        total = None
    return current, total


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(type(value), "number")


def add_columns(columns: list[str], page: Page, fetched_page: int, notes: list[str] | None) -> None:
    known = set(columns)
    new: list[str] = []
    for offset, record in enumerate(page.records):
        if not isinstance(record, dict):
            raise SourceError(
                "SOURCE_MALFORMED",
                f"record {page.first_row + offset} (page {fetched_page}) is a JSON {_json_type(record)}, not an object",
                location=page.where,
            )
        for key in record:
            if key not in known:
                if key == SOURCE_ROW:
                    raise SourceError(
                        "SOURCE_MALFORMED",
                        f"record {page.first_row + offset} has a field named {SOURCE_ROW}, which gongshu reserves",
                        location=page.where,
                    )
                known.add(key)
                columns.append(key)
                new.append(f"{key} (record {page.first_row + offset})")
    if notes is not None and new:
        notes.append(f"page {fetched_page} brought new column(s) not on the first page: {', '.join(new)}")


def records_table(columns: list[str], records: list[dict[str, Any]], first_row: int) -> pa.Table:
    """A chunk from records: a text column for each of ``columns`` (missing keys ``None``), and the rows."""
    arrays = {name: pa.array([render_value(r.get(name)) for r in records], type=pa.string()) for name in columns}
    arrays[SOURCE_ROW] = source_rows(first_row, len(records))
    return pa.table(arrays)
