"""Excel connector: one sheet of an ``.xlsx`` (openpyxl, read-only) or ``.xls`` (xlrd) workbook.

The workbook kind is taken from the file's first bytes, not its name (departments rename files):
a zip is ``.xlsx``, an OLE2 compound file is ``.xls``; an HTML page saved as ``.xls`` (what many
web systems export) is an error that says so.

**Sheet.** ``source.sheet``, else the first sheet. A wrong name is ``SOURCE_SHEET`` listing the
sheets that exist, with the closest one as "did you mean".

**Header row.** ``source.header_row`` (1-based) when given. Otherwise the first row, among the first
30, whose non-empty cells are at least 80 % text and number at least half of the widest of the five
non-empty rows below it. A title row (one merged cell across the sheet) or a "填报单位：…" line has
one non-empty cell in a wide sheet, so it is passed over. When no row qualifies, the first non-empty
row is the header. Either way the choice is noted (``header detected on row 3``).

**Two-row headers.** When a merged cell in the header row reaches down into the row below it
(``序号`` merged over two rows), or when cells merged across columns (``联系方式`` over
``电话 | 邮箱``) have text under each column they cover and the row below holds nothing else (a data
row would), the header is both rows. A column's name joins the texts above it,
top to bottom, with ``/``; a merged cell's text counts for every column it covers, and empty or
repeated parts are left out: ``序号``, ``联系方式/电话``, ``联系方式/邮箱``. Without merged cells a
header is one row (the merged cells of an ``.xlsx`` are read from the sheet's XML, which openpyxl's
read-only mode does not expose; ``.xls`` ones from xlrd).

Column names are stripped of surrounding whitespace; the last named column ends the table (values to
its right are ignored and noted); an empty header cell inside it is named ``column_<letter>``;
repeated names are ``SOURCE_HEADER``.

**Rows.** A fully empty row is skipped (noted when it is inside the data, silent at the end). Rows at
the end of the data whose first non-empty cell starts with 合计, 总计 or 小计 (spaces ignored) are
not records: they are left out and noted with their sheet row. Such a row followed by data is kept
as a record, and noted. ``_source_row`` counts the records from 1 (titles, header, empty and total
rows not counted), as the samples' manifest does.

**Values**, as text as a person sees the raw value: text as is (an empty string is ``None``);
whole numbers without ``.0`` (``12.0`` → ``12``); other numbers to 15 significant digits, as
Excel shows them, in plain notation (``16.34``, ``0.00001``, never ``1e-05``); a date-formatted
cell → ``YYYY-MM-DD``, or ``YYYY-MM-DD HH:MM:SS`` when it has a time (to the second), a time-only
cell → ``HH:MM:SS``; booleans → ``TRUE``/``FALSE``; error cells as Excel writes them (``#N/A``).
A date serial in a cell that is not date-formatted stays a number (``44927``): cleansing parses
those. Formulas give their cached value (a formula never calculated reads as empty).

Notes found while reading (total rows, empty rows, values right of the table) are appended to the
Reading's ``notes`` as the chunks are read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..catalog.issues import closest
from ..catalog.model import ExcelSource
from ..catalog.paths import resolve_source_path
from .base import DEFAULT_CHUNK_ROWS, Reading, SourceError, existing_file, header_names, text_table

SCAN_ROWS = 30
"""Rows looked at to find the header."""
LOOKAHEAD = 5
TEXT_SHARE = 0.8
TOTAL_WORDS = ("合计", "总计", "小计")
JOIN = "/"
MAX_HEADER_ROWS = 3

Merge = tuple[int, int, int, int]
"""A merged range: (first row, first column, last row, last column), 1-based, inclusive."""


def read_excel(
    source: ExcelSource,
    catalog_dir: Path,
    *,
    since: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    env: Mapping[str, str] | None = None,
) -> Reading:
    """Open one sheet: workbook, sheet and header now; rows as ``chunks`` is iterated."""
    del since, env
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    path = resolve_source_path(catalog_dir, source.path)
    location = str(path)
    digest, magic = _digest(path, source.path)
    opener = _kind(magic, source.path, location)
    sheet = opener(path, source.sheet, location)
    try:
        return _open_sheet(sheet, source, digest, chunk_rows, location)
    except BaseException:
        sheet.close()
        raise


# --- the workbook ------------------------------------------------------------------------------


@dataclass
class _Sheet:
    name: str
    kind: str
    rows: Iterator[list[Any]]
    """Every row from row 1, as Python values (None, str, bool, int, float, date/time); gaps as []."""
    merged: Callable[[], list[Merge]]
    close: Callable[[], None]


def _digest(path: Path, written: str) -> tuple[str, bytes]:
    location = existing_file(path, written)
    sha = hashlib.sha256()
    try:
        with path.open("rb") as f:
            magic = f.read(1024)
            sha.update(magic)
            while block := f.read(8 << 20):
                sha.update(block)
    except OSError as exc:
        raise SourceError("SOURCE_UNREADABLE", f"cannot read {written}: {exc.strerror}", location=location) from exc
    if not magic:
        raise SourceError("SOURCE_EMPTY", f"the file {written} is empty (0 bytes)", location=location)
    return "sha256:" + sha.hexdigest(), magic


def _kind(magic: bytes, written: str, location: str) -> Callable[[Path, str | None, str], _Sheet]:
    if magic.startswith(b"PK\x03\x04"):
        return _open_xlsx
    if magic.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _open_xls
    low = magic.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if low.startswith((b"<html", b"<!doctype", b"<table", b"<meta", b"<?xml")) or b"<table" in low:
        what = "an HTML or XML page saved with an Excel name (what many web systems export)"
        fix = "open it in Excel and save it as .xlsx"
    else:
        what = "not an Excel workbook (.xlsx or .xls)"
        fix = "if it is a CSV or text file, declare kind: csv"
    raise SourceError("SOURCE_FORMAT", f"{written} is {what}: {fix}", location=location)


def _pick_sheet(names: list[str], wanted: str | None, location: str) -> str:
    if not names:
        raise SourceError("SOURCE_EMPTY", "the workbook has no sheet", location=location)
    if wanted is None:
        return names[0]
    if wanted in names:
        return wanted
    listed = "、".join(names)
    near = next((n for n in names if n.strip().casefold() == wanted.strip().casefold()), None) or closest(wanted, names)
    hint = f"; did you mean {near}?" if near else ""
    raise SourceError(
        "SOURCE_SHEET",
        f"the workbook has no sheet named {wanted!r}; its sheets are: {listed}{hint}",
        location=location,
    )


def _open_xlsx(path: Path, wanted: str | None, location: str) -> _Sheet:
    import openpyxl

    # a file object, not the path: openpyxl refuses names ending in .xls, and the content is what counts
    handle = path.open("rb")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and similar noise from generators
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML or openpyxl errors: a damaged or foreign file
        handle.close()
        raise SourceError(
            "SOURCE_FORMAT", f"the .xlsx workbook cannot be opened ({type(exc).__name__}: {exc})", location=location
        ) from exc
    try:
        name = _pick_sheet(book.sheetnames, wanted, location)
        ws = book[name]
        if not hasattr(ws, "reset_dimensions"):  # a chartsheet
            raise SourceError("SOURCE_SHEET", f"{name!r} is a chart, not a sheet of cells", location=location)
        ws.reset_dimensions()  # do not trust the stored size: read every row and cell there is
    except BaseException:
        book.close()
        handle.close()
        raise
    xml_path = getattr(ws, "_worksheet_path", None)

    def close() -> None:
        book.close()
        handle.close()

    def rows() -> Iterator[list[Any]]:
        for row in ws.iter_rows(min_row=1, min_col=1, values_only=True):
            yield list(row)

    return _Sheet(
        name=name,
        kind="xlsx",
        rows=rows(),
        merged=lambda: _xlsx_merges(path, xml_path),
        close=close,
    )


_MERGES_START = re.compile(rb"<(?:\w+:)?mergeCells[\s>/]")
_MERGES_END = re.compile(rb"</(?:\w+:)?mergeCells>|<(?:\w+:)?mergeCells[^>]*/>")
_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


def _xlsx_merges(path: Path, xml_path: str | None) -> list[Merge]:
    """The merged ranges of a sheet, from the ``<mergeCells>`` element after its rows.

    The sheet's XML is streamed (decompressed in 1 MiB pieces) and only that element is kept.
    """
    if not xml_path:
        return []
    from openpyxl.utils.cell import column_index_from_string as col

    found = b""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(xml_path.lstrip("/")) as src:
            carry = b""
            while piece := src.read(1 << 20):
                if found:
                    found += piece
                else:
                    data = carry + piece
                    at = data.find(b"mergeCells")  # a plain search first: much faster than the regex
                    m = _MERGES_START.search(data, max(0, at - 16)) if at >= 0 else None
                    if m is None:
                        carry = data[-64:]
                        continue
                    found = data[m.start() :]
                if _MERGES_END.search(found):
                    break
    except (KeyError, OSError, zipfile.BadZipFile):
        return []
    merges = []
    for a, r1, b, r2 in _MERGE_REF.findall(found):
        b, r2 = (b or a), (r2 or r1)
        merges.append((int(r1), col(a.decode()), int(r2), col(b.decode())))
    return merges


def _open_xls(path: Path, wanted: str | None, location: str) -> _Sheet:
    import xlrd

    try:
        try:  # formatting_info gives the merged cells; a few writers' files only open without it
            book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
        except Exception:
            book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:
        raise SourceError(
            "SOURCE_FORMAT",
            f"the .xls workbook cannot be opened ({exc}); a password-protected workbook cannot be read: "
            "ask for a copy without a password",
            location=location,
        ) from exc
    try:
        name = _pick_sheet(book.sheet_names(), wanted, location)
        sh = book.sheet_by_name(name)
    except BaseException:
        book.release_resources()
        raise
    datemode = book.datemode

    def value(cell: Any) -> Any:
        kind = cell.ctype
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if kind == xlrd.XL_CELL_DATE:
            try:
                when = xlrd.xldate.xldate_as_datetime(cell.value, datemode)
                return when.time() if 0 <= cell.value < 1 else when  # a time of day without a date
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return cell.value  # not a representable date: the number
        if kind == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if kind == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(cell.value, "#ERR")
        return cell.value

    def rows() -> Iterator[list[Any]]:
        for r in range(sh.nrows):
            yield [value(c) for c in sh.row(r)]

    def merged() -> list[Merge]:
        return [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sh.merged_cells]

    return _Sheet(name=name, kind="xls", rows=rows(), merged=merged, close=book.release_resources)


# --- values ------------------------------------------------------------------------------------


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def cell_text(v: Any) -> str | None:
    """A cell's value as the text a person sees as its raw value (see the module docstring)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v if v else None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _number(v)
    if isinstance(v, dt.datetime):
        if v.microsecond >= 500_000:
            v += dt.timedelta(seconds=1)
        v = v.replace(microsecond=0)
        return v.strftime("%Y-%m-%d") if v.time() == dt.time() else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, dt.time):
        return v.replace(microsecond=0).strftime("%H:%M:%S")
    if isinstance(v, dt.timedelta):
        seconds = round(v.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(v)


def _number(v: float) -> str:
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    s = format(v, ".15g")  # Excel keeps 15 significant digits
    if "e" in s:
        s = format(Decimal(s), "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _col_letter(i: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(i)


def _is_total(row: list[Any]) -> str | None:
    first = next((v for v in row if not _blank(v)), None)
    if not isinstance(first, str):
        return None
    squeezed = re.sub(r"\s+", "", first)
    return next((w for w in TOTAL_WORDS if squeezed.startswith(w)), None)


# --- the header --------------------------------------------------------------------------------


def _detect_header(rows: list[list[Any]]) -> int | None:
    """0-based index in ``rows`` of the header row (see the module docstring), None if all empty."""
    counts = [sum(not _blank(v) for v in r) for r in rows]
    first = None
    for i, row in enumerate(rows):
        cells = [v for v in row if not _blank(v)]
        if not cells:
            continue
        if first is None:
            first = i
        texts = sum(isinstance(v, str) for v in cells)
        below = [c for c in counts[i + 1 :] if c][:LOOKAHEAD]
        widest = max(below, default=len(cells))
        if texts >= TEXT_SHARE * len(cells) and len(cells) >= widest / 2 and (len(cells) >= 2 or widest <= 1):
            return i
    return first


def _header_rows(rows: list[list[Any]], h: int, merges: list[Merge]) -> int:
    """How many rows the header starting at 1-based row ``h`` takes (1 unless merged cells say more)."""
    end = h
    across = [(c1, c2) for r1, c1, r2, c2 in merges if r1 == h and r2 == h and c2 > c1]
    for r1, _c1, r2, _c2 in merges:
        if r1 == h and r2 > h:
            end = max(end, r2)  # merged down over the rows below
    if across and h < len(rows):
        below = rows[h]  # the row under the header (0-based index h is 1-based row h + 1)

        def cell(c: int) -> Any:
            return below[c - 1] if c - 1 < len(below) else None

        # a sub-header row: text under every cell merged across, and nothing anywhere else
        covered = {c for c1, c2 in across for c in range(c1, c2 + 1)}
        labels = all(isinstance(cell(c), str) and cell(c).strip() for c in covered)
        elsewhere = any(not _blank(v) for c, v in enumerate(below, start=1) if c not in covered)
        if labels and not elsewhere:
            end = max(end, h + 1)
    return min(end, h + MAX_HEADER_ROWS - 1, len(rows)) - h + 1


def _header_names(rows: list[list[Any]], h: int, n: int, merges: list[Merge]) -> list[str]:
    """Column names from header rows ``h .. h+n-1`` (1-based), joined top to bottom."""
    width = max((len(rows[r - 1]) for r in range(h, h + n)), default=0)
    grid = [[cell_text(v) for v in rows[r - 1]] + [None] * (width - len(rows[r - 1])) for r in range(h, h + n)]
    if n > 1:  # a merged cell's text stands over every column it covers
        for r1, c1, _r2, c2 in merges:
            if h <= r1 < h + n and c2 > c1:
                text = grid[r1 - h][c1 - 1] if c1 - 1 < width else None
                for c in range(c1, min(c2, width) + 1):
                    grid[r1 - h][c - 1] = text
    names = []
    for c in range(width):
        parts: list[str] = []
        for row in grid:
            part = (row[c] or "").strip()
            if part and part not in parts:
                parts.append(part)
        names.append(JOIN.join(parts))
    while names and not names[-1]:
        names.pop()
    return names


# --- reading -----------------------------------------------------------------------------------


def _open_sheet(sheet: _Sheet, source: ExcelSource, digest: str, chunk_rows: int, location: str) -> Reading:
    notes: list[str] = []
    head: list[list[Any]] = []
    need = max(SCAN_ROWS, (source.header_row or 0) + MAX_HEADER_ROWS + LOOKAHEAD)
    for row in sheet.rows:
        head.append(row)
        if len(head) >= need:
            break
    if not any(not _blank(v) for r in head for v in r):
        raise SourceError("SOURCE_EMPTY", f"the sheet {sheet.name!r} is empty", location=location)

    if source.header_row is not None:
        h = source.header_row
        if h > len(head) or all(_blank(v) for v in head[h - 1]):
            found = _detect_header(head)
            hint = f"; the header looks like row {found + 1}" if found is not None else ""
            raise SourceError(
                "SOURCE_HEADER",
                f"header_row {h} of sheet {sheet.name!r} is empty{hint}",
                location=location,
                line=h,
            )
    else:
        found = _detect_header(head)
        assert found is not None  # the sheet is not empty
        h = found + 1
        notes.append(f"header detected on row {h}")

    merges = sheet.merged()
    n = _header_rows(head, h, merges)
    names = _header_names(head, h, n, merges)
    if n > 1:
        notes.append(f"header on rows {h}–{h + n - 1} (merged cells): names joined with '{JOIN}'")
    columns = _column_names(names, location, h, notes)

    data_start = h + n  # 1-based sheet row of the first data row
    rest = head[data_start - 1 :]
    reader = _Rows(sheet=sheet, columns=columns, first_row=data_start, buffered=rest, notes=notes)
    return Reading(
        columns=columns,
        chunks=reader.chunks(chunk_rows),
        notes=notes,
        digest=digest,
        description=f"excel {source.path} sheet {sheet.name} ({sheet.kind})",
    )


def _column_names(names: list[str], location: str, h: int, notes: list[str]) -> list[str]:
    if not names:
        raise SourceError("SOURCE_HEADER", f"the header row {h} has no names", location=location, line=h)
    where = f"the header (row {h})"
    return header_names(names, label=_col_letter, notes=notes, location=location, line=h, where=where)


@dataclass
class _Rows:
    sheet: _Sheet
    columns: list[str]
    first_row: int
    buffered: list[list[Any]]
    notes: list[str]
    _beyond: list[tuple[int, int]] = field(default_factory=list)
    _beyond_count: int = 0

    def _all_rows(self) -> Iterator[tuple[int, list[Any]]]:
        number = self.first_row
        for row in self.buffered:
            yield number, row
            number += 1
        self.buffered = []
        for row in self.sheet.rows:
            yield number, row
            number += 1

    def chunks(self, chunk_rows: int) -> Iterator[pa.Table]:
        width = len(self.columns)
        batch: list[list[str | None]] = []
        record = 1  # _source_row of the first row in batch
        held: list[tuple[int, list[Any] | None, str | None]] = []  # empty rows and total rows not yet placed
        inner_empty: list[int] = []
        kept_totals: list[int] = []
        try:
            for number, raw in self._all_rows():
                row = raw[:width]
                if len(raw) > width and any(not _blank(v) for v in raw[width:]):
                    self._beyond_count += 1
                    if not self._beyond:
                        col = width + next(i for i, v in enumerate(raw[width:], start=1) if not _blank(v))
                        self._beyond.append((number, col))
                if all(_blank(v) for v in row):
                    held.append((number, None, None))
                    continue
                word = _is_total(row)
                if word is not None:
                    held.append((number, row, word))
                    continue
                for n, kept, _ in held:  # data follows: held rows were inside the data
                    if kept is None:
                        inner_empty.append(n)
                    else:
                        kept_totals.append(n)
                        batch.append(self._texts(kept, width))
                held = []
                batch.append(self._texts(row, width))
                if len(batch) >= chunk_rows:
                    yield text_table(self.columns, batch[:chunk_rows], record)
                    record += chunk_rows
                    batch = batch[chunk_rows:]
            while len(batch) >= chunk_rows:
                yield text_table(self.columns, batch[:chunk_rows], record)
                record += chunk_rows
                batch = batch[chunk_rows:]
            self._note(held, inner_empty, kept_totals)
            if batch:
                yield text_table(self.columns, batch, record)
        finally:
            self.sheet.close()

    @staticmethod
    def _texts(row: list[Any], width: int) -> list[str | None]:
        texts = [cell_text(v) for v in row]
        return texts + [None] * (width - len(texts))

    def _note(
        self, held: list[tuple[int, list[Any] | None, str | None]], inner_empty: list[int], kept: list[int]
    ) -> None:
        totals = [(n, w) for n, r, w in held if r is not None and w is not None]  # a held row is a total
        if totals:
            words = "/".join(dict.fromkeys(w for _, w in totals))
            rows = ", ".join(str(n) for n, _ in totals)
            self.notes.append(f"ignored {len(totals)} {words} row{'s' if len(totals) > 1 else ''} (sheet row {rows})")
        if inner_empty:
            shown = ", ".join(str(n) for n in inner_empty[:10]) + (" …" if len(inner_empty) > 10 else "")
            self.notes.append(
                f"skipped {len(inner_empty)} empty row{'s' if len(inner_empty) > 1 else ''} inside the data "
                f"(sheet row {shown})"
            )
        if kept:
            shown = ", ".join(str(n) for n in kept[:10])
            self.notes.append(
                f"kept {len(kept)} row{'s' if len(kept) > 1 else ''} starting with 合计/总计/小计 as records, "
                f"as data follows (sheet row {shown})"
            )
        if self._beyond_count:
            number, col = self._beyond[0]
            self.notes.append(
                f"ignored values right of the last named column in {self._beyond_count} "
                f"row{'s' if self._beyond_count > 1 else ''} (first: sheet row {number}, column {_col_letter(col)})"
            )
