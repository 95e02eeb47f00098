"""Headless Chromium (Debian's ``chromium``) for the page tests: one runner of its command line, and
where screenshots go. The ``chromium`` fixture (in conftest.py) finds it, or skips with the reason
(fails under GONGSHU_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

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
