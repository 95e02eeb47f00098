"""docs/cleansing.md lists every rule code the cleansing stage and the clean gate use."""

from __future__ import annotations

from pathlib import Path

from gongshu.catalog.model import CatalogField
from gongshu.quality.generate import generated_expectations
from gongshu.rules.codes import RULES
from tests.cleanse.test_table import KINDS, resource

DOC = (Path(__file__).resolve().parents[2] / "docs" / "cleansing.md").read_text(encoding="utf-8")


def clean_gate_codes() -> set[str]:
    """The rule codes of the clean suite of a resource with a field of every kind, a required one
    and a primary key: every check the clean gate has."""
    fields = [KINDS[kind][0] for kind in sorted(KINDS)] + [CatalogField(name="req", kind="text", required=True)]
    expectations = generated_expectations(resource(fields, primary_key=["u"]))
    return {e["meta"]["gongshu"]["rule"] for e in expectations}


def test_every_rule_code_is_documented_with_its_text():
    for code, rule in RULES.items():
        if rule.quarantine is None:
            continue
        assert f"`{code}`" in DOC, f"{code} is missing from docs/cleansing.md"
        assert rule.problem in DOC, f"the text of {code} in docs/cleansing.md is out of date"


def test_every_gate_rule_is_documented():
    codes = clean_gate_codes()
    assert len(codes) == 15, sorted(codes)
    for code in codes:
        assert RULES[code].gate is not None, code
        assert f"`{code}`" in DOC, f"gate rule {code} is missing from docs/cleansing.md"
