"""API keys of the sharing service: ``gs_<key id>_<secret>``, shown once when created. Only the
SHA-256 of the secret is stored (the secret is 32 random bytes, not a password: a slow hash would
add nothing but latency to every call); it is compared in constant time.

Three roles: a department key acts for its department; an admin key manages requests but reads no
data; an applicant key (issued when a 有条件开放 application is approved) opens one open dataset,
``resource_scope``, and nothing of the sharing API."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .. import clock
from ..store import models as m

DEPARTMENT, ADMIN, APPLICANT = "department", "admin", "applicant"
ROLES = (DEPARTMENT, ADMIN, APPLICANT)
_KEY = re.compile(r"gs_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


class InvalidKey(ValueError):
    """A key that cannot be used; the message is safe to show to the caller."""


@dataclass(frozen=True)
class Principal:
    """Who a verified key speaks for."""

    key_id: str
    role: str
    department: str | None
    scope: str | None = None
    """An applicant key's one dataset, ``department.resource``."""

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_applicant(self) -> bool:
        return self.role == APPLICANT


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_key(
    session: Session,
    *,
    department: str | None,
    role: str = DEPARTMENT,
    label: str | None = None,
    expires_at: dt.datetime | None = None,
    resource_scope: str | None = None,
) -> str:
    """Create a key and return it whole: this is the only time it exists outside the caller."""
    if role not in ROLES:
        raise ValueError(f"role must be {DEPARTMENT}, {ADMIN} or {APPLICANT}, not {role!r}")
    if (role == DEPARTMENT) != (department is not None):
        raise ValueError("a department key names its department; an admin or applicant key names none")
    if (role == APPLICANT) != (resource_scope is not None):
        raise ValueError("an applicant key names its one dataset (resource_scope); other keys name none")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    session.add(
        m.ApiKey(
            key_id=key_id,
            secret_hash=_hash(secret),
            role=role,
            department_key=department,
            resource_scope=resource_scope,
            label=label,
            expires_at=expires_at,
        )
    )
    session.flush()
    return f"gs_{key_id}_{secret}"


def revoke_key(session: Session, key_id: str, now: dt.datetime | None = None) -> bool:
    """Revoke a key at once; False when there is no such key (or it was revoked already)."""
    row = session.scalar(sa.select(m.ApiKey).where(m.ApiKey.key_id == key_id, m.ApiKey.revoked_at.is_(None)))
    if row is None:
        return False
    row.revoked_at = now or clock.now()
    return True


KEY_COLUMNS = (
    m.ApiKey.key_id,
    m.ApiKey.secret_hash,
    m.ApiKey.role,
    m.ApiKey.department_key,
    m.ApiKey.resource_scope,
    m.ApiKey.revoked_at,
    m.ApiKey.expires_at,
)
"""What :func:`check_key` reads of a key's row."""


def parse_key(presented: str | None) -> tuple[str, str]:
    """(key id, secret) of a presented key, or :class:`InvalidKey`."""
    if not presented:
        raise InvalidKey("no API key: send it in the X-API-Key header")
    match = _KEY.fullmatch(presented.strip())
    if not match:
        raise InvalidKey("the API key is not valid")
    key_id, secret = match.groups()
    return key_id, secret


def check_key(row: sa.Row | None, secret: str, now: dt.datetime | None = None) -> Principal:
    """The principal of the key ``row`` (:data:`KEY_COLUMNS`) presented with ``secret``, or
    :class:`InvalidKey` saying why not (never which part of a well-formed key was wrong)."""
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        raise InvalidKey("the API key is not valid")
    now = now or clock.now()
    if row.revoked_at is not None:
        raise InvalidKey("the API key has been revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise InvalidKey("the API key has expired")
    return Principal(key_id=row.key_id, role=row.role, department=row.department_key, scope=row.resource_scope)


def verify(session: Session | Connection, presented: str | None, now: dt.datetime | None = None) -> Principal:
    """The principal of a presented key, or :class:`InvalidKey` saying why not."""
    key_id, secret = parse_key(presented)
    row = session.execute(sa.select(*KEY_COLUMNS).where(m.ApiKey.key_id == key_id)).first()
    return check_key(row, secret, now)


def list_keys(session: Session, department: str | None = None) -> list[m.ApiKey]:
    q = sa.select(m.ApiKey).order_by(m.ApiKey.created_at)
    if department:
        q = q.where(m.ApiKey.department_key == department)
    return list(session.scalars(q))
