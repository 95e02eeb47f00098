"""Catalog files that used to hang, crash or flood the validator (issue 14): an alias bomb, deep
nesting, a huge number; and two messages that were wrong or late ('每天', the department's USCC).
Each is refused with a line number within a second, and the other files are still checked."""

from __future__ import annotations

import subprocess
import sys
import time

from gongshu.catalog import validate_files, yamlpos

from .conftest import line_of


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """'Billion laughs': each level lists the previous one ``width`` times (4 KB for 9 x 9)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\ndepartment: {{id: bomb, name: 炸弹, extra: *a{levels}}}\nresources: *a{levels}\n"


def checked(write, text: str, name: str = "scjgj.yaml", *others):
    path = write(text, name)
    started = time.monotonic()
    loaded = {item.path: item for item in validate_files([path, *others])}
    return loaded[path], time.monotonic() - started, loaded


def test_an_alias_bomb_is_refused_at_once_with_a_short_message(write, base_text):
    good = write(base_text)
    item, took, loaded = checked(write, alias_bomb(), "bomb.yaml", good)
    assert took < 1.0
    [err] = item.errors
    assert err.code == "CATALOG_YAML_LIMIT"
    assert "aliases" in err.message and err.line is not None
    assert len(str(err)) < 300
    assert loaded[good].ok  # the other file is unaffected


def test_a_ten_by_ten_alias_bomb_is_refused_as_fast(write):
    item, took, _ = checked(write, alias_bomb(10, 10), "bomb.yaml")
    assert took < 1.0 and [e.code for e in item.errors] == ["CATALOG_YAML_LIMIT"]


def test_aliases_and_merges_of_a_real_catalog_still_work(write, base_text):
    text = base_text.replace(
        "      - {name: company_name, label: 企业名称, kind: text, required: true}",
        "      - &name_field {name: company_name, label: 企业名称, kind: text, required: true}",
    ).replace(
        "      - {name: decided_on, label: 许可决定日期, kind: date}",
        "      - {name: decided_on, label: 许可决定日期, kind: date}\n      - *name_field\n"
        "      - {<<: *name_field, name: short_name, label: 简称, required: false}",
    )
    item, _, _ = checked(write, text)
    assert item.errors == []
    fields = item.catalog.resources[1].fields
    assert [f.name for f in fields][-2:] == ["company_name", "short_name"]
    assert fields[-1].kind == "text" and not fields[-1].required


def test_deep_nesting_is_refused_with_its_line(write, base_text):
    good = write(base_text)
    for depth in (330, 999, 5_000):
        text = "department:\n  id: deep\n  name: x\n  region_code: " + "[" * depth + "]" * depth + "\n"
        item, took, loaded = checked(write, text, "deep.yaml", good)
        assert took < 1.0
        [err] = item.errors
        assert err.line == 4 and err.code in ("CATALOG_YAML_LIMIT", "CATALOG_YAML_SYNTAX")
        assert "nested" in err.message or "nesting" in err.message
        assert loaded[good].ok


def test_nesting_far_past_the_limit_is_refused_in_a_process_that_lives(tmp_path):
    """libyaml's composer recurses in C once per level: with a libyaml that sets no nesting limit of
    its own (the system PyYAML 6.0.3 here), 100,000 levels ended the process with a segmentation
    fault; yamlpos no longer composes, so no libyaml build can do that."""
    path = tmp_path / "deep.yaml"
    path.write_text("department: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    code = f"from gongshu.catalog import validate_paths; print(validate_paths([{str(path)!r}])[0].errors[0])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"{path}:1:" in out.stdout and "nest" in out.stdout


def test_a_number_of_more_than_4300_digits_is_refused(write, base_text):
    text = base_text.replace("  uscc: ", "  region_code: " + "3" * 5_000 + "\n  uscc: ", 1)
    item, took, _ = checked(write, text)
    [err] = item.errors
    assert err.code == "CATALOG_YAML_LIMIT"
    assert err.line == line_of(text, "region_code:") and "5,000" in err.message
    assert len(str(err)) < 300


def test_a_huge_scalar_is_refused_and_a_long_wrong_value_is_quoted_short(write, base_text):
    item, _, _ = checked(write, base_text.replace("name: 企业登记信息", "name: " + "企" * 30_000))
    assert [e.code for e in item.errors] == ["CATALOG_YAML_LIMIT"]
    item, _, _ = checked(write, base_text.replace("update_cycle: 每日", "update_cycle: " + "每" * 10_000))
    [err] = item.errors
    assert err.code == "CATALOG_INVALID_VALUE" and len(str(err)) < 400


def test_everyday_typo_suggests_daily_by_meaning(write, base_text):
    item, _, _ = checked(write, base_text.replace("update_cycle: 每日", "update_cycle: 每天"))
    [err] = item.errors
    assert err.suggestion == "每日"
    assert "did you mean '每日'" in str(err)
    item, _, _ = checked(write, base_text.replace("format: 数据库", "format: Excel"))
    assert item.errors[0].suggestion == "电子表格"
    item, _, _ = checked(write, base_text.replace("method: 接口}", "method: file}"))
    assert item.errors[0].suggestion == "文件"  # the same word means another value for another key


def test_a_bad_uscc_is_reported_with_the_other_errors_in_one_pass(write, base_text):
    good = base_text.split("uscc: ")[1].split("\n")[0]
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    text = base_text.replace(good, wrong).replace("update_cycle: 每日", "update_cycle: 每天")
    text = text.replace("primary_key: [license_no]", "primary_key: [licence_no]")
    item, _, _ = checked(write, text)
    assert [e.code for e in item.errors] == [
        "CATALOG_USCC_CHECKSUM",
        "CATALOG_INVALID_VALUE",
        "CATALOG_PK_UNKNOWN_FIELD",
    ]
    assert [e.line for e in item.errors] == [4, line_of(text, "每天"), line_of(text, "licence_no")]


def test_yaml_that_is_not_allowed_gets_a_line(write):
    for text, line in (
        ("department: {id: x}\n---\nother: 1\n", 2),
        ("department: *nothing\n", 1),
        ("department:\n  name: a\x01b\n", 2),
        ("? [a, b]\n: c\n", 1),
    ):
        item, _, _ = checked(write, text, "odd.yaml")
        assert item.errors and item.errors[0].line == line, (text, [str(e) for e in item.errors])


def test_yamlpos_keeps_positions_through_events():
    doc = yamlpos.load("a:\n  b: [1, 2]\n  c: &x {d: 007}\ne: *x\n")
    assert doc["a"]["b"] == [1, 2] and doc["a"]["c"] == {"d": "007"} and doc["e"] is doc["a"]["c"]
    assert doc["a"].key_pos["b"] == (2, 3) and doc["a"]["b"].item_pos == [(2, 7), (2, 10)]
    assert doc.value_pos["e"] == (4, 4)
