"""A compiled catalog: the validated model plus what compilation assigns (codes, version, scores)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .completeness import Completeness, department_completeness
from .model import Catalog, Department, Resource


@dataclass(frozen=True)
class CompiledResource:
    resource: Resource
    code: str
    """信息资源代码, ``前段码/后段码``: stable across runs and file reorderings."""
    completeness: Completeness


@dataclass(frozen=True)
class CompiledCatalog:
    catalog: Catalog
    path: Path
    version: int
    content_hash: str
    compiled_at: dt.datetime
    resources: tuple[CompiledResource, ...]
    diff: dict[str, Any] = field(default_factory=dict)
    new_version: bool = False
    """True when this compilation recorded a new catalog version."""

    @property
    def department(self) -> Department:
        return self.catalog.department

    @property
    def completeness(self) -> float:
        return department_completeness([r.completeness.score for r in self.resources])
