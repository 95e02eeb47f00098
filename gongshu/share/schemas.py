"""Bodies and answers of the sharing API, as pydantic models: they are its OpenAPI document, and
they refuse (422) what must never reach the database: text with control characters or lone
surrogates (PostgreSQL and UTF-8 refuse them: a 500 otherwise), identifiers outside the catalog's
own syntax, unknown keys."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

DEPARTMENT_ID = r"^[a-z][a-z0-9_]{0,15}$"
RESOURCE_ID = r"^[a-z][a-z0-9_]{0,39}$"
FIELD_NAME = r"^[a-z][a-z0-9_]{0,47}$"
QUALIFIED_RESOURCE = r"^[a-z][a-z0-9_]{0,15}\.[a-z][a-z0-9_]{0,39}$"
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

ShareType = Literal["无条件共享", "有条件共享", "不予共享"]  # workflow.UNCONDITIONAL, CONDITIONAL, NEVER
RequestStatus = Literal["pending", "approved", "rejected", "refused"]


def _printable(value: str) -> str:
    if _UNSAFE.search(value):
        raise ValueError("control characters and unpaired surrogates are not allowed")
    return value


Prose = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_printable)
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShareRequestIn(_Body):
    resource: Annotated[str, Field(pattern=QUALIFIED_RESOURCE, examples=["scjgj.enterprise_registry"])]
    """The provider's department id and resource id, ``department.resource``."""
    fields: Annotated[
        list[Annotated[str, Field(pattern=FIELD_NAME)]],
        Field(min_length=1, max_length=200, examples=[["uscc", "company_name"]]),
    ]
    purpose: Annotated[Prose, Field(examples=["用于就业创业补贴资格核验 (checking subsidy eligibility)"])]


class RejectionIn(_Body):
    reason: Annotated[Prose, Field(examples=["申请用途超出共享条件 (the purpose is outside the share condition)"])]


class FieldOut(BaseModel):
    name: str
    label: str | None
    kind: str


class CatalogEntryOut(BaseModel):
    department: str
    department_name: str
    resource: str
    code: str
    name: str
    summary: str | None
    update_cycle: str
    share_type: ShareType
    share_condition: str | None
    share_method: str | None
    fields: list[FieldOut]


class CatalogOut(BaseModel):
    resources: list[CatalogEntryOut]


class ShareRequestOut(BaseModel):
    id: int
    consumer: str
    provider: str
    resource: str
    """``department.resource``."""
    fields: list[str]
    purpose: str
    share_type: ShareType
    status: RequestStatus
    reason: str | None
    requested_at: dt.datetime
    due_at: dt.datetime | None
    decided_at: dt.datetime | None
    overdue: bool


class ShareRequestsOut(BaseModel):
    requests: list[ShareRequestOut]


class DataPageOut(BaseModel):
    fields: list[str]
    rows: list[dict[str, Any]]
    next_cursor: str | None
    """Pass it as ``cursor`` for the next page; null on the last page."""


class ErrorOut(BaseModel):
    error: str


class HealthOut(BaseModel):
    status: Literal["ok"]
