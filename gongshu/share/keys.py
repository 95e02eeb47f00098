"""API keys of the sharing service: ``gs_<key id>_<secret>``, shown once when created. Only the
SHA-256 of the secret is stored (the secret is 32 random bytes, not a password: a slow hash would
add nothing but latency to every call); it is compared in constant time."""

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

from ..store import models as m

DEPARTMENT, ADMIN = "department", "admin"
_KEY = re.compile(r"gs_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


class InvalidKey(ValueError):
    """A key that cannot be used; the message is safe to show to the caller."""


@dataclass(frozen=True)
class Principal:
    """Who a verified key speaks for."""

    key_id: str
    role: str
    department: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_key(
    session: Session,
    *,
    department: str | None,
    role: str = DEPARTMENT,
    label: str | None = None,
    expires_at: dt.datetime | None = None,
) -> str:
    """Create a key and return it whole: this is the only time it exists outside the caller."""
    if role not in (DEPARTMENT, ADMIN):
        raise ValueError(f"role must be {DEPARTMENT} or {ADMIN}, not {role!r}")
    if (role == DEPARTMENT) != (department is not None):
        raise ValueError("a department key names its department; an admin key names none")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    session.add(
        m.ApiKey(
            key_id=key_id,
            secret_hash=_hash(secret),
            role=role,
            department_key=department,
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
    row.revoked_at = now or dt.datetime.now(dt.UTC)
    return True


def verify(session: Session | Connection, presented: str | None, now: dt.datetime | None = None) -> Principal:
    """The principal of a presented key, or :class:`InvalidKey` saying why not (never which part of
    a well-formed key was wrong)."""
    if not presented:
        raise InvalidKey("no API key: send it in the X-API-Key header")
    match = _KEY.fullmatch(presented.strip())
    if not match:
        raise InvalidKey("the API key is not valid")
    key_id, secret = match.groups()
    k = m.ApiKey
    row = session.execute(
        sa.select(k.key_id, k.secret_hash, k.role, k.department_key, k.revoked_at, k.expires_at).where(
            k.key_id == key_id
        )
    ).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        raise InvalidKey("the API key is not valid")
    now = now or dt.datetime.now(dt.UTC)
    if row.revoked_at is not None:
        raise InvalidKey("the API key has been revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise InvalidKey("the API key has expired")
    return Principal(key_id=row.key_id, role=row.role, department=row.department_key)


def list_keys(session: Session, department: str | None = None) -> list[m.ApiKey]:
    q = sa.select(m.ApiKey).order_by(m.ApiKey.created_at)
    if department:
        q = q.where(m.ApiKey.department_key == department)
    return list(session.scalars(q))
