"""Telephone numbers: every way departments write a valid number ends in the canonical form of
the clean suite, and anything that is not a Chinese number is rejected."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from gongshu.rules.patterns import PHONE
from gongshu.rules.phone import phone

CASES = [
    # written, standardised, rejected, repaired
    ("13812345678", "13812345678", None, None),
    ("0576-88123456", "0576-88123456", None, None),
    ("0576-8812345", "0576-8812345", None, None),
    ("0576-88123456-801", "0576-88123456-801", None, None),
    ("010-88123456", "010-88123456", None, None),
    ("400-800-1234", "400-800-1234", None, None),
    (" 13812345678 ", "13812345678", None, None),
    ("+86 138 1234 5678", "13812345678", None, "PHONE_FORMAT"),
    ("+8613812345678", "13812345678", None, "PHONE_FORMAT"),
    ("0086 138 1234 5678", "13812345678", None, "PHONE_FORMAT"),
    ("138-1234-5678", "13812345678", None, "PHONE_FORMAT"),
    ("138 1234 5678", "13812345678", None, "PHONE_FORMAT"),
    ("(0576)88123456", "0576-88123456", None, "PHONE_FORMAT"),
    ("（0576）88123456", "0576-88123456", None, "PHONE_FORMAT"),
    ("0576 88123456", "0576-88123456", None, "PHONE_FORMAT"),
    ("057688123456", "0576-88123456", None, "PHONE_FORMAT"),
    ("+86-576-88123456", "0576-88123456", None, "PHONE_FORMAT"),
    ("+86 10 88123456", "010-88123456", None, "PHONE_FORMAT"),
    ("02188123456", "021-88123456", None, "PHONE_FORMAT"),
    ("4008001234", "400-800-1234", None, "PHONE_FORMAT"),
    ("１３８１２３４５６７８", "13812345678", None, "FULLWIDTH"),
    ("０５７６－８８１２３４５６", "0576-88123456", None, "FULLWIDTH"),
    ("+８６ １３８ １２３４ ５６７８", "13812345678", None, "PHONE_FORMAT"),
    ("1381234567", None, "PHONE_INVALID", None),  # 10 digits
    ("138123456789", None, "PHONE_INVALID", None),  # 12 digits
    ("12812345678", None, "PHONE_INVALID", None),
    ("10812345678", None, "PHONE_INVALID", None),
    ("0576-8812", None, "PHONE_INVALID", None),  # 4 local digits
    ("0576-881234567", None, "PHONE_INVALID", None),  # 9 local digits
    ("88123456", None, "PHONE_INVALID", None),  # no area code
    ("13812345678/13912345678", None, "PHONE_INVALID", None),
    ("无", None, None, "NULL_TOKEN"),
    ("", None, None, None),
    (None, None, None, None),
]


def test_each_written_form():
    got = phone(pa.array([c[0] for c in CASES], pa.string()))
    assert got.values.to_pylist() == [c[1] for c in CASES]
    assert got.rejected.tolist() == [c[2] for c in CASES]
    assert got.repaired.tolist() == [c[3] for c in CASES]
    assert got.warned.tolist() == [None] * len(CASES)


@pytest.mark.parametrize("value", [c[1] for c in CASES if c[1]])
def test_output_is_what_the_clean_gate_expects(value):
    assert re.fullmatch(PHONE, value)
