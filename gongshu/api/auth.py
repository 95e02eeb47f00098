"""Authentication of the API: the key a call presents (``X-API-Key: gs_…``, or ``Authorization:
Bearer gs_…``; CKAN clients also send ``X-CKAN-API-Key`` or the bare key) and the principal it
verifies to (``gongshu.share.keys``), within its rate limit.

The sharing endpoints take :data:`Auth` (a department or admin key, 401/403/429 otherwise); the
data endpoint verifies its key itself, in its worker thread (:func:`admit`, :func:`unauthorised`).
An applicant's key, issued for one open dataset, is refused (403) by every sharing endpoint.
"""

from __future__ import annotations

import re
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ..share.calllog import Call
from ..share.keys import ADMIN, DEPARTMENT, InvalidKey, Principal, verify
from .ratelimit import RateLimiter, address_key
from .web import DB, call_in, refuse

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="the API key, `gs_<key id>_<secret>`")
_bearer = HTTPBearer(auto_error=False, description="the API key as a bearer token")
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
        raise refuse(
            401, "the Authorization header is not 'Bearer gs_…'", {"WWW-Authenticate": 'Bearer realm="gongshu"'}
        )
    return api_key or (bearer.credentials if bearer else None)


Presented = Annotated[str | None, Depends(_presented)]


def presented_in(request: Request) -> str | None:
    """The key as sent, read from the headers directly (where no dependency has run)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" else None
    return request.headers.get("x-api-key") or bearer or None


def presented_key(request: Request) -> str | None:
    """The key as sent to an open-data endpoint: ``X-API-Key``, ``X-CKAN-API-Key`` or ``Authorization``
    (``Bearer gs_…``, or the bare key as CKAN clients such as ckanapi send it)."""
    headers = request.headers
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    authorization = credentials.strip() if scheme.lower() == "bearer" else scheme
    return headers.get("x-api-key") or headers.get("x-ckan-api-key") or authorization or None


def identify(app: FastAPI, call: Call, presented: str | None) -> None:
    with app.state.engine.connect() as conn:
        authenticate(app, call, conn, presented)


def authenticate(app: FastAPI, call: Call, db: Session | sa.Connection, presented: str | None) -> Principal:
    """The verified key of the call (401 otherwise), within its rate limit (429 otherwise)."""
    try:
        principal = verify(db, presented)
    except InvalidKey as exc:
        raise unauthorised(app, call, exc) from None
    return admit(app, call, principal)


def unauthorised(app: FastAPI, call: Call, exc: InvalidKey) -> HTTPException:
    """401; or 429 when the caller's address has spent its calls without a valid key (guessing keys
    costs the address's budget, never a real key's)."""
    limiter: RateLimiter | None = app.state.anonymous_limiter
    wait = limiter.acquire(address_key(call.client)) if limiter is not None else 0
    if wait:
        return refuse(
            429,
            f"rate limit exceeded for calls without a valid key from this address; retry after {wait} s",
            {"Retry-After": str(wait)},
        )
    return refuse(401, str(exc), {"WWW-Authenticate": 'Bearer realm="gongshu"'})


def admit(app: FastAPI, call: Call, principal: Principal) -> Principal:
    """A verified key, noted in the call log: refused unless a department or admin key (403) within
    its rate limit (429)."""
    call.key_id, call.consumer = principal.key_id, principal.department
    if principal.role not in (DEPARTMENT, ADMIN):  # an applicant's key opens one open dataset, nothing here
        raise refuse(
            403, "this key is an open-data applicant's key: it opens one 有条件开放 dataset and no sharing endpoint"
        )
    limiter: RateLimiter = app.state.limiter
    wait = limiter.acquire(principal.key_id)
    if wait:
        raise refuse(
            429,
            f"rate limit exceeded: a key may make {limiter.burst} calls at once and {limiter.rate:g} a second; "
            f"retry after {wait} s",
            {"Retry-After": str(wait)},
        )
    return principal


def _principal(request: Request, session: DB, presented: Presented) -> Principal:
    return authenticate(request.app, call_in(request), session, presented)


Auth = Annotated[Principal, Depends(_principal)]
