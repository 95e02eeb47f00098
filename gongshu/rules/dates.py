"""Dates and date-times as departments write them, standardised to ISO (``YYYY-MM-DD`` and
``YYYY-MM-DD HH:MM:SS``), a whole column at a time.

Accepted: 2020-01-02, 2020/1/2, 20200102, 2020年1月2日, 2020.1.2, Excel serial numbers (44927,
44927.5), each optionally followed by a time (10:20, 10:20:30, T10:20:30, 10时20分), and the compact
20200102102030 of data exchange specs. Values already in the standard form (nearly all) are checked
on digit matrices for the whole column at once; each distinct other value is parsed once and
mapped back to its rows (``pd.to_datetime(format="mixed")`` is both slower and blind to 2020年1月2日).

Per row the result says what happened, by stable rule code:
  rejected  ``DATE_INVALID`` (no such day: 2021-02-30, month 13), ``DATE_IMPLAUSIBLE`` (before 1900 or
            after 2100: a validity date may well lie decades ahead), ``DATE_FORMAT`` (not a date in
            any accepted form);
  repaired  ``DATE_MIXED_FORMAT`` (a valid date written another way), ``FULLWIDTH`` (full-width
            digits were all that differed), ``NULL_TOKEN`` (无, —, NULL, …).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .column import mask, per_distinct, prepare, replace_rows
from .result import Cleaned
from .text import ascii_matrix, digits_value

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 once its 1900 leap-year bug is accounted for

_DATE = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"|(?P<m8>\d{2})(?P<d8>\d{2})(?:(?P<cH>\d{2})(?P<cM>\d{2})(?P<cS>\d{2})?)?)"
    r"(?:(?:\s+|T)(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*:\s*(?P<S>\d{1,2})(?:\.\d+)?|\s*分(?:\s*(?P<S2>\d{1,2})\s*秒)?)?)?"
)
_SERIAL = re.compile(r"(?P<days>\d{1,5})(?:\.(?P<frac>\d+))?")
_STANDARD = {
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
}
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def calendar_day(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Per row: year-month-day is a day of the Gregorian calendar."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    return (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)


def _standard_and_valid(text: pa.Array, kind: str) -> np.ndarray:
    """Per row: the value is already standard (``YYYY-MM-DD[ HH:MM:SS]``), a real and plausible day."""
    shaped = mask(pc.match_substring_regex(text, _STANDARD[kind]))
    m = ascii_matrix(text, shaped, 10 if kind == "date" else 19)
    year = digits_value(m[:, 0:4])
    ok = calendar_day(year, digits_value(m[:, 5:7]), digits_value(m[:, 8:10])) & (year >= 1900) & (year <= 2100)
    if kind == "datetime":
        ok &= (digits_value(m[:, 11:13]) <= 23) & (digits_value(m[:, 14:16]) <= 59) & (digits_value(m[:, 17:19]) <= 59)
    shaped[shaped] = ok
    return shaped


def _parse(text: str, with_time: bool) -> tuple[str | None, str | None, str | None]:
    """(standardised, rejected rule, repair rule) for one distinct value, already trimmed and
    half-width."""
    hour = minute = second = 0
    match = _DATE.fullmatch(text)
    if match:
        year = int(match["y"])
        month, day = (int(match["m"]), int(match["d"])) if match["m"] else (int(match["m8"]), int(match["d8"]))
        if match["H"] is not None:
            hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or match["S2"] or 0)
        elif match["cH"] is not None:  # YYYYMMDDHHMM[SS], as data exchange specs write it
            hour, minute, second = int(match["cH"]), int(match["cM"]), int(match["cS"] or 0)
        try:
            stamp = dt.datetime(year, month, day, hour, minute, second)
        except ValueError:
            return None, "DATE_INVALID", None
    else:
        serial = _SERIAL.fullmatch(text)
        if not serial or not 1 <= int(serial["days"]) <= 2958465:
            return None, "DATE_FORMAT", None
        fraction = float(f"0.{serial['frac']}") if serial["frac"] else 0.0
        seconds = round(fraction * 86400)
        stamp = dt.datetime.combine(EXCEL_EPOCH + dt.timedelta(days=int(serial["days"])), dt.time()) + dt.timedelta(
            seconds=seconds
        )
    if not 1900 <= stamp.year <= 2100:
        return None, "DATE_IMPLAUSIBLE", None
    out = stamp.strftime("%Y-%m-%d %H:%M:%S") if with_time else stamp.strftime("%Y-%m-%d")
    return out, None, (None if out == text else "DATE_MIXED_FORMAT")


def standardise(values: pa.Array | pa.ChunkedArray, kind: str = "date") -> Cleaned:
    """Standardise a column of ``date`` or ``datetime`` values (see the module docstring)."""
    if kind not in ("date", "datetime"):
        raise ValueError(f"kind must be date or datetime, not {kind!r}")
    prepared = prepare(values, code_like=True)
    text = prepared.values
    other = mask(pc.is_valid(text)) & ~_standard_and_valid(text, kind)
    out, rejected, repaired = per_distinct(text, lambda value: _parse(value, kind == "datetime"), 3, rows=other)
    return prepared.cleaned(replace_rows(text, other, out[other]), rejected=rejected, repaired=repaired)
