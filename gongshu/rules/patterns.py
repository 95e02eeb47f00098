"""The canonical form of each code-like field kind after cleansing, as an anchored regex.

The standardisers must produce exactly these forms, and the clean gate checks them (each kind's
record in :mod:`gongshu.rules.kinds` points at its pattern). They use ``[0-9]`` rather than ``\\d``:
Python's ``\\d`` also matches full-width digits, which cleansing must have turned half-width. They
are anchored with ``^…$`` and use only syntax PostgreSQL shares, so a suite can run in the database.
"""

from __future__ import annotations

_DAY = r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"

USCC = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
"""统一社会信用代码: 18 characters of the GB 32100 alphabet (no I, O, S, V, Z), 3-8 digits."""
ID_CARD = r"^[0-9]{17}[0-9X]$"
"""公民身份号码: 17 digits and a digit or X."""
REGION_CODE = r"^[0-9]{6}$"
"""行政区划代码: 6 digits."""
PHONE = r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}(?:-[0-9]{1,6})?|[48]00-[0-9]{3}-[0-9]{4})$"
"""mobile 13800000000 | landline 0576-88888888 with an optional extension -123 | 400-800-1234."""
EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
DATE = rf"^{_DAY}$"
DATETIME = rf"^{_DAY} (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
