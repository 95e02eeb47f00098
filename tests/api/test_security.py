"""The security cases of the sharing API, each against the real uvicorn server on loopback: no
response returns data it should not (its body holds no row value of a resource the caller may not
read), and none is a 5xx."""

from __future__ import annotations

import datetime as dt
import http.client
import json
from urllib.parse import quote

import httpx
import pytest

from gongshu.share import keys, workflow
from gongshu.store import models as m
from gongshu.store.db import session_scope

from ..share.platform import (
    FIRM_NAME,
    FIRMS,
    LICENSE_HOLDER,
    PERMIT_HOLDER,
    PERMITS,
    PROVIDER,
    Platform,
    department,
    firm_row,
)

DATA = "/api/v1/data/scjgj"
SECRETS = (FIRM_NAME, LICENSE_HOLDER, PERMIT_HOLDER, "root:x:0:0")
GRANTED = ["uscc", "name"]  # of firms; capital, founded, status and staff are not granted
# firm values of fields never granted to the consumer (a capital, a founding date)
UNGRANTED_VALUES = (f'"{firm_row(7)["capital"]}"', firm_row(7)["founded"])


def no_data(response: httpx.Response | tuple[int, bytes], *allowed: str) -> None:
    status, body = (response.status_code, response.text) if isinstance(response, httpx.Response) else response
    body = body if isinstance(body, str) else body.decode("utf-8", "replace")
    assert status < 500, f"{status}: {body[:300]}"
    leaked = [s for s in SECRETS if s in body and s not in allowed]
    assert not leaked, f"{status} leaked {leaked}: {body[:300]}"


