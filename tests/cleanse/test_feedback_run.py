"""The 反馈表 of a real cleansing history across the 2026 国庆 holidays, on SQLite and PostgreSQL,
read back with openpyxl as the department's clerk gets it: 整改期限 counted in working days of
scorecard.yaml's calendar (中秋 09-25..27, 国庆 10-01..07, 调休 Saturday 10-10), 是否逾期 for an
issue fixed on time, one fixed late and one still open past its deadline, 整改用时 in working days,
a failed 质量门禁 explained in Chinese, no English of the error texts and no server path anywhere
(the rule-code column aside), and each issue found at the row :func:`locate` names."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook

from gongshu import clock
from gongshu.catalog import load_catalog
from gongshu.cleanse.deadlines import FixDeadlines
from gongshu.cleanse.feedback_data import write_department_feedback
from gongshu.cleanse.feedback_rows import locate
from gongshu.clock import SHANGHAI
from gongshu.rules.codes import RULES
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

from . import test_stage
from .test_feedback import DEADLINES
from .test_stage import GOOD, run, uscc

make = test_stage.make  # the fixture: a resource and its source file

ROW4_BAD = f"{uscc(4)},台州市丁有限公司,50,2021-02-30,存续\n"  # 成立日期 does not exist
ROW4_FIXED = f"{uscc(4)},台州市丁有限公司,50,2021-02-28,存续\n"
ROW5_BAD = f"{uscc(5)},台州市戊有限公司,10,2020-01-01,歇业\n"  # 登记状态 not a catalog value
ROW5_FIXED = f"{uscc(5)},台州市戊有限公司,10,2020-01-01,存续\n"
ROW6_BAD = f"{uscc(6)},台州市己有限公司,10,2020-01-01,停业\n"  # never fixed
ROW7_BAD = f"{uscc(7)},台州市庚有限公司,10,2021-04-31,存续\n"  # found 10-13
ROW8_BAD = f"{uscc(8)},台州市辛有限公司,10,2020-01-01,吊销\n"  # found 10-14, the gate fails


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI)


def play(engine, make, steps) -> None:
    for moment, body, ratio in steps:
        resource, folder = make("".join(GOOD) + body, ratio=ratio)
        with clock.travel_to(moment):
            out = run(engine, resource, folder, run_id=f"r{moment:%m%d}")
        assert out.status in ("completed", "failed"), out.error


HISTORY = [
    (at("2026-09-29"), ROW4_BAD + ROW5_BAD + ROW6_BAD, 0.9),  # Tuesday before the holidays
    (at("2026-10-09"), ROW4_FIXED + ROW5_BAD + ROW6_BAD, 0.9),  # row 4 fixed: 3rd working day
    (at("2026-10-13"), ROW4_FIXED + ROW5_FIXED + ROW6_BAD + ROW7_BAD, 0.9),  # row 5 fixed: 6th
    (at("2026-10-14", 9), ROW4_FIXED + ROW5_FIXED + ROW6_BAD + ROW7_BAD + ROW8_BAD, 0.1),  # 3 of 8 bad
]
WRITTEN = at("2026-10-15")


def minute(value):
    """A time as the cell shows it (yyyy-mm-dd hh:mm)."""
    return value.replace(second=0, microsecond=0) if isinstance(value, dt.datetime) else value


def rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def history_workbook(make, db_url, gongshu_home):
    engine = get_engine(db_url)
    play(engine, make, HISTORY)
    _, folder = make("".join(GOOD), ratio=0.1)  # the catalog as the last gate read it
    catalog = load_catalog(folder / "scjgj.yaml").catalog
    assert catalog is not None
    with clock.travel_to(WRITTEN), session_scope(engine) as session:
        path = write_department_feedback(session, catalog, "2026-10", gongshu_home, DEADLINES)
    with session_scope(engine) as session:
        ids = {
            (i.record_key, i.code): i.id
            for i in session.scalars(sa.select(m.QualityIssue).where(m.QualityIssue.department_key == "scjgj"))
        }
        errors = [e for e in session.scalars(sa.select(m.CleanseBatch.error)) if e]
    return path, load_workbook(path), ids, errors, folder


def deadlines_overdue_and_time_taken_across_the_holidays(workbook):
    _, book, ids, _, _ = workbook
    detail = {r[2]: r for r in rows(book["问题明细"])[1:]}
    # found Tue 09-29: 09-30, 10-08, 10-09, Sat 10-10 (调休), Mon 10-12 -> due 10-12; open on 10-15
    assert detail[uscc(6)][3:5] == ["登记状态", "停业"]
    assert detail[uscc(6)][10:] == [dt.datetime(2026, 10, 12), "是", ids[(uscc(6), "ENUM_INVALID")]]
    # found Tue 10-13: due Tue 10-20; found Wed 10-14: due Wed 10-21
    assert detail[uscc(7)][10:12] == [dt.datetime(2026, 10, 20), "否"]
    assert detail[uscc(8)][10:12] == [dt.datetime(2026, 10, 21), "否"]
    assert set(detail) == {uscc(6), uscc(7), uscc(8)}

    fixed = {r[2]: r for r in rows(book["已整改"])[1:]}
    # fixed Fri 10-09 after 3 working days: on time (Monday to Friday alone would have made it due 10-06)
    assert fixed[uscc(4)][3] == "成立日期"
    assert [minute(v) for v in fixed[uscc(4)][6:]] == [
        dt.datetime(2026, 9, 29, 10, 0),  # the collection times, in Beijing time (the clock ran on)
        dt.datetime(2026, 10, 12),
        dt.datetime(2026, 10, 9, 10, 0),
        3,
        "否",
        ids[(uscc(4), "DATE_INVALID")],
    ]
    # fixed Tue 10-13, the 6th working day: late
    assert [minute(v) for v in fixed[uscc(5)][7:11]] == [
        dt.datetime(2026, 10, 12),
        dt.datetime(2026, 10, 13, 10, 0),
        6,
        "是",
    ]
    assert set(fixed) == {uscc(4), uscc(5)}


def summary_counts_the_overdue_and_explains_the_failed_gate(workbook):
    _, book, _, _, _ = workbook
    summary = rows(book["汇总"])
    lines = [r[0] for r in summary if r[0]]
    assert "本期共有 3 个问题待整改，明细见「问题明细」。" in lines
    assert "其中 1 个已超过整改期限（逾期），请优先整改。" in lines
    assert DEADLINES.rule() in lines
    top = next(i for i, r in enumerate(summary) if r[0] == "资源名称")
    assert summary[top][6:] == ["未整改问题", "其中逾期", "本期已整改", "质量门禁"]
    assert summary[top + 1] == ["企业登记信息", 21, 9, 7, 0, 0, 3, 1, 2, "未通过"]  # 10-09, 10-13 and 10-14
    gate = lines[lines.index("质量门禁未通过的原因（本期最近一批数据）") + 1]
    assert gate.startswith(
        "企业登记信息：这批数据共 8 条记录，其中 3 条有错误被隔离（占 37.5%），超过目录规定的上限 10.0%，整批数据没有入库。"
    )


def nothing_a_clerk_reads_is_english_or_a_server_path(workbook):
    path, book, _, errors, folder = workbook
    assert any("clean gate failed" in e for e in errors)  # the run log's text, in English
    english = {w.lower() for e in errors for w in re.findall(r"[A-Za-z_]{3,}", e)}
    server = [str(folder), str(path.parent), str(Path.home())]
    checked = 0
    for ws in book.worksheets:
        code_column = None
        for values in ws.iter_rows(values_only=True):
            if "规则代码" in values:  # a header row: the codes below it are the code in brackets
                code_column = values.index("规则代码")
                continue
            for n, value in enumerate(values):
                if not isinstance(value, str) or n == code_column:
                    continue
                checked += 1
                words = {w.lower() for w in re.findall(r"[A-Za-z_]{3,}", value)}
                assert not words & english, (ws.title, value)
                assert not any(s in value for s in server), (ws.title, value)
                assert not re.search(r"(?<![\w.])/[A-Za-z_.-]+/", value), (ws.title, value)
                assert value not in RULES, (ws.title, value)  # a bare code outside its column
    assert checked > 50


def each_issue_is_found_at_the_row_locate_names(workbook, gongshu_home):
    path, book, ids, _, _ = workbook
    found = locate(gongshu_home, "scjgj", "2026-10")
    assert set(found) == set(ids.values())  # every issue: 3 open, 2 fixed this month
    for (record_key, _), issue_id in ids.items():
        where = found[issue_id]
        assert where.file == path.name == "scjgj-2026-10.xlsx"
        listed = rows(book[where.sheet])[where.row - 1]
        assert listed[2] == record_key and listed[-1] == issue_id
    row6 = found[ids[(uscc(6), "ENUM_INVALID")]]
    assert row6.sheet == "问题明细" and row6.text().startswith(
        "数据质量问题反馈表（scjgj-2026-10.xlsx）「问题明细」第 "
    )
    assert found[ids[(uscc(5), "ENUM_INVALID")]].sheet == "已整改"
    assert locate(gongshu_home, "scjgj", "2026-10", [ids[(uscc(7), "DATE_INVALID")], 10**9]).keys() == {
        ids[(uscc(7), "DATE_INVALID")]
    }
    assert locate(gongshu_home, "scjgj", "2026-09") == {}  # no workbook of that month


def test_the_workbook_of_a_cleansing_history(make, db_url, gongshu_home):
    """One history per database (it takes four collections and cleansings), read four ways."""
    workbook = history_workbook(make, db_url, gongshu_home)
    deadlines_overdue_and_time_taken_across_the_holidays(workbook)
    summary_counts_the_overdue_and_explains_the_failed_gate(workbook)
    nothing_a_clerk_reads_is_english_or_a_server_path(workbook)
    each_issue_is_found_at_the_row_locate_names(workbook, gongshu_home)


def test_the_weekdays_alone_would_have_judged_otherwise():
    """The calendar matters: without the holidays, row 4's deadline is 10-06 and its fix late."""
    from gongshu.clock import WEEKDAYS

    seen, fixed = at("2026-09-29"), at("2026-10-09")
    assert DEADLINES.overdue(seen, fixed, fixed) is False
    assert FixDeadlines(WEEKDAYS, 5).overdue(seen, fixed, fixed) is True
