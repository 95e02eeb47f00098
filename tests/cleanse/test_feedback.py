"""The 数据质量问题反馈表 as a department's clerk sees it: the workbook is read back with openpyxl and
checked cell by cell: sheets and headers, original values kept as text, local times, the summary's
figures and totals, the per-rule counts, the fixed problems, the empty period, the row limit and the
atomic write; each problem's 整改期限, 是否逾期, 整改用时 in working days and 问题编号."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gongshu.cleanse import feedback
from gongshu.cleanse.deadlines import FixDeadlines
from gongshu.cleanse.feedback import Problem, ResourceSummary, write_feedback
from gongshu.scorecard.config import load_config

UTC = dt.UTC
FOUND = dt.datetime(2026, 11, 3, 17, 30, tzinfo=UTC)  # 2026-11-04 01:30 in Beijing
FIXED = dt.datetime(2026, 11, 6, 5, 30, tzinfo=UTC)
GENERATED = dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 2026-12-01 09:00 in Beijing
REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "scorecard.yaml")
DEADLINES = FixDeadlines(CONFIG.work_calendar(), CONFIG.issue_fix_days)  # 5 working days
DUE = dt.datetime(2026, 11, 11)  # found Wed 11-04: Thu 5, Fri 6, Mon 9, Tue 10, Wed 11

DETAIL_HEADERS = [
    *("资源名称", "行号", "主键值", "字段", "原值", "问题说明", "规则代码", "修改建议", "类型", "首次发现"),
    *("整改期限", "是否逾期", "问题编号"),
]
FIXED_HEADERS = [
    *("资源名称", "行号", "主键值", "字段", "原值", "规则代码", "首次发现", "整改期限", "整改时间"),
    *("整改用时（工作日）", "是否逾期", "问题编号"),
]


def problem(**kw) -> Problem:
    base = dict(
        resource_id="ent",
        resource_name="企业登记信息",
        source_row=1,
        record_key="91331000MA2AXXXX0X",
        field_label="统一社会信用代码",
        original="91331000MA2AXXXX0Y",
        problem="统一社会信用代码校验位错误",
        code="USCC_CHECKSUM",
        advice="请核对营业执照上的统一社会信用代码，改正后重新报送",
        severity="reject",
        status="open",
        first_seen=FOUND,
        fixed_at=None,
    )
    return Problem(**{**base, **kw})


SUMMARIES = [
    ResourceSummary("ent", "企业登记信息", 1200, 1180, 15, 5, 7, 20, 3, False),
    ResourceSummary("lic", "食品经营许可证信息", 300, 298, 2, 0, 1, 2, 0, True),
    ResourceSummary("pen", "行政处罚信息", 0, 0, 0, 0, 0, 0, 0, None),
]

PROBLEMS = [
    problem(
        source_row=7,
        field_label="法定代表人身份证号",
        original="33100219900101123X",
        code="ID_CARD_CHECKSUM",
        problem="公民身份号码校验位错误",
        record_key="91331000MA2A00000X",
    ),
    problem(source_row=3, field_label="注册资本", original="=1+1", code="NUMBER_FORMAT", problem="不是数字"),
    problem(
        source_row=3,
        field_label="登记机关代码",
        original="00123",
        code="CODE_FORMAT",
        problem="代码不在取值范围",
        severity="warn",
        record_key=None,
    ),
    problem(
        resource_id="lic",
        resource_name="食品经营许可证信息",
        source_row=2,
        field_label="法定代表人身份证号",
        original="331002800101123",
        code="ID_CARD_LEGACY15",
        problem="15 位旧身份证号",
        severity="warn",
    ),
    problem(source_row=3, field_label="统一社会信用代码", original="#N/A"),
    problem(source_row=9, status="fixed", fixed_at=FIXED, original="91331000MA2AXXXX0Z"),
]


def write(path: Path, problems=PROBLEMS, summaries=SUMMARIES, generated_at=GENERATED) -> Path:
    return write_feedback(
        path,
        department_name="台州市市场监督管理局",
        period="2026年11月",
        generated_at=generated_at,
        summaries=summaries,
        problems=iter(problems),
        deadlines=DEADLINES,
    )


def rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def find(ws, first: str) -> int:
    """The 1-based row whose column A reads ``first``."""
    return next(i for i, r in enumerate(ws.iter_rows(values_only=True), start=1) if r[0] == first)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("fb") / "out" / "反馈表.xlsx")
    return load_workbook(path)


def test_sheets_and_headers(book):
    assert book.sheetnames == ["汇总", "问题明细", "已整改"]
    detail = book["问题明细"]
    assert rows(detail)[0] == DETAIL_HEADERS
    assert detail.freeze_panes == "C2"
    assert detail.auto_filter.ref == "A1:M6"
    assert detail["F2"].alignment.wrap_text and detail["H2"].alignment.wrap_text
    assert detail.column_dimensions["H"].width >= 30
    assert rows(book["已整改"])[0] == FIXED_HEADERS


def test_open_problems_sorted_by_resource_row_field(book):
    got = [(r[0], r[1], r[3]) for r in rows(book["问题明细"])[1:]]
    assert got == [
        *(("企业登记信息", 3, label) for label in sorted(["登记机关代码", "统一社会信用代码", "注册资本"])),
        ("企业登记信息", 7, "法定代表人身份证号"),
        ("食品经营许可证信息", 2, "法定代表人身份证号"),
    ]


def test_original_values_stay_text(book):
    detail = book["问题明细"]
    by_field = {(r[1], r[3]): i for i, r in enumerate(rows(detail), start=1)}
    for key, original in [
        ((7, "法定代表人身份证号"), "33100219900101123X"),
        ((3, "注册资本"), "=1+1"),
        ((3, "登记机关代码"), "00123"),
        ((2, "法定代表人身份证号"), "331002800101123"),
        ((3, "统一社会信用代码"), "#N/A"),
    ]:
        cell = detail.cell(row=by_field[key], column=5)
        assert cell.value == original
        assert cell.data_type == "s"  # not a number, formula or error
        assert cell.number_format == "@"
    key = detail.cell(row=by_field[(7, "法定代表人身份证号")], column=3)
    assert (key.value, key.data_type, key.number_format) == ("91331000MA2A00000X", "s", "@")
    assert detail.cell(row=by_field[(3, "登记机关代码")], column=3).value is None


def test_problem_row_as_the_clerk_reads_it(book):
    detail = rows(book["问题明细"])
    row = next(r for r in detail if r[4] == "33100219900101123X")
    assert row == [
        "企业登记信息",
        7,
        "91331000MA2A00000X",
        "法定代表人身份证号",
        "33100219900101123X",
        "公民身份号码校验位错误",
        "ID_CARD_CHECKSUM",
        "请核对营业执照上的统一社会信用代码，改正后重新报送",
        "未入库",
        dt.datetime(2026, 11, 4, 1, 30),  # Beijing time
        DUE,
        "是",  # open on 12-01, due 11-11
        None,  # no issue id given
    ]
    assert {r[6]: r[8] for r in detail[1:]}["ID_CARD_LEGACY15"] == "提示"
    assert book["问题明细"]["J2"].number_format == "yyyy-mm-dd hh:mm"
    assert book["问题明细"]["K2"].number_format == "yyyy-mm-dd"


def test_summary_heading_and_notes(book):
    ws = book["汇总"]
    assert ws["A1"].value == "台州市市场监督管理局 数据质量问题反馈表（2026年11月）"
    assert ws["A1"].font.bold
    assert rows(ws)[1][:2] == ["生成时间", "2026-12-01 09:00"]
    text = "\n".join(str(r[0]) for r in rows(ws) if r[0])
    assert "本期共有 5 个问题待整改" in text
    assert "其中 5 个已超过整改期限（逾期），请优先整改。" in text
    assert "整改期限：问题自首次发现之日起 5 个工作日（不含发现当日，节假日与调休按国务院通知）" in text
    assert "已整改 1 个问题" in text
    assert "隔离（未入库）" in text and "不会被共享" in text and "不会向社会开放" in text
    assert "下次归集时平台自动复核" in text
    assert "提示：记录已经入库" in text
    assert "本期未发现数据质量问题" not in text


def test_summary_figures_and_totals(book):
    ws = book["汇总"]
    top = find(ws, "资源名称")
    table = rows(ws)[top - 1 : top + 4]
    assert table == [
        [
            "资源名称",
            "本期接收记录数",
            "入库",
            "隔离（未入库）",
            "重复合并",
            "提示",
            "未整改问题",
            "其中逾期",
            "本期已整改",
            "质量门禁",
        ],
        ["企业登记信息", 1200, 1180, 15, 5, 7, 20, 4, 3, "未通过"],  # 4 of its listed problems are overdue
        ["食品经营许可证信息", 300, 298, 2, 0, 1, 2, 1, 0, "通过"],
        ["行政处罚信息", 0, 0, 0, 0, 0, 0, 0, 0, "未运行"],
        ["合计", 1500, 1478, 17, 5, 8, 22, 5, 3, None],
    ]
    assert ws.cell(row=top + 4, column=2).font.bold


def test_per_rule_counts_of_open_problems(book):
    ws = book["汇总"]
    top = find(ws, "规则代码")
    table = [r[:3] for r in rows(ws)[top - 1 :] if r[0]]
    assert table == [
        ["规则代码", "问题说明", "问题数"],
        ["CODE_FORMAT", "代码不在取值范围", 1],
        ["ID_CARD_CHECKSUM", "公民身份号码校验位错误", 1],
        ["ID_CARD_LEGACY15", "15 位旧身份证号", 1],
        ["NUMBER_FORMAT", "不是数字", 1],
        ["USCC_CHECKSUM", "统一社会信用代码校验位错误", 1],  # the fixed one is not counted
    ]


def test_rule_counts_most_frequent_first(tmp_path):
    problems = [problem(source_row=n, code="DATE_INVALID", problem="日期不存在") for n in range(1, 4)]
    problems.append(problem(source_row=9))
    ws = load_workbook(write(tmp_path / "f.xlsx", problems))["汇总"]
    top = find(ws, "规则代码")
    assert [r[:3] for r in rows(ws)[top:]] == [
        ["DATE_INVALID", "日期不存在", 3],
        ["USCC_CHECKSUM", "统一社会信用代码校验位错误", 1],
    ]


def test_fixed_problems_with_time_taken(book):
    ws = book["已整改"]
    assert rows(ws)[1:] == [
        [
            "企业登记信息",
            9,
            "91331000MA2AXXXX0X",
            "统一社会信用代码",
            "91331000MA2AXXXX0Z",
            "USCC_CHECKSUM",
            dt.datetime(2026, 11, 4, 1, 30),
            DUE,
            dt.datetime(2026, 11, 6, 13, 30),
            2,  # Thu 11-05 and Fri 11-06
            "否",
            None,
        ]
    ]
    assert ws["H2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].data_type == "s"
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == "A1:L2"


def test_empty_period(tmp_path):
    summaries = [ResourceSummary("ent", "企业登记信息", 500, 500, 0, 0, 0, 0, 0, True)]
    wb = load_workbook(write(tmp_path / "empty.xlsx", [], summaries))
    assert wb.sheetnames == ["汇总", "问题明细", "已整改"]
    summary = rows(wb["汇总"])
    assert "本期未发现数据质量问题。" in [r[0] for r in summary]
    assert ["合计", 500, 500, 0, 0, 0, 0, 0, 0, None] in summary
    assert not any(r[0] == "规则代码" for r in summary)
    assert rows(wb["问题明细"]) == [DETAIL_HEADERS]
    assert rows(wb["已整改"]) == [FIXED_HEADERS]


def test_month_period_shown_in_chinese(tmp_path):
    path = write_feedback(
        tmp_path / "f.xlsx",
        department_name="台州市气象局",
        period="2026-03",
        generated_at=GENERATED,
        summaries=[],
        problems=[],
        deadlines=DEADLINES,
    )
    assert load_workbook(path)["汇总"]["A1"].value == "台州市气象局 数据质量问题反馈表（2026年3月）"


def test_only_fixed_problems(tmp_path):
    wb = load_workbook(write(tmp_path / "f.xlsx", [problem(status="fixed", fixed_at=FIXED)]))
    text = [r[0] for r in rows(wb["汇总"]) if r[0]]
    assert "本期没有待整改的问题。" in text and "本期未发现数据质量问题。" not in text
    assert len(rows(wb["已整改"])) == 2


def test_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(feedback, "MAX_ROWS", 3)
    wb = load_workbook(write(tmp_path / "f.xlsx", [problem(source_row=n) for n in range(1, 6)]))
    detail = rows(wb["问题明细"])
    assert [r[1] for r in detail[1:4]] == [1, 2, 3]
    assert detail[4][0] == "另有 2 个问题未列出（超出 Excel 行数上限）。"
    assert len(detail) == 5
    assert wb["问题明细"].auto_filter.ref == "A1:M4"
    text = [r[0] for r in rows(wb["汇总"]) if r[0]]
    assert "「问题明细」超出 Excel 行数上限，只列出前 3 个，另有 2 个未列出。" in text


def test_control_characters_are_shown_not_dropped(tmp_path):
    wb = load_workbook(write(tmp_path / "f.xlsx", [problem(original="A\x07B")]))
    assert wb["问题明细"]["E2"].value == "A\\x07B"


def test_naive_times_are_utc(tmp_path):
    naive = problem(first_seen=FOUND.replace(tzinfo=None))
    wb = load_workbook(write(tmp_path / "f.xlsx", [naive]))
    assert wb["问题明细"]["J2"].value == dt.datetime(2026, 11, 4, 1, 30)


def test_unknown_severity_or_status_is_refused(tmp_path):
    with pytest.raises(ValueError, match="severity"):
        write(tmp_path / "f.xlsx", [problem(severity="repair")])
    with pytest.raises(ValueError, match="status"):
        write(tmp_path / "f.xlsx", [problem(status="closed")])
    assert not (tmp_path / "f.xlsx").exists()


def test_same_input_same_bytes(tmp_path):
    assert write(tmp_path / "a.xlsx").read_bytes() == write(tmp_path / "b.xlsx").read_bytes()


def test_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "deep" / "er" / "反馈表.xlsx"
    write(path, [])
    write(path)  # replaces the earlier file
    assert len(rows(load_workbook(path)["问题明细"])) == 6
    assert os.listdir(path.parent) == ["反馈表.xlsx"]

    before = path.read_bytes()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write(path, [])
    assert path.read_bytes() == before  # the old workbook is untouched
    assert os.listdir(path.parent) == ["反馈表.xlsx"]  # and no temporary file is left behind