def refused(response: httpx.Response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error"} and all(w in body["error"] for w in words), body
    no_data(response)
    return body


@pytest.fixture(scope="module")
def consumer(platform: Platform) -> tuple[str, dict]:
    """A department granted uscc and name of firms, and every field of licenses."""
    dept = department()
    platform.grant(dept, "firms", GRANTED)
    platform.grant(dept, "licenses", ["license_no", "holder", "issued"])
    return dept, {"X-API-Key": platform.key(dept)}


# ---- keys ---------------------------------------------------------------------------------------


def test_no_key_a_wrong_key_an_expired_key_and_a_revoked_key_read_nothing(platform, client, consumer):
    dept, headers = consumer
    good = headers["X-API-Key"]
    expired = platform.key(dept, expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    revoked = platform.key(dept)
    with session_scope(platform.engine) as session:
        assert keys.revoke_key(session, revoked[3:15])
    wrong_secret = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    cases = {
        None: "no API key",
        "": "no API key",
        "nonsense": "not valid",
        wrong_secret: "not valid",
        expired: "expired",
        revoked: "revoked",
    }
    for path in (f"{DATA}/firms", f"{DATA}/licenses", "/api/v1/catalog", "/api/v1/requests"):
        for key, message in cases.items():
            response = client.get(path, headers={} if key is None else {"X-API-Key": key})
            refused(response, 401, message)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            if key:
                refused(client.get(path, headers={"Authorization": f"Bearer {key}"}), 401, message)
    refused(client.get(f"{DATA}/licenses", headers={"Authorization": f"Basic {good}"}), 401, "not 'Bearer")
    # the same key as a bearer token works
    assert client.get(f"{DATA}/licenses", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_a_key_revoked_while_in_use_stops_at_once(platform, client):
    dept = department()
    platform.grant(dept, "licenses", ["holder"])
    key = platform.key(dept)
    assert client.get(f"{DATA}/licenses", headers={"X-API-Key": key}).status_code == 200
    with session_scope(platform.engine) as session:
        keys.revoke_key(session, key[3:15])
    refused(client.get(f"{DATA}/licenses", headers={"X-API-Key": key}), 401, "revoked")


# ---- grants -------------------------------------------------------------------------------------


def test_a_key_without_a_grant_reads_nothing(platform, client):
    headers = {"X-API-Key": platform.key(department())}
    for resource in ("firms", "licenses", "inspections"):
        refused(client.get(f"{DATA}/{resource}", headers=headers), 403, "no active grant", "POST /api/v1/requests")
    # a pending (有条件共享) request is no grant either
    response = client.post(
        "/api/v1/requests", headers=headers, json={"resource": "scjgj.firms", "fields": ["name"], "purpose": "核验"}
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"
    refused(client.get(f"{DATA}/firms", headers=headers), 403, "no active grant")


def test_a_field_not_granted_is_refused_by_name_and_never_appears(client, consumer):
    _, headers = consumer
    for fields in ("capital", "uscc,capital", "name,staff,founded", " uscc , status "):
        body = refused(client.get(f"{DATA}/firms", headers=headers, params={"fields": fields}), 403, "not granted")
        asked = {f.strip() for f in fields.split(",")} - set(GRANTED)
        assert all(f in body["error"] for f in asked)
        assert not any(v in json.dumps(body, ensure_ascii=False) for v in UNGRANTED_VALUES)
    # filtering on a field not granted would reveal its values: refused too
    refused(client.get(f"{DATA}/firms", headers=headers, params={"filter": "staff:7"}), 403, "staff")
    refused(client.get(f"{DATA}/firms", headers=headers, params={"filter": "capital:70.5"}), 403, "capital")
    # an unknown field is an invalid request, not a way to probe
    refused(client.get(f"{DATA}/firms", headers=headers, params={"fields": "secret_hash"}), 409, "not fields of")
    # what is granted is served, and nothing else
    response = client.get(f"{DATA}/firms", headers=headers, params={"limit": FIRMS})
    assert response.status_code == 200
    assert {tuple(r) for r in response.json()["rows"]} == {tuple(GRANTED)}
    assert not any(v in response.text for v in UNGRANTED_VALUES)


def test_不予共享_is_refused_to_every_role_even_with_a_stale_grant(platform, client):
    consumer, third = department(), department()
    roles = {
        "consumer": {"X-API-Key": platform.key(consumer)},
        "third department": {"X-API-Key": platform.key(third)},
        "provider": {"X-API-Key": platform.key(PROVIDER)},
        "admin": {"X-API-Key": platform.key(admin=True)},
    }
    body = {"resource": "scjgj.permits", "fields": ["permit_no", "holder"], "purpose": "执法核查"}
    for role, headers in roles.items():
        response = client.post("/api/v1/requests", headers=headers, json=body)
        no_data(response)
        if role in ("consumer", "third department"):
            assert response.status_code == 201, response.text
            made = response.json()
            assert made["status"] == "refused" and "不予共享" in made["reason"] and made["decided_at"]
        elif role == "provider":
            refused(response, 409, "own resources")
        else:
            refused(response, 403, "admin key")
    # a grant left over from when the resource was shareable (as if the catalog changed since)
    with session_scope(platform.engine) as session:
        stale = m.ShareRequest(
            consumer_key=consumer,
            provider_key=PROVIDER,
            resource_key="permits",
            fields=["permit_no", "holder"],
            purpose="旧授权",
            share_type=workflow.UNCONDITIONAL,
            status=workflow.APPROVED,
            requested_at=dt.datetime.now(dt.UTC),
        )
        session.add(stale)
        session.flush()
        session.add(
            m.ShareGrant(
                request_id=stale.id,
                consumer_key=consumer,
                provider_key=PROVIDER,
                resource_key="permits",
                fields=["permit_no", "holder"],
                granted_at=dt.datetime.now(dt.UTC),
            )
        )
    for role, headers in roles.items():
        for params in ({}, {"fields": "holder"}, {"format": "csv"}, {"filter": "permit_no:TZ001"}):
            response = client.get(f"{DATA}/permits", headers=headers, params=params)
            expected = "admin key" if role == "admin" else "不予共享"
            refused(response, 403, expected)
    assert platform.count("dwd_scjgj__permits") == PERMITS


def test_admin_keys_manage_requests_but_read_no_data(platform, client, consumer):
    admin = {"X-API-Key": platform.key(admin=True)}
    listed = client.get("/api/v1/requests", headers=admin)
    assert listed.status_code == 200 and any(r["consumer"] == consumer[0] for r in listed.json()["requests"])
    for resource in ("firms", "licenses", "inspections"):
        refused(client.get(f"{DATA}/{resource}", headers=admin), 403, "admin key")


def test_approval_by_the_consumer_a_third_department_or_the_admin_is_refused(platform, client):
    consumer, third = department(), department()
    consumer_key = {"X-API-Key": platform.key(consumer)}
    made = client.post(
        "/api/v1/requests",
        headers=consumer_key,
        json={"resource": "scjgj.firms", "fields": ["uscc", "capital"], "purpose": "稽查"},
    ).json()
    assert made["status"] == "pending"
    for headers in (consumer_key, {"X-API-Key": platform.key(third)}, {"X-API-Key": platform.key(admin=True)}):
        refused(client.post(f"/api/v1/requests/{made['id']}/approve", headers=headers), 403, "providing department")
        refused(
            client.post(f"/api/v1/requests/{made['id']}/reject", headers=headers, json={"reason": "不同意"}),
            403,
            "providing department",
        )
    provider = {"X-API-Key": platform.key(PROVIDER)}
    still = [r for r in client.get("/api/v1/requests", headers=provider).json()["requests"] if r["id"] == made["id"]]
    assert still[0]["status"] == "pending"
    refused(client.get(f"{DATA}/firms", headers=consumer_key), 403, "no active grant")


# ---- hostile input ------------------------------------------------------------------------------

EVIL = [
    "' OR '1'='1",
    "1; DROP TABLE api_key; --",
    '" OR ""="',
    "scjgj' UNION SELECT secret_hash, key_id FROM api_key --",
    "uscc) OR 1=1 --",
    "../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/etc/passwd",
    "\x00",
    "name:' OR 1=1 --",
    "${jndi:ldap://127.0.0.1/a}",
    "<script>alert(1)</script>",
    "😀" * 20,
    "a" * 3000,
]


def hostile_calls(evil: str, request_id: int) -> list[tuple[str, str, dict]]:
    """(method, url, httpx kwargs) placing ``evil`` in every parameter of every endpoint."""
    seg = quote(evil, safe="")
    body = {"resource": "scjgj.firms", "fields": ["name"], "purpose": "核验"}  # 有条件共享: never granted here
    return [
        ("GET", f"/api/v1/data/{seg}/firms", {}),
        ("GET", f"{DATA}/{seg}", {}),
        ("GET", f"/api/v1/data/{seg}/{seg}", {}),
        ("POST", f"/api/v1/requests/{seg}/approve", {}),
        ("POST", f"/api/v1/requests/{seg}/reject", {"json": {"reason": "x"}}),
        *[
            ("GET", f"{DATA}/firms", {"params": {name: value}})
            for name, value in [
                ("fields", evil),
                ("fields", f"uscc,{evil}"),
                ("filter", evil),
                ("filter", f"name:{evil}"),
                ("filter", f"uscc:{evil}"),
                ("filter", f"{evil}:1"),
                ("cursor", evil),
                ("limit", evil),
                ("format", evil),
            ]
        ],
        *[
            ("GET", "/api/v1/catalog", {"params": {name: evil}})
            for name in ("department", "share_type", "q", "unknown")
        ],
        *[("GET", "/api/v1/requests", {"params": {name: evil}}) for name in ("status", "overdue")],
        *[
            ("POST", "/api/v1/requests", {"json": {**body, name: value}})
            for name, value in [
                ("resource", evil),
                ("fields", [evil]),
                ("fields", ["holder", evil]),
                ("purpose", evil),
                (evil, evil),
            ]
        ],
        ("POST", f"/api/v1/requests/{request_id}/reject", {"json": {"reason": evil}}),
        ("POST", f"/api/v1/requests/{request_id}/reject", {"json": {"reason": "x", evil: 1}}),
    ]


def test_sql_injection_and_path_traversal_in_every_parameter(platform, client, consumer):
    dept, headers = consumer
    pending = client.post(
        "/api/v1/requests", headers=headers, json={"resource": "scjgj.firms", "fields": ["staff"], "purpose": "核验"}
    ).json()["id"]
    before = {t: platform.count(t) for t in ("api_key", "share_grant", "dwd_scjgj__firms", "dwd_scjgj__permits")}
    statuses = set()
    for evil in EVIL:
        for method, url, kwargs in hostile_calls(evil, pending):
            response = client.request(method, url, headers=headers, **kwargs)
            statuses.add(response.status_code)
            no_data(response)
            if response.status_code == 200 and url.startswith(DATA):  # a bound value that matches nothing
                assert response.json()["rows"] == [], (url, kwargs)
            elif response.status_code >= 400:
                assert "error" in response.json()
        # the key header itself (what HTTP allows in a header)
        if evil.isascii() and "\x00" not in evil:
            no_data(client.get(f"{DATA}/firms", headers={"X-API-Key": evil}))
    assert statuses <= {200, 201, 401, 403, 404, 405, 409, 422}, statuses
    after = {t: platform.count(t) for t in before}
    assert after == before  # nothing dropped, added or widened
    # the pending request was neither approved nor rejected by any of it
    provider = {"X-API-Key": platform.key(PROVIDER)}
    mine = [r for r in client.get("/api/v1/requests", headers=provider).json()["requests"] if r["id"] == pending]
    assert mine[0]["status"] == "pending"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/data/../../etc/passwd",
        "/api/v1/data/scjgj/../../../etc/passwd",
        "/api/v1/data/scjgj/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/v1/data/%2e%2e/%2e%2e/etc/passwd",
        "/api/v1/../../../../etc/passwd",
        "/api/v1/data/scjgj/firms/../../../../../etc/passwd",
        "/../../../etc/passwd",
        "/api/v1/data/scjgj/firms%00.json",
        "/api/v1/data/scjgj/firms/..;/permits",
    ],
)
def test_raw_path_traversal_reaches_nothing(platform, consumer, path):
    """Sent as written (http.client does not normalise ``..`` the way httpx would)."""
    conn = http.client.HTTPConnection("127.0.0.1", platform.server.port, timeout=10)
    conn.request("GET", path, headers=consumer[1])
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status in (401, 403, 404, 422), (response.status, body[:200])
    no_data((response.status, body))
    assert json.loads(body)["error"]


@pytest.mark.parametrize("limit", ["1001", "5000", str(10**9), str(10**40), "0", "-1", "1e3", "ten", ""])
def test_page_sizes_over_the_cap_or_nonsense_are_refused(client, consumer, limit):
    refused(client.get(f"{DATA}/firms", headers=consumer[1], params={"limit": limit}), 422, "limit")


def test_the_cap_itself_is_served(client, consumer):
    response = client.get(f"{DATA}/firms", headers=consumer[1], params={"limit": 1000})
    assert response.status_code == 200
    assert len(response.json()["rows"]) == FIRMS and response.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "content, content_type",
    [
        (b'{"resource": "scjgj.licenses", "fields": ["holder"]', "application/json"),
        (b"not json at all", "application/json"),
        (b"", "application/json"),
        (b"null", "application/json"),
        (b"[]", "application/json"),
        (b'"scjgj.licenses"', "application/json"),
        (b'{"resource": 1, "fields": "holder", "purpose": []}', "application/json"),
        (b'{"resource": "scjgj.licenses", "fields": ["holder"], "purpose": "x", "admin": true}', "application/json"),
        (b'{"resource": "scjgj.licenses", "fields": ["holder"], "purpose": "\\ud800"}', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"\xff\xfe\x00{", "application/json"),
        (b'{"resource": "scjgj.licenses", "fields": ["holder"], "purpose": "x"}', "text/plain"),
        (b"resource=scjgj.licenses&fields=holder&purpose=x", "application/x-www-form-urlencoded"),
        (
            b'{"resource": "scjgj.licenses", "fields": ["holder"], "purpose": ' + b'"x' * 10_000 + b'"}',
            "application/json",
        ),
    ],
)
def test_malformed_json_bodies_are_refused_and_create_nothing(platform, client, content, content_type):
    dept = department()
    headers = {"X-API-Key": platform.key(dept), "Content-Type": content_type}
    for url in ("/api/v1/requests", "/api/v1/requests/1/reject"):
        response = client.post(url, headers=headers, content=content)
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
        assert response.json()["error"]
        no_data(response)
    refused(client.get(f"{DATA}/licenses", headers={"X-API-Key": headers["X-API-Key"]}), 403, "no active grant")
