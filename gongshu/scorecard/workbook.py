"""The 考核结果 workbook: the scorecard as an Excel file for department heads and their staff, who
sort, filter, forward and annotate it.

Four sheets: 排名 (one row per department, in rank order, usage beside the score), 指标明细 (one
row per department × indicator with weight, numerator, denominator, score or 不适用, and the formula
in words), 整改清单 (one row per thing to fix, with an empty column for the department to report
progress) and 申诉 (every appeal of the period with its decision). It follows the feedback
workbook's conventions: Chinese headers in a filled bold row that stays in view with filters,
widths fitted to the text (a CJK character counts two), text always written as text (a name such
as ``=1+1`` stays a name). Above each header a title line names the
period and whether it is 暂定 (the month in progress) or which version, and, for a scorecard computed
from demo data, says 示例数据 on every sheet.

Figures are numbers, rounded half up to one decimal as the site shows them (a reader who sorts sees
the same ties the ranking has), and formatted ``0.0``. The bytes depend only on the scorecard:
the workbook's time stamps are ``computed_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..catalog.export.xlsx import (
    BORDER,
    HEADER_ALIGN,
    HEADER_FILL,
    HEADER_FONT,
    TOP_ALIGN,
    WRAP_ALIGN,
    display_width,
    workbook_bytes,
)
from ..clock import SHANGHAI, local_time, period_label
from ..files import write_atomic
from .charts import NOT_APPLICABLE, one_decimal
from .model import DepartmentScore, Scorecard
from .platform import NOT_RAN, platform_lines
from .status import headline, revision_note, short

RANKING_SHEET = "排名"
DETAIL_SHEET = "指标明细"
FIXES_SHEET = "整改清单"
APPEALS_SHEET = "申诉"
PLATFORM_SHEET = "平台运行"
APPEAL_STATUS = {"pending": "待处理", "accepted": "成立", "rejected": "不成立"}
PROVISIONAL_NOTE = "暂定：本月尚未结束，这是截至计算时间的暂定结果，不是本月的考核结果，月末后正式发布。"
TITLE = "公共数据工作考核结果"
SAMPLE_NOTE = "示例数据：由演示数据生成，不是真实的考核结果，不能作为考核依据。"
UNRANKED = "未排名"

TITLE_FONT = Font(bold=True, size=14)
SAMPLE_FONT = Font(bold=True, size=12, color="C0262D")
BOLD = Font(bold=True)
MUTED_FONT = Font(color="5F6B7A")
HEADER_ROW = 3

SCORE = "0.0"
CHANGE = "+0.0;-0.0;0.0"
COUNT = "#,##0"


@dataclass(frozen=True)
class Column:
    header: str
    number_format: str = "General"
    wrap: bool = False
    max_width: int = 40


RANKING_COLUMNS = (
    Column("排名"),
    Column("部门"),
    Column("部门代码"),
    Column("总分", SCORE),
    Column("上期总分", SCORE),
    Column("较上期（分）", CHANGE),
    Column("上期排名"),
    Column("红黑榜"),
    Column("共享调用（次）", COUNT),
    Column("下载（次）", COUNT),
    Column("开放应用（个）", COUNT),
)
DETAIL_COLUMNS = (
    Column("部门"),
    Column("维度"),
    Column("指标"),
    Column("指标代码"),
    Column("权重", SCORE),
    Column("分子"),
    Column("分母"),
    Column("得分", SCORE),
    Column("计算公式", wrap=True, max_width=60),
)
FIXES_COLUMNS = (
    Column("序号"),
    Column("部门"),
    Column("维度"),
    Column("指标"),
    Column("整改事项", wrap=True, max_width=70),
    Column("整改期限"),
    Column("问题所在", wrap=True, max_width=40),
    Column("整改情况（部门填写）", wrap=True, max_width=30),
)
APPEALS_COLUMNS = (
    Column("编号"),
    Column("部门"),
    Column("指标"),
    Column("证据编号"),
    Column("申诉理由", wrap=True, max_width=50),
    Column("提出时间"),
    Column("处理结果"),
    Column("处理意见", wrap=True, max_width=50),
    Column("处理时间"),
)


def _score(value: float | None) -> float | str:
    return NOT_APPLICABLE if value is None else one_decimal(value)


def _marks(d: DepartmentScore) -> str:
    return "、".join(m for m, on in (("红榜", d.red), ("黑榜", d.black)) if on)


def ranking_rows(card: Scorecard) -> list[list[Any]]:
    return [
        [
            UNRANKED if d.rank is None else d.rank,
            d.name,
            d.department,
            _score(d.total),
            None if d.previous_total is None else one_decimal(d.previous_total),
            d.change,
            d.previous_rank,
            _marks(d),
            d.usage.get("share_calls"),
            d.usage.get("downloads"),
            d.usage.get("apps"),
        ]
        for d in card.departments
    ]


def detail_rows(card: Scorecard) -> list[list[Any]]:
    return [
        [d.name, i.dimension, i.name, i.code, i.weight, i.numerator, i.denominator, _score(i.value), i.formula]
        for d in card.departments
        for i in d.indicators
    ]


def fix_rows(card: Scorecard) -> list[list[Any]]:
    items = [(d, i, fix) for d in card.departments for i in d.indicators for fix in i.fixes]
    return [
        [n, d.name, i.dimension, i.name, fix.text, fix.deadline.isoformat() if fix.deadline else None, fix.where, None]
        for n, (d, i, fix) in enumerate(items, start=1)
    ]


def appeal_rows(card: Scorecard) -> list[list[Any]]:
    def when(moment: dt.datetime | None) -> str | None:
        return local_time(moment).strftime("%Y-%m-%d %H:%M") if moment else None

    rows = []
    for d in card.departments:
        names = {i.code: i.name for i in d.indicators}
        for a in d.appeals:
            status = APPEAL_STATUS.get(a.status, a.status)
            rows.append(
                [f"#{a.id}", d.name, names.get(a.indicator, a.indicator), a.evidence_ref, a.reason, when(a.filed_at)]
                + [status, a.decision, when(a.decided_at)]
            )
    return sorted(rows, key=lambda r: int(r[0][1:]))


def _title(ws: Worksheet, card: Scorecard, what: str) -> None:
    """Row 1 the title (暂定 or the version), row 2 the period (and the 暂定 and 示例数据 warnings,
    or why this version was re-issued): the header is always row 3."""
    sample = "（示例数据）" if card.sample else ""
    ws.append([f"{period_label(card.period)}{TITLE} · {what}（{short(card)}）{sample}"])
    ws["A1"].font = TITLE_FONT
    period = (
        f"{headline(card)}；考核期：{card.starts.isoformat()} 至 {card.ends.isoformat()}；"
        f"数据计算时间：{local_time(card.computed_at).strftime('%Y-%m-%d %H:%M')}（北京时间）"
    )
    notes = [PROVISIONAL_NOTE] if card.provisional else [n for n in (revision_note(card),) if n]
    notes += [SAMPLE_NOTE] if card.sample else []
    ws.append(["　".join((*notes, period))])
    ws["A2"].font = SAMPLE_FONT if card.sample or card.provisional else MUTED_FONT


def _table(ws: Worksheet, columns: Sequence[Column], rows: list[list[Any]], freeze_column: str = "A") -> None:
    """The header row (:data:`HEADER_ROW`) and the rows under it, which stay in view from ``freeze_column``."""
    header = HEADER_ROW
    ws.append([c.header for c in columns])
    for row in rows:
        ws.append(row)
    for idx, col in enumerate(columns, start=1):
        head = ws.cell(row=header, column=idx)
        head.font, head.fill, head.alignment, head.border = HEADER_FONT, HEADER_FILL, HEADER_ALIGN, BORDER
        for r in range(header + 1, header + 1 + len(rows)):
            cell = ws.cell(row=r, column=idx)
            if isinstance(cell.value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", cell.value)
                cell.data_type = "s"  # never a formula ('=1+1') or an error ('#N/A')
            cell.alignment = WRAP_ALIGN if col.wrap else TOP_ALIGN
            cell.border = BORDER
            cell.number_format = col.number_format
        widest = max([display_width(col.header) + 2] + [display_width(row[idx - 1]) for row in rows])
        ws.column_dimensions[get_column_letter(idx)].width = min(max(widest + 2, 8), col.max_width)
    ws.row_dimensions[header].height = 22
    ws.freeze_panes = f"{freeze_column}{header + 1}"
    ws.auto_filter.ref = f"A{header}:{get_column_letter(len(columns))}{header + len(rows)}"


def _footer(ws: Worksheet, card: Scorecard, notes: Sequence[str]) -> None:
    ws.append([])
    for note in (*notes, f"评分配置：{card.config_hash}"):
        ws.append([note])
        ws.cell(row=ws.max_row, column=1).data_type = "s"


def build_workbook(card: Scorecard) -> Workbook:
    wb = Workbook()
    ranking = wb.active
    ranking.title = RANKING_SHEET
    _title(ranking, card, "排名")
    _table(ranking, RANKING_COLUMNS, ranking_rows(card), "C")
    _footer(
        ranking,
        card,
        (
            "总分满分 100 分；总分相同（保留一位小数）的部门名次并列；所有指标均不适用的部门本期不排名。",
            "较上期：本期总分减上期总分，正数为提高。共享调用、下载次数和开放应用数是「数据利用」维度的依据，按资源折算后与其他部门比较计分。",
        ),
    )
    detail = wb.create_sheet(DETAIL_SHEET)
    _title(detail, card, "指标明细")
    _table(detail, DETAIL_COLUMNS, detail_rows(card), "D")
    _footer(
        detail,
        card,
        ("得分为“不适用”：本期没有应考核的事项，该指标的权重按比例计入该部门的其他指标，不给满分也不给零分。",),
    )
    fixes = wb.create_sheet(FIXES_SHEET)
    _title(fixes, card, "整改清单")
    rows = fix_rows(card)
    _table(fixes, FIXES_COLUMNS, rows, "C")
    if not rows:
        fixes.append(["本期没有整改事项。"])
        fixes.cell(row=fixes.max_row, column=1).font = BOLD
    _appeals_sheet(wb, card)
    _platform_sheet(wb, card)
    return wb


def _platform_sheet(wb: Workbook, card: Scorecard) -> None:
    """平台运行: the windows the platform did not attempt (charged to no department), one line per stage."""
    lines = platform_lines(card)
    if not lines and card.platform_ran:
        return
    sheet = wb.create_sheet(PLATFORM_SHEET)
    _title(sheet, card, "平台运行")
    if not card.platform_ran:
        sheet.append([NOT_RAN])
        sheet.cell(row=sheet.max_row, column=1).font = BOLD
    for line in lines:
        sheet.append([line.text()])
        sheet.cell(row=sheet.max_row, column=1).data_type = "s"
    sheet.column_dimensions["A"].width = 120


def _appeals_sheet(wb: Workbook, card: Scorecard) -> None:
    """申诉: every appeal of the period with its decision (an accepted one re-issued the month)."""
    sheet = wb.create_sheet(APPEALS_SHEET)
    _title(sheet, card, "申诉")
    rows = appeal_rows(card)
    _table(sheet, APPEALS_COLUMNS, rows, "C")
    if not rows:
        sheet.append(["本月尚未结束，暂定结果不受理申诉。" if card.provisional else "本期没有申诉。"])
        sheet.cell(row=sheet.max_row, column=1).font = BOLD


def write_workbook(scorecard: Scorecard, out: Path) -> Path:
    """Write the workbook to ``out`` (atomically, folders created) and return it."""
    moment = scorecard.computed_at
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).replace(microsecond=0)
    wb = build_workbook(scorecard)
    title = f"{period_label(scorecard.period)}{TITLE}（{short(scorecard)}）" + (
        "（示例数据）" if scorecard.sample else ""
    )
    wb.properties.creator = wb.properties.lastModifiedBy = "gongshu"
    wb.properties.title = title
    wb.properties.created = wb.properties.modified = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return write_atomic(out, workbook_bytes(wb, moment.astimezone(SHANGHAI)))
