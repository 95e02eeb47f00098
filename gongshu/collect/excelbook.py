"""An Excel workbook opened to one sheet: ``.xlsx`` with openpyxl (read-only), ``.xls`` with xlrd.

The workbook kind is taken from the file's first bytes, not its name (departments rename files):
a zip is ``.xlsx``, an OLE2 compound file is ``.xls``; an HTML page saved as ``.xls`` (what many
web systems export) is an error that says so. A wrong sheet name is ``SOURCE_SHEET`` listing the
sheets that exist, with the closest one as "did you mean".

A :class:`Sheet` gives its rows as Python values and, on demand, its merged cells: an ``.xlsx``'s
are read from the sheet's XML (openpyxl's read-only mode does not expose them), an ``.xls``'s from
xlrd.
"""

from __future__ import annotations

import hashlib
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog.issues import closest
from .base import SourceError, existing_file

Merge = tuple[int, int, int, int]
"""A merged range: (first row, first column, last row, last column), 1-based, inclusive."""


@dataclass
class Sheet:
    name: str
    kind: str
    rows: Iterator[list[Any]]
    """Every row from row 1, as Python values (None, str, bool, int, float, date/time); gaps as []."""
    merged: Callable[[], list[Merge]]
    close: Callable[[], None]


def workbook_digest(path: Path, written: str) -> tuple[str, bytes]:
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


def workbook_opener(magic: bytes, written: str, location: str) -> Callable[[Path, str | None, str], Sheet]:
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


def _open_xlsx(path: Path, wanted: str | None, location: str) -> Sheet:
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

    return Sheet(
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


def _open_xls(path: Path, wanted: str | None, location: str) -> Sheet:
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

    return Sheet(name=name, kind="xls", rows=rows(), merged=merged, close=book.release_resources)
