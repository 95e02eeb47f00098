"""The 汇总 sheet of the 数据质量问题反馈表: the conclusion first (how many problems to fix, how many
of them are past their 整改期限, and the deadline rule in one sentence), the notes that explain the
terms, the figures per resource, why a resource's 质量门禁 did not pass, and the open problems by
rule. Everything on it is plain Chinese; a rule code appears only beside its 问题说明."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpyxl.utils import get_column_letter

from ..clock import local_time
from .deadlines import FixDeadlines
from .feedback_cells import BOLD, TITLE_FONT, cell, header, styled
from .feedback_layout import (
    DETAIL_SHEET,
    FIXED_SHEET,
    GATE_LABELS,
    NOTES,
    RESOURCE_HEADERS,
    RULE_HEADERS,
    SUMMARY_WIDTHS,
)

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from .feedback import Problem, ResourceSummary

_FIGURES = ("rows_in", "loaded", "quarantined", "merged", "warnings", "open_issues")


@dataclass(frozen=True)
class Summary:
    """What the 汇总 sheet is written from."""

    title: str
    generated_at: dt.datetime
    summaries: Sequence[ResourceSummary]
    open_problems: Sequence[Problem]
    fixed_count: int
    deadlines: FixDeadlines
    max_rows: int

    def overdue(self) -> Counter[str]:
        """Open problems past their deadline at the generation time, per resource id."""
        return Counter(
            p.resource_id for p in self.open_problems if self.deadlines.overdue(p.first_seen, None, self.generated_at)
        )


def conclusion(s: Summary, overdue: int) -> list[str]:
    open_count = len(s.open_problems)
    if not open_count and not s.fixed_count:
        return ["本期未发现数据质量问题。"]
    lines = [f"本期共有 {open_count:,} 个问题待整改，明细见「问题明细」。" if open_count else "本期没有待整改的问题。"]
    if open_count:
        lines.append(
            f"其中 {overdue:,} 个已超过整改期限（逾期），请优先整改。" if overdue else "待整改的问题均未超过整改期限。"
        )
    if s.fixed_count:
        lines.append(f"已整改 {s.fixed_count:,} 个问题，见「已整改」。")
    lines.append(s.deadlines.rule())
    for sheet, count in ((DETAIL_SHEET, open_count), (FIXED_SHEET, s.fixed_count)):
        if count > s.max_rows:
            lines.append(
                f"「{sheet}」超出 Excel 行数上限，只列出前 {s.max_rows:,} 个，另有 {count - s.max_rows:,} 个未列出。"
            )
    return lines


def write_summary(ws: WriteOnlyWorksheet, s: Summary) -> None:
    for idx, width in enumerate(SUMMARY_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    overdue = s.overdue()
    ws.append([styled(ws, s.title, TITLE_FONT)])
    ws.append([styled(ws, "生成时间", BOLD), local_time(s.generated_at).strftime("%Y-%m-%d %H:%M")])
    ws.append([])
    for line in conclusion(s, sum(overdue.values())):
        ws.append([styled(ws, line, BOLD)])
    ws.append([])
    ws.append([styled(ws, "说明", BOLD)])
    for note in NOTES:
        ws.append([note])
    _resources(ws, s.summaries, overdue)
    _gate_notes(ws, s.summaries)
    _rules(ws, s.open_problems)


def _resources(ws: WriteOnlyWorksheet, summaries: Sequence[ResourceSummary], overdue: Counter[str]) -> None:
    ws.append([])
    ws.append([styled(ws, "各资源情况", BOLD)])
    ws.append(header(ws, RESOURCE_HEADERS))
    for r in summaries:
        figures = (*(getattr(r, name) for name in _FIGURES), overdue[r.resource_id], r.fixed_issues)
        ws.append(
            [
                cell(ws, r.resource_name, "text"),
                *(cell(ws, f, "number") for f in figures),
                cell(ws, GATE_LABELS[r.gate_passed], "text"),
            ]
        )
    totals = [
        *(sum(getattr(r, name) for r in summaries) for name in _FIGURES),
        sum(overdue[r.resource_id] for r in summaries),
        sum(r.fixed_issues for r in summaries),
    ]
    ws.append([cell(ws, "合计", "text", BOLD), *(cell(ws, t, "number", BOLD) for t in totals), cell(ws, None, "text")])


def _gate_notes(ws: WriteOnlyWorksheet, summaries: Sequence[ResourceSummary]) -> None:
    failed = [r for r in summaries if r.gate_notes]
    if not failed:
        return
    ws.append([])
    ws.append([styled(ws, "质量门禁未通过的原因（本期最近一批数据）", BOLD)])
    for r in failed:
        for note in r.gate_notes:
            ws.append([cell(ws, f"{r.resource_name}：{note}", "text")])


def _rules(ws: WriteOnlyWorksheet, open_problems: Sequence[Problem]) -> None:
    if not open_problems:
        return
    counts = Counter(p.code for p in open_problems)
    described: dict[str, str] = {}
    for p in open_problems:
        described.setdefault(p.code, p.problem)
    ws.append([])
    ws.append([styled(ws, "问题类型统计（未整改）", BOLD)])
    ws.append(header(ws, RULE_HEADERS))
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        ws.append([cell(ws, code, "text"), cell(ws, described[code], "wrapped"), cell(ws, count, "number")])
