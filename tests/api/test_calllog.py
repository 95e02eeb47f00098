"""Every call of the sharing API in ``api_call_log``, refused ones too and under load; per-key rate
limits with a clear 429; the log drained when the server stops."""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from gongshu.api.app import create_app
from gongshu.api.routers import data as data_router
from gongshu.settings import Settings

from ..share.platform import PROVIDER, LiveServer, department, uscc

DATA = "/api/v1/data/scjgj"


def test_every_call_refused_or_not_is_logged_with_its_status_and_why(platform, client):
    consumer = department()
    key = platform.key(consumer)
    key_id = key[3:15]
    mine = {"X-API-Key": key}
    unknown = f"{DATA}/zz{secrets.token_hex(4)}"
    assert client.get(unknown).status_code == 401  # no key: known only by its path
    assert client.get(unknown, headers={"X-API-Key": "gs_bad"}).status_code == 401
    assert client.get(unknown, headers=mine).status_code == 404
    assert client.get(f"{DATA}/firms", headers=mine).status_code == 403
    platform.grant(consumer, "firms", ["uscc", "name"])
    secret_filter = uscc(42)
    assert client.get(f"{DATA}/firms", headers=mine, params={"fields": "uscc,name", "limit": 5}).status_code == 200
    assert client.get(f"{DATA}/firms", headers=mine, params={"filter": f"uscc:{secret_filter}"}).status_code == 200
    assert client.get(f"{DATA}/firms", headers=mine, params={"fields": "staff"}).status_code == 403
    assert client.get(f"{DATA}/firms", headers=mine, params={"limit": 5000}).status_code == 422
    body = {"resource": "scjgj.licenses", "fields": ["holder"], "purpose": "核验"}
    assert client.post("/api/v1/requests", headers=mine, json=body).status_code == 201

    anonymous = platform.calls(path=unknown)
    assert [(c.status, c.key_id, c.provider_key) for c in anonymous] == [
        (401, None, PROVIDER),
        (401, None, PROVIDER),
        (404, key_id, PROVIDER),
    ]
    assert "no API key" in anonymous[0].error and "not valid" in anonymous[1].error
    assert "no such resource" in anonymous[2].error

    logged = [
        (c.method, c.path, c.status, c.consumer_key, c.provider_key, c.resource_key, c.fields, c.rows)
        for c in platform.calls(key_id=key_id)
        if c.path != unknown
    ]
    assert logged == [
        ("GET", f"{DATA}/firms", 403, consumer, PROVIDER, "firms", None, None),
        ("GET", f"{DATA}/firms", 200, consumer, PROVIDER, "firms", ["uscc", "name"], 5),
        ("GET", f"{DATA}/firms", 200, consumer, PROVIDER, "firms", ["uscc", "name"], 1),
        ("GET", f"{DATA}/firms", 403, consumer, PROVIDER, "firms", None, None),
        ("GET", f"{DATA}/firms", 422, consumer, PROVIDER, "firms", None, None),
        ("POST", "/api/v1/requests", 201, consumer, PROVIDER, "licenses", ["holder"], None),
    ]
    rows = platform.calls(key_id=key_id)
    assert "no active grant" in rows[1].error and "staff" in rows[4].error and "limit" in rows[5].error
    assert all(c.latency_ms > 0 and c.called_at is not None for c in rows)
    # filter values (an ID number, a credit code) stay out of the log: the path has no query string
    assert not any(secret_filter in str(vars(c)) for c in rows)


def test_n_concurrent_calls_make_exactly_n_log_records(platform):
    consumer = department()
    platform.grant(consumer, "licenses", ["license_no", "holder"])
    key = platform.key(consumer)
    n = 200

    def call(i: int) -> int:
        path = f"{DATA}/licenses" if i % 4 else f"{DATA}/firms"  # refused ones count too
        return http.get(path, headers={"X-API-Key": key}, params={"limit": 10}).status_code

    with httpx.Client(base_url=platform.url, timeout=60, limits=httpx.Limits(max_connections=32)) as http:
        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(call, range(n)))
    assert statuses.count(200) == 150 and statuses.count(403) == 50
    logged = platform.calls(key_id=key[3:15])
    assert len(logged) == n
    assert sorted(c.status for c in logged) == sorted(statuses)


def test_a_defect_is_a_logged_500_with_a_json_error(platform, client, monkeypatch, caplog):
    consumer = department()
    platform.grant(consumer, "licenses", ["holder"])
    key = platform.key(consumer)

    def broken(*args, **kwargs):  # a defect whose message holds what the caller sent (a database error's parameters)
        raise RuntimeError(f"a defect [parameters: ('{ID_NUMBER}',)]")

    monkeypatch.setattr(data_router, "read_page", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"{DATA}/licenses", headers={"X-API-Key": key})
    assert response.status_code == 500 and response.json() == {
        "error": "internal error: the operators have the details"
    }
    assert "a defect" not in response.text
    logged_text = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "RuntimeError: a defect [parameters: ('***',)]" in logged_text and ID_NUMBER not in logged_text
    (logged,) = platform.calls(key_id=key[3:15])
    assert (logged.status, logged.error) == (500, "internal error: RuntimeError")


ID_NUMBER = "330102199003070026"


@pytest.fixture
def limited(platform):
    """A second server on the same platform with a tight limit: 3 calls at once, one every 5 s."""
    settings = Settings(api_rate=0.2, api_burst=3)
    with LiveServer(create_app(platform.engine, settings)) as server:
        yield server


def test_a_key_over_its_rate_gets_429_with_retry_after_and_the_log_is_drained_on_shutdown(platform, limited):
    consumer = department()
    platform.grant(consumer, "licenses", ["holder"])
    key, other = platform.key(consumer), platform.key(consumer)
    with httpx.Client(base_url=limited.url, timeout=30) as http:
        statuses = [http.get(f"{DATA}/licenses", headers={"X-API-Key": key}).status_code for _ in range(3)]
        over = http.get(f"{DATA}/licenses", headers={"X-API-Key": key})
        assert statuses == [200, 200, 200] and over.status_code == 429
        assert 1 <= int(over.headers["Retry-After"]) <= 5
        message = over.json()["error"]
        assert "rate limit" in message and f"retry after {over.headers['Retry-After']} s" in message
        assert "holder" not in over.text and "乙许可持有人" not in over.text
        assert http.get(f"{DATA}/licenses", headers={"X-API-Key": other}).status_code == 200  # its own bucket
    limited.__exit__(None, None, None)  # stop the server: its lifespan drains the writer (no flush here)
    with platform.engine.connect() as conn:
        logged = conn.execute(
            sa.text("SELECT status FROM api_call_log WHERE key_id = :k ORDER BY id"), {"k": key[3:15]}
        ).scalars()
        assert list(logged) == [200, 200, 200, 429]


def test_many_concurrent_data_calls_all_succeed_without_stalling(platform):
    """80 connections at once (more than the pool's 15 connections plus anyio's 40 threads, where the
    endpoints used to deadlock until the pool timed out and answered 500)."""
    import time

    consumer = department()
    platform.grant(consumer, "licenses", ["license_no", "holder"])
    key = platform.key(consumer)
    n = 80

    def call(_: int) -> int:
        return http.get(f"{DATA}/licenses", headers={"X-API-Key": key}, params={"limit": 50}).status_code

    started = time.monotonic()
    with httpx.Client(base_url=platform.url, timeout=60, limits=httpx.Limits(max_connections=n)) as http:
        with ThreadPoolExecutor(max_workers=n) as pool:
            statuses = list(pool.map(call, range(n)))
    assert statuses == [200] * n
    assert time.monotonic() - started < 20
