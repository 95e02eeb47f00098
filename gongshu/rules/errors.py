"""Every error kind a stage can record, and the Chinese a department reads for it.

The stages write ``run_log.error`` in English for the engineer (file, line, column, what to change).
A department reads the scorecard's evidence and 整改清单 instead, which must be plain Chinese: never
the English sentence, an exception text or a path of the server. :func:`describe` turns a recorded
error into that Chinese sentence:

1. by the kind the stage recorded in ``details["error_kind"]`` (the collect stage's source codes,
   ``COLUMNS_MISSING``, ``RAW_GATE``; the catalog stage's ``CATALOG_*`` issue codes), with the safe
   parameters it recorded beside it (``file``: the file name as the catalog declares it, ``fields``:
   the catalog labels);
2. else by recognising the English text of our own stages' messages (older rows, other stages);
3. else a generic sentence pointing at the run report by its run id.

Rule codes are shown by their Chinese sentence with the code in brackets (:func:`rule_text`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any

from .codes import RULES


@dataclass(frozen=True)
class ErrorKind:
    kind: str
    sentence: str
    """Chinese; may hold ``{file}`` (「name」 or nothing), ``{fields}``, ``{detail}``."""
    advice: str
    """What the department does about it (Chinese)."""
    platform: bool = False
    """The platform's own failure, not the department's (a database error, a gate that could not run)."""


def _kinds(*items: ErrorKind) -> dict[str, ErrorKind]:
    return {k.kind: k for k in items}


_FILE_FORMAT = "请按目录登记的格式重新导出数据文件后提交"
KINDS: dict[str, ErrorKind] = _kinds(
    # the collect stage: the source
    ErrorKind(
        "SOURCE_NOT_FOUND", "数据源文件{file}不存在", "请按目录登记的文件名提交数据文件，或在目录中更正数据源路径"
    ),
    ErrorKind("SOURCE_UNREADABLE", "数据源文件{file}无法读取", "请检查文件是否损坏或仍在写入，重新导出后提交"),
    ErrorKind("SOURCE_EMPTY", "数据源{file}没有任何数据", "请提交包含数据的文件"),
    ErrorKind("SOURCE_ENCODING", "数据源{file}的字符编码无法识别，文字不能正确读出", "请以 UTF-8 编码重新导出后提交"),
    ErrorKind("SOURCE_FORMAT", "数据源文件{file}的格式与目录登记的不符", _FILE_FORMAT),
    ErrorKind("SOURCE_HEADER", "数据源{file}的表头行没有列名", "请在表头行写明各列的名称"),
    ErrorKind("SOURCE_SHEET", "数据源{file}中没有目录登记的工作表", "请核对工作表名称，或在目录中更正"),
    ErrorKind("SOURCE_MALFORMED", "数据源{file}的内容格式有误（列数不一致、引号未闭合等）", _FILE_FORMAT),
    ErrorKind("SOURCE_PARSE", "数据源{file}的内容无法解析", _FILE_FORMAT),
    ErrorKind("SOURCE_RAGGED", "数据源{file}中有的行列数与表头不一致", _FILE_FORMAT),
    ErrorKind("SOURCE_TRUNCATED", "数据源文件{file}不完整（文件被截断）", "请重新完整导出后提交"),
    ErrorKind("SOURCE_LINE_TOO_LONG", "数据源{file}中有超长的行", _FILE_FORMAT),
    ErrorKind("SOURCE_TOO_LARGE", "数据源{file}超过平台允许的大小", "请拆分数据或改用增量方式提交"),
    ErrorKind("SOURCE_RECORD_TOO_LARGE", "数据源{file}中有超长的记录", "请删去记录中不属于目录字段的大段内容"),
    ErrorKind("SOURCE_VALUE_TOO_LARGE", "数据源{file}中有超长的字段值", "请删去字段中不属于目录内容的大段文字或文件"),
    ErrorKind("SOURCE_HTTP", "数据接口返回错误", "请检查数据接口服务是否正常、访问凭据是否有效"),
    ErrorKind("SOURCE_UNREACHABLE", "数据接口或数据库无法连接", "请检查数据源服务是否正常运行、网络是否可达"),
    ErrorKind("SOURCE_PAGING", "数据接口的分页返回有误", "请检查数据接口的分页参数与返回内容"),
    ErrorKind(
        "SOURCE_QUERY",
        "数据库查询出错（表或字段不存在，或没有查询权限）",
        "请核对目录登记的数据库表名、字段名和账号权限",
    ),
    ErrorKind("SOURCE_CONFIG", "目录中的数据源配置不完整或有误", "请按目录格式说明补全数据源配置"),
    ErrorKind(
        "COLUMNS_MISSING", "数据源缺少目录登记的列{fields}", "请在数据源中补上这些列，或在目录中更正对应的源列名"
    ),
    ErrorKind("RAW_GATE", "数据未通过归集质量检查{detail}", "请按说明更正数据源后重新提交"),
    # the cleanse stage
    ErrorKind("CLEAN_GATE", "清洗质量门未通过{detail}", "请按数据质量问题反馈表更正源数据后重新提交"),
    ErrorKind("GATE_NOT_RUN", "质量检查未能运行（平台原因）", "平台运维处理，无需部门整改", platform=True),
    ErrorKind("SUPERSEDED", "该批次已被更新的全量数据替代，未单独清洗", "无需整改"),
    # the open stage
    ErrorKind(
        "PUBLISH_GATE", "发布质量门发现未脱敏的个人信息，未予发布", "请在目录中为这些字段设置脱敏方式，或确认不予开放"
    ),
    ErrorKind("NOTHING_TO_OPEN", "尚无清洗入库的数据，无法开放", "请先完成归集与清洗"),
    ErrorKind("UNCHANGED", "数据未变化，沿用已发布的版本", "无需整改"),
    ErrorKind(
        "LEVEL_OPEN",
        "该资源的分级只能依申请开放，但目录登记为无条件开放，暂不发布",
        "请在目录中改为有条件开放并写明开放条件",
    ),
    ErrorKind("NEVER_OPEN", "该资源为 L4 级或目录登记为不予开放，不予发布", "无需整改"),
    ErrorKind("CLAIMED", "另一运行正在处理该资源（平台原因）", "无需整改", platform=True),
    # the catalog stage
    ErrorKind(
        "CATALOG_SOURCE_MISSING", "目录登记的数据源文件{file}不存在", "请提交该数据文件，或在目录中更正数据源路径"
    ),
    ErrorKind("CATALOG_SOURCE", "目录中的数据源配置有误", "请按目录格式说明填写数据源（地址或表名择一填写）"),
    ErrorKind("CATALOG_SECRET", "目录中写入了数据库或接口的密码", "请删去密码，改为引用环境变量"),
    ErrorKind("CATALOG_YAML_SYNTAX", "目录文件有语法错误，无法读取", "请按提示的行号修正目录文件的格式"),
    ErrorKind("CATALOG_MISSING_KEY", "目录条目缺少必填的元数据项", "请补全该资源的必填元数据"),
    ErrorKind("CATALOG_INVALID_VALUE", "目录条目中有取值不在规定范围内", "请按目录格式说明中的允许取值填写"),
    ErrorKind("CATALOG_UNKNOWN_KEY", "目录条目中有无法识别的元数据项", "请删去或更正拼写有误的项"),
    ErrorKind("CATALOG_INVALID", "目录条目不符合目录格式要求", "请按目录校验的提示修改目录文件后重新编制"),
    ErrorKind("CATALOG_DB", "目录登记时平台数据库出错（平台原因）", "平台运维处理，无需部门整改", platform=True),
)
GENERIC = "运行出错，详见运行报告（运行编号 {run_id}）"
GENERIC_ADVICE = "请联系平台运维人员查看运行报告"


@dataclass(frozen=True)
class Explained:
    kind: str | None
    """None: nothing recognised (the generic sentence)."""
    sentence: str
    advice: str
    platform: bool = False


def rule_title(code: str) -> str:
    """A rule code's short Chinese name: its 问题说明 up to the first stop, without asides."""
    rule = RULES.get(code)
    text = rule.problem if rule and rule.problem else ""
    text = re.sub(r"（[^）]*）", "", text)
    title = re.split(r"[：。；，]", text, maxsplit=1)[0].strip()
    return title or "数据不符合质量规则"


