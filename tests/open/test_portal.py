"""The static open-data portal: pages rendered from hand-made releases, read as HTML and, where
Chromium is installed, rendered headless (screenshots kept as test artifacts)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from gongshu.open.portal import build_portal
from gongshu.store import models as m
from gongshu.store.db import get_engine

from ..browser import ARTIFACTS as BROWSER_ARTIFACTS
from ..browser import run_chromium
from .portal_fixtures import GENERATED_AT, Scenario, build_scenario

ARTIFACTS = BROWSER_ARTIFACTS / "portal"


class Tags(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture
def scenario(gongshu_home: Path) -> Scenario:
    return build_scenario(get_engine(), gongshu_home)


def _build(s: Scenario):
    return build_portal(s.engine, s.home, generated_at=GENERATED_AT)


def _page(s: Scenario, rel: str) -> str:
    return (s.home / "portal" / rel).read_text(encoding="utf-8")


def test_builds_home_dataset_and_department_pages_in_chinese(scenario):
    built = _build(scenario)
    portal = scenario.home / "portal"
    assert built.index == portal / "index.html"
    assert (built.datasets, built.departments, built.pages) == (4, 3, 9)
    for rel in (
        "datasets/scjgj/enterprise_registry.html",
        "datasets/scjgj/random_inspection.html",
        "datasets/wjw/medical_institutions.html",
        "datasets/qxj/daily_weather.html",
        "departments/scjgj.html",
        "departments/wjw.html",
        "departments/qxj.html",
        "apps.html",
        "assets/portal.css",
        "assets/portal.js",
        "catalog.jsonld",
    ):
        assert (portal / rel).is_file(), rel
    assert not (portal / "datasets/scjgj/deregistered_notice.html").exists()  # the catalog withdrew it

    home = _page(scenario, "index.html")
    assert '<html lang="zh-CN">' in home
    for text in (
        "台州市公共数据开放平台",
        "搜索",
        "提供部门",
        "主题分类",
        "文件格式",
        "页面生成时间：",
        "2024-05-06 09:30",
    ):
        assert text in home, text
    assert "注销企业公告" not in home
    tags = Tags(home)
    assert len(tags.find("article", **{"class": "card"})) == 4
    assert {a["data-value"] for a in tags.find("button", **{"data-facet": "theme"})} == {
        "",
        "法人",
        "信用体系",
        "健康保障",
        "自然资源和空间地理",
    }

    page = _page(scenario, "datasets/scjgj/enterprise_registry.html")
    for text in (
        "企业登记信息",
        "台州市市场监督管理局",
        "更新周期",
        "每日",
        "无条件开放",
        "L1（不敏感数据）",
        "第 2 版",
    ):
        assert text in page, text
    assert "2024-05-03 10:00" in page  # released_at in Beijing time
    assert "<td>法定代表人</td>" in page and "姓名脱敏（保留姓氏）" in page
    assert "法定代表人身份证号（敏感数据（L4）" in page  # the dropped field says why it is missing
    dept = _page(scenario, "departments/scjgj.html")
    assert "企业登记信息" in dept and "双随机抽查结果" in dept and "逐日气象观测数据" not in dept


def test_public_dataset_shows_ten_rows_and_links_its_files(scenario):
    _build(scenario)
    page = _page(scenario, "datasets/scjgj/enterprise_registry.html")
    preview = page[page.index('id="preview"') : page.index('id="downloads"')]
    assert preview.count("<tr>") == 1 + 10  # the header and the first 10 of 12 rows
    assert "台州市第10号机械有限公司" in preview and "台州市第11号机械有限公司" not in preview
    assert "<th>统一社会信用代码</th>" in preview  # headed by the catalog's labels

    release = scenario.releases["scjgj.enterprise_registry"]
    links = [a["href"] for a in Tags(page).find("a", **{"class": "download"})]
    assert len(links) == len(release.files) == 4
    page_dir = scenario.home / "portal/datasets/scjgj"
    for href in links:
        assert href.startswith("../../releases/scjgj/enterprise_registry/v2/")
        assert (page_dir / unquote(href)).resolve().is_file()
    for info in release.files.values():
        assert info["sha256"] in page
    assert "950 B" in page or "KB" in page
    assert "/api/3/action/package_show?id=scjgj-enterprise_registry" in page
    assert "/api/3/action/datastore_search?resource_id=scjgj-enterprise_registry.csv" in page


def test_conditional_dataset_says_how_to_apply_and_links_nothing(scenario):
    _build(scenario)
    page = _page(scenario, "datasets/wjw/medical_institutions.html")
    assert "有条件开放" in page and "申请使用" in page and "用于医疗服务类应用开发" in page
    assert "http://127.0.0.1:8600/api/v1/open/applications" in page
    text = html.unescape(page)
    assert '"dataset": "wjw.medical_institutions"' in text
    for key in ("applicant", "contact", "purpose"):
        assert f'"{key}": ' in text
    assert 'id="preview"' not in page and 'id="downloads"' not in page
    assert "台州市中心医院" not in page  # no row of it
    hrefs = [a.get("href") or "" for _, a in Tags(page).tags]
    assert not [h for h in hrefs if "releases" in h or "open-restricted" in h or h.endswith((".csv", ".json"))]
    for path in (scenario.home / "portal").rglob("*.html"):
        assert "open-restricted" not in path.read_text(encoding="utf-8"), path


def test_nothing_is_loaded_from_elsewhere(scenario):
    _build(scenario)
    portal = scenario.home / "portal"
    pages = sorted(p for p in portal.rglob("*.html") if "releases" not in p.parts)
    assert len(pages) == 9
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", page), path
        for tag, attrs in Tags(page).tags:
            for name in ("src", "href"):
                value = attrs.get(name) or ""
                assert not urlsplit(value).scheme and not value.startswith("//"), (path, tag, value)
        # the only absolute URLs are the API examples, shown as text
        outside = re.sub(r"<pre class=\"code\">.*?</pre>|<code>[^<]*</code>", "", page, flags=re.S)
        assert "http://" not in outside and "https://" not in outside, path
    css = (portal / "assets/portal.css").read_text(encoding="utf-8")
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    js = (portal / "assets/portal.js").read_text(encoding="utf-8")
    assert "http" not in js and "fetch(" not in js


def test_summary_text_is_escaped(scenario):
    with Session(scenario.engine) as session:
        row = session.query(m.Resource).filter_by(key="daily_weather").one()
        row.spec = {**row.spec, "summary": '<script>alert("x")</script>逐日观测'}
        session.commit()
    _build(scenario)
    for rel in ("index.html", "datasets/qxj/daily_weather.html"):
        page = _page(scenario, rel)
        assert "<script>alert" not in page, rel
        assert "&lt;script&gt;alert" in page, rel


def test_rebuild_drops_datasets_no_longer_released_and_links_follow_the_catalog(scenario):
    _build(scenario)
    portal = scenario.home / "portal"
    with Session(scenario.engine) as session:
        session.execute(update(m.Resource).where(m.Resource.key == "daily_weather").values(active=False))
        # the catalog now opens the registry only on application: its public files stop being linked
        session.execute(
            update(m.Resource).where(m.Resource.key == "enterprise_registry").values(open_type="有条件开放")
        )
        session.commit()
    built = _build(scenario)
    assert set(built.removed) == {portal / "datasets/qxj/daily_weather.html", portal / "departments/qxj.html"}
    assert not (portal / "datasets/qxj").exists()
    assert (built.datasets, built.pages) == (3, 7)  # with apps.html
    assert "逐日气象观测数据" not in _page(scenario, "index.html")
    page = _page(scenario, "datasets/scjgj/enterprise_registry.html")
    assert "申请使用" in page and 'id="downloads"' not in page and "releases/" not in page
    assert (portal / "releases/qxj/daily_weather/v1").is_dir()  # release folders are not the portal's to remove


def test_an_empty_platform_gets_a_home_page_and_an_empty_catalog(gongshu_home):
    built = build_portal(get_engine(), gongshu_home, generated_at=GENERATED_AT)
    assert (built.datasets, built.departments, built.pages) == (0, 0, 2)  # the home page and apps.html
    assert "平台暂无已发布的开放数据集" in built.index.read_text(encoding="utf-8")
    assert '"dcat:dataset": []' in built.catalog.read_text(encoding="utf-8")


# --- rendered in headless Chromium ------------------------------------------------------------------


def _chromium(binary: str, url: str, *args: str) -> str:
    return run_chromium(binary, url, *args, size="1280,2000")  # the portal's pages are long


def _visible_cards(dom: str) -> list[str]:
    return [a["data-key"] for a in Tags(dom).find("article", **{"class": "card"}) if "hidden" not in a]


def test_home_page_search_and_filters_run_in_the_browser(scenario, chromium):
    _build(scenario)
    index = (scenario.home / "portal/index.html").as_uri()

    dom = _chromium(chromium, index, "--dump-dom")
    assert len(_visible_cards(dom)) == 4 and "共 4 个数据集" in dom

    dom = _chromium(chromium, f"{index}?q={quote('气象')}", "--dump-dom")
    assert _visible_cards(dom) == ["qxj.daily_weather"]
    assert "找到 1 个数据集" in dom

    dom = _chromium(chromium, f"{index}?q={quote('法定代表人')}", "--dump-dom")  # field labels are searched too
    assert _visible_cards(dom) == ["scjgj.enterprise_registry"]

    dom = _chromium(chromium, f"{index}?dept=scjgj&format=CSV", "--dump-dom")
    assert sorted(_visible_cards(dom)) == ["scjgj.enterprise_registry", "scjgj.random_inspection"]
    pressed = [a["data-value"] for a in Tags(dom).find("button", **{"aria-pressed": "true"})]
    assert "scjgj" in pressed and "CSV" in pressed

    dom = _chromium(chromium, f"{index}?open={quote('有条件开放')}", "--dump-dom")
    assert _visible_cards(dom) == ["wjw.medical_institutions"]

    dom = _chromium(chromium, f"{index}?q={quote('没有这个数据集')}", "--dump-dom")
    assert _visible_cards(dom) == [] and "找到 0 个数据集" in dom
    assert "hidden" not in Tags(dom).find("p", id="empty")[0]


def test_pages_render_and_are_screenshotted(scenario, chromium):
    _build(scenario)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    portal = scenario.home / "portal"
    for name, rel, query in (
        ("home", "index.html", ""),
        ("home-search", "index.html", f"?q={quote('企业')}"),
        ("dataset-public", "datasets/scjgj/enterprise_registry.html", ""),
        ("dataset-conditional", "datasets/wjw/medical_institutions.html", ""),
        ("department", "departments/scjgj.html", ""),
    ):
        shot = ARTIFACTS / f"{name}.png"
        shot.unlink(missing_ok=True)
        _chromium(chromium, (portal / rel).as_uri() + query, f"--screenshot={shot}")
        assert shot.stat().st_size > 20_000, shot  # a page, not a blank
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = _chromium(chromium, (portal / "datasets/scjgj/enterprise_registry.html").as_uri(), "--dump-dom")
    assert "数据预览" in dom and "scjgj-enterprise_registry.csv" in dom


def test_approved_apps_are_listed_with_their_datasets_and_on_each_datasets_page(scenario):
    from gongshu.open import apps
    from gongshu.share.keys import ADMIN, Principal

    admin = Principal(key_id="adm000000000", role=ADMIN, department=None)
    with Session(scenario.engine) as session:
        listed = apps.submit(
            session,
            name="企业信用速查",
            submitter="台州某信用服务有限公司",
            contact="钱女士 13905769876",
            description="输入企业名称即查登记状态与双随机抽查结果",
            url="https://example.org/credit",
            datasets=["scjgj.enterprise_registry", "scjgj.random_inspection"],
        )
        waiting = apps.submit(
            session, name="尚在审核的应用", submitter="某人", contact="x", description="d",
            datasets=["scjgj.enterprise_registry"],
        )  # fmt: skip
        apps.review(session, admin, listed.id, True)
        listed_id = listed.id
        assert waiting.status == apps.PENDING
        session.commit()
    _build(scenario)
    page = _page(scenario, "apps.html")
    assert "开放应用" in page and "企业信用速查" in page and "台州某信用服务有限公司" in page
    assert "尚在审核的应用" not in page
    assert "13905769876" not in page and "钱女士" not in page  # the contact is never shown
    hrefs = [a.get("href") for a in Tags(page).find("a")]
    assert "datasets/scjgj/enterprise_registry.html" in hrefs and "datasets/scjgj/random_inspection.html" in hrefs
    assert "https://example.org/credit" not in hrefs  # shown as text, never a link
    registry = _page(scenario, "datasets/scjgj/enterprise_registry.html")
    assert "基于本数据集的开放应用" in registry and "企业信用速查" in registry
    assert f"../../apps.html#app-{listed_id}" in [a.get("href") for a in Tags(registry).find("a")]
    assert "暂无经审核上架的开放应用" in _page(scenario, "datasets/qxj/daily_weather.html")
