"""Clean-gate suites generated from the catalog: what they check, how they survive regeneration, and
that a suite which would check nothing is refused."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from gongshu.catalog import Catalog
from gongshu.quality import gate
from gongshu.quality.generate import build_suite
from gongshu.quality.suites import SuiteError, load_suite, suite_path, write_suites
from gongshu.rules.checkdigits import id_card_check_char, uscc_check_char
from gongshu.rules.identifiers import PILOT_CODES

PILOT = min(PILOT_CODES)  # a legal code whose GB 32100 check character does not compute


def uscc(n: int) -> str:
    first17 = f"91331002MA{n:07d}"
    return first17 + uscc_check_char(first17)


def id_card(n: int) -> str:
    first17 = f"33100219800101{n:03d}"
    return first17 + id_card_check_char(first17)


REGISTRY = {
    "id": "enterprise_registry",
    "name": "企业登记信息",
    "category": "法人",
    "format": "数据库",
    "update_cycle": "每日",
    "share": {"type": "无条件共享", "method": "接口"},
    "open": {"type": "无条件开放"},
    "level": "L2",
    "primary_key": ["uscc"],
    "quality": {"min_rows": 2, "max_rows": 100},
    "fields": [
        {"name": "uscc", "label": "统一社会信用代码", "kind": "uscc", "required": True},
        {"name": "company_name", "label": "企业名称", "kind": "text", "required": True},
        {"name": "legal_rep_id", "label": "法定代表人身份证号", "kind": "id_card"},
        {"name": "phone", "label": "联系电话", "kind": "phone"},
        {"name": "email", "label": "电子邮箱", "kind": "email"},
        {"name": "capital", "label": "注册资本", "kind": "amount", "unit": "万元"},
        {"name": "founded", "label": "成立日期", "kind": "date"},
        {"name": "updated_at", "label": "更新时间", "kind": "datetime"},
        {"name": "region", "label": "行政区划代码", "kind": "region_code"},
        {"name": "status", "label": "登记状态", "kind": "enum", "values": ["存续", "在业", "注销"]},
    ],
}
LICENCES = {
    "id": "licences",
    "name": "许可信息",
    "category": "法人",
    "format": "数据库",
    "update_cycle": "每月",
    "share": {"type": "无条件共享", "method": "接口"},
    "open": {"type": "不予开放"},
    "level": "L1",
    "primary_key": ["uscc", "licence_no"],
    "fields": [
        {"name": "uscc", "label": "统一社会信用代码", "kind": "uscc", "required": True},
        {"name": "licence_no", "label": "许可证号", "kind": "text"},
    ],
}


def catalog(*resources: dict, department: str = "scjgj") -> Catalog:
    return Catalog.model_validate({"department": {"id": department, "name": "台州市市场监督管理局"},
                                   "resources": list(resources)})  # fmt: skip


def clean_registry() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uscc": [uscc(1), uscc(2), uscc(3)],
            "company_name": ["台州甲公司", "台州乙公司", "台州丙公司"],
            "legal_rep_id": [id_card(11), id_card(12), None],
            "phone": ["13800000000", "0576-88888888", "0576-8888888-123"],
            "email": ["a@example.cn", None, "x.y@tz.gov.cn"],
            "capital": [100.0, 0.0, None],
            "founded": ["2001-02-03", "2019-12-31", None],
            "updated_at": ["2024-05-06 09:30:00", "2024-05-06 23:59:59", None],
            "region": ["331002", "331082", "331000"],
            "status": ["存续", "在业", None],
        }
    )


def generated_rules(path: Path) -> list[tuple[str, str | None, str, str]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [
        (e["meta"]["gongshu"]["rule"], e["meta"]["gongshu"]["field"], e["severity"], e["meta"]["gongshu"]["scope"])
        for e in doc["expectations"]
        if (e.get("meta") or {}).get("gongshu", {}).get("generated")
    ]


@pytest.fixture(scope="module")
def validate():
    """Run the clean gate on a loaded frame (every row of the batch loaded, unless ``rows`` says
    otherwise); returns what failed: the rule code of generated expectations, the expectation type of
    hand-written ones."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)

    def run(suite, frame: pd.DataFrame, rows: pd.DataFrame | None = None) -> set[str]:
        if rows is None:
            rows = pd.DataFrame({"_status": ["loaded"] * len(frame)})
        result = gate.evaluate_scoped("clean", suite, {"table": frame, "rows": rows})
        assert result.evaluated == len(suite.expectations) > 0
        return {c.rule for c in result.checks if not c.success}

    return run


