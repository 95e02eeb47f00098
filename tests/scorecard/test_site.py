"""The scorecard site: pages rendered from hand-made scorecards, read as HTML and, where Chromium is
installed, rendered headless (screenshots and a printed PDF kept as test artifacts)."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gongshu.scorecard.charts import Bar, bar_chart, one_decimal, score, sparkline, trend_chart
from gongshu.scorecard.model import Evidence
from gongshu.scorecard.site import lost_points, write_site

from ..browser import ARTIFACTS as BROWSER_ARTIFACTS
from ..browser import run_chromium
from .render_fixtures import GENERATED_AT, NAMES, history, large_scorecard, scorecard

ARTIFACTS = BROWSER_ARTIFACTS / "scorecard"
RANK_ORDER = ["scjgj", "gaj", "wjw", "qxj", "zjj", "tyj"]


class Tags(HTMLParser):
    """Every start tag with its attributes, in order, SVG included."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def classed(self, tag: str, *classes: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and set(classes) <= set((a.get("class") or "").split())]


def ranking(html: str) -> tuple[list[str], list[str], list[str]]:
    """Department ids, names and totals of the ranking table, top to bottom."""
    table = html[html.index('<table class="ranking">') : html.index("</table>")]
    ids = re.findall(r'<tr id="d-([a-z0-9_]+)"', table)
    names = re.findall(r'<td class="name"><a [^>]*>([^<]+)</a>', table)
    totals = [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r'<td class="num total">(.*?)</td>', table)]
    return ids, names, totals


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(scorecard(), history(), tmp_path / "scorecards" / "2026-11", generated_at=GENERATED_AT)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_index_opens_with_the_ranking_in_rank_order(site):
    out = site.parent
    assert site == out / "index.html"
    for dept in NAMES:
        assert (out / "departments" / f"{dept}.html").is_file(), dept
    assert (out / "print.html").is_file()
    html = _read(site)
    assert '<html lang="zh-CN">' in html
    assert html.index('<table class="ranking">') < html.index("<svg")  # the ranking before any chart
    ids, names, totals = ranking(html)
    assert ids == RANK_ORDER
    assert names == [NAMES[d] for d in RANK_ORDER]
    assert totals == ["97.7", "86.8", "86.8", "74.6", "41.9", "无应考核事项"]
    rows = {d: html[html.index(f'<tr id="d-{d}"') :].split("</tr>", 1)[0] for d in RANK_ORDER}
    assert "<b>1</b>" in rows["scjgj"] and "并列" not in rows["scjgj"]
    assert "<b>2</b>" in rows["gaj"] and "并列" in rows["gaj"] and "并列" in rows["wjw"]  # the tie
    assert "<b>4</b>" in rows["qxj"]  # 1, 2, 2, 4
    assert "未排名" in rows["tyj"]
    assert "↑ 11.5" in rows["scjgj"] and "↑ 1 位" in rows["scjgj"]
    assert "↓ 0.2" in rows["wjw"] and "↓ 1 位" in rows["wjw"]
    assert "上期无总分" in rows["gaj"] and "持平" in rows["qxj"] and "↓ 22.1" in rows["zjj"]
    assert "红榜" in rows["scjgj"] and "黑榜" in rows["zjj"]
    assert not any("红榜" in rows[d] or "黑榜" in rows[d] for d in ("gaj", "wjw", "qxj", "tyj"))
    assert "12,850" in rows["scjgj"] and "40,210" in rows["gaj"]  # usage beside the score
    assert 'href="departments/wjw.html"' in rows["wjw"]
    for text in (
        "共享调用（次）",
        "下载（次）",
        "开放应用（个）",
        "页面生成时间",
        "2026-12-01 09:30",
        "2026-12-01 02:00",
        "评分说明",
    ):
        assert text in html, text
    assert "示例数据" not in html


