"""Why a 质量门禁 did not pass, in plain Chinese from the structured checks (gate_text), and a
Chinese sentence and advice for every rule code the platform has."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongshu.catalog.model import CatalogField
from gongshu.cleanse.gate_text import NOT_EVALUATED, UNKNOWN_CHECK, field_label, gate_notes
from gongshu.rules.codes import RULES
from tests.cleanse.test_table import resource

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Failed:
    rule: str
    column: str | None = None
    unexpected_count: int | None = None


RES = resource(
    [
        CatalogField(name="uscc", label="统一社会信用代码", kind="uscc"),
        CatalogField(name="addr", label="地址", kind="text"),
        CatalogField(name="addr2", label="地址", kind="text"),
        CatalogField(name="tel", source_column="联系电话", kind="phone"),
    ],
    primary_key=["uscc"],
)


def test_every_rule_code_has_a_chinese_sentence_and_advice():
    for code, rule in RULES.items():
        assert CHINESE.search(rule.problem) and CHINESE.search(rule.advice), code
        assert code not in rule.problem + rule.advice, code


def test_fields_by_label_with_the_name_only_when_two_share_it():
    assert field_label(RES, "uscc") == "统一社会信用代码"
    assert field_label(RES, "addr") == "地址（addr）"
    assert field_label(RES, "tel") == "联系电话"  # no label: the column the department writes


def test_each_failed_check_in_a_sentence():
    notes = gate_notes(
        RES,
        200,
        30,
        [Failed("INVALID_RATIO", None, 30), Failed("USCC_CHECKSUM", "uscc", 2), Failed("ROW_COUNT")],
    )
    limit = RES.quality.max_invalid_ratio
    assert notes == (
        f"这批数据共 200 条记录，其中 30 条有错误被隔离（占 15.0%），超过目录规定的上限 {limit:.1%}，整批数据没有入库。"
        + RULES["INVALID_RATIO"].advice,
        f"这批数据能够入库的记录少于目录规定的至少 {RES.quality.min_rows} 条，整批数据没有入库。"
        + RULES["ROW_COUNT"].advice,
        "「统一社会信用代码」："
        + RULES["USCC_CHECKSUM"].problem.removesuffix("。")
        + "（2 条记录）。"
        + RULES["USCC_CHECKSUM"].advice,
    )


def test_a_gate_that_checked_nothing_or_an_unknown_check():
    assert gate_notes(RES, 10, 0, []) == (NOT_EVALUATED,)
    assert gate_notes(RES, 10, 0, [Failed("expect_something_new", "addr")]) == (UNKNOWN_CHECK,)
    assert all(not re.search(r"[A-Za-z]{3,}", n) for n in (NOT_EVALUATED, UNKNOWN_CHECK))
