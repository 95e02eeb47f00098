"""Periods (issue 16): a month not begun is refused; the month in progress is 暂定 everywhere and not
stored; a closed month is issued once (version 1) and a later run re-renders the stored version with
the same numbers and its 示例数据 flag."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from gongshu.scorecard import store
from gongshu.scorecard.stage import NotBegun, prepare, publish

from .fixtures import AFTER, PERIOD, at, department
from .test_compute import busy_platform

DECEMBER = "2026-12"
IN_DECEMBER = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # 12-07 10:00 in Beijing


def test_a_month_not_begun_is_refused_naming_the_month_and_today(platform, config):
    with pytest.raises(NotBegun) as refused:
        prepare(platform.engine, "2027-05", config, now=IN_DECEMBER)
    assert "2027-05" in str(refused.value) and "today is 2026-12-07 (Asia/Shanghai)" in str(refused.value)
    # the last day of a month, late in the evening in Beijing (still the same day's UTC afternoon)
    with pytest.raises(NotBegun):
        prepare(platform.engine, "2027-01", config, now=dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC))
    assert prepare(platform.engine, "2027-01", config, now=dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)).fresh


def test_the_month_in_progress_is_provisional_everywhere_and_never_stored(platform, config, tmp_path):
    busy_platform(platform)
    publish(platform.engine, prepare(platform.engine, PERIOD, config, now=AFTER), tmp_path / PERIOD)
    platform.run("collect", "a", "r1", "completed", at(12, 3), rows_in=10)

    prepared = prepare(platform.engine, DECEMBER, config, now=IN_DECEMBER)
    assert prepared.card.provisional and prepared.says().startswith("provisional")
    out = tmp_path / DECEMBER
    published = publish(platform.engine, prepared, out)
    assert store.load(platform.engine, DECEMBER) is None
    assert store.periods(platform.engine) == [PERIOD]  # only the closed month is stored

    headline = "2026年12月考核晾晒（暂定，截至 12-07 10:00，月末后正式发布）"
    pages = [published.site, out / "print.html", *sorted((out / "departments").glob("*.html"))]
    assert len(pages) == 5
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert headline in html and "<strong>暂定</strong>" in html, page.name
        assert "（暂定）</title>" in html, page.name
    book = load_workbook(published.workbook)
    for ws in book:
        assert "（暂定）" in ws["A1"].value and ws["A2"].value.startswith("暂定："), ws.title
    # 较上期 against the last closed month's stored result
    november = store.load(platform.engine, PERIOD)
    for d in prepared.card.departments:
        assert d.previous_total == department(november, d.department).total


def test_a_closed_month_is_issued_once_then_re_rendered_with_its_sample_flag(platform, config, tmp_path):
    busy_platform(platform)
    first = prepare(platform.engine, PERIOD, config, now=AFTER, sample=True)
    assert first.fresh and first.says() == "issued as version 1 on 2026-12-10"
    publish(platform.engine, first, tmp_path / "one")
    stored = store.load(platform.engine, PERIOD)
    assert stored is not None and stored.version == 1 and stored.sample

    # late rows that would not count anyway, and a rerun that does not say sample
    platform.run("collect", "b", "r2", "failed", at(12, 11))
    again = prepare(platform.engine, PERIOD, config, now=AFTER + dt.timedelta(days=30), sample=False)
    assert not again.fresh
    assert again.says() == "already issued as version 1 on 2026-12-10; re-rendered"
    assert again.card == stored
    published = publish(platform.engine, again, tmp_path / "two")
    assert store.load(platform.engine, PERIOD) == stored  # not stored again
    html = published.site.read_text(encoding="utf-8")
    assert "示例数据" in html and "正式，第 1 版，2026-12-10 发布" in html
    assert load_workbook(published.workbook)["排名"]["A1"].value.endswith("（第 1 版）（示例数据）")
