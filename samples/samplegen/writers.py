"""Writers of the sample sources: csv, Excel, SQLite and the JSON behind the http API.

Each writer has a ``kind`` (the catalog's source kind), a ``medium`` (how the faults must be
shaped: text, excel, sql, json), ``write(path, table)`` and ``describe()`` (manifest keys).
Every writer produces the same bytes for the same table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .catalog import Resource

FIXED_TIME = dt.datetime(2025, 11, 20, 9, 0, 0)  # workbook properties and zip entry times


@dataclass
class Table:
    """One resource's rows as the source holds them (faults included), in source order."""

    resource: Resource
    rows: list[dict[str, Any]]

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.resource.fields]

    def records(self) -> list[list[Any]]:
        names = [f.name for f in self.resource.fields]
        return [[row[n] for n in names] for row in self.rows]


def render(value: Any, kind: str, medium: str) -> Any:
    """The clean value as the medium stores it."""
    if value is None:
        return "" if medium == "text" else None
    if medium == "excel":
        return float(value) if isinstance(value, Decimal) else value
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value, "f")
        return float(text) if medium == "json" else text
    if isinstance(value, int) and medium == "text":
        return str(value)
    return value


@dataclass(frozen=True)
class Csv:
    encoding: str = "utf-8"  # utf-8 | gbk | gb18030
    bom: bool = False
    delimiter: str = ","
    newline: str = "\n"
    kind: str = "csv"
    medium: str = "text"

    def write(self, path: Path, table: Table) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=self.delimiter, lineterminator=self.newline)
        writer.writerow(table.columns)
        writer.writerows(table.records())
        data = buf.getvalue().encode(self.encoding)
        path.write_bytes((b"\xef\xbb\xbf" if self.bom else b"") + data)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"encoding": self.encoding}
        if self.bom:
            info["bom"] = True
        if self.delimiter != ",":
            info["delimiter"] = self.delimiter
        return info


@dataclass(frozen=True)
class Excel:
    """An .xlsx sheet, optionally under title rows (the first one merged across the columns) and
    over a footer row such as 合计 that is not a data record."""

    sheet: str = "Sheet1"
    title_rows: tuple[str, ...] = ()
    footer: Callable[[Table], list[Any]] | None = None
    creator: str = ""
    kind: str = "excel"
    medium: str = "excel"

    def write(self, path: Path, table: Table) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = self.sheet
        width = len(table.columns)
        for i, text in enumerate(self.title_rows, start=1):
            ws.append([text])
            if i == 1:
                ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
                ws.cell(1, 1).font = Font(bold=True, size=14)
                ws.cell(1, 1).alignment = Alignment(horizontal="center")
        ws.append(table.columns)
        for cell in ws[len(self.title_rows) + 1]:
            cell.font = Font(bold=True)
        first = ws.max_row + 1
        for k, record in enumerate(table.records()):
            ws.append(record)
            for col, value in enumerate(record, start=1):
                if isinstance(value, dt.datetime):
                    ws.cell(first + k, col).number_format = "yyyy-mm-dd hh:mm:ss"
                elif isinstance(value, dt.date):
                    ws.cell(first + k, col).number_format = "yyyy-mm-dd"
        if self.footer:
            ws.append(self.footer(table))
        for i, column in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, 2 * len(column) + 4))
        wb.properties.creator = self.creator
        wb.properties.created = FIXED_TIME
        path.write_bytes(_stable_xlsx(wb))

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"sheet": self.sheet, "header_row": len(self.title_rows) + 1}
        if self.footer:
            info["footer_rows"] = 1
        return info


def _stable_xlsx(wb: Workbook) -> bytes:
    """Save ``wb`` with fixed timestamps (openpyxl stamps the save time into the package)."""
    raw = io.BytesIO()
    wb.save(raw)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


@dataclass(frozen=True)
class SqliteTable:
    """A table of a SQLite database (a department's 前置库); several resources may share one file."""

    table: str
    types: dict[str, str] = field(default_factory=dict)  # column -> SQL type, TEXT by default
    kind: str = "sql"
    medium: str = "sql"

    def write(self, path: Path, table: Table) -> None:
        columns = ", ".join(f'"{c}" {self.types.get(c, "TEXT")}' for c in table.columns)
        marks = ", ".join("?" for _ in table.columns)
        with sqlite3.connect(path) as db:
            db.execute(f'CREATE TABLE "{self.table}" ({columns})')
            db.executemany(f'INSERT INTO "{self.table}" VALUES ({marks})', table.records())
        db.close()

    def describe(self) -> dict[str, Any]:
        return {"table": self.table}


@dataclass(frozen=True)
class JsonApi:
    """The records an http API serves, as a JSON list (one record a line); see ``api_server.py``."""

    kind: str = "http"
    medium: str = "json"

    def write(self, path: Path, table: Table) -> None:
        columns = table.columns
        lines = [json.dumps(dict(zip(columns, r, strict=True)), ensure_ascii=False) for r in table.records()]
        path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")

    def describe(self) -> dict[str, Any]:
        return {"encoding": "utf-8"}
