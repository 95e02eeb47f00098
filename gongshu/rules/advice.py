"""The 修改建议 of a finding, made specific to the value the department wrote where that saves the
clerk a search: the check character a code should have, the unit to write, the values to choose
from. Otherwise a rule's general advice (:data:`gongshu.rules.codes.RULES`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa

from .checkdigits import id_card_check_char, uscc_check_char
from .codes import RULES
from .kinds import standardise
from .text import normalise

if TYPE_CHECKING:
    from ..catalog.model import CatalogField


def _label(field: CatalogField) -> str:
    return field.label or field.name


def _standardised(field: CatalogField, original: str) -> str | None:
    return standardise(field, pa.array([original], pa.string())).values[0].as_py()


def _code(original: str) -> str:
    """A code as the standardisers read it: trimmed, half-width, upper-case."""
    return normalise(pa.array([original], pa.string()), code_like=True, collapse=False)[0][0].as_py().upper()


def _required(field: CatalogField, original: str) -> str:
    return f"「{_label(field)}」是必填项，请填写实际内容，不要留空或只填「无」「/」「NULL」等占位符。"


def _duplicate(field: CatalogField, original: str) -> str:
    return f"「{_label(field)}」为「{original}」的记录不止一条，平台保留了最后一条；请确认它是正确的。"


def _as_standard(field: CatalogField, original: str) -> str | None:
    value = _standardised(field, original)
    return f"请按标准格式填写为「{value}」。" if value else None


def _fullwidth(field: CatalogField, original: str) -> str | None:
    value = _standardised(field, original)
    return f"请在半角状态下录入，填写为「{value}」。" if value else None


def _uscc_checksum(field: CatalogField, original: str) -> str | None:
    code = _code(original)
    try:
        check = uscc_check_char(code[:17])
    except (ValueError, KeyError):
        return None
    return f"按 GB 32100 计算，第 18 位校验码应为「{check}」，请核对前 17 位是否录入有误（以营业执照为准）。"


def _uscc_format(field: CatalogField, original: str) -> str:
    code = _code(original)
    if len(code) != 18:
        return f"现填写的代码为 {len(code)} 位，应为 18 位，请对照营业执照重新填写。"
    banned = sorted({c for c in code if c in "IOSVZ"})
    if banned:
        return (
            f"代码中含有不使用的字母「{'、'.join(banned)}」（可能是数字 1、0、5、2 录成了字母），请对照营业执照核对。"
        )
    return RULES["USCC_FORMAT"].advice


def _id_checksum(field: CatalogField, original: str) -> str:
    check = id_card_check_char(_code(original)[:17])
    return f"按 GB 11643 计算，第 18 位校验码应为「{check}」，请核对前 17 位是否录入有误（以居民身份证为准）。"


def _id_birthdate(field: CatalogField, original: str) -> str:
    code = _code(original)
    birth = code[6:14] if len(code) == 18 else "19" + code[6:12]
    return f"号码中的出生日期「{birth}」不存在、早于 1900 年或晚于今天，请对照居民身份证核对。"


def _id_format(field: CatalogField, original: str) -> str:
    length = len(_code(original))
    if length not in (15, 18):
        return f"现填写的号码为 {length} 位，应为 18 位，请对照居民身份证重新填写。"
    return RULES["ID_CARD_FORMAT"].advice


def _legacy15(field: CatalogField, original: str) -> str | None:
    value = _standardised(field, original)
    return f"已升级为 18 位号码「{value}」，请核实无误后改填 18 位号码。" if value else None


def _region(field: CatalogField, original: str) -> str:
    code = _code(original)
    if code.isdigit() and len(code) != 6:
        return (
            f"「{code}」为 {len(code)} 位，行政区划代码应为 6 位数字（如台州市 331000），请核对是否多录或漏录了一位。"
        )
    return RULES["REGION_INVALID"].advice


def _phone(field: CatalogField, original: str) -> str:
    digits = "".join(c for c in _code(original) if c.isdigit())
    if digits.startswith("1") and len(digits) != 11:
        return f"手机号码应为 11 位，现填写的是 {len(digits)} 位，请核对是否多录或漏录了一位。"
    if digits.startswith("1") and digits[1:2] in ("0", "1", "2"):
        return "手机号码第二位应为 3～9，请核对号码。"
    if digits.startswith("0"):
        return "固定电话应为区号加 7～8 位号码，如 0576-88123456，请核对号码位数。"
    return RULES["PHONE_INVALID"].advice


def _number(field: CatalogField, original: str) -> str:
    if field.kind == "amount" and field.unit is None and any(u in original for u in "元万亿"):
        return "目录没有规定该项的单位，请只填写数值，不带单位。"
    if field.kind == "integer":
        return "该项应为整数，请只填写阿拉伯数字，不带小数、文字或单位。"
    return RULES["NUMBER_INVALID"].advice


def _amount(field: CatalogField, original: str) -> str:
    value = _standardised(field, original)
    unit = f"请按目录单位「{field.unit}」填写数值，不带单位" if field.unit else "请只填写数值，不带单位和千分位分隔符"
    return unit + (f"，本条应填「{value}」。" if value else "。")


def _enum_invalid(field: CatalogField, original: str) -> str:
    return f"请从以下取值中选择：{'、'.join(field.values or ())}。"


def _enum_alias(field: CatalogField, original: str) -> str | None:
    value = _standardised(field, original)
    return f"请直接填写规范取值「{value}」。" if value else None


_SPECIFIC: dict[str, Callable[[CatalogField, str], str | None]] = {
    "REQUIRED_MISSING": _required,
    "PK_DUPLICATE": _duplicate,
    "FULLWIDTH": _fullwidth,
    "DATE_MIXED_FORMAT": _as_standard,
    "PHONE_FORMAT": _as_standard,
    "NUMBER_FORMAT": _as_standard,
    "USCC_FORMAT": _uscc_format,
    "USCC_CHECKSUM": _uscc_checksum,
    "ID_CARD_FORMAT": _id_format,
    "ID_CARD_BIRTHDATE": _id_birthdate,
    "ID_CARD_CHECKSUM": _id_checksum,
    "ID_CARD_LEGACY15": _legacy15,
    "REGION_INVALID": _region,
    "PHONE_INVALID": _phone,
    "NUMBER_INVALID": _number,
    "AMOUNT_UNIT": _amount,
    "ENUM_INVALID": _enum_invalid,
    "ENUM_ALIAS": _enum_alias,
}


def advice_for(code: str, field: CatalogField, original: str | None) -> str:
    """The advice of ``code`` for one value as the department wrote it (``original``), specific to
    the value where that helps, else the rule's general advice."""
    rule = RULES[code]
    specific = _SPECIFIC.get(code)
    if specific is None or (original is None and code != "REQUIRED_MISSING"):
        return rule.advice
    return specific(field, original or "") or rule.advice
