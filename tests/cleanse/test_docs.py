"""docs/cleansing.md lists every rule code the cleansing stage and the clean gate use."""

from __future__ import annotations

from pathlib import Path

from gongshu.cleanse import RULES
from gongshu.quality.suites import RULES as GATE_RULES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "cleansing.md").read_text(encoding="utf-8")


def test_every_rule_code_is_documented_with_its_text():
    for code, rule in RULES.items():
        assert f"`{code}`" in DOC, f"{code} is missing from docs/cleansing.md"
        assert rule.problem in DOC, f"the text of {code} in docs/cleansing.md is out of date"


def test_every_gate_rule_is_documented():
    for code in GATE_RULES:
        assert f"`{code}`" in DOC, f"gate rule {code} is missing from docs/cleansing.md"
