"""gongshu's check-character expectations, through a real Great Expectations validation: what a
department's codes do to the clean gate."""

from __future__ import annotations

import datetime as dt

import great_expectations as gx
import pandas as pd
import pytest

from gongshu.quality import gate
from gongshu.quality.expectations import ExpectColumnValuesToBeValidIdCard, ExpectColumnValuesToBeValidUscc
from gongshu.rules.checkdigits import id_card_check_char, uscc_check_char
from gongshu.rules.identifiers import PILOT_CODES


def uscc(n: int) -> str:
    first17 = f"91331002MA{n:07d}"
    return first17 + uscc_check_char(first17)


def id_card(born: str, n: int = 1) -> str:
    first17 = f"331002{born}{n:03d}"
    return first17 + id_card_check_char(first17)


def wrong_check_char(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def check(expectation, values: list, dtype: str | None = "str") -> gate.Check:
    """Validate one expectation on a column ``code``; Arrow-backed strings unless ``dtype`` says otherwise."""
    suite = gx.ExpectationSuite(name="t", expectations=[expectation])
    [result] = gate.validate(suite, pd.DataFrame({"code": pd.Series(values, dtype=dtype)}))
    return result


def test_uscc_check_character():
    letters = "11331000MB1C75290"  # letters in the organisation code, as government bodies' codes have
    valid = [uscc(1), uscc(2), letters + uscc_check_char(letters)]
    ok = check(ExpectColumnValuesToBeValidUscc(column="code"), valid)
    assert ok.success and ok.unexpected_count == 0

    bad = check(ExpectColumnValuesToBeValidUscc(column="code"), [*valid, wrong_check_char(uscc(3)), "9133100"])
    assert not bad.success and bad.unexpected_count == 2
    assert set(bad.observed["partial_unexpected_list"]) == {wrong_check_char(uscc(3)), "9133100"}


def test_pilot_codes_pass_unless_disallowed():
    values = [uscc(1), *sorted(PILOT_CODES)]
    assert check(ExpectColumnValuesToBeValidUscc(column="code"), values).success  # allowed by default
    flagged = check(ExpectColumnValuesToBeValidUscc(column="code", allow_pilot_codes=False), values)
    assert not flagged.success and set(flagged.observed["partial_unexpected_list"]) == set(PILOT_CODES)


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_nulls_are_not_the_check_characters_business(dtype):
    uscc_check = check(ExpectColumnValuesToBeValidUscc(column="code"), [uscc(1), None, None], dtype)
    id_check = check(ExpectColumnValuesToBeValidIdCard(column="code"), [id_card("19800101"), None], dtype)
    assert uscc_check.success and id_check.success
    assert check(ExpectColumnValuesToBeValidIdCard(column="code"), [None, None], dtype).success


def test_id_card_check_character_and_birth_date():
    valid = [id_card("19800101"), id_card("20000229"), id_card("19000101"), "11010519491231002X"]
    ok = check(ExpectColumnValuesToBeValidIdCard(column="code"), valid)
    assert ok.success, ok.observed

    tomorrow = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")
    bad = {
        wrong_check_char(id_card("19800101")),
        id_card("19800230"),  # no 30 February: the check character is right, the date is not
        id_card("19000229"),  # 1900 was not a leap year
        id_card("18991231"),  # before 1900
        id_card(tomorrow),  # not born yet
        id_card("19801301"),  # month 13
        "33100219800101001",  # 17 characters
    }
    result = check(ExpectColumnValuesToBeValidIdCard(column="code"), [*valid, *sorted(bad)])
    assert not result.success and result.unexpected_count == len(bad)
    assert set(result.observed["partial_unexpected_list"]) == bad


def test_a_suite_file_round_trips_with_the_custom_types():
    """The JSON the generated suites hold builds the same expectations (kwargs and all)."""
    suite = gx.ExpectationSuite(
        name="t",
        expectations=[
            {"type": "expect_column_values_to_be_valid_uscc", "kwargs": {"column": "code", "allow_pilot_codes": False}},
            {"type": "expect_column_values_to_be_valid_id_card", "kwargs": {"column": "code", "mostly": 0.5}},
        ],
    )
    uscc_expectation, id_expectation = suite.expectations
    assert isinstance(uscc_expectation, ExpectColumnValuesToBeValidUscc) and not uscc_expectation.allow_pilot_codes
    assert isinstance(id_expectation, ExpectColumnValuesToBeValidIdCard) and id_expectation.mostly == 0.5
