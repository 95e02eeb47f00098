"""The sharing API (数据共享接口): FastAPI over the platform database, served by uvicorn
(``gongshu api``).

A security boundary: every call is hostile until its key and grant say otherwise. The checks of a
data call, in order: a valid key (401), the resource registered (404), not an admin key (403: an
admin manages requests, reads no data), not 不予共享 (403, whatever grant may linger), an active
grant (403), every requested or filtered field granted (403 naming it). What a caller sends is
validated before use (422) and never becomes SQL text. Errors are ``{"error": "..."}``; a 5xx
means a defect of the service, never bad input. Every call, refused ones too, becomes a row of
``api_call_log`` (see ``calllog``).

The same application serves the open-data API (``gongshu.open``: CKAN's Action API, downloads, 有条件
开放 applications). An applicant's key, issued for one open dataset, is refused (403) by every
sharing endpoint: only department and admin keys pass :func:`_authenticate`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import StringConstraints
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from .. import clock
from ..open import applications_api, ckan, downloads
from ..open.web import within_anonymous_limit
from ..settings import Settings, get_settings
from ..store import models as m
from ..store.db import get_engine
from .apidocs import add_docs
from .calllog import STATE_KEY, Call, CallLogMiddleware, CallLogWriter, redact, redact_server_logs, safe_text
from .cursor import CursorSeal
from .data import DEFAULT_LIMIT, MAX_LIMIT, BadQuery, read_page, to_csv, to_json
from .keys import ADMIN, DEPARTMENT, InvalidKey, Principal, verify
from .lookup import look_up
from .ratelimit import RateLimiter, address_key
from .resources import SharedResource, browse, find
from .schemas import (
    DEPARTMENT_ID,
    NO_CONTROL,
    RESOURCE_ID,
    CatalogEntryOut,
    CatalogOut,
    DataPageOut,
    ErrorOut,
    FieldOut,
    HealthOut,
    RejectionIn,
    RequestStatus,
    ShareRequestIn,
    ShareRequestOut,
    ShareRequestsOut,
    ShareType,
    error_responses,
)
from .workflow import NEVER, PENDING, Denied, Invalid, apply, decide, requests_of

logger = logging.getLogger(__name__)

PREFIX = "/api/v1"
TITLE = "gongshu 数据共享接口 (sharing API)"
DESCRIPTION = """\
公共数据共享接口：各部门凭 API 密钥浏览共享目录、提交共享申请、审批本部门资源的申请，并按授权字段分页获取数据。
无条件共享的申请即时通过；有条件共享由提供部门审批（驳回须说明理由）；不予共享的资源一律不予提供。
每次调用（包括被拒绝的调用）都记入调用日志。

The public-data sharing API: with an API key, a department browses the shared catalog, applies
for other departments' resources, decides on applications for its own, and reads the fields it
was granted, page by page. 无条件共享 (unconditional) requests are granted at once, 有条件共享
(conditional) ones wait for the providing department (a rejection gives its reason), 不予共享
(not shareable) resources are never served. Every call, refused ones too, is logged.

