"""平台运行: the windows the platform did not attempt reach the administrator on the site, in the
workbook, and stored with the month; a month the platform did not run says so and ranks nobody."""

from __future__ import annotations

import dataclasses
import re

from openpyxl import load_workbook

from gongshu.scorecard.model import PlatformGap
from gongshu.scorecard.platform import NOT_RAN, WINDOWS_SHOWN, platform_lines
from gongshu.scorecard.site import write_site
from gongshu.scorecard.workbook import PLATFORM_SHEET, write_workbook

from .render_fixtures import GENERATED_AT, NAMES, history, scorecard

GAPS = (
    PlatformGap("collect", "11-02", 3, ("scjgj", "wjw")),
    PlatformGap("collect", "11-03", 1, ("wjw",)),
    PlatformGap("open", "2026年11月", 2, ("scjgj",)),
)


def test_gaps_are_listed_by_stage_on_the_site_and_in_the_workbook(tmp_path):
    card = dataclasses.replace(scorecard(), platform=GAPS)
    index = write_site(card, history(), tmp_path / "site", generated_at=GENERATED_AT).read_text(encoding="utf-8")
    section = index[index.index("<h2>平台运行</h2>") : index.index('<section id="method"')]
    items = re.findall(r"<li>(.*?)</li>", section, re.S)
    assert len(items) == 2  # one line per stage, 数据归集 before 数据开放
    assert items[0].startswith("数据归集：11-02、11-03 平台未运行（每个周期最多 3 个资源")
    assert f"{NAMES['scjgj']}、{NAMES['wjw']}" in items[0]
    assert items[1].startswith("数据开放：2026年11月 平台未运行")
    assert "不计入部门得分" in items[1] and NOT_RAN not in index

    book = load_workbook(write_workbook(card, tmp_path / "card.xlsx"))
    cells = [r[0] for r in book[PLATFORM_SHEET].iter_rows(values_only=True) if r[0]]
    assert [line.text() for line in platform_lines(card)] == cells[2:]


def test_no_gaps_no_section_and_many_windows_are_counted(tmp_path):
    card = scorecard()
    index = write_site(card, history(), tmp_path / "site", generated_at=GENERATED_AT).read_text(encoding="utf-8")
    assert "<h2>平台运行</h2>" not in index
    assert PLATFORM_SHEET not in load_workbook(write_workbook(card, tmp_path / "card.xlsx")).sheetnames
    many = tuple(PlatformGap("collect", f"w{n}", 1, ("wjw",)) for n in range(WINDOWS_SHOWN + 4))
    (line,) = platform_lines(dataclasses.replace(card, platform=many))
    assert len(line.windows) == WINDOWS_SHOWN and line.more == 4
    assert f"等 {WINDOWS_SHOWN + 4} 个周期" in line.text()


def test_a_month_the_platform_did_not_run_says_so(tmp_path):
    card = dataclasses.replace(scorecard(), platform_ran=False)
    index = write_site(card, history(), tmp_path / "site", generated_at=GENERATED_AT).read_text(encoding="utf-8")
    assert NOT_RAN in index
    book = load_workbook(write_workbook(card, tmp_path / "card.xlsx"))
    assert NOT_RAN in [r[0] for r in book[PLATFORM_SHEET].iter_rows(values_only=True)]
