"""统一社会信用代码, 公民身份号码 and 行政区划代码 as departments write them: what comes out and
which rule caught what, checked against python-stdnum where it has an opinion."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pytest
from stdnum.cn import ric, uscc

from gongshu.rules.identifiers import PILOT_CODES, id_card, region_code
from gongshu.rules.identifiers import uscc as standardise_uscc

TODAY = dt.date(2026, 11, 25)

USCC_CASES = [
    # written, standardised, rejected, repaired, warned
    ("91110108551385082Q", "91110108551385082Q", None, None, None),
    (" 91110108551385082q ", "91110108551385082Q", None, None, None),  # trimmed, upper-cased
    ("９１１１０１０８５５１３８５０８２Ｑ", "91110108551385082Q", None, "FULLWIDTH", None),
    ("91110108551385082A", None, "USCC_CHECKSUM", None, None),
    ("９１１１０１０８５５１３８５０８２Ａ", None, "USCC_CHECKSUM", None, None),  # no repair on a rejected value
    ("91350100M0001TGQXM", "91350100M0001TGQXM", None, None, "USCC_PILOT"),
    ("91350211M0000XUF46", "91350211M0000XUF46", None, None, "USCC_PILOT"),
    ("91110108551385082", None, "USCC_FORMAT", None, None),  # 17 characters
    ("91110108551385O82Q", None, "USCC_FORMAT", None, None),  # O is not in the alphabet
    ("9111 0108 5513 8508 2Q", None, "USCC_FORMAT", None, None),
    ("NULL", None, None, "NULL_TOKEN", None),
    ("", None, None, None, None),
    (None, None, None, None, None),
]

ID_CASES = [
    ("34052419800101001X", "34052419800101001X", None, None, None),
    ("34052419800101001x", "34052419800101001X", None, None, None),
    ("３４０５２４１９８００１０１００１Ｘ", "34052419800101001X", None, "FULLWIDTH", None),
    ("340524198001010013", None, "ID_CARD_CHECKSUM", None, None),
    ("332627198402306276", None, "ID_CARD_BIRTHDATE", None, None),  # 1984-02-30 (check digit irrelevant)
    ("332627189912316276", None, "ID_CARD_BIRTHDATE", None, None),  # before 1900
    ("332627202712016276", None, "ID_CARD_BIRTHDATE", None, None),  # after today
    ("332701811218291", "332701198112182910", None, None, "ID_CARD_LEGACY15"),
    ("332701811318291", None, "ID_CARD_BIRTHDATE", None, None),  # month 13 in a 15-digit number
    ("3405241980010100", None, "ID_CARD_FORMAT", None, None),
    ("34052419800101001Y", None, "ID_CARD_FORMAT", None, None),
    ("—", None, None, "NULL_TOKEN", None),
    (None, None, None, None, None),
]

REGION_CASES = [
    ("331000", "331000", None, None),  # the city itself
    ("331082", "331082", None, None),
    ("110101", "110101", None, None),
    ("820000", "820000", None, None),
    ("３３１００２", "331002", None, "FULLWIDTH"),
    ("33100", None, "REGION_INVALID", None),
    ("3310813", None, "REGION_INVALID", None),
    ("991000", None, "REGION_INVALID", None),  # no province 99
    ("001000", None, "REGION_INVALID", None),
    ("33100X", None, "REGION_INVALID", None),
    ("空", None, None, "NULL_TOKEN"),
]


def test_uscc_cases():
    got = standardise_uscc(pa.array([c[0] for c in USCC_CASES], pa.string()))
    assert got.values.to_pylist() == [c[1] for c in USCC_CASES]
    assert got.rejected.tolist() == [c[2] for c in USCC_CASES]
    assert got.repaired.tolist() == [c[3] for c in USCC_CASES]
    assert got.warned.tolist() == [c[4] for c in USCC_CASES]


def test_id_card_cases():
    got = id_card(pa.array([c[0] for c in ID_CASES], pa.string()), today=TODAY)
    assert got.values.to_pylist() == [c[1] for c in ID_CASES]
    assert got.rejected.tolist() == [c[2] for c in ID_CASES]
    assert got.repaired.tolist() == [c[3] for c in ID_CASES]
    assert got.warned.tolist() == [c[4] for c in ID_CASES]


def test_region_code_cases():
    got = region_code(pa.array([c[0] for c in REGION_CASES], pa.string()))
    assert got.values.to_pylist() == [c[1] for c in REGION_CASES]
    assert got.rejected.tolist() == [c[2] for c in REGION_CASES]
    assert got.repaired.tolist() == [c[3] for c in REGION_CASES]


def test_pilot_codes_really_fail_the_check():
    assert PILOT_CODES and not any(uscc.is_valid(code) for code in PILOT_CODES)


def test_a_seeded_mix_agrees_with_stdnum():
    """Valid, mistyped and legacy numbers: accepted exactly when stdnum's arithmetic accepts them,
    and every 15-digit number upgraded to the 18-digit number stdnum calls valid."""
    rng = random.Random(7)
    codes, ids, legacy = [], [], []
    for _ in range(5000):
        body = (
            "91"
            + "".join(rng.choice("0123456789") for _ in range(6))
            + "MA2"
            + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
        )
        codes.append(body + (uscc.calc_check_digit(body) if rng.random() < 0.7 else rng.choice("0123456789ABC")))
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 49))
        first17 = f"331002{born:%Y%m%d}{rng.randrange(1000):03d}"
        check = ric.calc_check_digit(first17 + "0")
        ids.append(first17 + (check if rng.random() < 0.7 else rng.choice("0123456789X")))
        legacy.append(first17[:6] + first17[8:17])
    got = standardise_uscc(pa.array(codes))
    assert [v is not None for v in got.values.to_pylist()] == [uscc.is_valid(c) for c in codes]
    got = id_card(pa.array(ids), today=TODAY)
    assert [v is not None for v in got.values.to_pylist()] == [ric.calc_check_digit(v) == v[17] for v in ids]
    got = id_card(pa.array(legacy), today=TODAY)
    upgraded = got.values.to_pylist()
    assert all(ric.calc_check_digit(v) == v[17] and ric.get_birth_date(v) for v in upgraded)
    assert [v[:6] + v[8:17] for v in upgraded] == legacy
    assert set(got.warned) == {"ID_CARD_LEGACY15"}


@pytest.mark.parametrize("standardise", [standardise_uscc, id_card, region_code])
def test_chunked_input_equals_whole_input(standardise):
    values = [c[0] for c in USCC_CASES + ID_CASES] + [c[0] for c in REGION_CASES]
    whole = standardise(pa.array(values, pa.string()))
    chunked = standardise(pa.chunked_array([pa.array(values[:9], pa.string()), pa.array(values[9:], pa.string())]))
    assert chunked.values.to_pylist() == whole.values.to_pylist()
    assert chunked.rejected.tolist() == whole.rejected.tolist()