def test_charts_are_inline_svg(site):
    tags = Tags(_read(site))
    bars = tags.classed("rect", "bar")
    assert len(bars) == 5  # departments with a total; tyj has none
    assert [b["class"] for b in bars].count("bar red") == 1 and [b["class"] for b in bars].count("bar black") == 1
    na = tags.classed("rect", "cell", "na")
    assert len(na) == 1 + 8 + 1  # qxj's 共享申请响应率, all of tyj's, the legend
    assert len(tags.classed("rect", "cell")) == 6 * 8 + 5  # every cell, and the legend's five
    assert len(tags.classed("polyline", "line", "main")) == 1  # the average's trend
    assert len(tags.classed("polyline", "spark")) == 4  # scjgj, wjw, qxj, zjj have two months or more
    assert not tags.classed("script") and not [a for t, a in tags.tags if t == "link"]  # nothing fetched
    heat = _read(site).split('class="chart heatmap"', 1)[1]
    assert heat.count(">不适用</text>") == 1 + 8 + 1


def test_department_page_shows_rank_indicators_fixes_and_evidence(site):
    page = _read(site.parent / "departments" / "wjw.html")
    assert "台州市卫生健康委员会" in page
    hero = page[page.index('class="hero') : page.index("</dl>")]
    assert "第 <b>2</b> 名" in hero and "并列" in hero and "共 5 个部门排名" in hero
    assert "↓ 0.2" in hero and "上期 87.0 分" in hero and "上期第 1 名" in hero
    assert "3,021" in hero
    for text in (
        "元数据完整度",
        "15.0",
        "57 / 60",
        "8,000 / 10,000",
        "按时归集次数 ÷ 应归集次数 × 100",
        "失分",
        "整改清单",
        "评分依据",
        "run-20261115-0200",
        "✗ 未达标",
        "✓ 达标 1 项",
        "2026-11-15 02:00",
        'href="../index.html#d-wjw"',
    ):
        assert text in page, text
    fixes = page[page.index("整改清单</h2>") : page.index("历次走势</h2>")]
    assert "共 8 项整改事项" in fixes
    assert re.findall(r'<li value="(\d+)">', fixes) == [str(n) for n in range(1, 9)]
    assert fixes.index("<h3>目录编制</h3>") < fixes.index("<h3>数据归集</h3>") < fixes.index("<h3>数据开放</h3>")
    lost = lost_points(scorecard().departments[2])
    assert lost is not None and sum(lost.values()) == pytest.approx(100 - 86.75)
    assert len(Tags(page).classed("polyline", "line", "main")) == 1  # its own trend


def test_not_applicable_and_unranked_departments(site):
    qxj = _read(site.parent / "departments" / "qxj.html")
    row = next(r for r in qxj.split("<tr")[1:] if '<td class="ind">共享申请响应率</td>' in r)
    assert row.startswith(' class="na">') and "不适用" in row and "权重按比例计入其他指标" in row
    tyj = _read(site.parent / "departments" / "tyj.html")
    assert "未排名" in tyj and "本期所有指标均不适用" in tyj and "本期没有整改事项" in tyj
    assert tyj.count('<span class="na-tag">不适用</span>') == 8
    assert '<th class="num">失分</th>' not in tyj  # no total, nothing lost


def test_sample_scorecard_says_so_on_every_page(tmp_path):
    index = write_site(scorecard(sample=True), history(), tmp_path / "s", generated_at=GENERATED_AT)
    for page in [index, index.parent / "print.html", *sorted((index.parent / "departments").glob("*.html"))]:
        html = _read(page)
        assert '<div class="sample-banner" role="note">' in html, page
        assert "<title>" in html and "（示例数据）</title>" in html, page


