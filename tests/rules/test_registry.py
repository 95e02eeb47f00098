"""The one registry of rule codes and field kinds: every code the cleansers emit or a gate reports
has its record, with the severity it is used with; every kind has a label and a standardiser whose
output its pattern accepts; and gongshu.rules stays at the bottom of the import graph."""

from __future__ import annotations

import ast
import datetime as dt
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pydantic
import pytest

from gongshu.catalog.model import CatalogField
from gongshu.catalog.vocab import FieldKind, Mask, values_of
from gongshu.cleanse import standardise_column, standardise_table
from gongshu.open.publish_gate import check_release
from gongshu.quality import raw
from gongshu.quality.generate import generated_expectations
from gongshu.rules.codes import RULES
from gongshu.rules.kinds import KINDS
from tests.cleanse.test_table import KINDS as SAMPLES
from tests.cleanse.test_table import resource

REPO = Path(__file__).resolve().parents[2]
CHINESE = re.compile(r"[\u4e00-\u9fff]{4}")
"""Department-facing text: Chinese words, not codes."""

# per kind: a value written badly enough to be rejected
BAD = {
    "text": "锟斤拷",
    "integer": "1.5",
    "decimal": "一点五",
    "amount": "三百元",
    "date": "2021-02-30",
    "datetime": "1850-01-01 00:00:00",
    "enum": "也许",
    "uscc": "91110108551385082A",
    "id_card": "34052419800101001",
    "phone": "1381234567",
    "region_code": "33100",
    "person_name": "张3",
    "address": "ä¸­æ–‡",
    "email": "zhang@",
}


def every_kind_resource(primary_key: list[str] | None = None):
    fields = [SAMPLES[kind][0] for kind in KINDS] + [CatalogField(name="req", kind="text", required=True)]
    return resource(fields, primary_key=primary_key)


def test_every_code_the_cleansers_emit_has_a_record_with_its_quarantine_severity_and_chinese_texts():
    res = every_kind_resource(primary_key=["u"])
    written = {f.name: SAMPLES[f.kind][1] for f in res.fields if f.name != "req"}
    bad = {f.name: BAD[f.kind] for f in res.fields if f.name != "req"}
    rows = [
        {**written, "req": "x"},
        {**bad, "req": "无"},
        {**written, "u": "９１１１０１０８５５１３８５０８２Q", "req": " x "},
    ]
    table = pa.table({f.name: [row[f.name] for row in rows] for f in res.fields})
    findings = standardise_table(res, table).findings.to_pylist()
    emitted = {(f["code"], f["severity"]) for f in findings}
    assert len({code for code, _ in emitted}) >= 15, sorted(emitted)
    for code, severity in emitted:
        rule = RULES[code]
        assert rule.quarantine == severity, (code, severity)
        assert CHINESE.search(rule.problem) and CHINESE.search(rule.advice), code
    duplicate = RULES["PK_DUPLICATE"]  # merged by the stage after standardising
    assert duplicate.quarantine == "merge" and CHINESE.search(duplicate.problem) and CHINESE.search(duplicate.advice)


def test_every_code_the_clean_gate_checks_has_a_record_with_its_gate_severity():
    expectations = generated_expectations(every_kind_resource(primary_key=["u", "id"]))
    for expectation in expectations:
        rule = RULES[expectation["meta"]["gongshu"]["rule"]]
        assert expectation["severity"] == rule.gate or (
            expectation["severity"] == "warning" and rule.code == "INVALID_RATIO"
        ), expectation
    assert {e["meta"]["gongshu"]["rule"] for e in expectations} >= {
        kind.format_rule for kind in KINDS.values() if kind.format_rule
    }


def test_every_code_the_raw_gate_checks_has_a_record_with_its_gate_severity():
    res = every_kind_resource()
    suites = [raw.header_suite("d", res), raw.rows_suite("d", res)]
    seen = set()
    for suite in suites:
        for expectation in suite.expectations:
            code = expectation.meta["gongshu"]["rule"]
            seen.add(code)
            severity = str(expectation.severity.value)
            twin = severity == "warning" and code == "TEXT_UNDECODABLE"
            assert severity == RULES[code].gate or twin, (code, severity)
    assert seen == {
        "COLUMNS_MISSING",
        "COLUMNS_EXTRA",
        "ROW_COUNT",
        "TEXT_UNDECODABLE",
        "TEXT_NUL_BYTE",
        "VALUE_TOO_LARGE",
    }


