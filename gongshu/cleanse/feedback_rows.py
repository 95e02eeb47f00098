"""Where a quality issue is written in its department's 数据质量问题反馈表: the file, the sheet and
the row, so that a scorecard 整改 item can point a clerk to it ("反馈表「问题明细」第 12 行").

The workbook itself is the record: each listed problem carries its 问题编号 (the issue's id), and
:func:`locate` reads the installed workbook back rather than recomputing its order from the
database, which may have moved on since it was written (an issue fixed since then is still on the
workbook's 问题明细 until the workbook is written again). Reading is done once per file and
version (its size and modification time), in openpyxl's read-only mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from openpyxl import load_workbook

from .feedback_data import feedback_path
from .feedback_layout import DETAIL_SHEET, FIXED_SHEET

ID_HEADER = "问题编号"


@dataclass(frozen=True)
class FeedbackRow:
    file: str
    """The workbook's file name (``scjgj-2026-10.xlsx``), never a path of the server."""
    sheet: str
    """「问题明细」 (open when written) or 「已整改」."""
    row: int
    """The Excel row number (the header is row 1)."""

    def text(self) -> str:
        """Where to look, as a department reads it."""
        return f"数据质量问题反馈表（{self.file}）「{self.sheet}」第 {self.row} 行"


def locate(home: Path, department: str, period: str, issue_ids: Iterable[int] | None = None) -> dict[int, FeedbackRow]:
    """Of ``issue_ids`` (default: all), those listed in the department's 反馈表 of ``period`` as
    installed under ``home``, with where; none when that workbook does not exist."""
    rows = workbook_rows(feedback_path(home, department, period))
    if issue_ids is None:
        return dict(rows)
    return {i: rows[i] for i in issue_ids if i in rows}


def workbook_rows(path: Path) -> dict[int, FeedbackRow]:
    """Every 问题编号 listed in the workbook at ``path``, with its sheet and row."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    return _read(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int, size: int) -> dict[int, FeedbackRow]:
    """(``mtime_ns`` and ``size`` key the cache: a workbook written again is read again.)"""
    wb = load_workbook(path, read_only=True)
    try:
        out: dict[int, FeedbackRow] = {}
        for sheet in (DETAIL_SHEET, FIXED_SHEET):
            if sheet not in wb.sheetnames:
                continue
            rows = wb[sheet].iter_rows(values_only=True)
            header = next(rows, ())
            if ID_HEADER not in header:
                continue  # a workbook written before issues had numbers
            column = header.index(ID_HEADER)
            for number, values in enumerate(rows, start=2):
                value = values[column] if column < len(values) else None
                if isinstance(value, int):
                    out[value] = FeedbackRow(path.name, sheet, number)
        return out
    finally:
        wb.close()
