"""Numbers (``integer``, ``decimal``) and amounts of money (``amount``) as canonical decimal text:
no exponent, no leading or trailing zeros (``305.5``, ``1200``, ``-0.25``), computed exactly with
``Decimal``; a binary float never reaches the output.

Values already in that form (nearly all) are settled by one vectorised regex; each distinct other
value is parsed once in Python. Amounts are converted to the unit the catalog gives the field
(元, 万元 or 亿元): with unit 万元, ``305.5万元``, ``305.5万元人民币``, ``3055000元`` and ``305.5`` all
become ``305.5``.

  repaired  ``AMOUNT_UNIT`` (an amount written with a unit, currency words or thousands
            separators), ``NUMBER_FORMAT`` (an integer or decimal written with thousands separators,
            a plus sign or an exponent);
  rejected  ``NUMBER_INVALID`` (not a number; a fraction where the catalog wants an integer; a unit
            on an amount whose catalog field gives none).
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

import pyarrow as pa
import pyarrow.compute as pc

from .column import mask, per_distinct, prepare, replace_rows
from .result import Cleaned

CANONICAL = r"^(?:-?(?:0|[1-9][0-9]*)\.[0-9]*[1-9]|-?[1-9][0-9]*|0)$"
UNIT_EXPONENTS = {"元": 0, "万元": 4, "万": 4, "亿元": 8, "亿": 8}
"""Powers of ten of the units departments write (a catalog unit is one of 元, 万元, 亿元)."""

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+", re.ASCII)
_EXPONENT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d{1,2}", re.ASCII)  # Excel writes 1.2E+15
_AMOUNT = re.compile(
    r"(?:人民币|[¥￥])?\s*(?P<number>[^\s万亿元人民币]+?)\s*(?P<unit>亿元|万元|元|亿|万)?\s*(?:人民币)?", re.ASCII
)


def _canonical(number: Decimal, shift: int = 0) -> str:
    """``number`` × 10^``shift`` as canonical text (exact: the precision covers any written number)."""
    with localcontext() as context:
        context.prec = 100
        text = format(number.scaleb(shift).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _parse(text: str) -> tuple[Decimal, bool] | None:
    """The number written (a plain number, thousands separators or an exponent) and whether it was
    written other than plainly; None if it is not a number."""
    if _NUMBER.fullmatch(text):
        return Decimal(text.replace(",", "")), "," in text or text.startswith("+")
    if _EXPONENT.fullmatch(text):
        return Decimal(text), True
    return None


def _number(integer: bool):
    def decide(text: str) -> tuple[str | None, str | None, str | None]:
        parsed = _parse(text)
        if parsed is None or (integer and parsed[0] != parsed[0].to_integral_value()):
            return None, "NUMBER_INVALID", None
        return _canonical(parsed[0]), None, ("NUMBER_FORMAT" if parsed[1] else None)

    return decide


def amount_in(text: str, unit: str | None) -> tuple[str | None, bool]:
    """One amount as written, in the catalog ``unit`` as canonical text (None if it cannot be
    read), and whether a unit, currency word or separator had to be taken off."""
    match = _AMOUNT.fullmatch(text)
    parsed = _parse(match["number"]) if match else None
    if match is None or parsed is None or "e" in match["number"].lower():
        return None, False
    number, separated = parsed
    written = match["unit"]
    if written and unit is None:
        return None, False
    shift = UNIT_EXPONENTS[written or unit or "元"] - UNIT_EXPONENTS[unit or "元"]
    return _canonical(number, shift), separated or match["number"] != text


def _amount(unit: str | None):
    def decide(text: str) -> tuple[str | None, str | None, str | None]:
        out, converted = amount_in(text, unit)
        if out is None:
            return None, "NUMBER_INVALID", None
        return out, None, ("AMOUNT_UNIT" if converted else None)

    return decide


def number(values: pa.Array | pa.ChunkedArray, kind: str = "decimal", unit: str | None = None) -> Cleaned:
    """Standardise a column of ``integer``, ``decimal`` or ``amount`` values (module docstring)."""
    if kind not in ("integer", "decimal", "amount"):
        raise ValueError(f"kind must be integer, decimal or amount, not {kind!r}")
    prepared = prepare(values, code_like=True)
    text = prepared.values
    plain = mask(pc.match_substring_regex(text, CANONICAL))
    if kind == "integer":
        plain &= ~mask(pc.match_substring(text, "."))
    other = mask(pc.is_valid(text)) & ~plain
    decide = _amount(unit) if kind == "amount" else _number(kind == "integer")
    out, rejected, repaired = per_distinct(text, decide, 3, rows=other)
    return prepared.cleaned(replace_rows(text, other, out[other]), rejected=rejected, repaired=repaired)