def rule_text(code: str) -> str:
    """「日期不存在（DATE_INVALID）」: the Chinese first, the code in brackets after it."""
    return f"{rule_title(code)}（{code}）"


def file_name(path: object) -> str:
    """The last part of a path as written (``../samples/zhzfj/x.csv`` -> ``x.csv``), never the folders."""
    text = str(path or "").strip().strip("'\"")
    return PureWindowsPath(text).name if text else ""


def explain(error: str | None, details: Mapping[str, Any] | None = None, *, run_id: str | None = None) -> Explained:
    """The Chinese sentence and advice for a recorded error (see the module docstring)."""
    details = details or {}
    kind = details.get("error_kind") or details.get("code")
    if isinstance(kind, str) and kind in KINDS:
        return _render(kind, _params(details))
    if error and not re.search(r"[A-Za-z/\\]", error):  # already plain Chinese (e.g. 「不予开放」)
        return Explained(None, error, "")
    for pattern, found_kind, params in _RECOGNISED:
        match = pattern.search(error or "")
        if match:
            return _render(found_kind, params(match))
    if isinstance(kind, str) and kind.startswith("CATALOG_"):
        return _render("CATALOG_INVALID", {})
    return Explained(None, GENERIC.format(run_id=run_id or "—"), GENERIC_ADVICE)


def describe(error: str | None, details: Mapping[str, Any] | None = None, *, run_id: str | None = None) -> str:
    """The Chinese sentence a department reads for a recorded error."""
    return explain(error, details, run_id=run_id).sentence


def _render(kind: str, params: Mapping[str, str]) -> Explained:
    spec = KINDS[kind]
    values = {"file": "", "fields": "", "detail": "", **params}
    return Explained(kind, spec.sentence.format(**values), spec.advice, spec.platform)


