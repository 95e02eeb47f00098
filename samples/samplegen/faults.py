"""The faults planted in the samples: their codes, which fields they fit, and how each one is made.

The codes are the reason codes of the cleansing stage. Three classes:

- rejecting: the row is quarantined (at most one such fault per row);
- warning: the row is kept and flagged;
- repairable: the standardiser turns the value into its canonical form and the row is kept.

``PK_DUPLICATE`` is a clean row repeating an earlier row's primary key; the later row wins.

A mutation receives the clean (canonical) value and returns what the source holds instead. The
``medium`` tells how the source stores values: ``text`` (csv), ``excel``, ``sql`` or ``json``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .catalog import Field
from .codes import USCC_ALPHABET, USCC_PILOT_CODES, id_check

REJECTING = (
    "USCC_CHECKSUM", "ID_CARD_CHECKSUM", "ID_CARD_BIRTHDATE", "DATE_INVALID",
    "PHONE_INVALID", "ENUM_INVALID", "REGION_INVALID", "REQUIRED_MISSING",
)  # fmt: skip
WARNING = ("USCC_PILOT", "ID_CARD_LEGACY15")
REPAIRABLE = ("DATE_MIXED_FORMAT", "FULLWIDTH", "NULL_TOKEN", "AMOUNT_UNIT", "PHONE_FORMAT", "ENUM_ALIAS")
PK_DUPLICATE = "PK_DUPLICATE"
NULL_TOKENS = ("无", "/", "—", "NULL", "空")

# The field kinds each code may be planted in.
KINDS: dict[str, tuple[str, ...]] = {
    "USCC_CHECKSUM": ("uscc",),
    "USCC_PILOT": ("uscc",),
    "ID_CARD_CHECKSUM": ("id_card",),
    "ID_CARD_BIRTHDATE": ("id_card",),
    "ID_CARD_LEGACY15": ("id_card",),
    "DATE_INVALID": ("date", "datetime"),
    "DATE_MIXED_FORMAT": ("date", "datetime"),
    "PHONE_INVALID": ("phone",),
    "PHONE_FORMAT": ("phone",),
    "ENUM_INVALID": ("enum",),
    "ENUM_ALIAS": ("enum",),
    "REGION_INVALID": ("region_code",),
    "AMOUNT_UNIT": ("amount",),
    "FULLWIDTH": ("text", "uscc", "id_card", "phone", "person_name", "address"),
    "REQUIRED_MISSING": (),  # any kind
    "NULL_TOKEN": (),
}

# Impossible calendar days (month, day); day 0 stands for "keep the day, break the month".
_BAD_DAYS = ((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31), (13, 0), (0, 0))


@dataclass(frozen=True)
class Fault:
    """One planted fault: ``rate`` of the clean rows, or exactly ``count`` rows, in ``field``."""

    code: str
    field: str = ""
    rate: float = 0.0
    count: int | None = None
    values: tuple[str, ...] = ()
    """ENUM_INVALID only: the wrong spellings to use (none of them valid or an alias)."""

    def planned(self, rows: int) -> int:
        return self.count if self.count is not None else max(1, round(self.rate * rows))


def check_fits(fault: Fault, field: Field) -> None:
    """Raise if ``fault`` cannot be planted in ``field`` (a spec error, not a data fault)."""
    kinds = KINDS[fault.code]
    if kinds and field.kind not in kinds:
        raise ValueError(f"{fault.code} does not fit field {field.name!r} of kind {field.kind}")
    if fault.code == "REQUIRED_MISSING" and not field.required:
        raise ValueError(f"REQUIRED_MISSING needs a required field, {field.name!r} is optional")
    if fault.code == "NULL_TOKEN" and field.required:
        raise ValueError(f"NULL_TOKEN needs an optional field, {field.name!r} is required")
    if fault.code == "ENUM_INVALID":
        allowed = set(field.values) | field.alias_values
        if not fault.values or allowed & set(fault.values):
            raise ValueError(f"ENUM_INVALID on {field.name!r} needs wrong spellings outside values and aliases")
    if fault.code == "ENUM_ALIAS" and not field.aliases:
        raise ValueError(f"ENUM_ALIAS on {field.name!r}: the catalog lists no aliases")
    if fault.code == "AMOUNT_UNIT" and not field.unit:
        raise ValueError(f"AMOUNT_UNIT on {field.name!r}: the catalog gives no unit")


def accepts(code: str, field: Field, value: Any) -> bool:
    """Whether a cell holding the clean ``value`` can carry ``code``."""
    if code == "REQUIRED_MISSING":
        return True
    if code == "NULL_TOKEN":  # the source writes a token where it has nothing
        return value is None
    if value is None or value == "":
        return False
    if code == "ID_CARD_LEGACY15":
        return len(value) == 18 and 1900 <= int(value[6:10]) <= 1983  # 15-digit numbers ended in 1999
    if code == "ENUM_ALIAS":
        return value in field.aliases
    if code == "FULLWIDTH":
        return isinstance(value, str)
    return True


# ---- mutations --------------------------------------------------------------------------------


def _dec(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _bad_day(rng: random.Random, day: dt.date) -> tuple[int, int, int]:
    month, dom = rng.choice(_BAD_DAYS)
    if (month, dom) == (13, 0):
        return day.year, 13, day.day
    if (month, dom) == (0, 0):
        return day.year, day.month, 0
    return day.year, month, dom


def _iso_time(value: dt.date) -> str:
    return f" {value:%H:%M:%S}" if isinstance(value, dt.datetime) else ""


def _uscc_checksum(value: str, rng: random.Random, **_: Any) -> str:
    return value[:17] + rng.choice(USCC_ALPHABET.replace(value[17], ""))


def _uscc_pilot(value: str, occurrence: int, **_: Any) -> str:
    return USCC_PILOT_CODES[occurrence % len(USCC_PILOT_CODES)]


def _id_checksum(value: str, rng: random.Random, **_: Any) -> str:
    return value[:17] + rng.choice("0123456789X".replace(value[17], ""))


def _id_birthdate(value: str, rng: random.Random, **_: Any) -> str:
    birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    year, month, day = _bad_day(rng, birth)
    first17 = f"{value[:6]}{year:04d}{month:02d}{day:02d}{value[14:17]}"
    return first17 + id_check(first17)


def _id_legacy15(value: str, **_: Any) -> str:
    return value[:6] + value[8:17]  # 15-digit GB 11643-1989 number: 2-digit year, no check digit


def _date_invalid(value: dt.date, rng: random.Random, **_: Any) -> str:
    year, month, day = _bad_day(rng, value)
    return f"{year:04d}-{month:02d}-{day:02d}{_iso_time(value)}"


def _date_mixed(value: dt.date, rng: random.Random, medium: str, **_: Any) -> Any:
    v = value
    if isinstance(v, dt.datetime):
        return rng.choice(
            [
                f"{v.year}/{v.month}/{v.day} {v.hour}:{v:%M:%S}",
                f"{v:%Y%m%d%H%M%S}",
                f"{v.year}年{v.month}月{v.day}日 {v:%H:%M:%S}",
                f"{v:%Y/%m/%d %H:%M:%S}",
            ]
        )
    if medium == "excel" and rng.random() < 0.6:
        return (v - dt.date(1899, 12, 30)).days  # an Excel serial number in a General-formatted cell
    return rng.choice(
        [f"{v.year}/{v.month}/{v.day}", f"{v:%Y%m%d}", f"{v.year}年{v.month}月{v.day}日", f"{v.year}.{v.month}.{v.day}"]
    )


def _phone_invalid(value: str, rng: random.Random, **_: Any) -> str:
    if value.startswith("0576-"):
        return rng.choice([value[:9], value + str(rng.randrange(10))])  # 4 or 9 local digits
    return rng.choice([value[:-1], value + str(rng.randrange(10)), "1" + rng.choice("012") + value[2:]])


def _phone_format(value: str, rng: random.Random, **_: Any) -> str:
    v = value
    if v.startswith("0576-"):
        local = v[5:]
        return rng.choice([f"(0576){local}", f"0576 {local}", f"0576{local}", f"+86-576-{local}"])
    return rng.choice(
        [f"+86 {v[:3]} {v[3:7]} {v[7:]}", f"+86{v}", f"{v[:3]}-{v[3:7]}-{v[7:]}", f"{v[:3]} {v[3:7]} {v[7:]}"]
    )


def _enum_invalid(fault: Fault, rng: random.Random, **_: Any) -> str:
    return rng.choice(fault.values)


def _enum_alias(value: str, field: Field, rng: random.Random, **_: Any) -> str:
    return rng.choice(field.aliases[value])


def _region_invalid(value: str, rng: random.Random, **_: Any) -> str:
    return rng.choice([value[:5], value + str(rng.randrange(10))])  # not 6 digits


def _required_missing(rng: random.Random, medium: str, **_: Any) -> Any:
    if rng.random() < 0.65:
        return "" if medium == "text" else None
    return rng.choice(NULL_TOKENS)


def _null_token(rng: random.Random, **_: Any) -> str:
    return rng.choice(NULL_TOKENS)


def _amount_unit(value: Decimal, field: Field, rng: random.Random, **_: Any) -> str:
    grouped = format(value.normalize(), ",f")
    if field.unit == "万元":
        options = [f"{_dec(value)}万元", f"{_dec(value)}万元人民币", f"{_dec(value * 10000)}元"]
        if value >= 1000:
            options.append(f"{grouped}万元")
    else:  # 元
        options = [f"{_dec(value / 10000)}万元", f"{_dec(value)}元"]
        if value >= 1000:
            options.append(f"{grouped}元")
    return rng.choice(options)


def _fullwidth(value: str, field: Field, rng: random.Random, **_: Any) -> str:
    """Full-width forms (U+FF01..FF5E) of the ASCII characters: all of them in codes, the digits
    and letters in text (whose Chinese punctuation is full-width anyway); else ideographic spaces."""
    code = field.kind in ("uscc", "id_card", "phone")
    if any(c.isascii() and c.isalnum() for c in value):
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and (code or c.isalnum()) else c for c in value)
    return rng.choice(["\u3000" + value, value + "\u3000", "\u3000" + value + "\u3000"])


MUTATIONS = {
    "USCC_CHECKSUM": _uscc_checksum,
    "USCC_PILOT": _uscc_pilot,
    "ID_CARD_CHECKSUM": _id_checksum,
    "ID_CARD_BIRTHDATE": _id_birthdate,
    "ID_CARD_LEGACY15": _id_legacy15,
    "DATE_INVALID": _date_invalid,
    "DATE_MIXED_FORMAT": _date_mixed,
    "PHONE_INVALID": _phone_invalid,
    "PHONE_FORMAT": _phone_format,
    "ENUM_INVALID": _enum_invalid,
    "ENUM_ALIAS": _enum_alias,
    "REGION_INVALID": _region_invalid,
    "REQUIRED_MISSING": _required_missing,
    "NULL_TOKEN": _null_token,
    "AMOUNT_UNIT": _amount_unit,
    "FULLWIDTH": _fullwidth,
}


def mutate(fault: Fault, field: Field, value: Any, medium: str, rng: random.Random, occurrence: int) -> Any:
    """What the source holds instead of the clean ``value`` when it carries ``fault``."""
    return MUTATIONS[fault.code](value=value, field=field, fault=fault, medium=medium, rng=rng, occurrence=occurrence)
