"""The scorecard site at a phone's width (390 × 844) and at a desktop's (1280), in headless Chromium
with the network cut off: measured from the page itself (the DevTools protocol, through Playwright)
that no table cell is cut off, nothing is wider than the screen outside a box that scrolls, and
department and indicator names keep to one line (two for a very long name). A full-page screenshot
of each page is kept in the test's tmp_path."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from gongshu.scorecard.model import AppealNote
from gongshu.scorecard.site import write_site

from ..browser import network_cut
from .render_fixtures import GENERATED_AT, history, scorecard

LAYOUT = """() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const box = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return p; return null; };
  const shown = (r) => r.width > 0 && r.height > 0;
  const what = (el) => el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? '.' + el.className.split(' ').join('.') : '') + ' «' + (el.textContent || '').trim().slice(0, 30) + '»';
  const clipped = [], wide = [], overflowing = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const r = cell.getBoundingClientRect();
    if (!shown(r)) continue;
    const b = box(cell);
    const right = b ? b.getBoundingClientRect().right : vw;
    if (r.right > right + 0.5 && !(b && b.scrollWidth > b.clientWidth)) clipped.push(what(cell));
    if (cell.scrollWidth > cell.clientWidth + 1) overflowing.push(what(cell));
  }
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!shown(r) || (r.right <= vw + 0.5 && r.left >= -0.5)) continue;
    const b = box(el);
    if (!b || b.scrollWidth <= b.clientWidth) wide.push(what(el));
  }
  const lines = (el) => { const a = el.querySelector('a') || el; return a.getClientRects().length; };
  const names = [...document.querySelectorAll('table.ranking td.name, .dept-head h1, table.indicators td.ind')]
    .map((el) => [el.textContent.trim(), lines(el)]);
  const tables = [...document.querySelectorAll('table')].map((t) => getComputedStyle(t).display);
  const heads = [...document.querySelectorAll('table.ranking thead')].map((h) => getComputedStyle(h).display);
  return {vw, page: document.documentElement.scrollWidth, clipped, wide, overflowing, names, tables, heads};
}"""
LONG_NAME = "台州市大数据发展管理局（台州市政务服务管理办公室）"


def _png_width(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big")


def _long_named(card):
    """tyj under a 24-character name: it may take two lines at phone width, never one per character;
    wjw with a decided 申诉 (the department page lists it in a table of its own)."""
    appeal = AppealNote(
        3,
        "collection_timeliness",
        "run-20261115-0200",
        "当天系统升级，已提前报备，数据于次日补报",
        "accepted",
        "情况属实，申诉成立",
        dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC),
    )

    def changed(d):
        if d.department == "tyj":
            return dataclasses.replace(d, name=LONG_NAME)
        return dataclasses.replace(d, appeals=(appeal,)) if d.department == "wjw" else d

    return dataclasses.replace(card, departments=tuple(changed(d) for d in card.departments))


def _layouts(chromium: str, site: Path, size: tuple[int, int], shots: Path) -> dict[str, dict]:
    pages = ["index.html", "rules.html", "print.html", "departments/wjw.html", "departments/tyj.html"]
    out = {}
    with network_cut(chromium, size=size) as cut:
        for name in pages:
            cut.page.goto((site / name).as_uri(), wait_until="load")
            shot = shots / f"{name.replace('/', '-')}-{size[0]}.png"
            cut.page.screenshot(path=shot, full_page=True)
            out[name] = {**cut.page.evaluate(LAYOUT), "shot": _png_width(shot)}
    assert cut.outside == [] and cut.failed_assets == []
    return out


def test_pages_are_readable_at_phone_width(tmp_path, chromium):
    """390 × 844, a phone: no column cut off, nothing wider than the screen outside a box that
    scrolls, every department name on at most two lines (they wrapped one character a line)."""
    site = write_site(_long_named(scorecard(sample=True)), history(), tmp_path / "p", generated_at=GENERATED_AT).parent
    layouts = _layouts(chromium, site, (390, 844), tmp_path)
    for name, got in layouts.items():
        assert got["vw"] == 390, name
        assert got["clipped"] == [], (name, got["clipped"])
        assert got["wide"] == [], (name, got["wide"])
        assert got["overflowing"] == [], (name, got["overflowing"])
        assert got["page"] == 390 and got["shot"] == 390, name  # the page itself never scrolls sideways
        for text, lines in got["names"]:
            assert 1 <= lines <= 2, (name, text, lines)
    index = dict(layouts["index.html"]["names"])
    assert len(index) == 6 and index[LONG_NAME] == 2  # the long one wraps once
    assert all(n == 1 for text, n in index.items() if text != LONG_NAME)
    assert layouts["index.html"]["heads"] == ["none"]  # reflowed: each figure labelled in its card
    wjw = dict(layouts["departments/wjw.html"]["names"])
    assert len(wjw) == 1 + 8 and all(n == 1 for n in wjw.values())  # the name and the 8 indicators


def test_pages_keep_the_desktop_layout(tmp_path, chromium):
    site = write_site(_long_named(scorecard(sample=True)), history(), tmp_path / "w", generated_at=GENERATED_AT).parent
    layouts = _layouts(chromium, site, (1280, 900), tmp_path)
    for name, got in layouts.items():
        assert got["clipped"] == [] and got["wide"] == [] and got["overflowing"] == [], name
        assert got["page"] == 1280 and got["shot"] == 1280, name
        assert set(got["tables"]) == {"table"}, name  # real tables with their headers, as before
        assert all(lines == 1 or text == LONG_NAME and lines == 2 for text, lines in got["names"]), (name, got["names"])
    assert layouts["index.html"]["heads"] == ["table-header-group"]
