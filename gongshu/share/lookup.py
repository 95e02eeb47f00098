"""Everything a data call must know before it reads a page, in one statement: the presented key,
the resource's catalog entry and the consumer's active grants on it.

The data endpoint is the sharing API's hot path. Asked separately, these were three statements,
each costing more than the page's own query; joined, they are one round trip and one compiled
statement (built once here, with bound parameters). Nothing is cached across calls: a key revoked
or a grant withdrawn a moment ago is seen by the very next call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..store import models as m
from .keys import KEY_COLUMNS, InvalidKey, Principal, check_key, parse_key
from .resources import SharedResource, entry_query, parsed_entry


@dataclass(frozen=True)
class DataCall:
    principal: Principal
    shared: SharedResource | None
    """None: no such active resource."""
    granted: frozenset[str]
    """The fields granted to the key's department (empty for an admin or applicant key)."""


def _statement() -> sa.Select:
    entry = (
        entry_query()
        .where(m.Department.key == sa.bindparam("department"), m.Resource.key == sa.bindparam("resource"))
        .subquery("entry")
    )
    grant = m.ShareGrant
    return (
        sa.select(*KEY_COLUMNS, entry.c.spec, entry.c.code, entry.c.key, entry.c.name, grant.fields)
        .select_from(m.ApiKey)
        .outerjoin(entry, sa.true())
        .outerjoin(
            grant,
            sa.and_(
                grant.consumer_key == m.ApiKey.department_key,
                grant.provider_key == sa.bindparam("department"),
                grant.resource_key == sa.bindparam("resource"),
                grant.revoked_at.is_(None),
            ),
        )
        .where(m.ApiKey.key_id == sa.bindparam("key_id"))
    )


_STATEMENT = _statement()


def look_up(
    conn: Connection, presented: str | None, department: str, resource: str, now: dt.datetime | None = None
) -> DataCall:
    """The key's principal (:class:`InvalidKey` otherwise), the resource and the grants."""
    key_id, secret = parse_key(presented)
    rows = conn.execute(_STATEMENT, {"key_id": key_id, "department": department, "resource": resource}).all()
    if not rows:
        raise InvalidKey("the API key is not valid")
    first = rows[0]
    principal = check_key(first, secret, now)
    shared = parsed_entry(first.key, first.name, first.code, first.spec) if first.spec is not None else None
    granted = frozenset(f for row in rows if row.fields for f in row.fields)
    return DataCall(principal, shared, granted)
