"""The 数据质量问题反馈表: the workbook that goes back to a department after cleansing.

Its reader is a clerk in the department who knows nothing of the platform. From the workbook alone
they must see which records of which resource are wrong, why, and what to change, so they can fix
them in their own system and the next collection brings corrected rows. Hence: plain Chinese
throughout, a 汇总 sheet that explains 隔离 and 提示 before giving any figure, and a 问题明细 sheet
with one row per open problem that quotes the record's row number, key and original value exactly
as received. An original value is always written as text: an 18-digit ID number, a leading-zero code
or ``=1+1`` stays what the department sent, not a number or a formula. Fixed problems are listed
on 已整改, with how many working days the fix took. Each problem shows its 整改期限 and whether it
is overdue (是否逾期: fixed late, or open past its deadline at the generation time), by the rule the
scorecard's 问题整改率 judges by (:mod:`.deadlines`), and its 问题编号 (the issue's id), by which
:mod:`.feedback_rows` finds the row it was written on.

A department can have tens of thousands of problems, so the workbook is written in openpyxl's
write-only mode: it streams rows to disk where normal mode keeps every cell (measured for half a
million styled cells: the same ~15 s, 38 MB against 296 MB). 50,000 problems take about 20 s on a
2-core machine, nearly all of it openpyxl serialising cells. Column widths are therefore set up front
rather than fitted to the text. Problems are sorted (resource, row, field) before writing, so they
are held in memory once. Beyond :data:`MAX_ROWS` problems a sheet lists the first ones and says how
many were left out. Times are shown in Beijing time; naive datetimes are taken as UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from ..catalog.export.xlsx import workbook_bytes
from ..clock import SHANGHAI, local_day, period_label
from ..files import write_atomic
from .deadlines import FixDeadlines
from .feedback_cells import BOLD, add_styles, cell, header, styled
from .feedback_layout import (
    DETAIL_COLUMNS,
    DETAIL_SHEET,
    FIXED_COLUMNS,
    FIXED_SHEET,
    SUMMARY_SHEET,
    TYPE_LABELS,
    YES_NO,
    Column,
)
from .feedback_summary import Summary, write_summary

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet


MAX_ROWS = 1_048_000
"""Problems listed on one sheet at most: Excel stops at 1,048,576 rows."""

STATUSES = ("open", "fixed")


@dataclass(frozen=True)
class Problem:
    resource_id: str
    resource_name: str
    source_row: int
    """The record's number in the department's own source (1-based, data records only)."""
    record_key: str | None
    field_label: str
    original: str | None
    problem: str
    code: str
    advice: str
    severity: str
    """``reject`` (the record was not loaded) or ``warn`` (loaded, please check)."""
    status: str
    """``open`` or ``fixed``."""
    first_seen: dt.datetime
    fixed_at: dt.datetime | None
    issue_id: int | None = None
    """问题编号: the ``quality_issue`` row's id, stable across workbooks."""


@dataclass(frozen=True)
class ResourceSummary:
    resource_id: str
    resource_name: str
    rows_in: int
    loaded: int
    quarantined: int
    merged: int
    warnings: int
    open_issues: int
    fixed_issues: int
    gate_passed: bool | None
    gate_notes: tuple[str, ...] = ()
    """Why the gate did not pass, in plain Chinese (:mod:`.gate_text`)."""


def _list_sheet(ws: WriteOnlyWorksheet, columns: Sequence[Column], rows: Iterable[Sequence[Any]], total: int) -> None:
    """A header row that stays in view and has filters, then the first MAX_ROWS of the ``total`` rows."""
    for idx, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = column.width
    ws.freeze_panes = "C2"  # the header, and the resource and row number while scrolling right
    ws.append(header(ws, [c.header for c in columns]))
    for row in islice(rows, MAX_ROWS):
        ws.append([cell(ws, value, column.style) for value, column in zip(row, columns, strict=True)])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{min(total, MAX_ROWS) + 1}"
    if total > MAX_ROWS:
        ws.append([styled(ws, f"另有 {total - MAX_ROWS:,} 个问题未列出（超出 Excel 行数上限）。", BOLD)])


