"""The rule behind every finding of the cleansing stage: a stable English code, a severity, and
what the department is told in its feedback workbook: 问题说明 (``problem``) and 修改建议
(``advice``), written for a clerk who knows the data but not the platform.

:func:`advice_for` makes the advice specific to the value where that saves the clerk a search:
the check character a code should have, the unit to write, the values to choose from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from ..catalog.model import CatalogField
from ..checkdigits import id_card_check_char, uscc_check_char
from .table import standardise_column
from .text import normalise

Severity = Literal["reject", "warn", "repair", "merge"]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    """reject: the row is quarantined; warn: kept and flagged; repair: standardised and kept;
    merge: a later row with the same primary key replaced an earlier one."""
    problem: str
    """问题说明."""
    advice: str
    """修改建议."""


_RULES = [
    Rule(
        "REQUIRED_MISSING",
        "reject",
        "必填项为空：目录规定该项必须填写（或该项是记录的主键），但这条记录没有填写，"
        "或只填了「无」「/」「NULL」之类的占位符。",
        "请补充该项的实际内容，不要留空或只填占位符。",
    ),
    Rule(
        "TEXT_MOJIBAKE",
        "reject",
        "内容是乱码（如「锟斤拷」「Ã©」「ä¸­」或「�」），通常是导出或转存文件时字符编码不一致造成的。",
        "请在业务系统中查看这条记录的原始内容，按 UTF-8 编码重新导出后提交；不要手工改写乱码。",
    ),
    Rule(
        "PK_DUPLICATE",
        "merge",
        "同一主键出现了多条记录：平台保留最后出现的一条，替换了前面的记录。",
        "请确认保留的最后一条是正确的；如果它们其实是不同的对象，请核对主键是否录入有误。",
    ),
    Rule(
        "NULL_TOKEN",
        "repair",
        "用「无」「/」「—」「NULL」「空」等占位符表示没有数据，已按空值处理。",
        "没有数据时请直接留空，不要填写占位符。",
    ),
    Rule(
        "FULLWIDTH",
        "repair",
        "含有全角字符（如全角数字、全角字母或全角空格），已转换为半角。",
        "请在英文（半角）输入状态下录入数字和字母，并删去多余的空格。",
    ),
    Rule(
        "DATE_INVALID",
        "reject",
        "日期不存在（如 2 月 30 日、4 月 31 日、13 月或 0 日）。",
        "请核对后填写真实存在的日期，格式为 YYYY-MM-DD，如 2024-03-01。",
    ),
    Rule(
        "DATE_IMPLAUSIBLE",
        "reject",
        "日期早于 1900 年或晚于 2100 年，不合常理。",
        "请核对年份是否录入有误（如多打或少打了一位）。",
    ),
    Rule(
        "DATE_FORMAT",
        "reject",
        "无法识别为日期。",
        "请按 YYYY-MM-DD 格式填写日期（日期时间按 YYYY-MM-DD HH:MM:SS），如 2024-03-01。",
    ),
    Rule(
        "DATE_MIXED_FORMAT",
        "repair",
        "日期写法不规范（如 2020/1/2、20200102、2020年1月2日、2020.1.2 或 Excel 日期序号），已转换为标准格式。",
        "请统一按 YYYY-MM-DD 格式填写日期（日期时间按 YYYY-MM-DD HH:MM:SS）。",
    ),
    Rule(
        "USCC_FORMAT",
        "reject",
        "统一社会信用代码格式不对：应为 18 位，由数字和大写字母组成（不使用 I、O、S、V、Z），"
        "第 3～8 位是行政区划代码。",
        "请对照营业执照或登记证书，重新填写完整的 18 位代码。",
    ),
    Rule(
        "USCC_CHECKSUM",
        "reject",
        "统一社会信用代码的第 18 位（校验码）与前 17 位对不上，说明代码中至少有一位录错了。",
        "请对照营业执照或登记证书逐位核对代码。",
    ),
    Rule(
        "USCC_PILOT",
        "warn",
        "该代码是早期试点地区赋予的合法代码，其校验码不符合现行国家标准的计算规则，但代码本身有效。",
        "无需修改；如对代码有疑问，请向登记机关核实。",
    ),
    Rule(
        "ID_CARD_FORMAT",
        "reject",
        "公民身份号码格式不对：应为 18 位（前 17 位是数字，最后一位是数字或 X），或旧版的 15 位数字。",
        "请对照居民身份证重新填写完整的号码。",
    ),
    Rule(
        "ID_CARD_BIRTHDATE",
        "reject",
        "公民身份号码中的出生日期不存在，或早于 1900 年、晚于今天，说明号码录错了。",
        "请对照居民身份证核对号码中的出生日期（18 位号码的第 7～14 位）。",
    ),
    Rule(
        "ID_CARD_CHECKSUM",
        "reject",
        "公民身份号码的最后一位（校验码）与前 17 位对不上，说明号码中至少有一位录错了。",
        "请对照居民身份证逐位核对号码。",
    ),
    Rule(
        "ID_CARD_LEGACY15",
        "warn",
        "这是 15 位的旧版身份号码，平台已按国家标准升级为 18 位（出生年份补「19」，末尾补校验码）。",
        "请核实后改填 18 位公民身份号码。",
    ),
    Rule(
        "REGION_INVALID",
        "reject",
        "行政区划代码无效：应为 6 位数字，且前两位是有效的省级代码（如台州市为 331000）。",
        "请按民政部公布的行政区划代码填写 6 位代码，如台州市 331000。",
    ),
    Rule(
        "PHONE_INVALID",
        "reject",
        "电话号码无效：手机号码应为 1 开头的 11 位数字（第二位为 3～9），固定电话应为区号加 7～8 位号码。",
        "请核对号码位数后重新填写；手机号码如 13812345678，固定电话如 0576-88123456。",
    ),
    Rule(
        "PHONE_FORMAT",
        "repair",
        "电话号码写法不规范（带 +86、空格、短横线或括号等），已转换为标准格式。",
        "手机号码请直接填写 11 位数字；固定电话请按「区号-号码」填写，如 0576-88123456。",
    ),
    Rule(
        "NUMBER_INVALID",
        "reject",
        "无法识别为数值。",
        "请只填写阿拉伯数字（可带小数点和负号），不要夹带文字或单位。",
    ),
    Rule(
        "NUMBER_FORMAT",
        "repair",
        "数值带有千分位分隔符、正号或科学计数法（如 1,200、1.2E+3），已转换为普通数字。",
        "请直接填写普通数字，如 1200。",
    ),
    Rule(
        "AMOUNT_UNIT",
        "repair",
        "金额带有单位、币种或千分位分隔符（如「305.5万元人民币」「1,200万元」「3055000元」），已按目录规定的单位换算为数值。",
        "请按目录规定的单位填写数值，不带单位和币种。",
    ),
    Rule(
        "ENUM_INVALID",
        "reject",
        "取值不在目录规定的可选值范围内。",
        "请从目录规定的可选值中选择一个填写。",
    ),
    Rule(
        "ENUM_ALIAS",
        "repair",
        "使用了规定取值的别称或其他写法（如代码 1、2 或简称），已转换为规范取值。",
        "请直接填写目录规定的规范取值。",
    ),
    Rule(
        "EMAIL_INVALID",
        "reject",
        "电子邮箱格式不对。",
        "请按「用户名@域名」的格式填写一个邮箱，如 zhangsan@example.com，不要夹带中文、空格或多个邮箱。",
    ),
    Rule(
        "NAME_INVALID",
        "reject",
        "姓名中含有数字。",
        "请填写证件上的姓名，不要夹带编号、电话等其他内容。",
    ),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}
"""Every rule by code."""


def _label(field: CatalogField) -> str:
    return field.label or field.name


def _standardised(field: CatalogField, original: str) -> str | None:
    return standardise_column(field, pa.array([original], pa.string())).values[0].as_py()


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
