"""The platform's one HTTP application (``gongshu api``): FastAPI over the platform database, served by
uvicorn. :func:`create_app` builds it: the state every router reads (engine, settings, rate
limiters, cursor seal), the middleware (call log, concurrency gate), the error handlers
(``errors``), the documentation pages served from this machine (``docs``), and each area's router.

Each area contributes one router module under ``gongshu.api.routers``: to add one (the coming 核验,
``routers/verify.py``), write its module and add one line to :data:`ROUTERS`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Engine

from ..settings import Settings, get_settings
from ..share.calllog import CallLogWriter
from ..share.cursor import CursorSeal
from ..store.db import get_engine
from .accesslog import redact_server_logs
from .docs import add_docs
from .errors import add_handlers, given_once
from .middleware import CallLogMiddleware, ConcurrencyGate
from .ratelimit import RateLimiter
from .routers import appeals, applications, apps, ckan, data, downloads, share
from .web import PREFIX

ROUTERS: tuple[tuple[APIRouter, str], ...] = (
    (share.router, PREFIX),  # 数据共享 the sharing API: catalog, requests, health
    (data.router, PREFIX),  # and its granted data, page by page
    # the open-data API (数据开放): downloads and 有条件开放 applications beside the sharing API,
    # the CKAN Action API at CKAN's own paths (see docs/opening-api.md)
    (downloads.router, PREFIX),
    (applications.router, PREFIX),
    (appeals.router, PREFIX),  # 考核晾晒 申诉: a department's appeals, the administrator's decisions
    (apps.router, PREFIX),  # 开放应用: apps built on open data, submitted by anyone, reviewed by the administrator
    (ckan.router, ""),
)
"""Each area's router and the prefix it is mounted at, in the order of the OpenAPI document."""

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
TAGS = [
    {"name": "catalog", "description": "共享目录 the shared catalog (no data)"},
    {"name": "requests", "description": "共享申请 share requests and their decisions"},
    {"name": "data", "description": "共享数据 granted data, paged"},
    {"name": "service", "description": "服务状态 service health"},
    {"name": "open data", "description": "数据开放 released open datasets: CKAN API, downloads, applications"},
]


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
        docs_url=None,  # served from this machine by docs.add_docs, not from a CDN
        redoc_url=None,
        # no redirect to the path without its trailing slash: Starlette builds that absolute URL from
        # the request's Host header (every absolute URL comes from GONGSHU_API_BASE)
        redirect_slashes=False,
        dependencies=[Depends(given_once)],
        openapi_tags=TAGS,
    )
    _set_state(app, engine, settings, writer)
    redact_server_logs()  # uvicorn's logs: the path and the query's names, never their values
    app.add_middleware(ConcurrencyGate, limit=settings.api_concurrency)
    app.add_middleware(CallLogMiddleware, writer=writer)
    add_handlers(app)
    for router, prefix in ROUTERS:
        app.include_router(router, prefix=prefix)
    add_docs(app)
    return app


def _set_state(app: FastAPI, engine: Engine, settings: Settings, writer: CallLogWriter) -> None:
    """What the routers read from ``app.state``."""
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
    app.state.seal = CursorSeal(settings.api_cursor_secret)
