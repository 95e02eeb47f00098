"""Bodies and answers of the sharing API, as pydantic models: they are its OpenAPI document, and
they refuse (422) identifiers outside the catalog's own syntax, unknown keys and text that is only
spaces. Free text is stored with control characters and lone surrogates (which PostgreSQL and UTF-8
refuse: a 500 otherwise) replaced by U+FFFD, and with personal numbers replaced by ``***``; the
document says what it takes (a pattern, lengths), so that it and the service agree."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..share.calllog import REDACTED, redact

DEPARTMENT_ID = r"^[a-z][a-z0-9_]{0,15}$"
RESOURCE_ID = r"^[a-z][a-z0-9_]{0,39}$"
FIELD_NAME = r"^[a-z][a-z0-9_]{0,47}$"
QUALIFIED_RESOURCE = r"^[a-z][a-z0-9_]{0,15}\.[a-z][a-z0-9_]{0,39}$"
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_A_SPACE = re.compile(r"[^\s\ufeff]")  # JSON Schema's \S (ECMAScript's): a BOM is a space there

ShareType = Literal["无条件共享", "有条件共享", "不予共享"]  # workflow.UNCONDITIONAL, CONDITIONAL, NEVER
RequestStatus = Literal["pending", "approved", "rejected", "refused"]


def text_input(value: str, redacting: Callable[[str], str]) -> str:
    """Free text a caller sends, as stored: stripped, not empty, control characters and unpaired
    surrogates (which PostgreSQL and UTF-8 refuse) replaced by U+FFFD as a UTF-8 decoder replaces
    bytes it cannot read, then passed through ``redacting``."""
    value = _UNSAFE.sub("\ufffd", value)
    if not _NOT_A_SPACE.search(value):
        raise ValueError("write some text, not only spaces")
    return redacting(value.strip())


TEXT_PATTERN = r"\S"
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")


def _without_id_numbers(value: str) -> str:
    return _ID_NUMBER.sub(REDACTED, value)


# a contact is how someone is reached (a phone number, an e-mail address: a 开放申请's applicant, a
# 开放应用's submitter): kept as written, but an ID number in it is replaced by *** before it is stored
Contact = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(lambda value: text_input(value, _without_id_numbers)),
    Field(json_schema_extra={"pattern": TEXT_PATTERN, "minLength": 1}),
]
"""What free text must hold, for the OpenAPI document: a character that is not a space."""

Prose = Annotated[
    str,
    StringConstraints(max_length=2000),
    # a purpose or a reason is kept and shown to other departments: an ID or phone number written in
    # it is replaced by *** before it is stored (it is kept nowhere)
    AfterValidator(lambda value: text_input(value, redact)),
    Field(json_schema_extra={"pattern": TEXT_PATTERN, "minLength": 1}),
]


class StrictBody(BaseModel):
    """A request body that refuses fields it does not know (a typo is a 422, not silently dropped)."""

    model_config = ConfigDict(extra="forbid")


class ShareRequestIn(StrictBody):
    resource: Annotated[str, Field(pattern=QUALIFIED_RESOURCE, examples=["scjgj.enterprise_registry"])]
    """The provider's department id and resource id, ``department.resource``."""
    fields: Annotated[
        list[Annotated[str, Field(pattern=FIELD_NAME)]],
        Field(min_length=1, max_length=200, examples=[["uscc", "company_name"]]),
    ]
    purpose: Annotated[Prose, Field(examples=["用于就业创业补贴资格核验 (checking subsidy eligibility)"])]


class RejectionIn(StrictBody):
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


_ERRORS = {
    400: "a body that cannot be read (not JSON, not UTF-8)",
    401: "no key, or a key that is wrong, expired or revoked",
    403: "the key may not do this",
    404: "no such resource, dataset, request or application",
    409: "valid as this document says, but not for this resource or state: a field it does not have, a value "
    "of the wrong kind, a cursor of another resource, a request already decided",
    422: "invalid input (the field is named, never the value sent)",
    429: "rate limit exceeded (a key's, or an address's calls without a key): wait Retry-After seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of the errors an operation may answer, each ``{"error": "..."}``."""
    return {
        code: {"model": ErrorOut, "description": _ERRORS[code], **({"headers": RETRY_AFTER} if code == 429 else {})}
        for code in codes
    }
