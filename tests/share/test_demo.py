"""The sharing part of `gongshu demo` on the sample catalogs: a key per department and an admin key
in an owner-only file, requests of every share type decided as the workflow decides them, and a
second demo that replaces the keys without failing or duplicating the requests."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.catalog import load_catalog
from gongshu.catalog.registry import register
from gongshu.share.keys import InvalidKey, verify
from gongshu.share.workflow import granted_fields
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_makes_keys_and_requests_of_every_kind_and_runs_twice(gongshu_home, capsys):
    from flows.demo import share_demo

    engine = get_engine()
    with session_scope(engine) as session:
        for path in sorted((REPO / "catalogs").glob("*.yaml")):
            register(session, load_catalog(path), "r0")

    first = share_demo()
    out = capsys.readouterr().out
    keys_file = gongshu_home / "demo-keys.json"
    assert first is not None and first.keys_file == keys_file
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    keys = json.loads(keys_file.read_text(encoding="utf-8"))
    assert set(keys["departments"]) == {p.stem for p in (REPO / "catalogs").glob("*.yaml")}
    for key in keys["departments"].values():
        assert key not in out

    outcome = {(r.scenario.consumer, r.scenario.resource): (r.share_type, r.status) for r in first.requests}
    assert outcome == {
        ("zhzfj", "admin_license"): ("无条件共享", "approved"),
        ("zhzfj", "enterprise_registry"): ("有条件共享", "approved"),
        ("qxj", "enterprise_registry"): ("有条件共享", "rejected"),
        ("scjgj", "insured_employers"): ("有条件共享", "pending"),
        ("scjgj", "fishing_permits"): ("不予共享", "refused"),
    }
    assert all(r.problem is None for r in first.requests)
    rejected = next(r for r in first.requests if r.status == "rejected")
    assert rejected.reason and rejected.reason in out
    assert "curl -H \"X-API-Key: $(key zhzfj)\" 'http://127.0.0.1:8600/api/v1/data/scjgj/admin_license?limit=5'" in out
    assert ".venv/bin/gongshu api" in out

    with session_scope(engine) as session:
        assert granted_fields(session, "zhzfj", "scjgj", "enterprise_registry") == {
            "uscc", "company_name", "legal_rep", "status", "address", "region",
        }  # fmt: skip
        assert granted_fields(session, "qxj", "scjgj", "enterprise_registry") == set()
        assert verify(session, keys["admin"]).is_admin

    second = share_demo()
    capsys.readouterr()
    assert [r.id for r in second.requests] == [r.id for r in first.requests]
    assert all(r.reused for r in second.requests)
    again = json.loads(keys_file.read_text(encoding="utf-8"))
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(m.ShareRequest)) == len(first.requests)
        assert verify(session, again["departments"]["zhzfj"]).department == "zhzfj"
        with pytest.raises(InvalidKey, match="revoked"):  # the first demo's keys no longer work
            verify(session, keys["departments"]["zhzfj"])
