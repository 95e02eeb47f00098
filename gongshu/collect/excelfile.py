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
Reading's ``notes`` as the chunks are read. The workbook and its sheet are opened in ``excelbook.py``;
cell values become text in ``excelcells.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..catalog.model import ExcelSource
from ..catalog.paths import resolve_source_path
from .base import DEFAULT_CHUNK_ROWS, Reading, SourceError, header_names, text_table
from .excelbook import Merge, Sheet, workbook_digest, workbook_opener
from .excelcells import blank, cell_text, col_letter, total_word

SCAN_ROWS = 30
"""Rows looked at to find the header."""
LOOKAHEAD = 5
TEXT_SHARE = 0.8
JOIN = "/"
MAX_HEADER_ROWS = 3


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
    digest, magic = workbook_digest(path, source.path)
    opener = workbook_opener(magic, source.path, location)
    sheet = opener(path, source.sheet, location)
    try:
        return _open_sheet(sheet, source, digest, chunk_rows, location)
    except BaseException:
        sheet.close()
        raise


# --- the header --------------------------------------------------------------------------------


def _detect_header(rows: list[list[Any]]) -> int | None:
    """0-based index in ``rows`` of the header row (see the module docstring), None if all empty."""
    counts = [sum(not blank(v) for v in r) for r in rows]
    first = None
    for i, row in enumerate(rows):
        cells = [v for v in row if not blank(v)]
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
        elsewhere = any(not blank(v) for c, v in enumerate(below, start=1) if c not in covered)
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


def _open_sheet(sheet: Sheet, source: ExcelSource, digest: str, chunk_rows: int, location: str) -> Reading:
    notes: list[str] = []
    head: list[list[Any]] = []
    need = max(SCAN_ROWS, (source.header_row or 0) + MAX_HEADER_ROWS + LOOKAHEAD)
    for row in sheet.rows:
        head.append(row)
        if len(head) >= need:
            break
    if not any(not blank(v) for r in head for v in r):
        raise SourceError("SOURCE_EMPTY", f"the sheet {sheet.name!r} is empty", location=location)

    if source.header_row is not None:
        h = source.header_row
        if h > len(head) or all(blank(v) for v in head[h - 1]):
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
    return header_names(names, label=col_letter, notes=notes, location=location, line=h, where=where)


@dataclass
class _Rows:
    sheet: Sheet
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
                if len(raw) > width and any(not blank(v) for v in raw[width:]):
                    self._beyond_count += 1
                    if not self._beyond:
                        col = width + next(i for i, v in enumerate(raw[width:], start=1) if not blank(v))
                        self._beyond.append((number, col))
                if all(blank(v) for v in row):
                    held.append((number, None, None))
                    continue
                word = total_word(row)
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
                f"row{'s' if self._beyond_count > 1 else ''} (first: sheet row {number}, column {col_letter(col)})"
            )
