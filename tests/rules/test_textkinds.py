"""Enumerations, e-mail addresses, personal names and free text."""

from __future__ import annotations

import pyarrow as pa

from gongshu.catalog.model import CatalogField
from gongshu.rules.textkinds import email, enum, person_name, text

STATUS = CatalogField(
    name="status",
    kind="enum",
    values=["存续", "注销", "吊销", "有限责任公司（自然人独资）"],
    aliases={"存续": ["存续（在营、开业、在册）", "在营", "1"], "注销": ["已注销"]},
)
LEVEL = CatalogField(name="level", kind="enum", values=["蓝色", "红色"], aliases={"蓝色": ["BLUE"], "红色": ["RED"]})

ENUM_CASES = [
    # field, written, standardised, rejected, repaired
    (STATUS, "存续", "存续", None, None),
    (STATUS, " 存续 ", "存续", None, None),
    (STATUS, "在营", "存续", None, "ENUM_ALIAS"),
    (STATUS, "存续（在营、开业、在册）", "存续", None, "ENUM_ALIAS"),
    (STATUS, "存续(在营、开业、在册)", "存续", None, "ENUM_ALIAS"),  # half-width brackets
    (STATUS, "1", "存续", None, "ENUM_ALIAS"),
    (STATUS, "１", "存续", None, "ENUM_ALIAS"),
    (STATUS, "已注销", "注销", None, "ENUM_ALIAS"),
    (STATUS, "有限责任公司（自然人独资）", "有限责任公司（自然人独资）", None, None),
    (STATUS, "有限责任公司(自然人独资)", "有限责任公司（自然人独资）", None, "ENUM_ALIAS"),
    (STATUS, "停业", None, "ENUM_INVALID", None),
    (STATUS, "2", None, "ENUM_INVALID", None),
    (STATUS, "NULL", None, None, "NULL_TOKEN"),
    (LEVEL, "BLUE", "蓝色", None, "ENUM_ALIAS"),
    (LEVEL, "blue", "蓝色", None, "ENUM_ALIAS"),
    (LEVEL, "ＲＥＤ", "红色", None, "ENUM_ALIAS"),
    (LEVEL, "蓝", None, "ENUM_INVALID", None),
]


def test_enum_cases():
    for field in (STATUS, LEVEL):
        cases = [c for c in ENUM_CASES if c[0] is field]
        got = enum(pa.array([c[1] for c in cases], pa.string()), field)
        assert got.values.to_pylist() == [c[2] for c in cases], field.name
        assert got.rejected.tolist() == [c[3] for c in cases], field.name
        assert got.repaired.tolist() == [c[4] for c in cases], field.name


def test_a_folded_spelling_two_values_share_is_not_guessed():
    field = CatalogField(name="grade", kind="enum", values=["Type A", "type a", "Type B"])
    got = enum(pa.array(["Type A", "type a", "TYPEA", "typeb"]), field)
    assert got.values.to_pylist() == ["Type A", "type a", None, "Type B"]
    assert got.rejected.tolist() == [None, None, "ENUM_INVALID", None]


def test_email_cases():
    written = [
        "ZhangSan@Example.COM",
        " li.si+tag@mail.taizhou.gov.cn ",
        "ｗａｎｇ＠１２６．ｃｏｍ",
        "zhang@",
        "张三@qq.com",
        "a@b",
        "无",
    ]
    got = email(pa.array(written))
    assert got.values.to_pylist() == [
        "zhangsan@example.com",
        "li.si+tag@mail.taizhou.gov.cn",
        "wang@126.com",
        None,
        None,
        None,
        None,
    ]
    assert got.rejected.tolist() == [None, None, None, "EMAIL_INVALID", "EMAIL_INVALID", "EMAIL_INVALID", None]
    assert got.repaired.tolist() == [None, None, "FULLWIDTH", None, None, None, "NULL_TOKEN"]


def test_person_name_cases():
    written = ["张三", " 欧阳  娜娜 ", "买买提·艾力", "张三１", "李四2", "王\u3000五", "John Smith", "—"]
    got = person_name(pa.array(written))
    assert got.values.to_pylist() == ["张三", "欧阳 娜娜", "买买提·艾力", None, None, "王 五", "John Smith", None]
    assert got.rejected.tolist() == [None, None, None, "NAME_INVALID", "NAME_INVALID", None, None, None]
    assert got.repaired.tolist() == [None, None, None, None, None, "FULLWIDTH", None, "NULL_TOKEN"]


def test_text_is_tidied_never_rejected():
    written = [
        "浙江省台州市椒江区洪家街道洪家路７２号",
        "一般项目：  销售；\n进出口。（依法须经批准的项目）",
        "暂无",
        "",
    ]
    got = text(pa.array(written))
    assert got.values.to_pylist() == [
        "浙江省台州市椒江区洪家街道洪家路72号",
        "一般项目： 销售； 进出口。（依法须经批准的项目）",
        None,
        None,
    ]
    assert got.rejected.tolist() == [None] * 4
    assert got.repaired.tolist() == ["FULLWIDTH", None, "NULL_TOKEN", None]