def test_suite_file_lists_the_checks_the_catalog_implies(tmp_path):
    [written] = write_suites(catalog(REGISTRY), tmp_path)
    assert written.path == tmp_path / "scjgj" / "enterprise_registry.clean.json"
    assert (written.status, written.hand_written) == ("created", 0)
    doc = json.loads(written.path.read_text(encoding="utf-8"))
    assert doc["name"] == "scjgj.enterprise_registry.clean"
    assert doc["id"] is None
    rules = generated_rules(written.path)
    assert written.generated == len(rules)
    assert rules[:5] == [
        ("COLUMNS_MISMATCH", None, "critical", "table"),
        ("ROW_COUNT", None, "critical", "table"),
        ("INVALID_RATIO", None, "critical", "rows"),  # the catalog's share of quarantined rows
        ("INVALID_RATIO", None, "warning", "rows"),  # any quarantined row at all
        ("PK_DUPLICATE", "uscc", "critical", "table"),
    ]
    # the loaded table must satisfy its contract exactly: every format check stops publication
    assert set(rules[5:]) == {
        ("REQUIRED_MISSING", "uscc", "critical", "table"),
        ("USCC_FORMAT", "uscc", "critical", "table"),
        ("USCC_CHECKSUM", "uscc", "critical", "table"),
        ("USCC_PILOT", "uscc", "warning", "table"),
        ("REQUIRED_MISSING", "company_name", "critical", "table"),
        ("ID_CARD_FORMAT", "legal_rep_id", "critical", "table"),
        ("ID_CARD_CHECKSUM", "legal_rep_id", "critical", "table"),
        ("PHONE_INVALID", "phone", "critical", "table"),
        ("EMAIL_INVALID", "email", "critical", "table"),
        ("DATE_INVALID", "founded", "critical", "table"),
        ("DATE_INVALID", "updated_at", "critical", "table"),
        ("REGION_INVALID", "region", "critical", "table"),
        ("ENUM_INVALID", "status", "critical", "table"),
    }
    ratio = [e["kwargs"] for e in doc["expectations"] if e["meta"]["gongshu"]["rule"] == "INVALID_RATIO"]
    assert ratio == [
        {"column": "_status", "value_set": ["quarantined"], "mostly": 0.95},  # max_invalid_ratio defaults to 0.05
        {"column": "_status", "value_set": ["quarantined"]},
    ]
    checksums = {
        e["meta"]["gongshu"]["rule"]: e
        for e in doc["expectations"]
        if "CHECKSUM" in e["meta"]["gongshu"]["rule"] or "PILOT" in e["meta"]["gongshu"]["rule"]
    }
    assert (
        checksums["USCC_CHECKSUM"]["type"] == checksums["USCC_PILOT"]["type"] == "expect_column_values_to_be_valid_uscc"
    )
    assert (
        checksums["USCC_CHECKSUM"]["kwargs"]["allow_pilot_codes"],
        checksums["USCC_PILOT"]["kwargs"]["allow_pilot_codes"],
    ) == (True, False)
    assert checksums["ID_CARD_CHECKSUM"]["type"] == "expect_column_values_to_be_valid_id_card"
    assert not [r for r in rules if r[1] == "capital"]  # amounts: no sign or type check (see module doc)
    row_count = doc["expectations"][1]["kwargs"]
    assert row_count == {"min_value": 2, "max_value": 100}
    assert doc["expectations"][0]["kwargs"]["column_set"] == [f["name"] for f in REGISTRY["fields"]]


