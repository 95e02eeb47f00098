"""The codes that join departments' data: 统一社会信用代码 (GB 32100), 公民身份号码 (GB 11643) and
行政区划代码 (GB/T 2260), standardised and checked for a whole column at once.

Check characters and birth dates are computed on digit matrices read from the Arrow buffers
(``checkdigits.py``); python-stdnum, one value at a time in Python, takes ~11 s per million USCCs.

  uscc         rejected ``USCC_FORMAT`` (not 18 characters of the GB 32100 alphabet),
               ``USCC_CHECKSUM`` (wrong check character); warned ``USCC_PILOT`` (one of the legal early
               pilot codes that fail the check, :data:`PILOT_CODES`).
  id_card      rejected ``ID_CARD_FORMAT``, ``ID_CARD_BIRTHDATE`` (no such day, before 1900 or after
               today), ``ID_CARD_CHECKSUM``; warned ``ID_CARD_LEGACY15`` (a 15-digit GB 11643-1989
               number, upgraded to 18 digits: century 19 inserted, check digit computed).
  region_code  rejected ``REGION_INVALID`` (not 6 digits under a real province code).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import patterns
from .checkdigits import ID_CHECK, ID_WEIGHTS, id_card_valid, uscc_valid
from .column import codes, mask, prepare, replace_rows
from .dates import calendar_day
from .result import Cleaned
from .text import ascii_matrix, digits_value

PILOT_CODES = frozenset({"91350100M0001TGQXM", "91350211M0000XUF46"})
"""Legal 统一社会信用代码 of early pilot regions (Fujian) that fail the GB 32100 check (domain notes §3.2)."""

PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
"""The province-level prefixes of GB/T 2260."""


def _fixed_width_strings(matrix: np.ndarray) -> pa.Array:
    """An (n, width) matrix of ASCII bytes as a string array (built on the bytes, no Python str)."""
    n, width = matrix.shape
    offsets = np.arange(n + 1, dtype=np.int32) * width
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes())])


def birth_date_valid(year: np.ndarray, month: np.ndarray, day: np.ndarray, today: dt.date) -> np.ndarray:
    """Per row: a calendar day from 1900-01-01 to ``today``."""
    stamp = year * 10000 + month * 100 + day
    limit = today.year * 10000 + today.month * 100 + today.day
    return calendar_day(year, month, day) & (stamp >= 19000101) & (stamp <= limit)


def uscc(values: pa.Array | pa.ChunkedArray) -> Cleaned:
    """Standardise 统一社会信用代码: trimmed, half-width, upper-case; shape and check character."""
    prepared = prepare(values, code_like=True)
    text = pc.ascii_upper(prepared.values)
    n = len(text)
    rejected, warned = codes(n), codes(n)
    present = mask(pc.is_valid(text))
    shaped = mask(pc.match_substring_regex(text, patterns.USCC))
    rejected[present & ~shaped] = "USCC_FORMAT"
    wrong = shaped & ~uscc_valid(text)
    pilot = wrong & mask(pc.is_in(text, pa.array(sorted(PILOT_CODES))))
    warned[pilot] = "USCC_PILOT"
    rejected[wrong & ~pilot] = "USCC_CHECKSUM"
    return prepared.cleaned(text, rejected=rejected, warned=warned)


def id_card(values: pa.Array | pa.ChunkedArray, today: dt.date | None = None) -> Cleaned:
    """Standardise 公民身份号码: trimmed, half-width, X upper-case; shape, birth date, check digit;
    15-digit numbers upgraded to 18 digits."""
    today = today or dt.date.today()
    prepared = prepare(values, code_like=True)
    text = pc.ascii_upper(prepared.values)
    n = len(text)
    rejected, warned = codes(n), codes(n)
    present = mask(pc.is_valid(text))
    long = mask(pc.match_substring_regex(text, patterns.ID_CARD))
    short = mask(pc.match_substring_regex(text, r"^[0-9]{15}$"))
    rejected[present & ~long & ~short] = "ID_CARD_FORMAT"

    m = ascii_matrix(text, long, 18)
    born = birth_date_valid(digits_value(m[:, 6:10]), digits_value(m[:, 10:12]), digits_value(m[:, 12:14]), today)
    bad_birth = np.zeros(n, dtype=bool)
    bad_birth[long] = ~born
    rejected[bad_birth] = "ID_CARD_BIRTHDATE"
    rejected[long & ~bad_birth & ~id_card_valid(text)] = "ID_CARD_CHECKSUM"

    m = ascii_matrix(text, short, 15)
    born = birth_date_valid(1900 + digits_value(m[:, 6:8]), digits_value(m[:, 8:10]), digits_value(m[:, 10:12]), today)
    legacy = np.zeros(n, dtype=bool)
    legacy[short] = born
    rejected[short & ~legacy] = "ID_CARD_BIRTHDATE"
    warned[legacy] = "ID_CARD_LEGACY15"
    m = m[born]
    first17 = np.concatenate([m[:, :6], np.broadcast_to(np.frombuffer(b"19", np.uint8), (len(m), 2)), m[:, 6:]], axis=1)
    check = np.frombuffer(ID_CHECK.encode(), np.uint8)[((first17.astype(np.int64) - ord("0")) @ ID_WEIGHTS) % 11]
    upgraded = np.ascontiguousarray(np.concatenate([first17, check[:, None]], axis=1))
    text = replace_rows(text, legacy, _fixed_width_strings(upgraded))
    return prepared.cleaned(text, rejected=rejected, warned=warned)


def region_code(values: pa.Array | pa.ChunkedArray) -> Cleaned:
    """Standardise 行政区划代码: 6 digits under a GB/T 2260 province code."""
    prepared = prepare(values, code_like=True)
    text = prepared.values
    present = mask(pc.is_valid(text))
    six = mask(pc.match_substring_regex(text, patterns.REGION_CODE))
    province = mask(pc.is_in(pc.utf8_slice_codeunits(text, 0, 2), pa.array(sorted(PROVINCES))))
    rejected = codes(len(text))
    rejected[present & ~(six & province)] = "REGION_INVALID"
    return prepared.cleaned(text, rejected=rejected)