def _displayed_change_card():
    """scjgj at 81.44 after 78.15: shown 81.4 and 78.2, so 较上期 must read 3.2 (the unrounded
    difference 3.29 rounds to 3.3); zjj at 41.95 after 64.04: shown 42.0 and 64.0, so −22.0 (not −22.1)."""
    card = scorecard()
    by_id = {d.department: d for d in card.departments}
    scjgj = dataclasses.replace(by_id["scjgj"], total=81.44, previous_total=78.15)
    zjj = dataclasses.replace(by_id["zjj"], total=41.95, previous_total=64.04)  # 42.0 − 64.0 = −22.0, not −22.1
    departments = tuple(
        scjgj if d.department == "scjgj" else zjj if d.department == "zjj" else d for d in card.departments
    )
    return dataclasses.replace(card, departments=departments)


def test_change_is_the_difference_of_the_totals_as_displayed(tmp_path):
    from openpyxl import load_workbook

    from gongshu.scorecard.workbook import RANKING_SHEET, write_workbook

    card = _displayed_change_card()
    d = {x.department: x for x in card.departments}
    assert d["scjgj"].change == 3.2 and d["zjj"].change == -22.0
    index = write_site(card, history(), tmp_path / "c", generated_at=GENERATED_AT)
    html = _read(index)
    rows = {k: html[html.index(f'<tr id="d-{k}"') :].split("</tr>", 1)[0] for k in ("scjgj", "zjj")}
    assert '<td class="num total">81.4</td>' in rows["scjgj"]
    assert '<td class="num change up">↑ 3.2</td>' in rows["scjgj"]
    assert '<td class="num total">42.0</td>' in rows["zjj"]
    assert '<td class="num change down">↓ 22.0</td>' in rows["zjj"]
    page = _read(index.parent / "departments" / "scjgj.html")
    hero = page[page.index('class="hero') : page.index("</dl>")]
    assert "81.4" in hero and "↑ 3.2" in hero and "上期 78.2 分" in hero
    book = load_workbook(write_workbook(card, tmp_path / "c.xlsx"))[RANKING_SHEET]
    header = [c.value for c in book[3]]
    sheet = {r[header.index("部门代码")]: r for r in book.iter_rows(min_row=4, values_only=True) if r[0] is not None}
    for dept, total, previous, change in (("scjgj", 81.4, 78.2, 3.2), ("zjj", 42.0, 64.0, -22.0)):
        row = sheet[dept]
        assert (row[header.index("总分")], row[header.index("上期总分")]) == (total, previous)
        assert row[header.index("较上期（分）")] == change == round(total - previous, 1)


def test_rules_page_gives_every_formula_and_the_rules(tmp_path):
    from gongshu.scorecard.config import RankingConfig

    from .render_fixtures import INDICATORS

    index = write_site(scorecard(), history(), tmp_path / "r", generated_at=GENERATED_AT)
    rules = _read(index.parent / "rules.html")
    assert 'href="rules.html"' in _read(index) and 'href="../rules.html"' in _read(
        index.parent / "departments" / "wjw.html"
    )
    for _, name, weight, formula in INDICATORS.values():
        row = rules[rules.index(f'<td class="ind">{name}</td>') :].split("</tr>", 1)[0]
        assert f'<td class="num weight">{weight:.1f}</td>' in row and f'<td class="formula">{formula}</td>' in row, name
    assert "目录编制（25.0 分）" in rules and "数据归集（30.0 分）" in rules and "合计 100.0 分" in rules
    for title in (
        "不适用",
        "较上期",
        "红榜",
        "黑榜",
        "暂定",
        "平台运行",
        "逾期未办结",
        "一事一扣",
        "已扣分",
        "数据利用",
        "申诉",
    ):
        assert title in rules, title
    assert "名额由市大数据局确定" in rules  # ranked without the configuration at hand: the rule in words
    ranked = write_site(
        scorecard(),
        [],
        tmp_path / "n",
        generated_at=GENERATED_AT,
        ranking=RankingConfig(red_top=5, black_bottom=2, black_below=55),
    )
    rules = _read(ranked.parent / "rules.html")
    assert "排名前 5 名的部门" in rules and "排名最后 2 名的部门" in rules and "总分低于 55.0 分的所有部门" in rules
    printed = _read(index.parent / "print.html")
    assert (
        printed.rindex('class="dept"') < printed.index('<div class="rules-print">') < printed.index("<h2>一事一扣</h2>")
    )


