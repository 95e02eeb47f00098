"""Every finding a department receives has a rule: a severity matching what the standardiser did,
a problem and advice in Chinese, and advice made specific to the value where that helps."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

from gongshu.catalog.model import CatalogField
from gongshu.cleanse import standardise_table
from gongshu.rules.advice import advice_for
from gongshu.rules.codes import RULES
from tests.cleanse.test_table import KINDS, resource

GONGSHU = Path(__file__).resolve().parents[2] / "gongshu"
STANDARDISERS = [
    *(
        f"rules/{name}.py"
        for name in ("text", "column", "dates", "identifiers", "phone", "numbers", "textkinds", "kinds")
    ),
    "cleanse/table.py",
]
QUARANTINE = {code: rule for code, rule in RULES.items() if rule.quarantine is not None}
"""The rules of the findings a department receives (the others only a gate reports)."""
NOT_CODES = {"NULL", "NFKC"}  # a null token and a Unicode normal form
F = CatalogField


def emitted_codes() -> set[str]:
    """Every rule code written in the standardisers' source."""
    found = set()
    for name in STANDARDISERS:
        source = (GONGSHU / name).read_text(encoding="utf-8")
        found |= set(re.findall(r'"([A-Z][A-Z0-9_]{3,})"', source))
    return found - NOT_CODES


def test_every_code_the_standardisers_write_has_a_rule():
    codes = emitted_codes()
    assert {"USCC_CHECKSUM", "PHONE_FORMAT", "TEXT_MOJIBAKE", "REQUIRED_MISSING", "NULL_TOKEN"} <= codes
    assert codes <= set(QUARANTINE), codes - set(QUARANTINE)
    assert set(QUARANTINE) - codes == {"PK_DUPLICATE"}  # the stage merges duplicates after standardising


def test_severities_are_what_the_standardisers_do():
    fields = [KINDS[kind][0] for kind in sorted(KINDS)] + [F(name="req", kind="text", required=True)]
    bad = {
        "t": "锟斤拷",
        "i": "1.5",
        "a": "三百元",
        "dt": "2021-02-30",
        "ts": "1850-01-01 00:00:00",
        "e": "也许",
        "u": "91350100M0001TGQXM",
        "id": "332701811218291",
        "p": "1381234567",
        "r": "33100",
        "n": "张3",
        "m": "zhang@",
    }
    rows = [[KINDS[kind][1] for kind in sorted(KINDS)] + ["x"], [bad.get(f.name, "无") for f in fields]]
    table = pa.table({f.name: [row[k] for row in rows] for k, f in enumerate(fields)})
    findings = standardise_table(resource(fields), table).findings.to_pylist()
    assert len({f["code"] for f in findings}) >= 18
    for finding in findings:
        assert RULES[finding["code"]].quarantine == finding["severity"], finding


@pytest.mark.parametrize("code", sorted(QUARANTINE))
def test_texts_are_plain_chinese_sentences(code):
    rule = RULES[code]
    assert rule.code == code and rule.quarantine in ("reject", "warn", "repair", "merge")
    for text in (rule.problem, rule.advice):
        assert re.search(r"[\u4e00-\u9fff]{4}", text), text
        assert not re.search(r"\b[A-Z]+_[A-Z_]+\b", text), text  # no rule codes in department-facing text


USCC = F(name="uscc", label="统一社会信用代码", kind="uscc")
ID = F(name="id", label="法定代表人身份证号码", kind="id_card")
CAPITAL = F(name="capital", label="注册资本", kind="amount", unit="万元")
STATUS = F(name="status", label="登记状态", kind="enum", values=["存续", "注销"], aliases={"存续": ["在营"]})
PHONE = F(name="phone", label="联系电话", kind="phone")

ADVICE = [
    ("USCC_CHECKSUM", USCC, "91110108551385082A", "第 18 位校验码应为「Q」，请核对前 17 位是否录入有误"),
    ("USCC_CHECKSUM", USCC, "９１１１０１０８５５１３８５０８２Ａ", "应为「Q」"),
    ("USCC_FORMAT", USCC, "9111010855138508", "16 位，应为 18 位"),
    ("USCC_FORMAT", USCC, "91110108551385O82Q", "「O」"),
    ("ID_CARD_CHECKSUM", ID, "340524198001010013", "第 18 位校验码应为「X」，请核对前 17 位是否录入有误"),
    ("ID_CARD_BIRTHDATE", ID, "332627198402306276", "「19840230」"),
    ("ID_CARD_BIRTHDATE", ID, "332701811318291", "「19811318」"),
    ("ID_CARD_LEGACY15", ID, "332701811218291", "「332701198112182910」"),
    ("AMOUNT_UNIT", CAPITAL, "3055000元", "请按目录单位「万元」填写数值，不带单位，本条应填「305.5」"),
    ("ENUM_INVALID", STATUS, "停业", "存续、注销"),
    ("ENUM_ALIAS", STATUS, "在营", "「存续」"),
    ("PHONE_INVALID", PHONE, "1381234567", "应为 11 位，现填写的是 10 位"),
    ("PHONE_FORMAT", PHONE, "+86 138 1234 5678", "「13812345678」"),
    ("REGION_INVALID", F(name="r", kind="region_code"), "33100", "5 位"),
    ("DATE_MIXED_FORMAT", F(name="d", kind="date"), "2020/1/2", "「2020-01-02」"),
    ("FULLWIDTH", USCC, "９１１１０１０８５５１３８５０８２Ｑ", "「91110108551385082Q」"),
    ("REQUIRED_MISSING", F(name="name", label="企业名称", kind="text"), None, "「企业名称」是必填项"),
    ("NUMBER_INVALID", F(name="n", kind="integer"), "12.5", "整数"),
]


@pytest.mark.parametrize("code,field,original,expected", ADVICE, ids=[f"{a[0]}-{a[2]}" for a in ADVICE])
def test_advice_is_specific_to_the_value(code, field, original, expected):
    assert expected in advice_for(code, field, original)


def test_advice_falls_back_to_the_rule():
    assert advice_for("USCC_CHECKSUM", USCC, None) == RULES["USCC_CHECKSUM"].advice
    assert advice_for("TEXT_MOJIBAKE", USCC, "锟斤拷") == RULES["TEXT_MOJIBAKE"].advice


def test_amount_advice_without_a_catalog_unit():
    field = F(name="fee", label="费用", kind="amount")
    assert advice_for("AMOUNT_UNIT", field, "1,200") == "请只填写数值，不带单位和千分位分隔符，本条应填「1200」。"
    assert "只填写数值" in advice_for("NUMBER_INVALID", field, "300万元")
