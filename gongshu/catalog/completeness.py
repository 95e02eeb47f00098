"""Metadata completeness (元数据完整度) against the core metadata of the 2017 national cataloguing guide.

《政务信息资源目录编制指南（试行）》(发改高技〔2017〕1272号) lists 13 core metadata items (see
``shared/reference/domain-notes.md`` §1.1). Structural items the catalog format requires (name,
format, share and open type, ...) always pass; the optional ones decide the score, and every miss
is reported with the key that would fill it. 关联资源代码 is optional in GB/T 21063.3 and is not
scored (a resource with no related resource is not incomplete). An item that does not apply to a resource (a share
condition for 无条件共享) is left out of the denominator rather than given for free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .model import Department, Resource


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    ok: bool
    hint: str = ""

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "ok": self.ok, "hint": self.hint}


@dataclass(frozen=True)
class Completeness:
    items: tuple[Item, ...]

    @property
    def score(self) -> float:
        """Share of applicable items present, 0–100, rounded to one decimal."""
        return round(100 * sum(i.ok for i in self.items) / len(self.items), 1) if self.items else 100.0

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if not i.ok]

    def explain(self) -> str:
        """The missing items in catalog terms, e.g. '信息资源摘要 (summary)'; empty when complete."""
        return "; ".join(f"{i.label} ({i.key})" for i in self.missing)

    def to_dict(self) -> dict:
        return {"score": self.score, "missing": [i.to_dict() for i in self.missing]}


Check = Callable[[Department, Resource], bool | None]  # None: not applicable to this resource


def _filled(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


# (key in the catalog file, 元数据 name in the guide, check, what to write)
ITEMS: tuple[tuple[str, str, Check, str], ...] = (
    ("category", "信息资源分类", lambda d, r: True, ""),
    ("name", "信息资源名称", lambda d, r: _filled(r.name), ""),
    ("code", "信息资源代码", lambda d, r: True, "assigned at compilation"),
    ("department.name", "信息资源提供方", lambda d, r: _filled(d.name), ""),
    (
        "department.uscc",
        "信息资源提供方代码",
        lambda d, r: _filled(d.uscc),
        "the department's 统一社会信用代码",
    ),
    ("summary", "信息资源摘要", lambda d, r: _filled(r.summary), "a sentence on what the resource holds"),
    ("format", "信息资源格式", lambda d, r: True, ""),
    (
        "fields[].label",
        "信息项信息",
        lambda d, r: all(_filled(f.label) for f in r.fields),
        "a Chinese label (信息项名称) on every field",
    ),
    ("share.type", "共享类型", lambda d, r: True, ""),
    (
        "share.condition",
        "共享条件",
        lambda d, r: _filled(r.share.condition) if r.share.type == "有条件共享" else None,
        "the condition under which 有条件共享 data is shared",
    ),
    (
        "share.method",
        "共享方式",
        lambda d, r: _filled(r.share.method) if r.share.type != "不予共享" else None,
        "接口, 数据库 or 文件",
    ),
    ("open.type", "开放类型", lambda d, r: True, ""),
    (
        "open.condition",
        "开放条件",
        lambda d, r: _filled(r.open.condition) if r.open.type == "有条件开放" else None,
        "the condition under which 有条件开放 data is opened",
    ),
    ("update_cycle", "更新周期", lambda d, r: True, ""),
    (
        "publish_date",
        "发布日期",
        lambda d, r: r.publish_date is not None,
        "the date the resource was first published",
    ),
)


def resource_completeness(department: Department, resource: Resource) -> Completeness:
    items = []
    for key, label, check, hint in ITEMS:
        ok = check(department, resource)
        if ok is not None:
            items.append(Item(key=key, label=label, ok=bool(ok), hint=hint))
    return Completeness(items=tuple(items))


def department_completeness(scores: list[float]) -> float:
    """A department's completeness: the mean of its resources' scores."""
    return round(sum(scores) / len(scores), 1) if scores else 0.0
