"""The API's errors: every refusal, invalid input and defect answers ``{"error": "..."}`` (invalid
input adds ``details``), and names the resource asked for in the call log. A 5xx means a defect of
the service, never bad input; its traceback goes to the log, redacted, never to the caller.

:func:`add_handlers` installs the handlers on an app; :func:`given_once` is an app-wide dependency
(a query parameter the document takes once, sent twice, is a 422).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections import Counter
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from ..share.calllog import STATE_KEY, redact, safe_text
from .auth import identify, presented_in
from .schemas import DEPARTMENT_ID, RESOURCE_ID
from .web import PREFIX, within_anonymous_limit

logger = logging.getLogger(__name__)


def add_handlers(app: FastAPI) -> None:
    """Answer HTTP errors, invalid input and unexpected exceptions as ``{"error": ...}``."""
    # Starlette types a handler as taking any Exception; each of these takes the one it is added for
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, internal_error)


def _error(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
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


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
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


async def given_once(request: Request) -> None:
    """A query parameter the document takes once, sent several times, is invalid input (422), as
    the document says, rather than its last value silently winning."""
    sent = Counter(name for name, _ in request.query_params.multi_items())
    repeated = {name for name, times in sent.items() if times > 1}
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


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    call = request.scope.get("state", {}).get(STATE_KEY)
    if call is not None and call.key_id is None and _needs_key(request.url.path):
        # The data endpoint verifies its key after its parameters (in its worker thread); invalid
        # input is still answered as the other endpoints answer it: a bad key first (401), and the
        # caller of a 422 named in the call log.
        try:
            await anyio.to_thread.run_sync(identify, request.app, call, presented_in(request))
        except StarletteHTTPException as refused:
            return await http_error(request, refused)
    elif call is not None and call.key_id is None and request.url.path != f"{PREFIX}/health":
        try:  # an open-data call refused before its endpoint ran still spends its address's budget
            within_anonymous_limit(request)
        except StarletteHTTPException as refused:
            return await http_error(request, refused)
    # the input itself is never echoed: it may be large, or not printable
    details = [{"where": redact(_where(e)), "problem": redact(safe_text(e["msg"], 300))} for e in exc.errors()]
    summary = "; ".join(f"{d['where']}: {d['problem']}" for d in details[:5])
    return _error(request, 422, f"invalid request: {summary}", details=details[:20])


def _needs_key(path: str) -> bool:
    """Whether an endpoint of this path takes a key first (the health check and the open-data
    endpoints, several of which take none, answer invalid input as such)."""
    return path != f"{PREFIX}/health" and not path.startswith(f"{PREFIX}/open/")


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    # the traceback's text, redacted: an exception's message (a database error's parameters) may
    # hold what the caller sent
    trace = redact("".join(traceback.format_exception(exc)))
    logger.error("sharing API: %s %s failed\n%s", request.method, redact(request.url.path), trace)
    return _error(request, 500, "internal error: the operators have the details")
