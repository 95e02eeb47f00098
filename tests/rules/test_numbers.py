"""Numbers and amounts as canonical decimal text, computed exactly, amounts in the catalog's unit."""

from __future__ import annotations

import random
from decimal import Decimal

import pyarrow as pa
import pytest

from gongshu.rules.numbers import number

CASES = [
    # kind, unit, written, standardised, rejected, repaired
    ("amount", "万元", "305.5", "305.5", None, None),
    ("amount", "万元", "305.5万元", "305.5", None, "AMOUNT_UNIT"),
    ("amount", "万元", "305.5万元人民币", "305.5", None, "AMOUNT_UNIT"),
    ("amount", "万元", "3055000元", "305.5", None, "AMOUNT_UNIT"),
    ("amount", "万元", "1,200万元", "1200", None, "AMOUNT_UNIT"),
    ("amount", "万元", "1,200", "1200", None, "AMOUNT_UNIT"),
    ("amount", "万元", "¥300", "300", None, "AMOUNT_UNIT"),
    ("amount", "万元", "2.5亿元", "25000", None, "AMOUNT_UNIT"),
    ("amount", "万元", "305843.0395万元人民币", "305843.0395", None, "AMOUNT_UNIT"),
    ("amount", "万元", "305.50", "305.5", None, None),  # trailing zero: the same number
    ("amount", "万元", "１２００", "1200", None, "FULLWIDTH"),
    ("amount", "万元", "-3.20", "-3.2", None, None),
    ("amount", "万元", "三百万", None, "NUMBER_INVALID", None),
    ("amount", "万元", "1,20万元", None, "NUMBER_INVALID", None),
    ("amount", "万元", "约300万元", None, "NUMBER_INVALID", None),
    ("amount", "元", "0.3万元", "3000", None, "AMOUNT_UNIT"),
    ("amount", "元", "50000元", "50000", None, "AMOUNT_UNIT"),
    ("amount", "元", "1,200元", "1200", None, "AMOUNT_UNIT"),
    ("amount", "元", "0.498619万元", "4986.19", None, "AMOUNT_UNIT"),
    ("amount", "元", "3000", "3000", None, None),
    ("amount", None, "300", "300", None, None),
    ("amount", None, "300万元", None, "NUMBER_INVALID", None),  # no unit to convert to
    ("integer", None, "12", "12", None, None),
    ("integer", None, "12.0", "12", None, None),
    ("integer", None, "007", "7", None, None),
    ("integer", None, "1,200", "1200", None, "NUMBER_FORMAT"),
    ("integer", None, "12.5", None, "NUMBER_INVALID", None),
    ("integer", None, "十二", None, "NUMBER_INVALID", None),
    ("decimal", None, "0.5", "0.5", None, None),
    ("decimal", None, ".5", "0.5", None, None),
    ("decimal", None, "-0.0", "0", None, None),
    ("decimal", None, "121.123450", "121.12345", None, None),
    ("decimal", None, "1.2E-3", "0.0012", None, "NUMBER_FORMAT"),
    ("decimal", None, "1.5E+15", "1500000000000000", None, "NUMBER_FORMAT"),
    ("decimal", None, "1,234.5", "1234.5", None, "NUMBER_FORMAT"),
    ("decimal", None, "１２．５", "12.5", None, "FULLWIDTH"),
    ("decimal", None, "NaN", None, "NUMBER_INVALID", None),
    ("decimal", None, "Infinity", None, "NUMBER_INVALID", None),
    ("decimal", None, "1e999999999", None, "NUMBER_INVALID", None),
    ("decimal", None, "—", None, None, "NULL_TOKEN"),
    ("decimal", None, None, None, None, None),
]


@pytest.mark.parametrize("kind,unit", sorted({(c[0], c[1]) for c in CASES}, key=str))
def test_each_written_form(kind, unit):
    cases = [c for c in CASES if (c[0], c[1]) == (kind, unit)]
    got = number(pa.array([c[2] for c in cases], pa.string()), kind, unit)
    assert got.values.to_pylist() == [c[3] for c in cases]
    assert got.rejected.tolist() == [c[4] for c in cases]
    assert got.repaired.tolist() == [c[5] for c in cases]


def test_conversion_is_exact():
    """Amounts whose binary floats would show (0.1 + 0.2, 12345678.9 × 10^4) come out exact."""
    rng = random.Random(3)
    written = [f"{rng.randrange(10**9)}.{rng.randrange(10**6):06d}" for _ in range(2000)] + ["0.1", "0.3"]
    got = number(pa.array([w + "万元" for w in written]), "amount", "元").values.to_pylist()
    assert got == [format((Decimal(w) * 10000).normalize(), "f") for w in written]
    back = number(pa.array([g + "元" for g in got]), "amount", "万元").values.to_pylist()
    assert back == [format(Decimal(w).normalize(), "f") for w in written]


def test_repeated_values_are_decided_once_per_distinct_value():
    column = pa.chunked_array([pa.array(["1,200万元", None, "3"] * 40_000), pa.array(["x"] * 7)])
    got = number(column, "amount", "万元")
    assert got.values.to_pylist()[:3] == ["1200", None, "3"]
    assert (got.repaired == "AMOUNT_UNIT").sum() == 40_000
    assert (got.rejected == "NUMBER_INVALID").sum() == 7