def test_a_fault_charged_elsewhere_is_shown_as_already_charged(tmp_path):
    """One fault, one deduction: evidence whose cause another indicator charges is listed as 已扣分
    with that indicator's name, not as a second 未达标."""
    card = scorecard()
    wjw = next(d for d in card.departments if d.department == "wjw")
    missing = Evidence(
        "resource",
        "wjw.birth_records",
        "出生医学证明信息 数据源文件缺失，本期没有归集",
        False,
        charged_in="collection_timeliness",
    )
    items = tuple(
        dataclasses.replace(i, evidence=(missing,)) if i.code == "catalog_timeliness" else i for i in wjw.indicators
    )
    card = dataclasses.replace(
        card, departments=tuple(dataclasses.replace(d, indicators=items) if d is wjw else d for d in card.departments)
    )
    page = _read(write_site(card, [], tmp_path / "f", generated_at=GENERATED_AT).parent / "departments" / "wjw.html")
    evidence = page[page.index("评分依据</h2>") :]
    block = evidence[evidence.index("目录编制 · 目录更新及时率") :].split('<div class="ev-ind">', 1)[0]
    assert "wjw.birth_records" in block and "已扣分" in block and "已在「按时归集率」中扣分，本项不再扣分" in block
    assert "✗ 未达标" not in block


def test_the_departments_guide_explains_every_indicator_and_rule():
    """docs/scorecard.md (考核晾晒说明): each indicator the scorecard computes has its formula there,
    under its Chinese name, and each rule a department would dispute has its section."""
    from gongshu.scorecard.compute import REGISTRY

    repo = Path(__file__).resolve().parents[2]
    doc = (repo / "docs" / "scorecard.md").read_text(encoding="utf-8")
    for code, indicator in REGISTRY.items():
        line = next((ln for ln in doc.splitlines() if ln.startswith(f"- **{indicator.name}**：")), None)
        assert line is not None and ("÷" in line or "见" in line), code
    for section in (
        "权重怎么加到 100",
        "不适用",
        "较上期",
        "红榜",
        "黑榜",
        "暂定",
        "逾期未办结",
        "一事一扣",
        "已扣分",
        "更新及时",
        "数据利用",
        "申诉",
        "成立",
        "新的版本",
    ):
        assert section in doc, section
    assert "TODO" not in doc and "/work/" not in doc
    assert "](docs/scorecard.md)" in (repo / "README.md").read_text(encoding="utf-8")


def test_names_are_escaped(tmp_path):
    card = scorecard()
    evil = dataclasses.replace(card.departments[0], name="<script>alert(1)</script>局")
    card = dataclasses.replace(card, departments=(evil, *card.departments[1:]))
    index = write_site(card, history(), tmp_path / "e", generated_at=GENERATED_AT)
    for page in (index, index.parent / "departments" / "scjgj.html"):
        html = _read(page)
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;局" in html


def test_same_input_same_bytes_and_stale_pages_removed(tmp_path):
    out = tmp_path / "d"
    write_site(scorecard(), history(), out, generated_at=GENERATED_AT)
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.html")}
    write_site(scorecard(), history(), out, generated_at=GENERATED_AT)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*.html")} == first
    card = scorecard()
    write_site(dataclasses.replace(card, departments=card.departments[:3]), [], out, generated_at=GENERATED_AT)
    assert sorted(p.stem for p in (out / "departments").glob("*.html")) == ["gaj", "scjgj", "wjw"]


def test_bad_department_id_is_refused(tmp_path):
    card = scorecard()
    bad = dataclasses.replace(card.departments[0], department="../x")
    with pytest.raises(ValueError, match="cannot name a page"):
        write_site(dataclasses.replace(card, departments=(bad,)), [], tmp_path / "x")


