"""Every rule code of the platform, one record each: the quarantine, the gates and the 反馈表 read it.

A code is stable: quarantine reasons, ``quality_result`` rows, the feedback workbook and the
scorecard all use it. Its record says what the code does in the cleansing stage's quarantine
(``quarantine``: None when only a gate reports it), in a quality gate (``gate``: None when no gate
checks it), and what the department is told in its feedback workbook: 问题说明 (``problem``) and
修改建议 (``advice``), written for a clerk who knows the data but not the platform. Codes only a gate
reports are never a problem of a record, but they carry the same two sentences: the 反馈表 says
why a 质量门禁 did not pass, and the scorecard's 整改清单 what to do, in them (never the code alone).
:func:`gongshu.rules.advice.advice_for` makes the advice specific to the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Quarantine = Literal["reject", "warn", "repair", "merge"]
Gate = Literal["critical", "warning"]


@dataclass(frozen=True)
class Rule:
    code: str
    quarantine: Quarantine | None
    """reject: the row is quarantined; warn: kept and flagged; repair: standardised and kept;
    merge: a later row with the same primary key replaced an earlier one; None: gate-only."""
    gate: Gate | None
    """The severity of the gate expectations of the code (INVALID_RATIO and TEXT_UNDECODABLE also
    have a warning twin); None: the gates never report it."""
    problem: str = ""
    """问题说明."""
    advice: str = ""
    """修改建议."""


# the cleansing stage's findings (with the clean gate's severity where it checks the code too)
_QUARANTINE = [
    Rule(
        "REQUIRED_MISSING",
        "reject",
        "critical",
        "必填项为空：目录规定该项必须填写（或该项是记录的主键），但这条记录没有填写，"
        "或只填了「无」「/」「NULL」之类的占位符。",
        "请补充该项的实际内容，不要留空或只填占位符。",
    ),
    Rule(
        "TEXT_MOJIBAKE",
        "reject",
        None,
        "内容是乱码（如「锟斤拷」「Ã©」「ä¸­」或「�」），通常是导出或转存文件时字符编码不一致造成的。",
        "请在业务系统中查看这条记录的原始内容，按 UTF-8 编码重新导出后提交；不要手工改写乱码。",
    ),
    Rule(
        "PK_DUPLICATE",
        "merge",
        "critical",
        "同一主键出现了多条记录：平台保留最后出现的一条，替换了前面的记录。",
        "请确认保留的最后一条是正确的；如果它们其实是不同的对象，请核对主键是否录入有误。",
    ),
    Rule(
        "NULL_TOKEN",
        "repair",
        None,
        "用「无」「/」「—」「NULL」「空」等占位符表示没有数据，已按空值处理。",
        "没有数据时请直接留空，不要填写占位符。",
    ),
    Rule(
        "FULLWIDTH",
        "repair",
        None,
        "含有全角字符（如全角数字、全角字母或全角空格），已转换为半角。",
        "请在英文（半角）输入状态下录入数字和字母，并删去多余的空格。",
    ),
    Rule(
        "DATE_INVALID",
        "reject",
        "critical",
        "日期不存在（如 2 月 30 日、4 月 31 日、13 月或 0 日）。",
        "请核对后填写真实存在的日期，格式为 YYYY-MM-DD，如 2024-03-01。",
    ),
    Rule(
        "DATE_IMPLAUSIBLE",
        "reject",
        None,
        "日期早于 1900 年或晚于 2100 年，不合常理。",
        "请核对年份是否录入有误（如多打或少打了一位）。",
    ),
    Rule(
        "DATE_FORMAT",
        "reject",
        None,
        "无法识别为日期。",
        "请按 YYYY-MM-DD 格式填写日期（日期时间按 YYYY-MM-DD HH:MM:SS），如 2024-03-01。",
    ),
    Rule(
        "DATE_MIXED_FORMAT",
        "repair",
        None,
        "日期写法不规范（如 2020/1/2、20200102、2020年1月2日、2020.1.2 或 Excel 日期序号），已转换为标准格式。",
        "请统一按 YYYY-MM-DD 格式填写日期（日期时间按 YYYY-MM-DD HH:MM:SS）。",
    ),
    Rule(
        "USCC_FORMAT",
        "reject",
        "critical",
        "统一社会信用代码格式不对：应为 18 位，由数字和大写字母组成（不使用 I、O、S、V、Z），"
        "第 3～8 位是行政区划代码。",
        "请对照营业执照或登记证书，重新填写完整的 18 位代码。",
    ),
    Rule(
        "USCC_CHECKSUM",
        "reject",
        "critical",
        "统一社会信用代码的第 18 位（校验码）与前 17 位对不上，说明代码中至少有一位录错了。",
        "请对照营业执照或登记证书逐位核对代码。",
    ),
    Rule(
        "USCC_PILOT",
        "warn",
        "warning",
        "该代码是早期试点地区赋予的合法代码，其校验码不符合现行国家标准的计算规则，但代码本身有效。",
        "无需修改；如对代码有疑问，请向登记机关核实。",
    ),
    Rule(
        "ID_CARD_FORMAT",
        "reject",
        "critical",
        "公民身份号码格式不对：应为 18 位（前 17 位是数字，最后一位是数字或 X），或旧版的 15 位数字。",
        "请对照居民身份证重新填写完整的号码。",
    ),
    Rule(
        "ID_CARD_BIRTHDATE",
        "reject",
        None,
        "公民身份号码中的出生日期不存在，或早于 1900 年、晚于今天，说明号码录错了。",
        "请对照居民身份证核对号码中的出生日期（18 位号码的第 7～14 位）。",
    ),
    Rule(
        "ID_CARD_CHECKSUM",
        "reject",
        "critical",
        "公民身份号码的最后一位（校验码）与前 17 位对不上，说明号码中至少有一位录错了。",
        "请对照居民身份证逐位核对号码。",
    ),
    Rule(
        "ID_CARD_LEGACY15",
        "warn",
        None,
        "这是 15 位的旧版身份号码，平台已按国家标准升级为 18 位（出生年份补「19」，末尾补校验码）。",
        "请核实后改填 18 位公民身份号码。",
    ),
    Rule(
        "REGION_INVALID",
        "reject",
        "critical",
        "行政区划代码无效：应为 6 位数字，且前两位是有效的省级代码（如台州市为 331000）。",
        "请按民政部公布的行政区划代码填写 6 位代码，如台州市 331000。",
    ),
    Rule(
        "PHONE_INVALID",
        "reject",
        "critical",
        "电话号码无效：手机号码应为 1 开头的 11 位数字（第二位为 3～9），固定电话应为区号加 7～8 位号码。",
        "请核对号码位数后重新填写；手机号码如 13812345678，固定电话如 0576-88123456。",
    ),
    Rule(
        "PHONE_FORMAT",
        "repair",
        None,
        "电话号码写法不规范（带 +86、空格、短横线或括号等），已转换为标准格式。",
        "手机号码请直接填写 11 位数字；固定电话请按「区号-号码」填写，如 0576-88123456。",
    ),
    Rule(
        "NUMBER_INVALID",
        "reject",
        None,
        "无法识别为数值。",
        "请只填写阿拉伯数字（可带小数点和负号），不要夹带文字或单位。",
    ),
    Rule(
        "NUMBER_FORMAT",
        "repair",
        None,
        "数值带有千分位分隔符、正号或科学计数法（如 1,200、1.2E+3），已转换为普通数字。",
        "请直接填写普通数字，如 1200。",
    ),
    Rule(
        "AMOUNT_UNIT",
        "repair",
        None,
        "金额带有单位、币种或千分位分隔符（如「305.5万元人民币」「1,200万元」「3055000元」），已按目录规定的单位换算为数值。",
        "请按目录规定的单位填写数值，不带单位和币种。",
    ),
    Rule(
        "ENUM_INVALID",
        "reject",
        "critical",
        "取值不在目录规定的可选值范围内。",
        "请从目录规定的可选值中选择一个填写。",
    ),
    Rule(
        "ENUM_ALIAS",
        "repair",
        None,
        "使用了规定取值的别称或其他写法（如代码 1、2 或简称），已转换为规范取值。",
        "请直接填写目录规定的规范取值。",
    ),
    Rule(
        "EMAIL_INVALID",
        "reject",
        "critical",
        "电子邮箱格式不对。",
        "请按「用户名@域名」的格式填写一个邮箱，如 zhangsan@example.com，不要夹带中文、空格或多个邮箱。",
    ),
    Rule(
        "NAME_INVALID",
        "reject",
        None,
        "姓名中含有数字。",
        "请填写证件上的姓名，不要夹带编号、电话等其他内容。",
    ),
]

_GATE_ONLY = [
    # the clean gate (gongshu.quality.generate)
    Rule(
        "COLUMNS_MISMATCH",
        None,
        "critical",
        "清洗后的数据项与目录登记的数据项不一致，这批数据没有入库。",
        "请核对目录登记的数据项与实际提供的数据是否一致；目录没有变化的，平台会自行处理。",
    ),
    Rule(
        "ROW_COUNT",  # the raw gate too
        None,
        "critical",
        "记录数不足：这批数据能够入库的记录少于目录规定的最少记录数，这批数据没有入库。",
        "请确认提供的是完整数据，并按「问题明细」改正有错误的记录后重新报送。",
    ),
    Rule(
        "INVALID_RATIO",
        None,
        "critical",
        "错误记录过多：这批数据中有错误被隔离的记录所占比例超过目录规定的上限，整批数据没有入库。",
        "请按「问题明细」改正有错误的记录，下次归集时平台自动复核。",
    ),
    # the raw gate (gongshu.quality.raw)
    Rule(
        "COLUMNS_MISSING",
        None,
        "critical",
        "缺少数据项：提供的数据中没有目录登记的某些列。",
        "请按目录登记的数据项提供完整的列，列名与目录一致。",
    ),
    Rule(
        "COLUMNS_EXTRA",
        None,
        "warning",
        "多出数据项：提供的数据中有目录没有登记的列，平台没有读取这些列。",
        "需要共享这些数据项的，请先在目录中登记；否则请在导出时去掉。",
    ),
    Rule(
        "TEXT_UNDECODABLE",
        None,
        "critical",
        "文件不能按规定的字符编码读取，部分内容会成为乱码。",
        "请按 UTF-8 编码重新导出文件后提交。",
    ),
    Rule(
        "TEXT_NUL_BYTE",
        None,
        "critical",
        "内容中含有看不见的空字符，通常是导出程序出错造成的。",
        "请检查导出程序，重新导出后提交。",
    ),
    Rule(
        "VALUE_TOO_LARGE",
        None,
        "critical",
        "某项内容过长，超出了平台能够保存的长度。",
        "请核对该项是否误填了整段文字或多条记录的内容。",
    ),
    # the publish gate (gongshu.open.publish_gate)
    Rule(
        "OPEN_L4",
        None,
        "critical",
        "该资源的数据分级为 L4（敏感），不得向社会开放。",
        "请核对目录中该资源的开放属性和数据分级。",
    ),
    Rule(
        "PII_ID_CARD",
        None,
        "critical",
        "拟向社会开放的数据中含有公民身份号码。",
        "请对公民身份号码脱敏，或将该数据项设为不予开放。",
    ),
    Rule(
        "PII_MOBILE",
        None,
        "critical",
        "拟向社会开放的数据中含有手机号码。",
        "请对手机号码脱敏，或将该数据项设为不予开放。",
    ),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in [*_QUARANTINE, *_GATE_ONLY]}
"""Every rule by code."""
