"""Catalog format v1 as pydantic models: one department, its resources, their fields and sources.

Structure and vocabularies are checked here; rules that span several keys (a primary key naming a
field, a source file that must exist, level against open type, ...) live in ``rules.py`` so that
each problem is reported at the exact key it concerns.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .vocab import (
    Category,
    Encoding,
    FieldKind,
    Format,
    Level,
    Mask,
    OpenType,
    ShareMethod,
    ShareType,
    Unit,
    UpdateCycle,
)

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)]
# Table names are ods_<department>__<resource> and dwd_…: within PostgreSQL's 63 characters.
DepartmentId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=16)]
ResourceId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    # coerce: an all-digit code (a USCC, a region code) written without quotes is still text
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Department(_Strict):
    id: DepartmentId
    name: Text
    uscc: str | None = None
    """统一社会信用代码 of the department (信息资源提供方代码); GB 32100 check character verified."""
    region_code: str | None = None


class Share(_Strict):
    type: ShareType
    condition: str | None = None
    method: ShareMethod | None = None


class Open(_Strict):
    type: OpenType
    condition: str | None = None


class Quality(_Strict):
    min_rows: int = Field(1, ge=0)
    max_rows: int | None = Field(None, ge=1)
    max_invalid_ratio: float = Field(0.05, ge=0, le=1)


class CatalogField(_Strict):
    name: Ident
    label: Text | None = None
    kind: FieldKind
    required: bool = False
    source_column: str | None = None
    description: str | None = None
    mask: Mask | None = None
    level: Level | None = None
    unit: Unit | None = None
    values: list[Text] | None = None
    aliases: dict[str, list[str]] | None = None
    """enum only: canonical value -> other spellings found in source data."""

    @property
    def column(self) -> str:
        """The column this field is read from: ``source_column``, else the label, else the name."""
        return self.source_column or self.label or self.name


class CsvSource(_Strict):
    kind: Literal["csv"]
    path: Text
    encoding: Encoding = "auto"
    delimiter: str | None = Field(None, min_length=1, max_length=1)


class ExcelSource(_Strict):
    kind: Literal["excel"]
    path: Text
    sheet: str | None = None
    header_row: int | None = Field(None, ge=1)
    """1-based row of the header; detected under title rows when absent."""


class SqlSource(_Strict):
    kind: Literal["sql"]
    url: str | None = None
    url_env: str | None = None
    table: str | None = None
    query: str | None = None
    watermark: str | None = None


class Paging(_Strict):
    kind: Literal["none", "page", "offset"] = "none"
    page_param: str = "page"
    size_param: str = "page_size"
    offset_param: str = "offset"
    size: int = Field(100, ge=1, le=10000)
    start: int = 1


class HttpSource(_Strict):
    kind: Literal["http"]
    url: str | None = None
    url_env: str | None = None
    records: str | None = None
    """Dotted path to the list of records in each response body, e.g. ``data.records``."""
    paging: Paging = Paging()
    token_env: str | None = None
    timeout: float = Field(30, gt=0, le=600)
    params: dict[str, str | int] | None = None


Source = Annotated[CsvSource | ExcelSource | SqlSource | HttpSource, Field(discriminator="kind")]


class Resource(_Strict):
    id: ResourceId
    name: Text
    summary: str | None = None
    category: Category
    format: Format
    update_cycle: UpdateCycle
    share: Share
    open: Open
    level: Level
    primary_key: list[str] = []
    fields: list[CatalogField] = Field(min_length=1)
    source: Source | None = None
    quality: Quality = Quality()
    publish_date: dt.date | None = None
    related: list[str] = []
    """关联资源: other resources as ``resource_id`` (same department) or ``department.resource_id``."""
    tags: list[str] = []

    def field(self, name: str) -> CatalogField | None:
        return next((f for f in self.fields if f.name == name), None)


class Catalog(_Strict):
    department: Department
    resources: list[Resource] = Field(min_length=1)

    def resource(self, resource_id: str) -> Resource | None:
        return next((r for r in self.resources if r.id == resource_id), None)