def _quoted(name: str) -> str:
    return f"「{name}」" if name else ""


def _params(details: Mapping[str, Any]) -> dict[str, str]:
    out = {"file": _quoted(file_name(details.get("file")))}
    fields = details.get("fields")
    if isinstance(fields, Sequence) and not isinstance(fields, str) and fields:
        out["fields"] = "：" + "、".join(f"「{f}」" for f in fields)
    checks = details.get("checks")
    if isinstance(checks, Sequence) and not isinstance(checks, str) and checks:
        out["detail"] = "：" + "；".join(rule_text(c) for c in checks)
    return out


def _file(match: re.Match[str]) -> dict[str, str]:
    return {"file": _quoted(file_name(match.group("path")))}


def _columns(match: re.Match[str]) -> dict[str, str]:
    names = re.findall(r"'([^']+)' for field", match.group("cols"))
    return {"fields": "：" + "、".join(f"「{n}」" for n in names)} if names else {}


_RAW_CHECKS = (
    ("rows; the catalog expects", "ROW_COUNT"),
    ("not decoded right", "TEXT_UNDECODABLE"),
    ("NUL byte", "TEXT_NUL_BYTE"),
    ("GONGSHU_MAX_FIELD_BYTES", "VALUE_TOO_LARGE"),
)


def _raw(match: re.Match[str]) -> dict[str, str]:
    rest = match.group("rest")
    codes = [code for marker, code in _RAW_CHECKS if marker in rest]
    return {"detail": "：" + "；".join(rule_text(c) for c in codes)} if codes else {}


def _clean(match: re.Match[str]) -> dict[str, str]:
    text = match.group(0)
    parts = []
    ratio = re.search(
        r"(\d+) of (\d+) rows \(([\d.]+%)\) were quarantined, more than the catalog's max_invalid_ratio ([\d.]+%)", text
    )
    if ratio:
        q, n, share, limit = ratio.groups()
        parts.append(f"{n} 行中有 {q} 行（{share}）因数据问题被隔离，超过目录允许的 {limit}")
    if "rows would be loaded; the catalog expects" in text:
        parts.append(rule_text("ROW_COUNT"))
    top = re.search(r"most frequent problems: ([^;]+)", text)
    if top:
        codes = re.findall(r"\b([A-Z][A-Z0-9_]+) \d+", top.group(1))
        if codes:
            parts.append("主要问题：" + "、".join(rule_text(c) for c in codes))
    return {"detail": "：" + "；".join(parts)} if parts else {}


_Params = Callable[[re.Match[str]], dict[str, str]]
_RECOGNISED: tuple[tuple[re.Pattern[str], str, _Params], ...] = (
    (re.compile(r"source file '(?P<path>[^']+)' does not exist"), "CATALOG_SOURCE_MISSING", _file),
    (re.compile(r"SQLite database '(?P<path>[^']+)' does not exist"), "CATALOG_SOURCE_MISSING", _file),
    (re.compile(r"could not register the catalog"), "CATALOG_DB", lambda m: {}),
    (re.compile(r"file not found: (?P<path>\S+)"), "SOURCE_NOT_FOUND", _file),
    (re.compile(r"(?P<path>\S+) \(resolved to .*\) is not a file"), "SOURCE_NOT_FOUND", _file),
    (re.compile(r"cannot read (?P<path>[^:]+):"), "SOURCE_UNREADABLE", _file),
    (re.compile(r"the file (?P<path>\S+) is empty"), "SOURCE_EMPTY", _file),
    (
        re.compile(r"source lacks \d+ column\(s\) the catalog declares: (?P<cols>.*?); the source has"),
        "COLUMNS_MISSING",
        _columns,
    ),  # fmt: skip
    (re.compile(r"raw gate failed: (?P<rest>.*)"), "RAW_GATE", _raw),
    (re.compile(r"the clean gate cannot run"), "GATE_NOT_RUN", lambda m: {}),
    (re.compile(r"clean gate failed for batch .*"), "CLEAN_GATE", _clean),
    (re.compile(r"a newer full snapshot, batch \S+, was cleansed instead"), "SUPERSEDED", lambda m: {}),
    (re.compile(r"the publish gate blocked the release"), "PUBLISH_GATE", lambda m: {}),
    (re.compile(r"nothing to open yet"), "NOTHING_TO_OPEN", lambda m: {}),
    (re.compile(r"unchanged since v\d+"), "UNCHANGED", lambda m: {}),
    (re.compile(r"held back until the catalog declares"), "LEVEL_OPEN", lambda m: {}),
    (re.compile(r"is never opened|open\.type is 不予开放"), "NEVER_OPEN", lambda m: {}),
    (re.compile(r"another run", re.IGNORECASE), "CLAIMED", lambda m: {}),
    (re.compile(r"YAML syntax error", re.IGNORECASE), "CATALOG_YAML_SYNTAX", lambda m: {}),
    (re.compile(r": error: "), "CATALOG_INVALID", lambda m: {}),
)
