"""Web assets copied from the npm registry (README.md here names each package, version and licence),
so that no page gongshu writes or serves loads anything from outside the machine."""

from __future__ import annotations

from pathlib import Path

VENDOR = Path(__file__).resolve().parent
"""The folder of the vendored packages, one sub-folder per package."""