def test_clean_frame_passes_and_each_defect_fails_exactly_its_rule(tmp_path, validate):
    write_suites(catalog(REGISTRY, LICENCES), tmp_path)
    suite = load_suite(suite_path(tmp_path, "scjgj", "enterprise_registry"))
    assert validate(suite, clean_registry()) == set()

    def defect(column: str, row: int, value) -> pd.DataFrame:
        frame = clean_registry()
        frame.loc[row, column] = value
        return frame

    assert validate(suite, defect("uscc", 1, uscc(1))) == {"PK_DUPLICATE"}
    # I is not in the GB 32100 alphabet: the form is wrong, so the check character cannot be right either
    assert validate(suite, defect("uscc", 1, uscc(2).replace("M", "I"))) == {
        "USCC_FORMAT",
        "USCC_CHECKSUM",
        "USCC_PILOT",
    }
    assert validate(suite, defect("uscc", 1, uscc(2)[:-1] + "0")) == {"USCC_CHECKSUM", "USCC_PILOT"}
    assert validate(suite, defect("uscc", 1, PILOT)) == {"USCC_PILOT"}  # legal: a warning only
    assert validate(suite, defect("legal_rep_id", 0, id_card(11)[:-1] + "0")) == {"ID_CARD_CHECKSUM"}
    assert validate(suite, defect("status", 0, "歇业")) == {"ENUM_INVALID"}
    assert validate(suite, defect("company_name", 2, None)) == {"REQUIRED_MISSING"}
    assert validate(suite, defect("region", 0, "３３１００２")) == {"REGION_INVALID"}  # full-width digits
    assert validate(suite, defect("founded", 0, "2001/02/03")) == {"DATE_INVALID"}
    assert validate(suite, defect("phone", 0, "138-0000-0000")) == {"PHONE_INVALID"}
    assert validate(suite, clean_registry().assign(extra=1)) == {"COLUMNS_MISMATCH"}
    assert validate(suite, clean_registry().head(1)) == {"ROW_COUNT"}
    quarantined = pd.DataFrame({"_status": ["loaded"] * 3 + ["quarantined"]})  # 25 %, above the default 5 %
    assert validate(suite, clean_registry(), quarantined) == {"INVALID_RATIO"}

    licences = load_suite(suite_path(tmp_path, "scjgj", "licences"))
    frame = pd.DataFrame({"uscc": [uscc(1), uscc(1), uscc(2)], "licence_no": ["A1", "A2", "A1"]})
    assert validate(licences, frame) == set()
    assert validate(licences, frame.assign(licence_no=["A1", "A1", "A1"])) == {"PK_DUPLICATE"}


def test_regeneration_keeps_hand_written_expectations_and_is_byte_stable(tmp_path, validate):
    path = suite_path(tmp_path, "scjgj", "enterprise_registry")
    write_suites(catalog(REGISTRY), tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    hand = [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "capital", "min_value": 0},
         "meta": {"owner": "市场监管局数据科"}, "severity": "warning"},
        {"type": "expect_column_value_lengths_to_be_between",
         "kwargs": {"column": "company_name", "min_value": 4}},
        # on the per-row status frame: this department's batches never merge duplicates
        {"type": "expect_column_values_to_not_be_in_set", "kwargs": {"column": "_status", "value_set": ["merged"]},
         "meta": {"gongshu": {"scope": "rows"}}},
    ]  # fmt: skip
    # one in the middle of the generated ones, the others at the end: all end up after them, in this order
    doc["expectations"][2:2] = hand[:1]
    doc["expectations"] += hand[1:]
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")

    # the catalog gains a field: generated part is rewritten, hand-written part kept after it, in order
    scope = {"name": "scope", "label": "经营范围", "kind": "text", "required": True}
    grown = {**REGISTRY, "fields": [*REGISTRY["fields"], scope]}
    [result] = write_suites(catalog(grown), tmp_path)
    assert (result.status, result.hand_written, result.changed) == ("updated", 3, True)
    after = json.loads(path.read_text(encoding="utf-8"))["expectations"]
    assert after[-3:] == hand
    assert ("REQUIRED_MISSING", "scope", "critical", "table") in generated_rules(path)
    assert all(e["meta"]["gongshu"]["generated"] for e in after[: result.generated])

    before = path.read_bytes()
    [again] = write_suites(catalog(grown), tmp_path)
    assert (again.status, again.changed, again.hand_written) == ("unchanged", False, 3)
    assert path.read_bytes() == before

    # the hand-written checks really run in the gate
    suite = load_suite(path)
    frame = clean_registry().assign(scope=["批发", "零售", "制造"], capital=[100.0, -5.0, None])
    assert validate(suite, frame) == {"expect_column_values_to_be_between"}
    merged = pd.DataFrame({"_status": ["loaded", "loaded", "loaded", "merged"]})
    assert validate(suite, frame, merged) == {
        "expect_column_values_to_be_between",
        "expect_column_values_to_not_be_in_set",
    }


