"""The personal-data scan: valid ID numbers and mobile numbers anywhere in a frame are found, with
masked samples; invalid, masked, hashed or longer numbers are not."""

from __future__ import annotations

import pandas as pd
import pytest
from stdnum.cn import ric

from gongshu.open.masking import SALT_ENV, mask_values
from gongshu.open.pii import Finding, scan_frame


def valid_id(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


ID = valid_id("33010219900101123")
ID_X = valid_id("11010519491231002")
WRONG = ID[:17] + ("5" if ID[17] != "5" else "6")


def test_the_reference_numbers():
    assert ric.is_valid(ID) and ric.is_valid(ID_X) and not ric.is_valid(WRONG)
    assert ID_X.endswith("X")


def test_an_id_number_in_a_remark():
    frame = pd.DataFrame({"remark": ["无", f"联系人身份证{ID}请核实", None]}, index=["a", "b", "c"])
    assert scan_frame(frame) == [Finding("remark", "id_card", 1, ["b"], ID[:6] + "********" + ID[-4:])]


def test_an_id_number_with_x_and_lower_case():
    frame = pd.DataFrame({"t": [f"证件号：{ID_X}", f"证件号:{ID_X.lower()}。"]})
    (found,) = scan_frame(frame)
    assert (found.kind, found.count, found.rows) == ("id_card", 2, [0, 1])
    assert found.sample.endswith("002X") and ID_X not in found.sample


def test_an_invalid_check_digit_is_not_an_id_number():
    assert scan_frame(pd.DataFrame({"remark": [f"单号{WRONG}"]})) == []


def test_a_mobile_number_in_text():
    frame = pd.DataFrame({"note": ["请致电13812341234联系", "tel: +8613912345678", "无"]})
    assert scan_frame(frame) == [Finding("note", "mobile", 2, [0, 1], "138****1234")]


def test_a_longer_number_is_not_a_mobile_number():
    frame = pd.DataFrame({"note": ["订单号138123412345", "编号913812341234", "0138123412345"]})
    assert scan_frame(frame) == []


def test_masked_values_are_not_flagged(monkeypatch):
    values = pd.Series([ID, "13812341234", ID_X])
    monkeypatch.setenv(SALT_ENV, "secret")
    frame = pd.DataFrame(
        {
            "id_no": mask_values("id_card", values).to_pylist(),
            "tel": mask_values("phone", values).to_pylist(),
            "digest": mask_values("hash", values).to_pylist(),
        }
    )
    assert scan_frame(frame) == []


def test_a_hex_digest_that_holds_a_mobile_number_is_not_flagged():
    frame = pd.DataFrame({"digest": ["13812341234abcdef0123456789abcd", "ab" + ID + "cdef0123"]})
    assert scan_frame(frame) == []


def test_numbers_stored_as_integers():
    frame = pd.DataFrame({"tel": [13812341234, 5551234], "amount": [13812341234.0, 1.0]})
    assert [(f.column, f.kind, f.count) for f in scan_frame(frame)] == [("tel", "mobile", 1)]


def test_both_kinds_in_one_column_and_first_rows_only():
    frame = pd.DataFrame({"t": [f"{ID} 13812341234"] * 8})
    found = {f.kind: f for f in scan_frame(frame)}
    assert set(found) == {"id_card", "mobile"}
    assert found["id_card"].count == 8 and found["id_card"].rows == [0, 1, 2, 3, 4]
    assert found["mobile"].count == 8


@pytest.mark.parametrize("uscc", ["91330102MA27XL5Q6R", "913301020000000000"])
def test_organisation_codes_are_not_personal(uscc):
    assert scan_frame(pd.DataFrame({"code": [uscc]})) == []