def test_every_code_the_publish_gate_reports_has_a_record_with_its_gate_severity():
    fields = [
        CatalogField(name="secret", kind="text", level="L4"),
        CatalogField(name="note", kind="text"),
    ]
    res = resource(fields)
    frame = pd.DataFrame({"secret": ["x"], "note": ["身份证 34052419800101001X 电话 13812345678"]})
    checks = check_release(res, frame).result.checks
    failed = {c.rule for c in checks if not c.success}
    assert failed == {"OPEN_L4", "PII_ID_CARD", "PII_MOBILE"}
    for check in checks:
        assert check.severity == RULES[check.rule].gate, check


def test_gate_only_codes_are_never_quarantine_codes():
    for code in ("COLUMNS_MISMATCH", "ROW_COUNT", "INVALID_RATIO", "OPEN_L4", "PII_ID_CARD", "PII_MOBILE"):
        assert RULES[code].quarantine is None and RULES[code].gate == "critical", code
    assert all(rule.quarantine or rule.gate for rule in RULES.values())


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_a_label_and_a_standardiser(kind):
    record = KINDS[kind]
    assert record.name == kind and re.fullmatch(r"[\u4e00-\u9fff]{2,}", record.label), record.label
    field, written, standardised, _ = SAMPLES[kind]
    got = record.standardiser(pa.array([written, None], pa.string()), field)
    assert got.values.to_pylist() == [standardised, None]


@pytest.mark.parametrize("kind", [k for k, record in KINDS.items() if record.pattern])
def test_the_pattern_accepts_what_the_standardiser_emits(kind):
    record = KINDS[kind]
    field, written, _, _ = SAMPLES[kind]
    value = standardise_column(field, pa.array([written], pa.string())).values[0].as_py()
    assert value is not None and re.fullmatch(record.pattern, value), value
    assert record.format_rule in RULES and RULES[record.format_rule].gate == "critical"
    assert CHINESE.search(record.format_text or ""), kind


# per code-like kind: a value of the wrong form
MALFORMED = {
    "date": "2021-02-30",
    "datetime": "2021-02-30 00:00:00",
    "uscc": "9111010855138508",
    "id_card": "34052419800101001",
    "phone": "1381234567",
    "region_code": "33100",
    "email": "zhang@",
}


@pytest.mark.parametrize("kind", [k for k, record in KINDS.items() if record.pattern])
def test_the_format_rule_is_what_the_standardiser_rejects_a_malformed_value_with(kind):
    got = standardise_column(SAMPLES[kind][0], pa.array([MALFORMED[kind]], pa.string()))
    assert got.rejected.tolist() == [KINDS[kind].format_rule]


STORED = {
    "integer": int,
    "decimal": Decimal,
    "date": dt.date.fromisoformat,
    "datetime": lambda text: dt.datetime.fromisoformat(text).date(),
}


@pytest.mark.parametrize("kind", [k for k, record in KINDS.items() if record.stored != "text"])
def test_a_typed_dwd_column_takes_what_the_standardiser_emits(kind):
    field, written, _, _ = SAMPLES[kind]
    value = standardise_column(field, pa.array([written], pa.string())).values[0].as_py()
    STORED[KINDS[kind].stored](value)


def test_the_default_masks_are_catalog_masks():
    masks = {kind.name: kind.mask for kind in KINDS.values() if kind.mask}
    assert set(masks.values()) <= set(values_of(Mask))
    assert {"person_name", "id_card", "phone", "address", "email"} == set(masks)


def test_the_catalog_accepts_exactly_the_kinds_in_their_order():
    assert values_of(FieldKind) == tuple(KINDS)
    for kind in KINDS:
        CatalogField(name="f", kind=kind, values=["a"] if kind == "enum" else None)
    with pytest.raises(pydantic.ValidationError) as info:
        CatalogField(name="f", kind="money")
    assert ", ".join(f"'{k}'" for k in list(KINDS)[:-1]) in str(info.value)


def _imports(path: Path) -> set[str]:
    """The gongshu modules a file imports at run time (not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, ast.ImportFrom):
            continue
        base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
        found.add(".".join([*base, node.module] if node.module else base))
    return {name for name in found if name.startswith("gongshu")}


def test_rules_imports_no_other_gongshu_package():
    imported = set()
    for path in (REPO / "gongshu" / "rules").glob("*.py"):
        imported |= _imports(path)
    assert imported and all(name.startswith("gongshu.rules") for name in imported), imported


def test_quality_never_imports_cleanse():
    for path in (REPO / "gongshu" / "quality").glob("*.py"):
        assert not any(name.startswith("gongshu.cleanse") for name in _imports(path)), path


def test_importing_the_registry_loads_no_other_gongshu_package():
    code = (
        "import sys, gongshu.rules.codes, gongshu.rules.kinds, gongshu.rules.advice\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('gongshu.')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['rules']"
