"""The layout of the 数据质量问题反馈表 (:mod:`gongshu.cleanse.feedback`): its sheets, the columns of
its lists with their widths and cell styles, and the notes its 汇总 sheet opens with."""

from __future__ import annotations

from dataclasses import dataclass

SUMMARY_SHEET = "汇总"
DETAIL_SHEET = "问题明细"
FIXED_SHEET = "已整改"

TYPE_LABELS = {"reject": "未入库", "warn": "提示"}
GATE_LABELS = {True: "通过", False: "未通过", None: "未运行"}
TIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"

NOTES = (
    "隔离（未入库）：记录有错误，没有进入平台；改正之前，这些记录不会被共享，也不会向社会开放。",
    "请在贵单位自己的业务系统中改正「问题明细」所列的记录。下次归集时平台自动复核，改正了的问题自动关闭，列入「已整改」。",
    "提示：记录已经入库，但内容可能有误，请核实；确有错误的，也请在业务系统中改正。",
    "行号：该记录在贵单位提供的数据中是第几条（不含表头，第一条记录为 1）。主键值可用于在业务系统中查找该记录。",
    "原值：平台收到的原始内容，按文本照录。重复合并：主键相同的多条记录已合并为一条。",
    "质量门禁：该资源本期数据是否达到平台规定的质量要求；“未运行”表示本期没有检查。",
    "问题编号：平台给每个问题的固定编号，表格重新生成后不变；与平台联系或申诉时请注明。",
)
YES_NO = {True: "是", False: "否"}


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    style: str = "text"
    """A key of :data:`CELL_STYLES`: how the column's cells are styled and written."""


CELL_STYLES = {
    # style: (number format, wrap); text is always written as a string ('@': Excel keeps it as typed)
    "text": ("@", False),
    "wrapped": ("@", True),
    "number": ("General", False),
    "time": (TIME_FORMAT, False),
    "date": (DATE_FORMAT, False),
}


DETAIL_COLUMNS = (
    Column("资源名称", 22),
    Column("行号", 9, "number"),
    Column("主键值", 24),
    Column("字段", 18),
    Column("原值", 24),
    Column("问题说明", 36, "wrapped"),
    Column("规则代码", 22),
    Column("修改建议", 40, "wrapped"),
    Column("类型", 9),
    Column("首次发现", 18, "time"),
    Column("整改期限", 12, "date"),
    Column("是否逾期", 9),
    Column("问题编号", 10, "number"),
)

FIXED_COLUMNS = (
    Column("资源名称", 22),
    Column("行号", 9, "number"),
    Column("主键值", 24),
    Column("字段", 18),
    Column("原值", 24),
    Column("规则代码", 22),
    Column("首次发现", 18, "time"),
    Column("整改期限", 12, "date"),
    Column("整改时间", 18, "time"),
    Column("整改用时（工作日）", 18, "number"),
    Column("是否逾期", 9),
    Column("问题编号", 10, "number"),
)

RESOURCE_HEADERS = (
    "资源名称",
    "本期接收记录数",
    "入库",
    "隔离（未入库）",
    "重复合并",
    "提示",
    "未整改问题",
    "其中逾期",
    "本期已整改",
    "质量门禁",
)
RULE_HEADERS = ("规则代码", "问题说明", "问题数")
SUMMARY_WIDTHS = (34, 30, 10, 16, 10, 10, 12, 10, 12, 10)