Send the key as `X-API-Key: gs_…` (or `Authorization: Bearer gs_…`). Errors are
`{"error": "…"}`; 401 bad key, 403 not allowed, 404 unknown, 409 valid as the document says but not for
this resource or state (a field it does not have, a value of the wrong kind, a foreign cursor, already
decided), 422 invalid input, 429 rate limit (see `Retry-After`).
"""
ERRORS = error_responses(400, 401, 403, 422, 429)
CONFLICT = error_responses(409)
NOT_FOUND = error_responses(404)
_NO_RESOURCE = f"no such resource in the catalog; the shared resources are listed by GET {PREFIX}/catalog"

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="the API key, `gs_<key id>_<secret>`")
_bearer = HTTPBearer(auto_error=False, description="the API key as a bearer token")


def create_app(engine: Engine | None = None, settings: Settings | None = None) -> FastAPI:
    """The application, on ``engine`` (default: the platform database of the settings). The call
    log's writer runs while the application is served (its lifespan)."""
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    writer = CallLogWriter(engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        writer.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(writer.close)

    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version="1.0",
        lifespan=lifespan,
        docs_url=None,  # served from this machine by apidocs.add_docs, not from a CDN
        redoc_url=None,
        # no redirect to the path without its trailing slash: Starlette builds that absolute URL from
        # the request's Host header (every absolute URL comes from GONGSHU_API_BASE)
        redirect_slashes=False,
        dependencies=[Depends(_given_once)],
        openapi_tags=[
            {"name": "catalog", "description": "共享目录 the shared catalog (no data)"},
            {"name": "requests", "description": "共享申请 share requests and their decisions"},
            {"name": "data", "description": "共享数据 granted data, paged"},
            {"name": "service", "description": "服务状态 service health"},
            {"name": "open data", "description": "数据开放 released open datasets: CKAN API, downloads, applications"},
        ],
    )
    app.state.engine = engine
    # On SQLite a page is CPU work under the GIL, and sqlite3 releases the GIL around every row it
    # steps: in worker threads the calls convoy on the GIL (measured: 8 threads served pages at
    # 0.45x the rate of one). Served in the event loop, one after the other, they cost a third as
    # much CPU each. On PostgreSQL a call mostly waits on the network: worker threads overlap them.
    app.state.inline_reads = engine.dialect.name == "sqlite"
    app.state.settings = settings
    app.state.call_log = writer
    app.state.limiter = RateLimiter(settings.api_rate, settings.api_burst)
    app.state.anonymous_limiter = (
        RateLimiter(settings.api_anonymous_rate, settings.api_anonymous_burst) if settings.api_anonymous_rate else None
    )
    redact_server_logs()  # uvicorn's logs: the path and the query's names, never their values
    app.state.seal = CursorSeal(settings.api_cursor_secret)
    app.add_middleware(ConcurrencyGate, limit=settings.api_concurrency)
    app.add_middleware(CallLogMiddleware, writer=writer)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _internal_error)
    app.include_router(router, prefix=PREFIX)
    # the open-data API (数据开放): downloads and 有条件开放 applications beside the sharing API,
    # the CKAN Action API at CKAN's own paths (see docs/opening-api.md)
    app.include_router(downloads.router, prefix=PREFIX)
    app.include_router(applications_api.router, prefix=PREFIX)
    app.include_router(ckan.router)
    add_docs(app)
    return app


# ---- errors -------------------------------------------------------------------------------------


def _call(request: Request) -> Call:
    return request.scope["state"][STATE_KEY]


def _error(request: Request, status: int, message: str, headers: dict | None = None, **extra: Any) -> JSONResponse:
    message = redact(safe_text(message))  # a last guard: no message repeats a personal number sent
    call = request.scope.get("state", {}).get(STATE_KEY)
    if call is not None:
        call.error = message
        if call.provider is None:  # refused before the endpoint ran: still say which resource was asked for
            department, resource = request.path_params.get("department"), request.path_params.get("resource")
            if isinstance(department, str) and re.fullmatch(DEPARTMENT_ID, department):
                call.provider = department
                if isinstance(resource, str) and re.fullmatch(RESOURCE_ID, resource):
                    call.resource = resource
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404 and exc.detail == HTTPStatus.NOT_FOUND.phrase:
        message = f"no such endpoint; the API is described at /docs (paths start with {PREFIX})"
    elif exc.status_code == 405:
        # Starlette answers with the methods of the first route of the path only (POST of
        # /requests, not its GET too): every route of the path counts
        allowed = _allowed_methods(request, exc)
        return _error(request, 405, f"method not allowed here; allowed: {allowed}", headers={"Allow": allowed})
    else:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return _error(request, exc.status_code, message, headers=exc.headers)


