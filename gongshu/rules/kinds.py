"""The field kinds of catalog format v1, one record each: what a catalog's ``kind`` may say.

A :class:`Kind` holds all that is known of a kind: its Chinese label (目录清单, portal), the
standardiser the cleansing stage runs on its columns, for a code-like kind its canonical pattern
(:mod:`gongshu.rules.patterns`) with the rule code and the Chinese text of the clean gate's format
expectation, how its dwd column is typed, and the mask it is opened with by default.
:data:`KINDS` is the one list of kinds: the catalog's ``FieldKind`` is derived from it, so adding a
kind is adding a record here (and its standardiser).

:func:`standardise` runs a kind's standardiser and rejects mojibake in any kind (``TEXT_MOJIBAKE``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pyarrow as pa
import pyarrow.compute as pc

from . import dates, identifiers, numbers, patterns, phone, textkinds
from .result import Cleaned
from .text import mojibake

if TYPE_CHECKING:
    from ..catalog.model import CatalogField

Stored = Literal["text", "integer", "decimal", "date", "datetime"]
Standardiser = Callable[[pa.Array, "CatalogField"], Cleaned]
"""A column of raw text and its catalog field (for the enumeration's values, the amount's unit)."""


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    """数据类型 as the catalog exports and the portal show it."""
    standardiser: Standardiser
    pattern: str | None = None
    """The canonical form after cleansing, checked by the clean gate; None: no format check."""
    format_rule: str | None = None
    """The rule code of the clean gate's format check (with ``pattern``)."""
    format_text: str | None = None
    """What the format check asks for, after the field's label (the expectation's description)."""
    stored: Stored = "text"
    """The type of its column in the dwd table (standardised text otherwise)."""
    mask: str | None = None
    """The mask (a catalog ``Mask``) of a field of the kind that declares none when opened; None:
    opened as it is."""


_KINDS = (
    Kind("text", "字符型", lambda values, field: textkinds.text(values)),
    Kind("integer", "整数型", lambda values, field: numbers.number(values, "integer", field.unit), stored="integer"),
    Kind("decimal", "数值型", lambda values, field: numbers.number(values, "decimal", field.unit), stored="decimal"),
    Kind("amount", "金额", lambda values, field: numbers.number(values, "amount", field.unit), stored="decimal"),
    Kind(
        "date",
        "日期型",
        lambda values, field: dates.standardise(values, "date"),
        patterns.DATE,
        "DATE_INVALID",
        "须为 YYYY-MM-DD 格式的日期",
        stored="date",
    ),
    Kind(
        "datetime",
        "日期时间型",
        lambda values, field: dates.standardise(values, "datetime"),
        patterns.DATETIME,
        "DATE_INVALID",
        "须为 YYYY-MM-DD HH:MM:SS 格式的日期时间",
        stored="datetime",
    ),
    Kind("enum", "枚举型", textkinds.enum),
    Kind(
        "uscc",
        "统一社会信用代码",
        lambda values, field: identifiers.uscc(values),
        patterns.USCC,
        "USCC_FORMAT",
        "须为 18 位统一社会信用代码（GB 32100，不含 I、O、S、V、Z）",
    ),
    Kind(
        "id_card",
        "公民身份号码",
        lambda values, field: identifiers.id_card(values),
        patterns.ID_CARD,
        "ID_CARD_FORMAT",
        "须为 18 位公民身份号码（17 位数字加校验位数字或 X）",
        mask="id_card",
    ),
    Kind(
        "phone",
        "电话号码",
        lambda values, field: phone.phone(values),
        patterns.PHONE,
        "PHONE_INVALID",
        "须为手机号（11 位）、固定电话（区号-号码）或 400/800 号码",
        mask="phone",
    ),
    Kind(
        "region_code",
        "行政区划代码",
        lambda values, field: identifiers.region_code(values),
        patterns.REGION_CODE,
        "REGION_INVALID",
        "须为 6 位数字行政区划代码（GB/T 2260）",
    ),
    Kind("person_name", "姓名", lambda values, field: textkinds.person_name(values), mask="name"),
    Kind("address", "地址", lambda values, field: textkinds.text(values), mask="address"),
    Kind(
        "email",
        "电子邮箱",
        lambda values, field: textkinds.email(values),
        patterns.EMAIL,
        "EMAIL_INVALID",
        "须为有效的电子邮箱地址",
        mask="email",
    ),
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in _KINDS}
"""Every field kind by name, in the order the catalog format lists them."""
FIELD_KIND_LABELS: dict[str, str] = {kind.name: kind.label for kind in _KINDS}
"""Each kind's label by name (a view of :data:`KINDS`)."""


def standardise(field: CatalogField, values: pa.Array) -> Cleaned:
    """One column (a contiguous ``pa.string()`` array) standardised by the field's kind; mojibake in
    any kind is rejected (``TEXT_MOJIBAKE``)."""
    cleaned = KINDS[field.kind].standardiser(values, field)
    garbled = mojibake(values)
    if garbled.any():
        cleaned.rejected[garbled] = "TEXT_MOJIBAKE"
        cleaned.repaired[garbled] = None
        cleaned.warned[garbled] = None
        cleaned.values = pc.if_else(pa.array(garbled), pa.scalar(None, pa.string()), cleaned.values)
    return cleaned
