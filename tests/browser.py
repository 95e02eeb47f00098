"""Headless Chromium (Debian's ``chromium``) for the page tests: one runner of its command line, and
where screenshots go. The ``chromium`` fixture (in conftest.py) finds it, or skips with the reason
(fails under GONGSHU_REQUIRE_SERVICES=1). :func:`network_cut` drives the same Chromium through
Playwright with the network cut off outside loopback, recording every request a page makes."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent

CHROMIUM = os.environ.get("GONGSHU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("GONGSHU_TEST_ARTIFACTS") or REPO / "var" / "test-artifacts")
"""Where screenshots and printed pages are kept (one folder per suite)."""


def run_chromium(binary: str, url: str, *args: str, size: str = "1280,1800") -> str:
    """Chromium headless on ``url`` with ``args`` (--dump-dom, --screenshot=…); its standard output."""
    with tempfile.TemporaryDirectory(prefix="gongshu-chromium-") as profile:
        done = subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={size}",
                *args,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


LOCAL_SCHEMES = {"file", "data", "blob", "about"}


def is_local(url: str) -> bool:
    """Whether ``url`` stays on this machine: a file, inline data, or an address on loopback."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class NetworkCut:
    """A Chromium page (Playwright's ``page``) that cannot reach anything outside loopback;
    ``outside``: every request a page of it made to an address outside loopback, in order;
    ``failed_assets``: every local request that failed or was answered with an error status."""

    page: Any
    outside: list[str] = field(default_factory=list)
    failed_assets: list[str] = field(default_factory=list)

    def _request(self, request: Any) -> None:
        if not is_local(request.url):
            self.outside.append(request.url)

    def _failed(self, request: Any) -> None:
        if is_local(request.url):
            self.failed_assets.append(f"{request.url}: {request.failure}")

    def _response(self, response: Any) -> None:
        if is_local(response.url) and response.status >= 400:
            self.failed_assets.append(f"{response.url}: HTTP {response.status}")


@contextmanager
def network_cut(binary: str, size: tuple[int, int] = (1280, 1800)) -> Iterator[NetworkCut]:
    """Debian's Chromium driven by Playwright (its own browser download is not used) with the
    network cut off: every host name but localhost is unresolvable, and every request that is not
    for loopback goes to a proxy address where nothing listens (a socket bound, never listening),
    so nothing leaves the machine. Chromium's own background traffic (component updates) goes to
    that wall too; what a page asked for is recorded from the page's side, in ``outside``."""
    from playwright.sync_api import sync_playwright

    wall = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    wall.bind(("127.0.0.1", 0))  # held, not listening: a connection to it is refused
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=binary,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
                    # Chromium's own switch, not Playwright's proxy option (which sends loopback
                    # through the proxy too): Chromium never proxies loopback
                    f"--proxy-server=http://127.0.0.1:{wall.getsockname()[1]}",
                ],
            )
            try:
                context = browser.new_context(viewport={"width": size[0], "height": size[1]})
                cut = NetworkCut(page=context.new_page())
                context.on("request", cut._request)
                context.on("requestfailed", cut._failed)
                context.on("response", cut._response)
                yield cut
            finally:
                browser.close()
    finally:
        wall.close()
