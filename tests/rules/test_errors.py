"""gongshu.rules.errors: a recorded error as the Chinese sentence a department reads."""

from __future__ import annotations

import re

import pytest

from gongshu.rules.codes import RULES
from gongshu.rules.errors import KINDS, describe, explain, file_name, rule_text

# the English messages our own stages write (collect/base.py, collect/stage.py, cleanse/batch.py, catalog)
STAGE_MESSAGES = {
    "SOURCE_NOT_FOUND": "/srv/gongshu/samples/zhzfj/citizen_complaints.csv: file not found: "
    "../samples/zhzfj/citizen_complaints.csv (resolved to /srv/gongshu/samples/zhzfj/citizen_complaints.csv); "
    "check the path in the catalog, which is relative to the catalog file",
    "COLUMNS_MISSING": "csv /srv/x/a.csv (utf-8): the source lacks 1 column(s) the catalog declares: '企业名称' for "
    "field 'company_name' (did you mean '企业名称（全称）'? set source_column or fix the source); the source has: "
    "a, b; nothing was stored",
    "RAW_GATE": "raw gate failed: the batch has 0 rows; the catalog expects at least 1; nothing from this batch "
    "was stored",
    "CLEAN_GATE": "clean gate failed for batch b20261103-1a2b: 9 of 100 rows (9.0%) were quarantined, more than "
    "the catalog's max_invalid_ratio 5.0%; most frequent problems: DATE_INVALID 5, PHONE_INVALID 4; the DWD "
    "table was left as it was, the problems were sent to the department's feedback workbook",
    "CATALOG_SOURCE_MISSING": "/srv/catalogs/zhzfj.yaml:105:13: error: resource 'citizen_complaints': source file "
    "'../samples/zhzfj/citizen_complaints.csv' does not exist (looked for /srv/samples/zhzfj/citizen_complaints.csv)",
    "CATALOG_YAML_SYNTAX": "/srv/catalogs/a.yaml:3:1: error: YAML syntax error: mapping values are not allowed here",
}


@pytest.mark.parametrize("kind", sorted(STAGE_MESSAGES))
def test_our_english_messages_are_recognised_and_never_shown(kind):
    message = STAGE_MESSAGES[kind]
    found = explain(message)
    assert found.kind == kind
    english = set(re.findall(r"[a-z]{3,}", message)) - {"citizen", "complaints", "csv", "zhzfj"}
    assert not set(re.findall(r"[a-z]{3,}", found.sentence)) & english, found.sentence
    assert "/" not in found.sentence


def test_the_recorded_kind_and_safe_parameters_win():
    details = {"error_kind": "COLUMNS_MISSING", "fields": ["企业名称", "登记状态"], "file": "../samples/a/b.csv"}
    assert describe("anything at all", details) == "数据源缺少目录登记的列：「企业名称」、「登记状态」"
    missing = {"error_kind": "SOURCE_NOT_FOUND", "file": "../samples/zhzfj/citizen_complaints.csv"}
    assert describe(None, missing) == "数据源文件「citizen_complaints.csv」不存在"
    raw = {"error_kind": "RAW_GATE", "checks": ["ROW_COUNT"]}
    assert describe(None, raw) == "数据未通过归集质量检查：记录数不足（ROW_COUNT）"


def test_clean_gate_figures_and_rule_codes_in_chinese():
    text = describe(STAGE_MESSAGES["CLEAN_GATE"])
    assert text == (
        "清洗质量门未通过：100 行中有 9 行（9.0%）因数据问题被隔离，超过目录允许的 5.0%；"
        "主要问题：日期不存在（DATE_INVALID）、电话号码无效（PHONE_INVALID）"
    )


def test_an_unknown_error_points_at_the_run_report():
    text = describe("KeyError: 'x' in /srv/gongshu/foo.py line 3", run_id="20261103T020000Z-abc123")
    assert text == "运行出错，详见运行报告（运行编号 20261103T020000Z-abc123）"


def test_every_kind_and_gate_code_has_chinese():
    for kind in KINDS.values():
        assert re.search(r"[\u4e00-\u9fff]", kind.sentence) and re.search(r"[\u4e00-\u9fff]", kind.advice)
    for code in RULES:  # the codes only a gate reports among them (ROW_COUNT, PII_MOBILE, …)
        assert rule_text(code).endswith(f"（{code}）") and re.match(r"[\u4e00-\u9fff]", rule_text(code))


def test_chinese_reasons_pass_through_and_open_reasons_are_recognised():
    assert describe("不予开放") == "不予开放"
    held = (
        "resource 'x' (某资源): L2 (内部) opens only on application, masked (DB33/T 2351), but open.type is "
        "无条件开放: held back until the catalog declares 有条件开放"
    )
    assert describe(held) == "该资源的分级只能依申请开放，但目录登记为无条件开放，暂不发布"


def test_file_name_keeps_only_the_name():
    assert file_name("../samples/zhzfj/citizen_complaints.csv") == "citizen_complaints.csv"
    assert file_name("D:\\exports\\a.xlsx") == "a.xlsx"
    assert file_name(None) == ""