def _allowed_methods(request: Request, exc: StarletteHTTPException) -> str:
    """The methods of every operation of the document at this path (Starlette's own ``Allow`` for a
    path the document does not describe)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) or (exc.headers or {}).get("Allow", "")


async def _given_once(request: Request) -> None:
    """A query parameter the document takes once, sent several times, is invalid input (422), as
    the document says, rather than its last value silently winning."""
    seen: set[str] = set()
    repeated = {name for name, _ in request.query_params.multi_items() if name in seen or seen.add(name)}
    if not repeated:
        return
    for template, operations in request.app.openapi()["paths"].items():
        operation = operations.get(request.method.lower())
        if operation is None or not compile_path(template)[0].match(request.url.path):
            continue
        once = [
            p["name"]
            for p in operation.get("parameters", [])
            if p["in"] == "query" and p["name"] in repeated and not _is_array(p.get("schema", {}))
        ]
        if once:
            raise RequestValidationError(
                [{"loc": ("query", name), "msg": "give this parameter once", "type": "value_error"} for name in once]
            )


def _is_array(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or any(_is_array(s) for s in schema.get("anyOf", []))


def _where(error: dict[str, Any]) -> str:
    """Where an input error is, by the names of the schema: an unknown key is the caller's own text."""
    loc = [str(part) for part in error["loc"]]
    if error.get("type") == "extra_forbidden" and len(loc) > 1:
        loc[-1] = "(unknown key)"
    return ".".join(safe_text(part, 60) for part in loc)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    call = request.scope.get("state", {}).get(STATE_KEY)
    if call is not None and call.key_id is None and _needs_key(request.url.path):
        # The data endpoint verifies its key after its parameters (in its worker thread); invalid
        # input is still answered as the other endpoints answer it: a bad key first (401), and the
        # caller of a 422 named in the call log.
        try:
            await anyio.to_thread.run_sync(_identify, request.app, call, _presented_in(request))
        except StarletteHTTPException as refused:
            return await _http_error(request, refused)
    elif call is not None and call.key_id is None and request.url.path != f"{PREFIX}/health":
        try:  # an open-data call refused before its endpoint ran still spends its address's budget
            within_anonymous_limit(request)
        except StarletteHTTPException as refused:
            return await _http_error(request, refused)
    # the input itself is never echoed: it may be large, or not printable
    details = [{"where": redact(_where(e)), "problem": redact(safe_text(e["msg"], 300))} for e in exc.errors()]
    summary = "; ".join(f"{d['where']}: {d['problem']}" for d in details[:5])
    return _error(request, 422, f"invalid request: {summary}", details=details[:20])


def _needs_key(path: str) -> bool:
    """Whether an endpoint of this path takes a key first (the health check and the open-data
    endpoints, several of which take none, answer invalid input as such)."""
    return path != f"{PREFIX}/health" and not path.startswith(f"{PREFIX}/open/")


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    # the traceback's text, redacted: an exception's message (a database error's parameters) may
    # hold what the caller sent
    trace = redact("".join(traceback.format_exception(exc)))
    logger.error("sharing API: %s %s failed\n%s", request.method, redact(request.url.path), trace)
    return _error(request, 500, "internal error: the operators have the details")


def _refuse(status: int, message: str, headers: dict | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=message, headers=headers)


