"""Dates and date-times as departments write them, standardised to ISO (``YYYY-MM-DD`` and
``YYYY-MM-DD HH:MM:SS``), a whole column at a time.

Accepted: 2020-01-02, 2020/1/2, 20200102, 2020年1月2日, 2020.1.2, Excel serial numbers (44927,
44927.5), each optionally followed by a time (10:20, 10:20:30, T10:20:30, 10时20分), and the compact
20200102102030 of data exchange specs. Every distinct
value is parsed once and mapped back to its rows: a column of a million dates holds a few thousand
distinct values, and ``pd.to_datetime(format="mixed")`` is both slower and blind to 2020年1月2日.

Per row the result says what happened, by stable rule code:
  rejected  ``DATE_INVALID`` (no such day: 2021-02-30, month 13), ``DATE_IMPLAUSIBLE`` (before 1900 or
            after 2100: a validity date may well lie decades ahead), ``DATE_FORMAT`` (not a date in
            any accepted form);
  repaired  ``DATE_MIXED_FORMAT`` (a valid date written another way), ``NULL_TOKEN`` (无, —, NULL, …).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL_TOKENS = frozenset({"无", "/", "—", "——", "-", "--", "NULL", "null", "Null", "空", "N/A", "n/a", "NA", "暂无"})
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 once its 1900 leap-year bug is accounted for

_DATE = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"|(?P<m8>\d{2})(?P<d8>\d{2})(?:(?P<cH>\d{2})(?P<cM>\d{2})(?P<cS>\d{2})?)?)"
    r"(?:(?:\s+|T)(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*:\s*(?P<S>\d{1,2})(?:\.\d+)?|\s*分(?:\s*(?P<S2>\d{1,2})\s*秒)?)?)?"
)
_SERIAL = re.compile(r"(?P<days>\d{1,5})(?:\.(?P<frac>\d+))?")


@dataclass
class Standardised:
    values: pa.Array
    """The standardised text (None where the value was empty or rejected)."""
    rejected: np.ndarray
    """Per row: the rule that rejected the value, or None."""
    repaired: np.ndarray
    """Per row: the repair that was made (the value was accepted), or None."""


def _parse(text: str, with_time: bool) -> tuple[str | None, str | None, str | None]:
    """(standardised, rejected rule, repair rule) for one distinct value."""
    raw = text.strip()
    if not raw:
        return None, None, None
    if raw in NULL_TOKENS:
        return None, None, "NULL_TOKEN"
    hour = minute = second = 0
    match = _DATE.fullmatch(raw)
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
        serial = _SERIAL.fullmatch(raw)
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


def standardise(values: pa.Array | pa.ChunkedArray, kind: str = "date") -> Standardised:
    """Standardise a column of ``date`` or ``datetime`` values (see the module docstring)."""
    if kind not in ("date", "datetime"):
        raise ValueError(f"kind must be date or datetime, not {kind!r}")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary.to_pylist()
    parsed = [_parse(text, kind == "datetime") for text in distinct]
    indices = encoded.indices
    valid = pc.is_valid(indices).to_numpy(zero_copy_only=False)
    idx = pc.fill_null(indices, 0).to_numpy(zero_copy_only=False)

    def column(position: int) -> np.ndarray:
        table = np.array([p[position] for p in parsed] or [None], dtype=object)
        out = table[idx] if len(distinct) else np.full(len(values), None, dtype=object)
        out[~valid] = None
        return out

    return Standardised(values=pa.array(column(0), pa.string()), rejected=column(1), repaired=column(2))
