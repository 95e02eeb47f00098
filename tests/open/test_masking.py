"""Masking for opening: each mask's rule on ordinary and awkward values, the level rules of
DB33/T 2351 over a whole frame, and the release decision for every open type and level."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from gongshu.catalog.model import CatalogField, Resource
from gongshu.catalog.vocab import Mask, values_of
from gongshu.open.masking import (
    SALT_ENV,
    MaskSaltMissing,
    effective_mask,
    mask_frame,
    mask_value,
    mask_values,
    release_decision,
)

F = CatalogField

CASES: list[tuple[Mask, str | None, str | None]] = [
    # mask, value, masked
    ("name", "张三丰", "张**"),
    ("name", "张三", "张*"),
    ("name", "欧阳娜娜", "欧***"),
    ("name", "张", "*"),
    ("name", "John Smith", "J*********"),
    ("name", None, None),
    ("name", "", None),
    ("id_card", "330102199001011234", "330102********1234"),
    ("id_card", "33010219900101123X", "330102********123X"),
    ("id_card", "330102900101123", "330102*****1123"),
    ("id_card", "A1234567", "********"),
    ("id_card", None, None),
    ("phone", "13812341234", "138****1234"),
    ("phone", "0576-88123456", "0576*******56"),
    ("phone", "010-88123456", "010-******56"),
    ("phone", "12812341234", "1281*****34"),  # not a mobile number: the landline rule
    ("phone", "13812", "*****"),
    ("phone", "", None),
    ("landline", "09157518479", "0915*****79"),
    ("landline", "8812345", "*******"),
    ("address", "浙江省台州市椒江区白云街道100号", "浙江省台州市椒江区****"),
    ("address", "北京市海淀区马连洼北路1号", "北京市海淀区****"),
    ("address", "上海市浦东新区张江镇科苑路88号", "上海市浦东新区****"),
    ("address", "内蒙古自治区呼和浩特市新城区中山路1号", "内蒙古自治区呼和浩特市新城区****"),
    ("address", "延边朝鲜族自治州延吉市", "延边朝鲜族自治州延吉市"),
    ("address", "浙江省宁波市镇海区骆驼街道", "浙江省宁波市镇海区****"),
    ("address", "浙江省温岭市城东街道万昌中路", "浙江省温岭市****"),
    ("address", "拱墅区米市巷12号", "拱墅区****"),
    ("address", "浙江省台州市椒江区", "浙江省台州市椒江区"),
    ("address", "浙江省温岭市城南镇新市村5号", "浙江省温岭市****"),  # 市 in a village name
    ("address", "杭州市和睦小区3幢201室", "杭州市****"),  # 区 of a 小区
    ("address", "白云街道市场路88号", "****"),  # no region first: nothing kept
    ("address", "100 Wensan Road", "****"),
    ("address", None, None),
    ("email", "zhang@example.com", "z***@example.com"),
    ("email", "a@example.com", "***@example.com"),
    ("email", "张伟@example.cn", "张***@example.cn"),
    ("email", "not-an-email", "************"),
    ("bank_card", "6222021234567890123", "6222***********0123"),
    ("bank_card", "62220212", "********"),
    ("none", "张三丰", "张三丰"),
]


@pytest.mark.parametrize(("mask", "value", "masked"), CASES)
def test_mask_rules(mask, value, masked):
    assert mask_value(mask, value) == masked


def test_every_value_mask_has_cases():
    assert {m for m, _, _ in CASES} == set(values_of(Mask)) - {"drop", "hash"}


def test_a_column_masks_like_its_values():
    values = pd.Series(["张三丰", None, "李四"], index=[10, 20, 30])
    assert mask_values("name", values).to_pylist() == ["张**", None, "李*"]


def test_drop_is_not_a_value_mask():
    with pytest.raises(ValueError, match="'remark'"):
        mask_values("drop", pa.array(["x"]), field="remark")


def test_hash_needs_a_salt(monkeypatch):
    monkeypatch.delenv(SALT_ENV, raising=False)
    with pytest.raises(MaskSaltMissing, match="'id_no'.*GONGSHU_MASK_SALT"):
        mask_values("hash", pa.array(["330102199001011234"]), field="id_no")
    monkeypatch.setenv(SALT_ENV, "")
    with pytest.raises(MaskSaltMissing):
        mask_values("hash", pa.array(["330102199001011234"]), field="id_no")


def test_hash_is_stable_for_a_salt_and_differs_across_salts(monkeypatch):
    values = pa.array(["330102199001011234", "13812341234", "330102199001011234", None])
    monkeypatch.setenv(SALT_ENV, "salt-one")
    first = mask_values("hash", values).to_pylist()
    again = mask_values("hash", values).to_pylist()
    monkeypatch.setenv(SALT_ENV, "salt-two")
    other = mask_values("hash", values).to_pylist()
    assert first == again
    assert first[0] == first[2] != first[1]
    assert first[3] is None
    assert len(first[0]) == 32 and int(first[0], 16) >= 0
    assert "330102199001011234" not in first
    assert other[0] != first[0] and other[1] != first[1]


@pytest.mark.parametrize(
    ("kind", "mask"),
    [
        ("person_name", "name"),
        ("id_card", "id_card"),
        ("phone", "phone"),
        ("address", "address"),
        ("email", "email"),
        ("text", "none"),
        ("uscc", "none"),
        ("region_code", "none"),
    ],
)
def test_default_mask_by_kind(kind, mask):
    assert effective_mask(F(name="f", kind=kind)) == mask
    assert effective_mask(F(name="f", kind=kind, mask="hash")) == "hash"


def resource(fields: list[CatalogField], *, level: str = "L2", open_type: str = "有条件开放") -> Resource:
    return Resource(
        id="r",
        name="测试资源",
        category="部门",
        format="数据库",
        update_cycle="每日",
        share={"type": "不予共享"},
        open={"type": open_type},
        level=level,
        fields=fields,
    )


def test_mask_frame_applies_field_rules():
    res = resource(
        [
            F(name="name", kind="person_name"),
            F(name="id_no", kind="id_card", level="L3"),
            F(name="tel", kind="phone", mask="landline"),
            F(name="remark", kind="text", mask="drop"),
            F(name="health", kind="text", mask="none", level="L4"),
            F(name="amount", kind="amount"),
        ]
    )
    frame = pd.DataFrame(
        {
            "name": ["张三丰", None],
            "id_no": ["330102199001011234", "33010219900101123X"],
            "tel": ["0576-88123456", "13812341234"],
            "remark": ["x", "y"],
            "health": ["diabetes", "none"],
            "amount": [1.5, 2.0],
            "_batch_id": ["b1", "b1"],
        },
        index=[7, 9],
    )
    masked = mask_frame(res, frame)
    assert list(masked.frame.columns) == ["name", "id_no", "tel", "amount"]
    assert masked.frame.index.tolist() == [7, 9]
    assert masked.frame["name"].tolist()[0] == "张**" and pd.isna(masked.frame["name"].tolist()[1])
    assert masked.frame["id_no"].tolist() == ["330102********1234", "330102********123X"]
    assert masked.frame["tel"].tolist() == ["0576*******56", "1381*****34"]
    assert masked.frame["amount"].tolist() == [1.5, 2.0]
    assert masked.masks == {"name": "name", "id_no": "id_card", "tel": "landline", "amount": "none"}
    reasons = {d.field: d.reason for d in masked.dropped}
    assert set(reasons) == {"remark", "health", "_batch_id"}
    assert "L4" in reasons["health"] and "drop" in reasons["remark"]


def test_mask_frame_keeps_a_repeated_index():
    res = resource([F(name="name", kind="person_name"), F(name="n", kind="integer")])
    masked = mask_frame(res, pd.DataFrame({"name": ["张三", "李四"], "n": [1, 2]}, index=["a", "a"]))
    assert masked.frame["name"].tolist() == ["张*", "李*"]
    assert masked.frame["n"].tolist() == [1, 2] and masked.frame.index.tolist() == ["a", "a"]


def test_an_l4_field_is_dropped_whatever_its_mask(monkeypatch):
    monkeypatch.setenv(SALT_ENV, "s")
    fields = [F(name=m, kind="text", mask=m, level="L4") for m in ("none", "hash", "name")]
    masked = mask_frame(
        resource([*fields, F(name="ok", kind="text")]), pd.DataFrame({m: ["v"] for m in ("none", "hash", "name", "ok")})
    )
    assert list(masked.frame.columns) == ["ok"]
    assert [d.field for d in masked.dropped] == ["none", "hash", "name"]


def test_fields_of_an_l4_resource_inherit_its_level():
    res = resource([F(name="a", kind="text"), F(name="b", kind="text", level="L1")], level="L4", open_type="不予开放")
    masked = mask_frame(res, pd.DataFrame({"a": ["x"], "b": ["y"]}))
    assert list(masked.frame.columns) == ["b"]
    assert "resource's level" in masked.dropped[0].reason


def test_hash_in_a_frame_without_salt_names_the_field(monkeypatch):
    monkeypatch.delenv(SALT_ENV, raising=False)
    res = resource([F(name="id_no", kind="id_card", mask="hash")])
    with pytest.raises(MaskSaltMissing, match="'id_no'"):
        mask_frame(res, pd.DataFrame({"id_no": ["330102199001011234"]}))


DECISIONS = [
    # level, declared, openable, release, words in the reason
    ("L1", "无条件开放", True, "无条件开放", "to anyone"),
    ("L1", "有条件开放", True, "有条件开放", "on application"),
    ("L1", "不予开放", False, "不予开放", "open.type is 不予开放"),
    ("L2", "无条件开放", False, "不予开放", "until the catalog declares 有条件开放"),
    ("L2", "有条件开放", True, "有条件开放", "on application"),
    ("L2", "不予开放", False, "不予开放", "open.type is 不予开放"),
    ("L3", "无条件开放", False, "不予开放", "until the catalog declares 有条件开放"),
    ("L3", "有条件开放", True, "有条件开放", "on application"),
    ("L3", "不予开放", False, "不予开放", "open.type is 不予开放"),
    ("L4", "无条件开放", False, "不予开放", "never opened"),
    ("L4", "有条件开放", False, "不予开放", "never opened"),
    ("L4", "不予开放", False, "不予开放", "open.type is 不予开放"),
]


@pytest.mark.parametrize(("level", "declared", "openable", "release", "words"), DECISIONS)
def test_release_decision(level, declared, openable, release, words):
    decision = release_decision(resource([F(name="a", kind="text")], level=level, open_type=declared))
    assert (decision.openable, decision.release) == (openable, release)
    assert words in decision.reason
    assert level in decision.reason