def test_suites_of_removed_resources_are_deleted_unless_hand_edited(tmp_path):
    write_suites(catalog(REGISTRY, LICENCES), tmp_path)
    licences = suite_path(tmp_path, "scjgj", "licences")
    results = {r.resource: r for r in write_suites(catalog(REGISTRY), tmp_path)}
    assert results["licences"].status == "removed" and not licences.exists()
    assert results["enterprise_registry"].status == "unchanged"

    write_suites(catalog(REGISTRY, LICENCES), tmp_path)
    doc = json.loads(licences.read_text(encoding="utf-8"))
    doc["expectations"].append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "licence_no"}})
    licences.write_text(json.dumps(doc), encoding="utf-8")
    results = {r.resource: r for r in write_suites(catalog(REGISTRY), tmp_path)}
    left = results["licences"]
    assert (left.status, left.hand_written, left.changed) == ("left", 1, False)
    assert "licences.clean.json" in left.message and licences.exists()


def test_load_suite_refuses_suites_that_would_check_nothing(tmp_path):
    write_suites(catalog(REGISTRY), tmp_path)
    good = suite_path(tmp_path, "scjgj", "enterprise_registry")
    doc = json.loads(good.read_text(encoding="utf-8"))

    empty = tmp_path / "empty.clean.json"
    empty.write_text(json.dumps({**doc, "expectations": []}), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"empty\.clean\.json.*no expectations"):
        load_suite(empty)

    # an unknown type is refused too: tests/quality/test_silent_pass.py
    unscoped = tmp_path / "scope.clean.json"
    misscoped = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "uscc"},
                 "meta": {"gongshu": {"scope": "row"}}}  # fmt: skip
    unscoped.write_text(json.dumps({**doc, "expectations": [*doc["expectations"], misscoped]}), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"scope\.clean\.json.*scope 'row' is not one of table, rows"):
        load_suite(unscoped)

    broken = tmp_path / "broken.clean.json"
    bad = {"type": "expect_column_values_to_not_be_null", "kwargs": {}}  # no column: GX would drop it
    broken.write_text(json.dumps({**doc, "expectations": [*doc["expectations"], bad]}), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"broken\.clean\.json.*expectation \d+ \(expect_column_values_to_not_be_null"):
        load_suite(broken)

    suite = load_suite(good)
    assert len(suite.expectations) == len(doc["expectations"])
    assert suite.name == build_suite("scjgj", catalog(REGISTRY).resources[0]).name
    assert {e.meta["gongshu"]["rule"] for e in suite.expectations} >= {"PK_DUPLICATE", "USCC_FORMAT"}


def test_a_broken_suite_file_is_reported_and_never_overwritten(tmp_path):
    broken = suite_path(tmp_path, "scjgj", "enterprise_registry")
    broken.parent.mkdir(parents=True)
    broken.write_text('{"expectations": [ half written', encoding="utf-8")
    results = {r.resource: r for r in write_suites(catalog(REGISTRY, LICENCES), tmp_path)}
    failed = results["enterprise_registry"]
    assert (failed.status, failed.ok) == ("failed", False)
    assert "enterprise_registry.clean.json" in failed.message and "JSON" in failed.message
    assert broken.read_text(encoding="utf-8") == '{"expectations": [ half written'
    assert results["licences"].status == "created"  # the other resources are still written
