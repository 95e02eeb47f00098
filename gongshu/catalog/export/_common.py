"""Helpers shared by the catalog exports: their order and the category vocabulary's labels."""

from __future__ import annotations

from collections.abc import Sequence

from ..compiled import CompiledCatalog, CompiledResource
from ..vocab import CATEGORIES, CATEGORY_CLASS


def ordered(
    catalogs: Sequence[CompiledCatalog],
) -> list[tuple[CompiledCatalog, list[CompiledResource]]]:
    """Departments by id, each with its resources by code: the order of every export."""
    seen: set[str] = set()
    for c in catalogs:
        if c.department.id in seen:
            raise ValueError(f"department '{c.department.id}' is given twice to the export")
        seen.add(c.department.id)
    return [
        (c, sorted(c.resources, key=lambda r: (r.code, r.resource.id)))
        for c in sorted(catalogs, key=lambda c: c.department.id)
    ]


def category_code(category: str) -> str:
    return CATEGORIES[category]


def category_class(category: str) -> str:
    """基础信息资源 / 主题信息资源 / 部门信息资源, from the first digit of the category code."""
    return CATEGORY_CLASS[CATEGORIES[category][0]]