class ConcurrencyGate:
    """Lets at most ``limit`` requests into the application at once; the others wait in the event
    loop, holding neither a worker thread nor a database connection.

    Without it, the sync endpoints deadlocked under load (measured: 55 concurrent requests, the
    pool's 15 connections plus anyio's 40 threads): a request holds its session's connection across
    thread hops, so once every thread was blocked waiting for a connection, the requests holding
    connections could not get a thread to finish and release them, until the pool's 30 s timeout
    answered 500. With fewer requests inside than connections in the pool, no one waits for a
    connection. It sits inside the call-log middleware, so a call's latency includes its wait."""

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit
        self._gate: anyio.Semaphore | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._gate is None:  # made inside the running event loop
            self._gate = anyio.Semaphore(self.limit)
        gate = self._gate
        await gate.acquire()
        released = False

        async def send_and_release(message: dict) -> None:
            # A response has started: its work is done (every endpoint returns a finished body, and
            # its session is closed), only bytes remain to send. A file download streams for as
            # long as the client takes to read it: it must not hold a place meanwhile.
            nonlocal released
            if message["type"] == "http.response.start" and not released:
                released = True
                gate.release()
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            if not released:
                gate.release()


# ---- dependencies -------------------------------------------------------------------------------


def _db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


DB = Annotated[Session, Depends(_db, scope="function")]


_BEARER = re.compile(r"(?i)bearer +\S+ *")


