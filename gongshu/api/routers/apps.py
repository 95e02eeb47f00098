"""The endpoints of 开放应用 (apps built on open data), under ``/api/v1/open/apps``: submitting takes no
key (within the address's budget, like every anonymous call); the list shows approved apps only,
without their contact; reviewing takes an admin key (see ``gongshu.open.apps``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from ...open import apps as workflow
from ...store import models as m
from ..auth import presented_key
from ..schemas import QUALIFIED_RESOURCE, TEXT_PATTERN, Contact, Prose, StrictBody, error_responses, text_input
from ..web import DB, principal_of, refuse, within_anonymous_limit

router = APIRouter(tags=["open data"])
AppId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="an admin API key")


# an address is checked by the workflow (http:// or https://, no spaces: 409 otherwise); here only
# what no text may hold (control characters, lone surrogates) is replaced, as in every free text
Url = Annotated[
    str,
    StringConstraints(max_length=500),
    AfterValidator(lambda value: text_input(value, str)),
    Field(json_schema_extra={"pattern": TEXT_PATTERN, "minLength": 1}),
]


class AppIn(StrictBody):
    name: Annotated[Prose, Field(max_length=100, examples=["台州防汛避险地图"])]
    submitter: Annotated[Prose, Field(max_length=200, examples=["台州某科技有限公司"])]
    contact: Annotated[Contact, Field(examples=["李女士 0576-88000000"])]
    """How the administrator reaches you: never shown on the portal."""
    description: Annotated[Prose, Field(examples=["在地图上标出强降雨与高水位区域，提示群众避险转移"])]
    url: Annotated[Url | None, Field(examples=["https://example.org"])] = None
    """Where the app is; shown as text on the portal, never loaded."""
    datasets: Annotated[
        list[Annotated[str, Field(pattern=QUALIFIED_RESOURCE)]],
        Field(
            min_length=1, max_length=workflow.MAX_DATASETS, examples=[["qxj.weather_warnings", "slj.reservoir_levels"]]
        ),
    ]
    """The open datasets it uses, ``department.resource``."""


class ReviewIn(StrictBody):
    decision: Literal["approve", "reject"]
    reason: Prose | None = None
    """Required to reject."""


class AppDatasetOut(BaseModel):
    dataset: str
    department_name: str
    name: str


class AppOut(BaseModel):
    id: int
    name: str
    submitter: str
    description: str
    url: str | None
    status: Literal["pending", "approved", "rejected"]
    reason: str | None
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    datasets: list[AppDatasetOut]


class AppsOut(BaseModel):
    apps: list[AppOut]


def _out(view: workflow.AppView) -> AppOut:
    return AppOut(
        id=view.id,
        name=view.name,
        submitter=view.submitter,
        description=view.description,
        url=view.url,
        status=view.status,
        reason=view.reason,
        submitted_at=view.submitted_at,
        reviewed_at=view.reviewed_at,
        datasets=[AppDatasetOut(dataset=d.key, department_name=d.department_name, name=d.name) for d in view.datasets],
    )


def _one(session: DB, app_id: int) -> AppOut:
    found = session.get(m.OpenApp, app_id)
    assert found is not None
    return _out(workflow.views(session, [found])[0])


@router.post(
    "/open/apps",
    status_code=201,
    summary="开放应用 submit an app built on open datasets (no key needed; reviewed by the administrator)",
    responses=error_responses(400, 404, 409, 422, 429),
)
def submit_app(request: Request, body: AppIn, session: DB) -> AppOut:
    within_anonymous_limit(request)  # anyone may submit, within the address's budget
    try:
        made = workflow.submit(
            session,
            name=body.name,
            submitter=body.submitter,
            contact=body.contact,
            description=body.description,
            url=body.url,
            datasets=body.datasets,
        )
    except workflow.Unknown as exc:
        raise refuse(404, str(exc)) from None
    except workflow.Invalid as exc:
        raise refuse(409, str(exc)) from None
    session.commit()
    return _one(session, made.id)


@router.get(
    "/open/apps",
    summary="开放应用 the approved apps and the open datasets each uses (no key needed)",
    responses=error_responses(422, 429),
)
def list_apps(request: Request, session: DB) -> AppsOut:
    within_anonymous_limit(request)
    return AppsOut(apps=[_out(v) for v in workflow.approved_apps(session)])


@router.post(
    "/open/apps/{app_id}/review",
    summary="审核 approve or reject (with a reason) a submitted app (an admin key only)",
    responses=error_responses(400, 401, 403, 404, 409, 422, 429),
)
def review_app(
    request: Request,
    app_id: AppId,
    body: ReviewIn,
    session: DB,
    _presented: Annotated[str | None, Security(_key)] = None,
) -> AppOut:
    principal = principal_of(request, session, presented_key(request))
    try:
        workflow.review(session, principal, app_id, body.decision == "approve", body.reason)
    except workflow.Unknown as exc:
        raise refuse(404, str(exc)) from None
    except workflow.Denied as exc:
        raise refuse(403, str(exc)) from None
    except workflow.Invalid as exc:
        raise refuse(409, str(exc)) from None
    session.commit()
    return _one(session, app_id)