@dataclass(frozen=True)
class _Rows:
    """The rows of the two lists, with each problem's 整改期限 and whether it is overdue at ``as_of``."""

    deadlines: FixDeadlines
    as_of: dt.datetime

    def detail(self, p: Problem) -> tuple[Any, ...]:
        return (
            p.resource_name,
            p.source_row,
            p.record_key,
            p.field_label,
            p.original,
            p.problem,
            p.code,
            p.advice,
            TYPE_LABELS[p.severity],
            p.first_seen,
            local_day(self.deadlines.due(p.first_seen)),
            YES_NO[self.deadlines.overdue(p.first_seen, None, self.as_of)],
            p.issue_id,
        )

    def fixed(self, p: Problem) -> tuple[Any, ...]:
        fixed_at = p.fixed_at or self.as_of  # a fixed issue always has its time; as_of only for the checker
        return (
            p.resource_name,
            p.source_row,
            p.record_key,
            p.field_label,
            p.original,
            p.code,
            p.first_seen,
            local_day(self.deadlines.due(p.first_seen)),
            p.fixed_at,
            self.deadlines.taken(p.first_seen, fixed_at),
            YES_NO[self.deadlines.overdue(p.first_seen, fixed_at, self.as_of)],
            p.issue_id,
        )


def _split(problems: Iterable[Problem], summaries: Sequence[ResourceSummary]) -> tuple[list[Problem], list[Problem]]:
    """Open and fixed problems, each sorted by resource (in the summary's order), row and field."""
    rank = {s.resource_id: n for n, s in enumerate(summaries)}
    by_status: dict[str, list[Problem]] = {status: [] for status in STATUSES}
    for p in problems:
        if p.severity not in TYPE_LABELS:
            raise ValueError(f"problem severity must be one of {sorted(TYPE_LABELS)}, not {p.severity!r}")
        if p.status not in by_status:
            raise ValueError(f"problem status must be one of {list(STATUSES)}, not {p.status!r}")
        by_status[p.status].append(p)
    for listed in by_status.values():
        listed.sort(
            key=lambda p: (
                rank.get(p.resource_id, len(rank)),
                p.resource_name,
                p.resource_id,
                p.source_row,
                p.field_label,
                p.code,
                p.issue_id or 0,
            )
        )
    return by_status["open"], by_status["fixed"]


def write_feedback(
    path: Path,
    *,
    department_name: str,
    period: str,
    generated_at: dt.datetime,
    summaries: Sequence[ResourceSummary],
    problems: Iterable[Problem],
    deadlines: FixDeadlines,
) -> Path:
    """Write the department's 数据质量问题反馈表 to ``path`` (atomically, folders created) and return it.

    ``period`` is a month (``2026-11``, shown as 2026年11月) or any text to show as given.
    ``deadlines``: the 整改期限 rule (the scorecard's ``issue_fix_days`` on its holiday calendar);
    whether a problem is overdue is judged at ``generated_at``. The bytes depend only on the
    arguments.
    """
    return write_atomic(
        path,
        feedback_bytes(
            department_name=department_name,
            period=period,
            generated_at=generated_at,
            summaries=summaries,
            problems=problems,
            deadlines=deadlines,
        ),
    )


def feedback_bytes(
    *,
    department_name: str,
    period: str,
    generated_at: dt.datetime,
    summaries: Sequence[ResourceSummary],
    problems: Iterable[Problem],
    deadlines: FixDeadlines,
) -> bytes:
    """The .xlsx bytes of the 数据质量问题反馈表 (see :func:`write_feedback`)."""
    moment = (generated_at if generated_at.tzinfo else generated_at.replace(tzinfo=dt.UTC)).replace(microsecond=0)
    open_problems, fixed_problems = _split(problems, summaries)
    title = f"{department_name} 数据质量问题反馈表（{period_label(period)}）"
    rows = _Rows(deadlines, moment)

    wb = Workbook(write_only=True)
    add_styles(wb)
    summary = wb.create_sheet(SUMMARY_SHEET)  # created first so it opens first; filled last
    detail, fixed = wb.create_sheet(DETAIL_SHEET), wb.create_sheet(FIXED_SHEET)
    _list_sheet(detail, DETAIL_COLUMNS, map(rows.detail, open_problems), len(open_problems))
    _list_sheet(fixed, FIXED_COLUMNS, map(rows.fixed, fixed_problems), len(fixed_problems))
    write_summary(summary, Summary(title, moment, summaries, open_problems, len(fixed_problems), deadlines, MAX_ROWS))

    wb.properties.creator = "gongshu"
    wb.properties.lastModifiedBy = "gongshu"
    wb.properties.title = title
    wb.properties.created = wb.properties.modified = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return workbook_bytes(wb, moment.astimezone(SHANGHAI))
