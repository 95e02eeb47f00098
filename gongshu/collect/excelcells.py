"""Excel cell values as text, as a person sees the raw value, and the cells that mean something else.

Text as is (an empty string is ``None``); whole numbers without ``.0`` (``12.0`` → ``12``); other
numbers to 15 significant digits, as Excel shows them, in plain notation (``16.34``, ``0.00001``,
never ``1e-05``); a date-formatted cell → ``YYYY-MM-DD``, or ``YYYY-MM-DD HH:MM:SS`` when it has a
time (to the second), a time-only cell → ``HH:MM:SS``; booleans → ``TRUE``/``FALSE``; error cells
as Excel writes them (``#N/A``). A blank cell is ``None`` or whitespace; a total row's first
non-empty cell starts with 合计, 总计 or 小计 (spaces ignored).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

TOTAL_WORDS = ("合计", "总计", "小计")


def blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def cell_text(v: Any) -> str | None:
    """A cell's value as the text a person sees as its raw value (see the module docstring)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v if v else None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return number_text(v)
    if isinstance(v, dt.datetime):
        if v.microsecond >= 500_000:
            v += dt.timedelta(seconds=1)
        v = v.replace(microsecond=0)
        return v.strftime("%Y-%m-%d") if v.time() == dt.time() else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, dt.time):
        return v.replace(microsecond=0).strftime("%H:%M:%S")
    if isinstance(v, dt.timedelta):
        seconds = round(v.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(v)


def number_text(v: float) -> str:
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    s = format(v, ".15g")  # Excel keeps 15 significant digits
    if "e" in s:
        s = format(Decimal(s), "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def col_letter(i: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(i)


def total_word(row: list[Any]) -> str | None:
    first = next((v for v in row if not blank(v)), None)
    if not isinstance(first, str):
        return None
    squeezed = re.sub(r"\s+", "", first)
    return next((w for w in TOTAL_WORDS if squeezed.startswith(w)), None)
