"""What every router of the API shares: the path prefix, a database session per call, the call's log
record, the settings, and the per-key and per-address rate limits. Errors are raised as FastAPI's
``HTTPException`` (:func:`refuse`); the handlers of ``errors`` turn them into ``{"error": ...}``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from ..settings import Settings
from ..share.calllog import STATE_KEY, Call
from ..share.keys import InvalidKey, Principal, verify
from .ratelimit import address_key

PREFIX = "/api/v1"


def _db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


# closed when the endpoint returns, before a file streams: a slow download holds no connection
DB = Annotated[Session, Depends(_db, scope="function")]


def call_of(request: Request) -> Call | None:
    return request.scope.get("state", {}).get(STATE_KEY)


def call_in(request: Request) -> Call:
    """The call's log record, opened by the call-log middleware (every call through the app has one)."""
    return request.scope["state"][STATE_KEY]


def note(request: Request, department: str, resource: str, key_id: str | None = None) -> None:
    """Name the dataset (and the key) of this call in its call-log record."""
    call = call_of(request)
    if call is not None:
        call.provider, call.resource = department, resource
        call.key_id = key_id or call.key_id


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def refuse(status: int, message: str, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=message, headers=headers)


def principal_of(request: Request, session: Session, presented: str | None) -> Principal:
    """The verified key of a call that needs one (401 otherwise), within its rate limit (429)."""
    try:
        principal = verify(session, presented)
    except InvalidKey as exc:
        within_anonymous_limit(request)  # no usable key: the address's budget (guessing keys costs it)
        raise refuse(401, str(exc), {"WWW-Authenticate": 'Bearer realm="gongshu"'}) from None
    call = call_of(request)
    if call is not None:
        call.key_id, call.consumer = principal.key_id, principal.department
    within_limit(request, principal.key_id)
    return principal


def client_address(request: Request) -> str:
    """The caller's address bucket (uvicorn puts a trusted proxy's ``X-Forwarded-For`` there)."""
    return address_key(request.client.host if request.client else None)


def anonymous_wait(request: Request) -> int:
    """Spend one call of the caller's address, for a call made without a usable key: 0 when it may
    go ahead, else the seconds to wait (``GONGSHU_API_ANONYMOUS_RATE`` / ``_BURST``; rate 0: no limit)."""
    limiter = getattr(request.app.state, "anonymous_limiter", None)
    return limiter.acquire(client_address(request)) if limiter is not None else 0


def within_anonymous_limit(request: Request) -> None:
    """429 with ``Retry-After`` when the caller's address has spent its calls without a key."""
    wait = anonymous_wait(request)
    if wait:
        raise refuse(
            429,
            f"rate limit exceeded for calls without a key from this address; retry after {wait} s",
            {"Retry-After": str(wait)},
        )


def within_limit(request: Request, key_id: str) -> None:
    """The sharing API's per-key rate limit, for a key of the open-data endpoints too (429 beyond it)."""
    wait = request.app.state.limiter.acquire(key_id)
    if wait:
        raise refuse(429, f"rate limit exceeded: retry after {wait} s", {"Retry-After": str(wait)})