async def _presented(
    request: Request,
    api_key: Annotated[str | None, Security(_api_key)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> str | None:
    """The key as sent, not yet verified (in the event loop: no thread, no database). An
    ``Authorization`` header that is not ``Bearer <key>`` is refused (401) even beside a valid
    ``X-API-Key``: credentials that contradict each other are not guessed between."""
    authorization = request.headers.get("authorization")
    if authorization is not None and not _BEARER.fullmatch(authorization):
        raise _refuse(
            401, "the Authorization header is not 'Bearer gs_…'", {"WWW-Authenticate": 'Bearer realm="gongshu"'}
        )
    return api_key or (bearer.credentials if bearer else None)


Presented = Annotated[str | None, Depends(_presented)]


def _presented_in(request: Request) -> str | None:
    """The key as sent, read from the headers directly (where no dependency has run)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" else None
    return request.headers.get("x-api-key") or bearer or None


def _identify(app: FastAPI, call: Call, presented: str | None) -> None:
    with app.state.engine.connect() as conn:
        _authenticate(app, call, conn, presented)


def _authenticate(app: FastAPI, call: Call, db: Session | sa.Connection, presented: str | None) -> Principal:
    """The verified key of the call (401 otherwise), within its rate limit (429 otherwise)."""
    try:
        principal = verify(db, presented)
    except InvalidKey as exc:
        raise _unauthorised(app, call, exc) from None
    return _admit(app, call, principal)


def _unauthorised(app: FastAPI, call: Call, exc: InvalidKey) -> HTTPException:
    """401; or 429 when the caller's address has spent its calls without a valid key (guessing keys
    costs the address's budget, never a real key's)."""
    limiter: RateLimiter | None = app.state.anonymous_limiter
    wait = limiter.acquire(address_key(call.client)) if limiter is not None else 0
    if wait:
        return _refuse(
            429,
            f"rate limit exceeded for calls without a valid key from this address; retry after {wait} s",
            {"Retry-After": str(wait)},
        )
    return _refuse(401, str(exc), {"WWW-Authenticate": 'Bearer realm="gongshu"'})


def _admit(app: FastAPI, call: Call, principal: Principal) -> Principal:
    """A verified key, noted in the call log: refused unless a department or admin key (403) within
    its rate limit (429)."""
    call.key_id, call.consumer = principal.key_id, principal.department
    if principal.role not in (DEPARTMENT, ADMIN):  # an applicant's key opens one open dataset, nothing here
        raise _refuse(
            403, "this key is an open-data applicant's key: it opens one 有条件开放 dataset and no sharing endpoint"
        )
    limiter: RateLimiter = app.state.limiter
    wait = limiter.acquire(principal.key_id)
    if wait:
        raise _refuse(
            429,
            f"rate limit exceeded: a key may make {limiter.burst} calls at once and {limiter.rate:g} a second; "
            f"retry after {wait} s",
            {"Retry-After": str(wait)},
        )
    return principal


def _principal(request: Request, session: DB, presented: Presented) -> Principal:
    return _authenticate(request.app, _call(request), session, presented)


Auth = Annotated[Principal, Depends(_principal)]
router = APIRouter()


# ---- service ------------------------------------------------------------------------------------


@router.get(
    "/health",
    tags=["service"],
    summary="服务状态 whether the service and its database answer (no key needed)",
    responses={503: {"model": ErrorOut, "description": "the database does not answer"}},
)
def health(session: DB) -> HealthOut:
    try:
        session.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        raise _refuse(503, "the platform database does not answer") from None
    return HealthOut(status="ok")


# ---- catalog ------------------------------------------------------------------------------------


@router.get(
    "/catalog",
    tags=["catalog"],
    summary="共享目录 resources, their share attributes and fields (no data)",
    responses=ERRORS,
)
def catalog(
    session: DB,
    _: Auth,
    department: Annotated[str | None, Query(pattern=DEPARTMENT_ID, description="one department's resources")] = None,
    share_type: Annotated[ShareType | None, Query(description="共享类型")] = None,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_CONTROL, description="the name contains this")] = None,
) -> CatalogOut:
    entries = browse(session, department=department, share_type=share_type, name=q)
    return CatalogOut(resources=[_entry(s) for s in entries])


def _entry(shared: SharedResource) -> CatalogEntryOut:
    res = shared.resource
    return CatalogEntryOut(
        department=shared.department,
        department_name=shared.department_name,
        resource=res.id,
        code=shared.code,
        name=res.name,
        summary=res.summary,
        update_cycle=res.update_cycle,
        share_type=res.share.type,
        share_condition=res.share.condition,
        share_method=res.share.method,
        fields=[FieldOut(name=f.name, label=f.label, kind=f.kind) for f in res.fields],
    )


# ---- requests -----------------------------------------------------------------------------------


@router.post(
    "/requests",
    status_code=201,
    tags=["requests"],
    summary="共享申请 apply for fields of another department's resource",
    description="无条件共享: approved at once. 有条件共享: pending until the provider decides, "
    "`due_at` working days later. 不予共享: refused at once, with the reason. A department key only.",
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def create_request(request: Request, body: ShareRequestIn, session: DB, principal: Auth) -> ShareRequestOut:
    department, resource = body.resource.split(".", 1)
    call = _call(request)
    call.provider, call.resource, call.fields = department, resource, list(body.fields)
    shared = _resource(session, department, resource)
    try:
        made = apply(
            session,
            principal,
            department,
            shared.resource,
            body.fields,
            body.purpose,
            response_days=request.app.state.settings.share_response_days,
        )
    except Denied as exc:
        raise _refuse(403, str(exc)) from None
    except Invalid as exc:
        raise _refuse(409, str(exc)) from None
    session.commit()
    return _request_out(made, clock.now())


@router.get(
    "/requests",
    tags=["requests"],
    summary="共享申请 the requests of the key's department, as consumer or provider (admin: all)",
    responses=ERRORS,
)
def list_requests(
    session: DB,
    principal: Auth,
    status: Annotated[RequestStatus | None, Query()] = None,
    overdue: Annotated[bool, Query(description="only pending requests past their due date")] = False,
) -> ShareRequestsOut:
    now = clock.now()
    found = requests_of(session, principal, status=status, overdue_at=now if overdue else None)
    return ShareRequestsOut(requests=[_request_out(r, now) for r in found])


RequestId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "/requests/{request_id}/approve",
    tags=["requests"],
    summary="批准 approve a pending request (the providing department's key only)",
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def approve(request: Request, request_id: RequestId, session: DB, principal: Auth) -> ShareRequestOut:
    return _decide(request, session, principal, request_id, True, None)


@router.post(
    "/requests/{request_id}/reject",
    tags=["requests"],
    summary="驳回 reject a pending request, with the reason (the providing department's key only)",
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def reject(request: Request, request_id: RequestId, body: RejectionIn, session: DB, principal: Auth) -> ShareRequestOut:
    return _decide(request, session, principal, request_id, False, body.reason)


def _decide(
    request: Request, session: Session, principal: Principal, request_id: int, approve: bool, reason: str | None
) -> ShareRequestOut:
    found = session.get(m.ShareRequest, request_id)
    if found is None:
        raise _refuse(404, "no such share request")
    call = _call(request)
    call.provider, call.resource, call.fields = found.provider_key, found.resource_key, list(found.fields)
    if principal.department != found.provider_key:
        raise _refuse(403, "only the providing department's key may approve or reject this request")
    if found.status != PENDING:
        raise _refuse(409, f"request {request_id} is already {found.status}")
    try:
        decided = decide(session, principal, request_id, approve, reason)
    except Denied as exc:
        raise _refuse(403, str(exc)) from None
    except Invalid as exc:  # decided meanwhile by another call
        raise _refuse(409, str(exc)) from None
    session.commit()
    return _request_out(decided, clock.now())


def _request_out(r: m.ShareRequest, now: dt.datetime) -> ShareRequestOut:
    return ShareRequestOut(
        id=r.id,
        consumer=r.consumer_key,
        provider=r.provider_key,
        resource=f"{r.provider_key}.{r.resource_key}",
        fields=list(r.fields),
        purpose=r.purpose,
        share_type=r.share_type,
        status=r.status,
        reason=r.reason,
        requested_at=r.requested_at,
        due_at=r.due_at,
        decided_at=r.decided_at,
        overdue=r.status == PENDING and r.due_at is not None and r.due_at < now,
    )


# ---- data ---------------------------------------------------------------------------------------


@router.get(
    "/data/{department}/{resource}",
    tags=["data"],
    summary="共享数据 a page of the granted fields of a resource",
    description=f"Rows ordered by the primary key; follow `next_cursor` (null on the last page). "
    f"`limit` at most {MAX_LIMIT}. `filter=field:value` (repeatable: the same field repeated matches "
    "any of its values, different fields must all match). `format=csv`: UTF-8 with BOM, the next "
    "cursor in the `X-Next-Cursor` header. Only fields granted to the key's department, ever.",
    response_model=DataPageOut,
    responses={
        **ERRORS,
        **NOT_FOUND,
        **CONFLICT,
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "a page of rows"},
    },
)
async def read_data(
    request: Request,
    department: Annotated[str, Path(pattern=DEPARTMENT_ID, description="the providing department")],
    resource: Annotated[str, Path(pattern=RESOURCE_ID)],
    presented: Presented,
    fields: Annotated[
        str | None,
        Query(
            max_length=2000,
            pattern=r"[^,\s]",
            description="comma-separated field names; default: all granted fields",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",  # noqa: A002
    filters: Annotated[
        list[Annotated[str, StringConstraints(max_length=500, pattern=r"^[^:]*[^:\s][^:]*:")]] | None,
        Query(alias="filter", max_length=20, description="field:value, equality"),
    ] = None,
) -> Response:
    # The hot path of the service: the whole call (key, resource, grant, page, encoding) is one
    # function on one connection, and the page is encoded once, by orjson, rather than validated
    # again as a response model (DataPageOut is what it documents). Each thread hop of a sync
    # dependency or endpoint cost about as much as the page query.
    call = _call(request)
    call.provider, call.resource = department, resource
    query = _PageQuery(department, resource, fields, limit, cursor, format, filters or [])
    if request.app.state.inline_reads:
        return _serve_page(request.app, call, presented, query)
    return await anyio.to_thread.run_sync(_serve_page, request.app, call, presented, query)


@dataclass(frozen=True)
class _PageQuery:
    department: str
    resource: str
    fields: str | None
    limit: int
    cursor: str | None
    format: str
    filters: list[str]


def _serve_page(app: FastAPI, call: Call, presented: str | None, q: _PageQuery) -> Response:
    department, resource = q.department, q.resource
    with app.state.engine.connect() as conn:
        try:
            found = look_up(conn, presented, department, resource)
        except InvalidKey as exc:
            raise _unauthorised(app, call, exc) from None
        principal = _admit(app, call, found.principal)
        shared, granted = found.shared, found.granted
        if shared is None:
            raise _refuse(404, _NO_RESOURCE)
        if principal.is_admin:
            raise _refuse(403, "an admin key manages requests and reads no data")
        if shared.share_type == NEVER:
            raise _refuse(403, f"{department}.{resource} is 不予共享 (not shareable): its data is never served")
        if not granted:
            raise _refuse(
                403,
                f"department {principal.department} has no active grant on {department}.{resource}: "
                f"apply with POST {PREFIX}/requests",
            )
        chosen = _chosen_fields(shared, granted, q.fields)
        wanted = _filters(shared, granted, q.filters)
        call.fields = chosen
        try:
            page = read_page(
                conn,
                department,
                shared.resource,
                chosen,
                filters=wanted,
                cursor=q.cursor,
                limit=q.limit,
                seal=app.state.seal,
                table=shared.table,
            )
        except BadQuery as exc:
            raise _refuse(409, str(exc)) from None
        except sa.exc.DBAPIError:
            conn.rollback()
            if not sa.inspect(conn).has_table(shared.table.name):
                raise _refuse(404, f"{department}.{resource} has no cleansed data yet") from None
            raise
    call.rows = len(page.rows)
    if q.format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{department}-{resource}.csv"'}
        if page.next_cursor:
            headers["X-Next-Cursor"] = page.next_cursor
        return Response(to_csv(page), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(to_json(page), media_type="application/json")


def _resource(session: Session | sa.Connection, department: str, resource: str) -> SharedResource:
    shared = find(session, department, resource)
    if shared is None:
        raise _refuse(404, _NO_RESOURCE)
    return shared


def _named(names: list[str]) -> str:
    return ", ".join(n[:48] for n in names[:10])


def _chosen_fields(shared: SharedResource, granted: frozenset[str], asked: str | None) -> list[str]:
    """The fields to serve: those asked for, each granted, or all granted ones in catalog order."""
    known = [f.name for f in shared.resource.fields]
    if asked is None:
        chosen = [name for name in known if name in granted]
        if not chosen:
            raise _refuse(403, "none of the granted fields is in the catalog any more")
        return chosen
    chosen = list(dict.fromkeys(name.strip() for name in asked.split(",") if name.strip()))
    if not chosen:
        raise _refuse(422, "fields: name at least one field, or leave the parameter out for all granted fields")
    unknown = [name for name in chosen if name not in known]
    if unknown:  # named by count only: what was sent is not repeated
        raise _refuse(
            409,
            f"fields: {len(unknown)} name(s) not fields of {shared.department}.{shared.resource.id}; "
            f"its fields: {_named(known)}",
        )
    refused = [name for name in chosen if name not in granted]
    if refused:
        raise _refuse(
            403, f"field(s) not granted: {_named(refused)}; granted: {_named([n for n in known if n in granted])}"
        )
    return chosen


def _filters(shared: SharedResource, granted: frozenset[str], given: list[str]) -> list[tuple[str, str]]:
    known = {f.name for f in shared.resource.fields}
    pairs = []
    for item in given:
        name, colon, value = item.partition(":")
        name = name.strip()
        if not colon or not name:
            raise _refuse(422, "filter: write field:value, e.g. filter=status:存续")
        if name not in known:
            raise _refuse(
                409,
                f"filter: a name that is not a field of {shared.department}.{shared.resource.id}; "
                f"its fields: {_named(sorted(known))}",
            )
        if name not in granted:  # a filter on a field reveals its values as surely as reading it
            raise _refuse(403, f"filter on a field not granted: {_named([name])}")
        pairs.append((name, value))
    return pairs
