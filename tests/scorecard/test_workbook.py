"""The 考核结果 workbook, read back with openpyxl: its sheets, figures, 不适用, formulas and fixes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gongshu.scorecard.workbook import (
    APPEALS_SHEET,
    DETAIL_SHEET,
    FIXES_SHEET,
    HEADER_ROW,
    RANKING_SHEET,
    write_workbook,
)

from .render_fixtures import INDICATORS, NAMES, scorecard

RANK_ORDER = ["scjgj", "gaj", "wjw", "qxj", "zjj", "tyj"]


def _rows(ws) -> list[dict[str, object]]:
    """The table under the header row, as dicts, up to the first empty row."""
    header = [c.value for c in ws[HEADER_ROW]]
    rows = []
    for values in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if all(v is None for v in values):
            break
        rows.append(dict(zip(header, values, strict=True)))
    return rows


@pytest.fixture
def book(tmp_path: Path):
    path = write_workbook(scorecard(), tmp_path / "scorecards" / "2026-11" / "考核结果.xlsx")
    assert path.is_file()
    return load_workbook(path)


def test_sheets_headers_and_layout(book):
    sheets = [RANKING_SHEET, DETAIL_SHEET, FIXES_SHEET, APPEALS_SHEET]
    assert book.sheetnames == sheets == ["排名", "指标明细", "整改清单", "申诉"]
    ranking = book["排名"]
    assert ranking["A1"].value == "2026年11月公共数据工作考核结果 · 排名（第 1 版）"
    assert "考核期：2026-11-01 至 2026-11-30" in ranking["A2"].value and "2026-12-01 02:00" in ranking["A2"].value
    assert [c.value for c in ranking[HEADER_ROW]][:8] == [
        "排名",
        "部门",
        "部门代码",
        "总分",
        "上期总分",
        "较上期（分）",
        "上期排名",
        "红黑榜",
    ]
    for ws in book:
        assert ws.freeze_panes.endswith(str(HEADER_ROW + 1)), ws.title  # the header stays in view
        assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
        assert ws.cell(HEADER_ROW, 1).font.b
        assert all(ws.column_dimensions[letter].width >= 8 for letter in "ABCD")
    assert 40 <= book["指标明细"].column_dimensions["I"].width <= 60  # the formula column, fitted, capped
    assert not any("示例数据" in str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value)


def test_ranking_values(book):
    rows = _rows(book["排名"])
    assert [r["部门代码"] for r in rows] == RANK_ORDER
    assert [r["部门"] for r in rows] == [NAMES[d] for d in RANK_ORDER]
    assert [r["排名"] for r in rows] == [1, 2, 2, 4, 5, "未排名"]
    assert [r["总分"] for r in rows] == [97.7, 86.8, 86.8, 74.6, 41.9, "不适用"]  # rounded half up, as shown
    assert [r["较上期（分）"] for r in rows] == [11.5, None, -0.2, 0, -22.1, None]
    assert [r["上期排名"] for r in rows] == [2, None, 1, 3, 4, None]
    assert [r["红黑榜"] for r in rows] == ["红榜", None, None, None, "黑榜", None]
    assert rows[0]["共享调用（次）"] == 12850 and rows[1]["共享调用（次）"] == 40210
    assert rows[0]["开放应用（个）"] == 2 and rows[1]["开放应用（个）"] == 0
    ws = book["排名"]
    total = ws.cell(HEADER_ROW + 1, 4)
    assert total.data_type == "n" and total.number_format == "0.0"
    assert ws.cell(HEADER_ROW + 1, 6).number_format == "+0.0;-0.0;0.0"
    assert ws.cell(HEADER_ROW + 1, 9).number_format == "#,##0"
    notes = [ws.cell(r, 1).value for r in range(HEADER_ROW + 8, ws.max_row + 1)]
    assert any("并列" in n for n in notes) and any(n.startswith("评分配置：3f5a0c9e") for n in notes)


def test_indicator_detail_values(book):
    rows = _rows(book["指标明细"])
    assert len(rows) == 6 * len(INDICATORS)
    wjw = {r["指标代码"]: r for r in rows if r["部门"] == NAMES["wjw"]}
    m = wjw["metadata_completeness"]
    assert (m["维度"], m["指标"], m["权重"], m["分子"], m["分母"], m["得分"]) == (
        "目录编制",
        "元数据完整度",
        15,
        57,
        60,
        95.0,
    )
    assert m["计算公式"] == "已填写的必填元数据项 ÷ 应填写的必填元数据项 × 100"
    assert wjw["catalog_timeliness"]["得分"] == 75.0
    share = next(r for r in rows if r["部门"] == NAMES["qxj"] and r["指标代码"] == "share_response")
    assert share["得分"] == "不适用" and share["分子"] is None and share["分母"] is None
    assert share["计算公式"] == "5个工作日内处理的申请数 ÷ 收到的申请数 × 100"
    assert sum(1 for r in rows if r["得分"] == "不适用") == 1 + 8
    ws = book["指标明细"]
    assert ws.cell(HEADER_ROW + 1, 8).number_format == "0.0" and ws.cell(HEADER_ROW + 1, 5).number_format == "0.0"
    assert ws.cell(HEADER_ROW + 1, 9).alignment.wrap_text


def test_fix_list(book):
    rows = _rows(book["整改清单"])
    expected = [
        (d.name, i.dimension, i.name, f.text, f.deadline.isoformat() if f.deadline else None, f.where)
        for d in scorecard().departments
        for i in d.indicators
        for f in i.fixes
    ]
    assert [(r["部门"], r["维度"], r["指标"], r["整改事项"], r["整改期限"], r["问题所在"]) for r in rows] == expected
    assert [r["序号"] for r in rows] == list(range(1, len(expected) + 1))
    assert rows[0]["部门"] == NAMES["scjgj"] and "元数据完整度为 96.7" in rows[0]["整改事项"]
    assert all(r["整改情况（部门填写）"] is None for r in rows)
    assert not any(r["部门"] == NAMES["tyj"] for r in rows)


def test_sample_is_noted_on_every_sheet(tmp_path):
    book = load_workbook(write_workbook(scorecard(sample=True), tmp_path / "s.xlsx"))
    for ws in book:
        assert ws["A1"].value.endswith("（示例数据）"), ws.title
        assert ws["A2"].value.startswith("示例数据：") and ws["A2"].font.color.rgb.endswith("C0262D")
    assert book.properties.title == "2026年11月公共数据工作考核结果（第 1 版）（示例数据）"


def test_same_scorecard_same_bytes(tmp_path):
    first = write_workbook(scorecard(), tmp_path / "a.xlsx").read_bytes()
    assert write_workbook(scorecard(), tmp_path / "b.xlsx").read_bytes() == first
    book = load_workbook(tmp_path / "a.xlsx")
    assert book.properties.created == book.properties.modified == dt.datetime(2026, 11, 30, 18, 0)  # computed_at, UTC
    later = dataclasses.replace(scorecard(), computed_at=dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC))
    assert write_workbook(later, tmp_path / "c.xlsx").read_bytes() != first


def test_text_is_never_a_formula_and_no_fixes_says_so(tmp_path):
    card = scorecard()
    d = card.departments[0]
    odd = dataclasses.replace(
        d, name='=HYPERLINK("http://x")', indicators=tuple(dataclasses.replace(i, fixes=()) for i in d.indicators)
    )
    others = tuple(
        dataclasses.replace(x, indicators=tuple(dataclasses.replace(i, fixes=()) for i in x.indicators))
        for x in card.departments[1:]
    )
    book = load_workbook(write_workbook(dataclasses.replace(card, departments=(odd, *others)), tmp_path / "f.xlsx"))
    cell = book["排名"].cell(HEADER_ROW + 1, 2)
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"
    assert _rows(book["整改清单"])[0]["序号"] == "本期没有整改事项。"
