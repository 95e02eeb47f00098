"""A resource's records standardised field by field: the kind decides the standardiser, the table
adds REQUIRED_MISSING and mojibake, and the findings come back in long form with per-row masks."""

from __future__ import annotations

import pyarrow as pa
import pytest

from gongshu.catalog.model import CatalogField, Resource
from gongshu.cleanse import standardise_column, standardise_table
from gongshu.rules.result import FINDINGS_SCHEMA

F = CatalogField

# one distinctive value per kind: written, standardised, repair
KINDS = {
    "text": (F(name="t", kind="text"), "台州  市１号", "台州 市1号", "FULLWIDTH"),
    "integer": (F(name="i", kind="integer"), "1,200", "1200", "NUMBER_FORMAT"),
    "decimal": (F(name="d", kind="decimal"), "1.50", "1.5", None),
    "amount": (F(name="a", kind="amount", unit="元"), "1.5万元", "15000", "AMOUNT_UNIT"),
    "date": (F(name="dt", kind="date"), "2020/1/2", "2020-01-02", "DATE_MIXED_FORMAT"),
    "datetime": (F(name="ts", kind="datetime"), "2020/1/2 3:04", "2020-01-02 03:04:00", "DATE_MIXED_FORMAT"),
    "enum": (F(name="e", kind="enum", values=["是", "否"], aliases={"是": ["Y"]}), "Y", "是", "ENUM_ALIAS"),
    "uscc": (F(name="u", kind="uscc"), "91110108551385082q", "91110108551385082Q", None),
    "id_card": (F(name="id", kind="id_card"), "34052419800101001x", "34052419800101001X", None),
    "phone": (F(name="p", kind="phone"), "138 1234 5678", "13812345678", "PHONE_FORMAT"),
    "region_code": (F(name="r", kind="region_code"), "３３１０００", "331000", "FULLWIDTH"),
    "person_name": (F(name="n", kind="person_name"), " 张  三 ", "张 三", None),
    "address": (F(name="ad", kind="address"), "椒江区７２号", "椒江区72号", "FULLWIDTH"),
    "email": (F(name="m", kind="email"), "Zhang@Example.com", "zhang@example.com", None),
}


