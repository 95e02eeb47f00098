"""A source value as the text the ODS stores, the same whichever source it came from: a database
row's values (:mod:`.sqldb`) and a JSON service's record values (:mod:`.httprecords`) both go through
:func:`render_value`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any


def render_value(value: Any) -> str | None:
    """A database value as text, the same for every database (raises UnicodeDecodeError for bad bytes).

    Decimals without exponent and with the scale the database gives; floats by ``repr``; date and time as
    ``YYYY-MM-DD HH:MM:SS`` (``.ffffff`` only when not zero; a time zone aware value keeps its offset,
    ``+08:00``); booleans ``true``/``false``; bytes decoded as UTF-8.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.datetime, dt.time)):  # seconds, microseconds only when there are some
        spec = "microseconds" if value.microsecond else "seconds"
        return value.isoformat(sep=" ", timespec=spec) if isinstance(value, dt.datetime) else value.isoformat(spec)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # MySQL TIME columns arrive as timedelta (may exceed 24 h)
        micro = value // dt.timedelta(microseconds=1)
        sign, micro = ("-", -micro) if micro < 0 else ("", micro)
        seconds, micro = divmod(micro, 1_000_000)
        text = f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        return text + f".{micro:06d}" if micro else text
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dict, list)):  # JSON columns (PostgreSQL)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
