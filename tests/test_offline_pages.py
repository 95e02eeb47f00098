"""Every page gongshu writes or serves loads nothing from outside the machine (the city's platform
runs on the government network without internet): the Great Expectations Data Docs, the open-data
portal, the 考核晾晒 site and the API's /docs, each opened in headless Chromium with the network cut
off outside loopback. A request of a page to any address outside loopback fails the test, and the
page must still show what it is for."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

import httpx
import pytest

from gongshu.api.app import create_app
from gongshu.open.portal import build_portal
from gongshu.quality.docs import ASSETS, GX_WEB_ASSETS, build_data_docs, make_offline, save_results
from gongshu.scorecard.site import write_site
from gongshu.settings import get_settings
from gongshu.store.db import get_engine
from gongshu.vendor import VENDOR

from .browser import ARTIFACTS as BROWSER_ARTIFACTS
from .browser import network_cut
from .open.portal_fixtures import GENERATED_AT as PORTAL_AT
from .open.portal_fixtures import build_scenario
from .quality import test_docs as gate_docs
from .scorecard import render_fixtures as scorecards
from .share.platform import LiveServer

ARTIFACTS = BROWSER_ARTIFACTS / "offline"
EXTERNAL_ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)
EXTERNAL_URL = re.compile(r"""url\(\s*["']?(?:https?:)?//""", re.I)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.fixture
def data_docs(gongshu_home: Path) -> Path:
    save_results(gongshu_home, "scjgj", "food_business_license", gate_docs.clean_gate_result())
    return build_data_docs(gongshu_home)


def test_data_docs_name_no_outside_asset(data_docs, caplog):
    site = data_docs.parent
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 4  # the index, the suite, the two validations
    for path in [*pages, *site.rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        assert not EXTERNAL_ASSET.search(text), path
        assert not EXTERNAL_URL.search(text), path
        assert "great-expectations-web-assets" not in text, path  # GX's logo, with the context's id
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "dropped" in r.getMessage()]
    vendored = site / "static" / "vendor"
    for local in ASSETS.values():  # each asset with its licence beside it, in the site itself
        package = vendored / local.split("/")[0]
        assert (vendored / local).is_file() and any(package.glob("LICENSE*")), local


def test_an_outside_asset_without_a_local_copy_is_dropped_with_a_warning(tmp_path, caplog):
    """What a newer GX might add: the page keeps working (minus that asset) and loads nothing
    from outside; the warning names the asset so the vendored set can be extended."""
    page = tmp_path / "site" / "validations" / "x" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<html><head><script src="https://cdn.example.com/new-lib.js"></script>'
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js" integrity="sha384-x" crossorigin="anonymous"></script>'
        "<style>.a { background: url('https://cdn.example.com/bg.png') }</style></head>"
        '<body><a href="https://greatexpectations.io">GX</a></body></html>',
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="gongshu.quality.docs"):
        make_offline(tmp_path / "site")
    html = page.read_text(encoding="utf-8")
    assert not EXTERNAL_ASSET.search(html) and not EXTERNAL_URL.search(html)
    assert '<script src="../../static/vendor/jquery/dist/jquery.min.js"></script>' in html
    assert "background: none" in html
    assert '<a href="https://greatexpectations.io">' in html  # a link is followed only on a click
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "https://cdn.example.com/new-lib.js" in warned and "https://cdn.example.com/bg.png" in warned
    assert (tmp_path / "site/static/vendor/jquery/LICENSE.txt").is_file()


def test_data_docs_render_with_the_network_cut_off(data_docs, chromium):
    site = data_docs.parent
    with network_cut(chromium) as cut:
        page = cut.page
        page.goto(data_docs.as_uri(), wait_until="networkidle")
        assert cut.outside == []
        table = page.locator("table.ge-index-page-validation-results-table")
        batches = table.locator("tbody tr td:nth-child(5)")
        batches.first.wait_for(timeout=10_000)  # bootstrap-table draws the rows
        assert sorted(batches.all_inner_texts()) == ["clean-rows", "clean-table"]
        assert "Showing 1 to 2 of 2 rows" in page.inner_text("body")
        assert page.evaluate("[typeof jQuery, typeof vegaEmbed, typeof $.fn.bootstrapTable]") == ["function"] * 3
        _shot(page, "data-docs-index")

        validation = next(site.glob("validations/**/clean-table.html"))
        page.goto(validation.as_uri(), wait_until="networkidle")
        assert cut.outside == []
        body = page.inner_text("body")
        assert "「社会信用代码」(uscc)不含校验码不符的试点代码" in body and gate_docs.PILOT in body
        _shot(page, "data-docs-validation")
    assert cut.outside == []
    assert cut.failed_assets == []  # and every local one was found


