"""The controlled vocabularies of catalog format v1, written as the standards write them.

Sources are in ``shared/reference/domain-notes.md``: the 2017 national cataloguing guide
(发改高技〔2017〕1272号) for categories, formats and share/open attributes, DB33/T 2351-2021 for the
L1–L4 sensitivity levels. Each mapping's value is the code used in resource codes or exports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, get_args

from ..rules.kinds import KINDS

# 资源属性分类: 基础信息资源 (1xx), 主题信息资源 (2xx), 部门信息资源 (300).
# The value is the 3-digit 前段码 (类 1 digit + 项 2 digits) of the resource code.
CATEGORIES: dict[str, str] = {
    "人口": "101",
    "法人": "102",
    "自然资源和空间地理": "103",
    "社会信用": "104",
    "电子证照": "105",
    "公共服务": "201",
    "健康保障": "202",
    "社会保障": "203",
    "食品药品安全": "204",
    "安全生产": "205",
    "价格监管": "206",
    "能源安全": "207",
    "信用体系": "208",
    "城乡建设": "209",
    "社区治理": "210",
    "生态环保": "211",
    "应急维稳": "212",
    "部门": "300",
}
CATEGORY_CLASS = {"1": "基础信息资源", "2": "主题信息资源", "3": "部门信息资源"}

Category = Literal[
    "人口", "法人", "自然资源和空间地理", "社会信用", "电子证照",
    "公共服务", "健康保障", "社会保障", "食品药品安全", "安全生产", "价格监管",
    "能源安全", "信用体系", "城乡建设", "社区治理", "生态环保", "应急维稳",
    "部门",
]  # fmt: skip

# 资源格式大类, numbered as catalog systems store them.
Format = Literal["电子文件", "电子表格", "数据库", "图形图像", "流媒体", "自描述格式", "服务接口"]

# 更新周期 and the longest interval (days) a collection may lag before it is late; None: no schedule.
UpdateCycle = Literal["实时", "每日", "每周", "每月", "每季度", "每半年", "每年", "不定期"]
UPDATE_CYCLE_DAYS: dict[str, int | None] = {
    "实时": 1,
    "每日": 1,
    "每周": 7,
    "每月": 31,
    "每季度": 92,
    "每半年": 183,
    "每年": 366,
    "不定期": None,
}

ShareType = Literal["无条件共享", "有条件共享", "不予共享"]
ShareMethod = Literal["接口", "数据库", "文件"]
OpenType = Literal["无条件开放", "有条件开放", "不予开放"]
Level = Literal["L1", "L2", "L3", "L4"]
LEVEL_LABELS = {"L1": "不敏感数据", "L2": "低敏感数据", "L3": "较敏感数据", "L4": "敏感数据"}

# 数据类型: the kinds of field are records of gongshu.rules.kinds (label, standardiser, pattern);
# the catalog accepts their names, in that order.
if TYPE_CHECKING:
    FieldKind = str
else:
    FieldKind = Literal[tuple(KINDS)]

# Masking applied when a field is opened to the public (stage 5); `none` opens the value as it is.
Mask = Literal["none", "name", "id_card", "phone", "landline", "address", "email", "bank_card", "drop", "hash"]

SourceKind = Literal["csv", "excel", "sql", "http"]
Encoding = Literal["auto", "utf-8", "gbk", "gb18030"]
Unit = Literal["元", "万元", "亿元"]


def values_of(literal: object) -> tuple[str, ...]:
    """The allowed values of a Literal type, in declaration order."""
    return tuple(get_args(literal))


# Words people write for a vocabulary value, by meaning: "did you mean" looks here before spelling.
# Spelling alone gets these wrong: '每天' is one character away from '每日' and from '每月' alike,
# and difflib picks '每月'. A word may mean a value of several vocabularies ('file': 电子文件 as a
# format, 文件 as a share method); the one among the allowed values is suggested.
_MEANINGS: dict[str, list[str]] = {
    "每日": ["每天", "天", "日", "按日", "按天", "日更", "日更新", "每日更新", "daily"],
    "每周": ["每星期", "每礼拜", "星期", "周", "按周", "周更", "每周更新", "weekly"],
    "每月": ["每个月", "月", "按月", "月度", "月更", "每月更新", "monthly"],
    "每季度": ["每季", "季", "季度", "按季", "按季度", "每个季度", "quarterly"],
    "每半年": ["半年", "按半年", "每半年度", "半年度", "semiannually", "semi-annually"],
    "每年": ["年", "年度", "按年", "按年度", "每年度", "annually", "yearly"],
    "实时": ["实时更新", "即时", "实时同步", "real-time", "realtime"],
    "不定期": ["不定时", "按需", "按需更新", "不固定", "irregular", "irregularly"],
    "无条件共享": ["无条件", "完全共享", "全部共享"],
    "有条件共享": ["有条件", "依申请共享", "受限共享", "部分共享"],
    "不予共享": ["不共享", "不可共享", "禁止共享", "非共享"],
    "无条件开放": ["无条件", "完全开放", "全部开放", "公开"],
    "有条件开放": ["有条件", "依申请开放", "依申请", "受限开放", "部分开放"],
    "不予开放": ["不开放", "不可开放", "禁止开放", "不公开"],
    "电子表格": ["excel", "xls", "xlsx", "表格", "电子表", "csv"],
    "数据库": ["database", "db", "数据库表"],
    "服务接口": ["api", "接口", "服务", "webservice"],
    "电子文件": ["file", "文件", "文档", "pdf", "word"],
    "图形图像": ["image", "图片", "图像", "图形"],
    "流媒体": ["video", "视频", "音视频"],
    "自描述格式": ["json", "xml"],
    "文件": ["file", "files", "文件交换", "下载"],
    "接口": ["api", "interface", "服务接口"],
}
VARIANTS: dict[str, tuple[str, ...]] = {}
for _value, _words in _MEANINGS.items():
    for _word in _words:
        VARIANTS[_word] = (*VARIANTS.get(_word, ()), _value)


def meant(word: str, allowed: Iterable[str]) -> str | None:
    """The allowed value ``word`` means when it is a common variant (:data:`VARIANTS`), else None.
    Compared case-folded and without spaces."""
    choices = set(allowed)
    key = "".join(word.split()).casefold()
    return next((v for v in VARIANTS.get(key, ()) if v in choices), None)