def test_trend_uses_earlier_periods_only(tmp_path):
    later = dataclasses.replace(history()[0], period="2027-01")
    index = write_site(scorecard(), [*history(), later], tmp_path / "t", generated_at=GENERATED_AT)
    html = _read(index)
    assert "2026-08 至 2026-11" in html and "2027-01" not in html
    first = write_site(scorecard(), [], tmp_path / "f", generated_at=GENERATED_AT)
    assert "本期是第一次考核" in _read(first)


def test_chart_helpers():
    assert one_decimal(88.25) == 88.3 and one_decimal(86.75) == 86.8 and one_decimal(0.05) == 0.1
    assert score(None) == "不适用" and score(97.683345) == "97.7"
    assert bar_chart([], "x") == "" and sparkline([80.0], "x") == "" and trend_chart([], [], "x") == ""
    svg = bar_chart([Bar("<甲>", 120.0), Bar("乙", 50.0, mark="黑榜")], "总分")
    assert "&lt;甲&gt;" in svg and svg.count('class="bar') == 2 and "50.0  黑榜" in svg
    assert 'width="680"' in svg  # a score above 100 is drawn at 100, never past the axis
    assert sparkline([80.0, None, 82.0], "x").count("<polyline") == 0  # a gap, no line across it


# ---------------------------------------------------------------- in the browser


def _shot(binary: str, page: Path, name: str, size: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    run_chromium(binary, page.as_uri(), f"--screenshot={shot}", size=size)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000, shot  # a page, not a blank
    return shot


def test_index_in_the_browser(tmp_path, chromium):
    index = write_site(scorecard(sample=True), history(), tmp_path / "b", generated_at=GENERATED_AT)
    dom = run_chromium(chromium, index.as_uri(), "--dump-dom")
    ids, names, totals = ranking(dom)
    assert ids == RANK_ORDER and names == [NAMES[d] for d in RANK_ORDER]
    assert totals[:5] == ["97.7", "86.8", "86.8", "74.6", "41.9"]
    tags = Tags(dom)
    assert len(tags.classed("rect", "bar")) == 5
    assert len(tags.classed("polyline", "line")) == 3 + 4  # max, average, min; four sparklines
    assert len(tags.classed("rect", "cell", "na")) == 10
    assert "示例数据" in dom
    _shot(chromium, index, "index", "1280,2600")
    big = write_site(large_scorecard(), history(), tmp_path / "big", generated_at=GENERATED_AT)
    assert len(Tags(run_chromium(chromium, big.as_uri(), "--dump-dom")).classed("rect", "bar")) == 40
    _shot(chromium, big, "index-40-departments", "1280,4200")


def test_department_pages_in_the_browser(site, chromium):
    for dept, size in (("wjw", "1280,2500"), ("qxj", "1280,2500"), ("tyj", "1280,1400")):
        page = site.parent / "departments" / f"{dept}.html"
        dom = run_chromium(chromium, page.as_uri(), "--dump-dom")
        assert NAMES[dept] in dom and "整改清单" in dom
        _shot(chromium, page, f"department-{dept}", size)
    dom = run_chromium(chromium, (site.parent / "departments" / "wjw.html").as_uri(), "--dump-dom")
    assert "第 <b>2</b> 名" in dom
    assert len(Tags(dom).classed("polyline", "line")) == 2  # the department and the average


def test_print_version_is_a4_with_a_page_per_department(site, chromium):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "print.pdf"
    pdf.unlink(missing_ok=True)
    run_chromium(chromium, (site.parent / "print.html").as_uri(), "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 1 + len(NAMES)  # the ranking, then every department from a new page
    boxes = {tuple(round(float(x)) for x in box.split()) for box in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", data)}
    assert boxes == {(0, 0, 595, 842)}  # A4 in points