def test_portal_renders_with_the_network_cut_off(gongshu_home, chromium):
    scenario = build_scenario(get_engine(), gongshu_home)
    built = build_portal(scenario.engine, scenario.home, generated_at=PORTAL_AT)
    with network_cut(chromium) as cut:
        page = cut.page
        page.goto(built.index.as_uri(), wait_until="load")
        assert "共 4 个数据集" in page.inner_text("body")
        _shot(page, "portal-index")
        page.goto((scenario.home / "portal/datasets/qxj/daily_weather.html").as_uri(), wait_until="load")
        assert "台州市公共数据开放平台" in page.inner_text("body")
        page.goto((scenario.home / "portal/apps.html").as_uri(), wait_until="load")
        assert "开放应用" in page.inner_text("body")
    assert cut.outside == []
    assert cut.failed_assets == []


def test_scorecard_site_renders_with_the_network_cut_off(tmp_path, chromium):
    index = write_site(
        scorecards.scorecard(sample=True), scorecards.history(), tmp_path / "s", generated_at=scorecards.GENERATED_AT
    )
    with network_cut(chromium) as cut:
        page = cut.page
        page.goto(index.as_uri(), wait_until="load")
        assert page.locator("table.ranking tbody tr").count() == 6
        assert page.locator("rect.bar").count() == 5
        _shot(page, "scorecard-index")
        page.goto((index.parent / "departments" / "wjw.html").as_uri(), wait_until="load")
        assert scorecards.NAMES["wjw"] in page.inner_text("body")
    assert cut.outside == []
    assert cut.failed_assets == []


def test_api_docs_render_with_the_network_cut_off(gongshu_home, chromium):
    app = create_app(get_engine(), get_settings())
    with LiveServer(app) as server:
        with network_cut(chromium) as cut:
            page = cut.page
            page.goto(f"{server.url}/docs", wait_until="networkidle")
            assert cut.outside == []
            operations = page.locator(".opblock-summary-path")
            operations.first.wait_for(timeout=15_000)  # Swagger UI fetched /openapi.json and drew it
            shown = {p.replace("\u200b", "") for p in operations.all_inner_texts()}  # Swagger UI's break hints
            assert shown == set(app.openapi()["paths"]) and "/api/v1/catalog" in shown
            assert page.locator(".swagger-ui .info .title").inner_text().startswith(app.title)
            assert page.locator(".validator-badge, img[src*='validator']").count() == 0
            _shot(page, "api-docs")
        assert cut.outside == []
        assert cut.failed_assets == []
        assert httpx.get(f"{server.url}/redoc").status_code == 404  # ReDoc (CDN script, Google fonts) is off


@pytest.mark.parametrize("local", ["popper.js/dist/umd/popper.min.js", "bootstrap/dist/js/bootstrap.min.js"])
def test_vendored_files_are_the_ones_gx_pins(local):
    """GX's templates pin these two by their integrity hash: the vendored copies are those files,
    byte for byte (the rewritten pages drop the attribute, which a file:// page cannot check)."""
    import great_expectations

    template = Path(great_expectations.__file__).parent / "render/view/templates/js_script_imports.j2"
    url = next(u for u, v in ASSETS.items() if v == local)
    pinned = re.search(re.escape(url) + r'" integrity="(sha384-[^"]+)"', template.read_text(encoding="utf-8"))
    assert pinned, f"GX no longer pins {url}"
    digest = base64.b64encode(hashlib.sha384((VENDOR / local).read_bytes()).digest()).decode()
    assert pinned.group(1) == f"sha384-{digest}"


def test_every_outside_asset_of_gx_templates_has_a_local_copy():
    """The addresses in GX's installed templates that a page loads are all in the map: a GX upgrade
    that adds one fails here (the build would drop it with a warning)."""
    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render/view/templates"
    found = set()
    for path in templates.glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["'](https?://[^"']+)""", text))
        if GX_WEB_ASSETS in text:
            found.add(GX_WEB_ASSETS)
    assert found and found <= {*ASSETS, GX_WEB_ASSETS}, found - {*ASSETS, GX_WEB_ASSETS}