def resource(fields: list[CatalogField], primary_key: list[str] | None = None) -> Resource:
    return Resource(
        id="r",
        name="测试资源",
        category="部门",
        format="数据库",
        update_cycle="每日",
        share={"type": "不予共享"},
        open={"type": "不予开放"},
        level="L1",
        primary_key=primary_key or [],
        fields=fields,
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_its_standardiser(kind):
    field, written, standardised, repair = KINDS[kind]
    got = standardise_column(field, pa.chunked_array([pa.array([written, None], pa.string())]))
    assert got.values.to_pylist() == [standardised, None]
    assert got.repaired.tolist() == [repair, None]
    assert got.rejected.tolist() == [None, None]


def test_all_fourteen_kinds_are_covered():
    from gongshu.catalog.vocab import FieldKind, values_of

    assert sorted(KINDS) == sorted(values_of(FieldKind))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_mojibake_is_rejected_in_every_kind(kind):
    field = KINDS[kind][0]
    got = standardise_column(field, pa.array(["ä¸­æ–‡", "锟斤拷", KINDS[kind][1]]))
    assert got.rejected.tolist()[:2] == ["TEXT_MOJIBAKE", "TEXT_MOJIBAKE"]
    assert got.values.to_pylist()[:2] == [None, None]
    assert got.rejected[2] is None


def test_repeated_values_are_standardised_once_and_spread_to_every_row():
    field = KINDS["enum"][0]
    values = ["是", "Y", None, "否 ", "也许"] * 20_000
    many = standardise_column(field, pa.array(values))
    few = standardise_column(field, pa.array(values[:5]))
    assert many.values.to_pylist() == few.values.to_pylist() * 20_000
    for name in ("rejected", "repaired", "warned"):
        assert getattr(many, name).tolist() == getattr(few, name).tolist() * 20_000
    text = KINDS["text"][0]
    clean = pa.array(["台州市", "椒江区", None] * 20_000)
    assert standardise_column(text, clean).values.equals(clean)


def test_required_and_key_fields_left_empty_are_rejected():
    fields = [
        F(name="code", kind="text"),  # the primary key, not marked required
        F(name="name", kind="text", required=True),
        F(name="phone", kind="phone", required=True),
        F(name="remark", kind="text"),
    ]
    table = pa.table(
        {
            "code": ["A1", None, "A3", "A4"],
            "name": ["甲", "乙", "NULL", ""],
            "phone": ["13812345678", "13812345678", "12345", "—"],
            "remark": ["无", None, "备注", "x"],
            "_source_row": [1, 2, 3, 4],
        }
    )
    got = standardise_table(resource(fields, ["code"]), table)
    assert got.findings.schema == FINDINGS_SCHEMA
    assert got.findings.to_pylist() == [
        {"row": 0, "field": "remark", "code": "NULL_TOKEN", "severity": "repair"},
        {"row": 1, "field": "code", "code": "REQUIRED_MISSING", "severity": "reject"},
        {"row": 2, "field": "name", "code": "REQUIRED_MISSING", "severity": "reject"},  # not also NULL_TOKEN
        {"row": 2, "field": "phone", "code": "PHONE_INVALID", "severity": "reject"},  # not also REQUIRED_MISSING
        {"row": 3, "field": "name", "code": "REQUIRED_MISSING", "severity": "reject"},
        {"row": 3, "field": "phone", "code": "REQUIRED_MISSING", "severity": "reject"},
    ]
    assert got.rejected.tolist() == [False, True, True, True]
    assert got.table.column_names == ["code", "name", "phone", "remark"]
    assert got.table.to_pydict() == {
        "code": ["A1", None, "A3", "A4"],
        "name": ["甲", "乙", None, None],
        "phone": ["13812345678", "13812345678", None, None],
        "remark": [None, None, "备注", "x"],
    }


def test_findings_are_ordered_by_row_field_and_severity():
    fields = [F(name="uscc", kind="uscc"), F(name="id", kind="id_card"), F(name="day", kind="date")]
    table = pa.table(
        {
            "day": ["2020/1/2", "2021-02-30", "2020-01-02"],
            "uscc": ["９１３５０１００Ｍ０００１ＴＧＱＸＭ", "91350211M0000XUF46", "91110108551385082Q"],
            "id": ["34052419800101001X", "332701811218291", "340524198001010013"],
        }
    )
    got = standardise_table(resource(fields), table)
    assert [(f["row"], f["field"], f["code"]) for f in got.findings.to_pylist()] == [
        (0, "uscc", "USCC_PILOT"),
        (0, "uscc", "FULLWIDTH"),
        (0, "day", "DATE_MIXED_FORMAT"),
        (1, "uscc", "USCC_PILOT"),
        (1, "id", "ID_CARD_LEGACY15"),
        (1, "day", "DATE_INVALID"),
        (2, "id", "ID_CARD_CHECKSUM"),
    ]
    assert got.rejected.tolist() == [False, True, True]
    assert got.warned.tolist() == [True, False, False]  # a rejected row is not also counted as warned


def test_a_table_without_a_field_column_is_refused():
    with pytest.raises(ValueError, match="no column for field"):
        standardise_table(resource([F(name="a", kind="text"), F(name="b", kind="text")]), pa.table({"a": ["x"]}))


def test_an_empty_table():
    got = standardise_table(
        resource([F(name="a", kind="date", required=True)]), pa.table({"a": pa.array([], pa.string())})
    )
    assert got.findings.num_rows == 0 and got.table.num_rows == 0 and got.rejected.tolist() == []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_empty_null_and_large_string_columns(kind):
    field, written, standardised, _ = KINDS[kind]
    for column, expected in (
        (pa.array([None] * 20_000, pa.string()), [None] * 20_000),
        (pa.chunked_array([], pa.string()), []),
        (pa.array([written, None] * 10_000, pa.large_string()), [standardised, None] * 10_000),
    ):
        got = standardise_column(field, column)
        assert got.values.type == pa.string()
        assert got.values.to_pylist() == expected
        assert len(got.rejected) == len(got.repaired) == len(got.warned) == len(expected)
