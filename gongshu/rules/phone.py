"""Telephone numbers in the canonical forms of ``gongshu.rules.patterns.PHONE``: mobile
``13812345678``, landline ``0576-88123456`` (optionally ``-ext``), service ``400-800-1234``.

Values already canonical (nearly all) are settled by one vectorised regex; each distinct other
value is read once in Python: separators (spaces, hyphens, brackets) and the country code (+86,
0086) are dropped and the digits are split by the Chinese numbering plan: area codes are 010 and
02X (3 digits) or 4 digits, a local number has 7 or 8 digits, and after +86 the trunk 0 of the
area code is left out (``+86-576-88123456``).

  repaired  ``PHONE_FORMAT``: +86 138 1234 5678, 138-1234-5678, (0576)88123456, 0576 88123456,
            057688123456, +86-576-88123456 (full-width digits alone are ``FULLWIDTH``);
  rejected  ``PHONE_INVALID``: anything else (10 or 12 digits, 12… mobiles, 4- or 9-digit local numbers).
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from . import patterns
from .column import mask, per_distinct, prepare, replace_rows
from .result import Cleaned

CANONICAL = patterns.PHONE
_CANONICAL = re.compile(CANONICAL)
_SEPARATORS = re.compile(r"[\s\-()]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SERVICE = re.compile(r"([48]00)(\d{3})(\d{4})")
_COUNTRY = re.compile(r"(?:\+|00)86")


def canonical_phone(text: str) -> str | None:
    """The canonical form of one number as written (half-width, trimmed), or None if it is not a
    Chinese telephone number."""
    if _CANONICAL.fullmatch(text):
        return text
    digits = _SEPARATORS.sub("", text)
    country = _COUNTRY.match(digits)
    if country:
        digits = digits[country.end() :]
    elif digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    if not digits.isascii() or not digits.isdigit():
        return None
    if _MOBILE.fullmatch(digits):
        return digits
    if service := _SERVICE.fullmatch(digits):
        return "-".join(service.groups())
    if country and not digits.startswith("0"):
        digits = "0" + digits  # +86 drops the trunk 0 of the area code
    if digits.startswith("0"):
        area = 3 if digits[1:2] in ("1", "2") else 4
        formed = f"{digits[:area]}-{digits[area:]}"
        if _CANONICAL.fullmatch(formed):
            return formed
    return None


def _decide(text: str) -> tuple[str | None, str | None, str | None]:
    out = canonical_phone(text)
    return (out, None, "PHONE_FORMAT") if out else (None, "PHONE_INVALID", None)


def phone(values: pa.Array | pa.ChunkedArray) -> Cleaned:
    """Standardise telephone numbers (see the module docstring)."""
    prepared = prepare(values, code_like=True)
    text = prepared.values
    other = mask(pc.is_valid(text)) & ~mask(pc.match_substring_regex(text, CANONICAL))
    out, rejected, repaired = per_distinct(text, _decide, 3, rows=other)
    text = replace_rows(text, other, out[other])
    return prepared.cleaned(text, rejected=rejected, repaired=repaired)
