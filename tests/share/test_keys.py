"""API keys: shown once, stored as a hash, refused when wrong, expired or revoked."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from gongshu.share.keys import ADMIN, InvalidKey, create_key, list_keys, revoke_key, verify
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope


@pytest.fixture
def engine(db_url):
    return get_engine(db_url)


def test_a_key_is_shown_once_and_only_its_hash_is_stored(engine):
    with session_scope(engine) as session:
        key = create_key(session, department="rsj", label="补贴核验系统")
    assert key.startswith("gs_")
    secret = key[len("gs_") + 13 :]  # gs_<12 hex key id>_<secret>
    with engine.connect() as conn:
        stored = [tuple(str(v) for v in row) for row in conn.execute(sa.select(m.ApiKey.__table__))]
    assert stored and not any(secret in value for row in stored for value in row)
    with session_scope(engine) as session:
        principal = verify(session, key)
    assert (principal.role, principal.department, principal.is_admin) == ("department", "rsj", False)


def test_missing_malformed_and_unknown_keys_are_refused(engine):
    for presented, message in [
        (None, "no API key"),
        ("", "no API key"),
        ("not-a-key", "not valid"),
        ("gs_000000000000_" + "A" * 43, "not valid"),
        ("gs_' OR '1'='1_" + "A" * 43, "not valid"),
    ]:
        with session_scope(engine) as session, pytest.raises(InvalidKey, match=message):
            verify(session, presented)


def test_a_wrong_secret_is_refused_without_saying_which_part_was_wrong(engine):
    with session_scope(engine) as session:
        key = create_key(session, department="rsj")
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    with session_scope(engine) as session, pytest.raises(InvalidKey, match="^the API key is not valid$"):
        verify(session, wrong)


def test_expired_and_revoked_keys_are_refused(engine):
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        expired = create_key(session, department="rsj", expires_at=now - dt.timedelta(seconds=1))
        later = create_key(session, department="rsj", expires_at=now + dt.timedelta(days=30))
        revoked = create_key(session, department="rsj")
    key_id = revoked[3:15]
    with session_scope(engine) as session:
        assert revoke_key(session, key_id) is True
        assert revoke_key(session, key_id) is False  # once
        assert revoke_key(session, "nosuchkey000") is False
    with session_scope(engine) as session:
        with pytest.raises(InvalidKey, match="expired"):
            verify(session, expired)
        with pytest.raises(InvalidKey, match="revoked"):
            verify(session, revoked)
        assert verify(session, later).department == "rsj"
        assert verify(session, expired, now=now - dt.timedelta(days=1)).department == "rsj"


def test_admin_keys_name_no_department_and_department_keys_name_one(engine):
    with session_scope(engine) as session:
        admin = verify(session, create_key(session, department=None, role=ADMIN))
        assert admin.is_admin and admin.department is None
        with pytest.raises(ValueError, match="names its department"):
            create_key(session, department="rsj", role=ADMIN)
        with pytest.raises(ValueError, match="names its department"):
            create_key(session, department=None)
        with pytest.raises(ValueError, match="role must be"):
            create_key(session, department="rsj", role="root")
        create_key(session, department="slj")
        assert [k.department_key for k in list_keys(session, "slj")] == ["slj"]
        assert len(list_keys(session)) == 2
