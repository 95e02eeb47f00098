"""The Excel 目录清单: one sheet of resources, one of 信息项 (fields), and a 说明 sheet.

Made for people: Chinese headers, a bold filled header row that stays in view, filters, column
widths fitted to the text (a CJK character counts as two), long text wrapped. The file is
byte-identical for the same catalogs and ``generated_at``: workbook properties and the zip entries'
time stamps are set from ``generated_at`` rather than the clock.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ...clock import resolve_generated_at
from ...files import write_atomic
from ...rules.kinds import FIELD_KIND_LABELS
from ..compiled import CompiledCatalog
from ..vocab import LEVEL_LABELS
from ._common import category_class, ordered

TITLE = "台州市公共数据资源目录清单"
RESOURCE_SHEET = "信息资源目录"
FIELD_SHEET = "信息项"
NOTE_SHEET = "说明"

MASK_LABELS = {
    "none": "不脱敏",
    "name": "姓名脱敏",
    "id_card": "身份证号脱敏",
    "phone": "手机号脱敏",
    "landline": "固定电话脱敏",
    "address": "地址脱敏",
    "email": "电子邮箱脱敏",
    "bank_card": "银行卡号脱敏",
    "drop": "不开放（删除该项）",
    "hash": "哈希替换",
}


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[..., Any]
    meaning: str
    wrap: bool = False
    max_width: int = 40
    number_format: str | None = None


def _level(level: str | None) -> str:
    return f"{level} {LEVEL_LABELS[level]}" if level else ""


RESOURCE_COLUMNS: tuple[Column, ...] = (
    Column("序号", lambda n, d, r: n, "本清单内的顺序号"),
    Column(
        "信息资源代码",
        lambda n, d, r: r.code,
        "前段码（资源分类）/后段码（顺序码），编制时自动赋予，长期不变",
    ),
    Column("信息资源名称", lambda n, d, r: r.resource.name, "信息资源的中文名称"),
    Column("信息资源提供方", lambda n, d, r: d.name, "负责该资源的部门"),
    Column("信息资源提供方代码", lambda n, d, r: d.uscc or "", "提供方的统一社会信用代码"),
    Column(
        "资源属性分类",
        lambda n, d, r: category_class(r.resource.category),
        "基础信息资源、主题信息资源或部门信息资源",
    ),
    Column("资源分类", lambda n, d, r: r.resource.category, "资源所属的基础库、主题库或部门类"),
    Column(
        "信息资源摘要",
        lambda n, d, r: r.resource.summary or "",
        "资源内容的简要说明",
        wrap=True,
        max_width=50,
    ),
    Column("信息资源格式", lambda n, d, r: r.resource.format, "电子文件、电子表格、数据库、服务接口等"),
    Column("信息项数", lambda n, d, r: len(r.resource.fields), "该资源包含的信息项（字段）个数"),
    Column("共享类型", lambda n, d, r: r.resource.share.type, "无条件共享、有条件共享或不予共享"),
    Column("共享条件", lambda n, d, r: r.resource.share.condition or "", "有条件共享的条件", wrap=True),
    Column("共享方式", lambda n, d, r: r.resource.share.method or "", "接口、数据库或文件"),
    Column("开放类型", lambda n, d, r: r.resource.open.type, "无条件开放、有条件开放或不予开放"),
    Column("开放条件", lambda n, d, r: r.resource.open.condition or "", "有条件开放的条件", wrap=True),
    Column(
        "更新周期",
        lambda n, d, r: r.resource.update_cycle,
        "实时、每日、每周、每月、每季度、每半年、每年或不定期",
    ),
    Column("分级", lambda n, d, r: _level(r.resource.level), "数据敏感级别 L1–L4（DB33/T 2351-2021）"),
    Column("发布日期", lambda n, d, r: r.resource.publish_date, "资源首次发布的日期", number_format="yyyy-mm-dd"),
    Column(
        "元数据完整度",
        lambda n, d, r: r.completeness.score,
        "核心元数据（发改高技〔2017〕1272号）的填写比例，0–100 分",
        number_format="0.0",
    ),
    Column(
        "缺失元数据",
        lambda n, d, r: "、".join(i.label for i in r.completeness.missing),
        "尚未填写的核心元数据项",
        wrap=True,
    ),
)

FIELD_COLUMNS: tuple[Column, ...] = (
    Column("信息资源代码", lambda n, r, f: r.code, "该信息项所属资源的代码"),
    Column("信息资源名称", lambda n, r, f: r.resource.name, "该信息项所属资源的名称"),
    Column("序号", lambda n, r, f: n, "信息项在资源内的顺序号"),
    Column("信息项名称", lambda n, r, f: f.label or "", "信息项的中文名称"),
    Column("字段名", lambda n, r, f: f.name, "数据表中的字段名（英文标识）"),
    Column("数据类型", lambda n, r, f: FIELD_KIND_LABELS[f.kind], "字符型、数值型、日期型、统一社会信用代码等"),
    Column("是否必填", lambda n, r, f: "是" if f.required else "否", "必填项不得为空"),
    Column("是否主键", lambda n, r, f: "是" if f.name in r.resource.primary_key else "否", "主键唯一确定一条记录"),
    Column("计量单位", lambda n, r, f: f.unit or "", "金额等数值的单位"),
    Column("脱敏规则", lambda n, r, f: MASK_LABELS[f.mask] if f.mask else "", "向社会开放时的脱敏方式"),
    Column("分级", lambda n, r, f: _level(f.level), "信息项单独定级时的敏感级别；空白表示随资源分级"),
    Column(
        "取值范围",
        lambda n, r, f: "、".join(f.values or ()),
        "枚举型信息项的全部取值",
        wrap=True,
        max_width=50,
    ),
    Column("说明", lambda n, r, f: f.description or "", "信息项的补充说明", wrap=True),
)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_ALIGN = Alignment(vertical="top", wrap_text=True)
TOP_ALIGN = Alignment(vertical="top")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def display_width(value: Any) -> int:
    """Width of a value in Excel character units: CJK and full-width characters count two."""
    if value is None:
        return 0
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _table(ws: Worksheet, columns: Sequence[Column], rows: list[list[Any]], freeze: str) -> None:
    ws.append([c.header for c in columns])
    for row in rows:
        ws.append(row)
    for idx, col in enumerate(columns, start=1):
        letter = get_column_letter(idx)
        head = ws.cell(row=1, column=idx)
        head.font, head.fill, head.alignment, head.border = HEADER_FONT, HEADER_FILL, HEADER_ALIGN, BORDER
        for r in range(2, len(rows) + 2):
            cell = ws.cell(row=r, column=idx)
            cell.alignment = WRAP_ALIGN if col.wrap else TOP_ALIGN
            cell.border = BORDER
            if col.number_format:
                cell.number_format = col.number_format
        # the header also holds the filter button: two more characters
        widest = max([display_width(col.header) + 2] + [display_width(row[idx - 1]) for row in rows])
        ws.column_dimensions[letter].width = min(max(widest + 2, 6), col.max_width)
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = freeze
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"


def _notes(ws: Worksheet, moment: dt.datetime, counts: dict[str, int]) -> None:
    ws.append([TITLE])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    for key, value in [("生成时间", moment.strftime("%Y-%m-%d %H:%M:%S")), *counts.items()]:
        ws.append([key, value])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append([])
    ws.append(["工作表", "列名", "说明"])
    header_row = ws.max_row
    for idx in range(1, 4):
        cell = ws.cell(row=header_row, column=idx)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
    for sheet, columns in ((RESOURCE_SHEET, RESOURCE_COLUMNS), (FIELD_SHEET, FIELD_COLUMNS)):
        for col in columns:
            ws.append([sheet, col.header, col.meaning])
            ws.cell(row=ws.max_row, column=3).alignment = WRAP_ALIGN
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 70


def build_workbook(catalogs: Sequence[CompiledCatalog], generated_at: dt.datetime | None = None) -> Workbook:
    moment = resolve_generated_at(generated_at)
    resource_rows: list[list[Any]] = []
    field_rows: list[list[Any]] = []
    for compiled, resources in ordered(catalogs):
        for res in resources:
            resource_rows.append([c.value(len(resource_rows) + 1, compiled.department, res) for c in RESOURCE_COLUMNS])
            for n, field in enumerate(res.resource.fields, start=1):
                field_rows.append([c.value(n, res, field) for c in FIELD_COLUMNS])

    wb = Workbook()
    ws = wb.active
    ws.title = RESOURCE_SHEET
    _table(ws, RESOURCE_COLUMNS, resource_rows, freeze="D2")
    _table(wb.create_sheet(FIELD_SHEET), FIELD_COLUMNS, field_rows, freeze="C2")
    counts = {"部门数": len(catalogs), "信息资源数": len(resource_rows), "信息项数": len(field_rows)}
    _notes(wb.create_sheet(NOTE_SHEET), moment, counts)

    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    wb.properties.creator = "gongshu"
    wb.properties.lastModifiedBy = "gongshu"
    wb.properties.title = TITLE
    wb.properties.created = utc
    wb.properties.modified = utc
    return wb


def workbook_bytes(wb: Workbook, moment: dt.datetime) -> bytes:
    """The .xlsx bytes with every zip entry stamped ``moment`` (openpyxl would use the clock)."""
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    stamp = moment.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def export_xlsx(catalogs: Sequence[CompiledCatalog], path: str | Path, generated_at: dt.datetime | None = None) -> Path:
    """Write the Excel 目录清单 to ``path``."""
    moment = resolve_generated_at(generated_at)
    return write_atomic(path, workbook_bytes(build_workbook(catalogs, moment), moment))
