"""The suites committed under expectations/ are what the committed catalogs generate: a catalog
change without `gongshu catalog compile` (which regenerates them) fails here."""

from __future__ import annotations

import filecmp
from pathlib import Path

from gongshu.catalog import validate_paths
from gongshu.quality.suites import write_suites

REPO = Path(__file__).resolve().parents[2]


def test_committed_suites_match_the_catalogs(tmp_path):
    loaded = validate_paths([REPO / "catalogs"])
    assert all(item.ok for item in loaded)
    written = []
    for item in loaded:
        written += write_suites(item.catalog, tmp_path)
    assert written and all(s.ok for s in written)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    committed = sorted(p.relative_to(REPO / "expectations") for p in (REPO / "expectations").rglob("*.json"))
    assert fresh == committed, "run `gongshu catalog compile` and commit expectations/"
    for rel in fresh:
        assert filecmp.cmp(tmp_path / rel, REPO / "expectations" / rel, shallow=False), (
            f"expectations/{rel} is out of date: run `gongshu catalog compile` and commit it"
        )
