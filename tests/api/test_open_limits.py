"""What an attacker tried against a running ``gongshu api`` (issue 14): absurd numbers, a forged Host
header, floods of calls without a key, methods the document does not list. Each is answered 4xx, with
``Retry-After`` on every 429, and no URL ever names another host."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gongshu.api.app import create_app
from gongshu.settings import Settings
from gongshu.share import keys
from gongshu.store.db import session_scope

from ..open import api_fixtures
from ..open.api_fixtures import OpenPlatform, build_open_platform
from ..share.platform import LiveServer

open_platform = api_fixtures.open_platform  # the module's server, without practical limits
CKAN = "/api/3/action"
BIG = 2**63


def _ckan(client: httpx.Client, action: str, **params: object) -> httpx.Response:
    return client.get(f"{CKAN}/{action}", params=params)


@pytest.fixture
def client(open_platform: OpenPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=open_platform.url, timeout=30) as c:
        yield c


# ---- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("datastore_search", {"offset": BIG}),
        ("datastore_search", {"offset": BIG - 1}),
        ("datastore_search", {"offset": 10**400}),
        ("datastore_search", {"offset": -1}),
        ("datastore_search", {"limit": BIG}),
        ("datastore_search", {"offset": "1e3"}),
        ("package_search", {"start": BIG}),
        ("package_search", {"rows": 2**31}),
        ("package_list", {"limit": BIG, "offset": 0}),
        ("package_list", {"offset": BIG}),
        ("organization_list", {"offset": 2**31}),
    ],
)
def test_absurd_numbers_are_a_ckan_validation_error(client, action, params):
    params = {"resource_id": "scjgj-licenses.csv", **params} if action == "datastore_search" else params
    answer = _ckan(client, action, **params)
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    problems = [problem for name, problems in error.items() if name != "__type" for problem in problems]
    assert error["__type"] == "Validation Error" and "at most 2147483647" in problems[0]


def test_absurd_numbers_in_a_json_body_are_refused_too(client):
    for body in (b'{"resource_id": "scjgj-licenses.csv", "offset": 1e400}', b'{"rows": 1e400}', b'{"limit": 1.5}'):
        action = "package_search" if b"rows" in body else "datastore_search"
        answer = client.post(f"{CKAN}/{action}", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 409 and answer.json()["success"] is False, answer.text


def test_the_largest_offset_is_answered_without_a_next_link_that_would_fail(client):
    last = _ckan(client, "datastore_search", resource_id="scjgj-licenses.csv", offset=2**31 - 1)
    assert last.status_code == 200 and last.json()["result"]["records"] == []
    assert "next" not in last.json()["result"]["_links"]
    before = _ckan(client, "datastore_search", resource_id="scjgj-licenses.csv", offset=2**31 - 1 - 100)
    follow = before.json()["result"]["_links"]["next"]
    assert client.get(follow).status_code == 200  # every next link given can be followed
    capped = _ckan(client, "package_search", rows=5000)  # over the maximum: capped, as CKAN caps it
    assert capped.status_code == 200 and capped.json()["result"]["count"] >= 1


def test_absurd_numbers_of_the_other_endpoints_are_422(open_platform, client):
    key = {"X-API-Key": open_platform.key("rsj")}
    assert client.get("/api/v1/data/scjgj/licenses", params={"limit": BIG}, headers=key).status_code == 422
    assert client.post(f"/api/v1/requests/{BIG}/approve", headers=key).status_code == 422
    download = "/api/v1/open/download/scjgj/licenses/scjgj-licenses.csv"
    assert client.get(download, params={"version": BIG}).status_code == 422
    approve = client.post("/api/v1/open/applications/1/approve", headers=key, json={"expires_days": BIG})
    assert approve.status_code == 422


# ---- Host header --------------------------------------------------------------------------------


def test_absolute_urls_come_from_the_configured_base_never_the_host_header(open_platform, client):
    base = open_platform.settings.api_base
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    answer = client.get(f"{CKAN}/package_show", params={"id": "scjgj-licenses"}, headers=forged)
    assert answer.status_code == 200
    urls = [r["url"] for r in answer.json()["result"]["resources"]] + [answer.json()["help"]]
    assert urls and all(u.startswith(f"{base}/") for u in urls), urls
    assert "evil.example" not in answer.text
    searched = client.get(f"{CKAN}/package_search", headers=forged)
    assert "evil.example" not in searched.text and base in searched.text
    unknown = client.get(f"{CKAN}/no_such_action", headers=forged)
    assert unknown.status_code == 400 and "evil.example" not in unknown.text
    # a trailing slash is not redirected to an absolute URL built from the Host header
    slashed = client.get("/api/v1/health/", headers=forged, follow_redirects=False)
    assert slashed.status_code == 404 and "location" not in slashed.headers


# ---- methods ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/api/v1/requests", {"GET", "POST"}),
        ("DELETE", "/api/v1/requests", {"GET", "POST"}),
        ("PUT", "/api/v1/open/applications", {"GET", "POST"}),
        ("DELETE", f"{CKAN}/package_list", {"GET", "POST"}),
    ],
)
def test_a_method_not_served_is_405_with_every_method_of_the_path(client, method, path, allowed):
    answer = client.request(method, path)
    assert answer.status_code == 405
    assert allowed <= {m.strip() for m in answer.headers["allow"].split(",")}


# ---- rate limits --------------------------------------------------------------------------------

BURST = 5


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    """The open platform with tight limits: an address may make BURST calls without a key, a key 2,
    then hardly any more (the rates are 0.01 a second)."""
    engine, settings = build_open_platform(tmp_path_factory.mktemp("limited"))
    settings = Settings(
        home=settings.home, api_rate=0.01, api_burst=2, api_anonymous_rate=0.01, api_anonymous_burst=BURST
    )
    with session_scope(engine) as session:
        applicant = keys.create_key(session, department=None, role=keys.APPLICANT, resource_scope="scjgj.inspections")
    with LiveServer(create_app(engine, settings)) as server:
        yield server.url, settings.home, applicant


def _from(address: str, url: str) -> httpx.Client:
    """A client whose calls come from ``address`` (any of 127.0.0.0/8 is this machine)."""
    return httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=address))


def _assert_429(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["retry-after"]) >= 1


def test_calls_without_a_key_are_limited_per_address_with_retry_after(limited):
    url, _, _ = limited
    with _from("127.0.0.2", url) as first, _from("127.0.0.3", url) as second:
        for _ in range(BURST):
            assert _ckan(first, "package_list").status_code == 200
        _assert_429(_ckan(first, "package_list"))
        assert _ckan(first, "package_list").json()["error"]["__type"] == "Rate Limit"
        _assert_429(first.get("/api/v1/open/download/scjgj/licenses/scjgj-licenses.csv"))
        _assert_429(first.post("/api/v1/open/applications", json={}))
        # another address has its own budget
        assert _ckan(second, "package_show", id="scjgj-licenses").status_code == 200
        assert second.get("/api/v1/open/download/scjgj/licenses/scjgj-licenses.csv").status_code == 200


def test_a_key_sent_along_to_public_data_does_not_escape_the_address_limit(limited):
    url, _, _ = limited
    with _from("127.0.0.4", url) as client:
        junk = {"X-API-Key": "gs_000000000000_junk"}  # not looked at for a 无条件开放 dataset
        search = f"{CKAN}/datastore_search?resource_id=scjgj-licenses.csv"
        assert [client.get(search, headers=junk).status_code for _ in range(BURST)] == [200] * BURST
        _assert_429(client.get(search, headers=junk))
        _assert_429(client.get(f"{CKAN}/datastore_search?resource_id=nosuch.csv", headers=junk))


def test_guessing_keys_costs_the_address_and_ends_in_429(limited):
    url, _, _ = limited
    with _from("127.0.0.5", url) as client:
        wrong = {"X-API-Key": "gs_000000000000_wrong"}
        statuses = [client.get("/api/v1/catalog", headers=wrong).status_code for _ in range(BURST)]
        assert statuses == [401] * BURST
        _assert_429(client.get("/api/v1/catalog", headers=wrong))
        _assert_429(client.get("/api/v1/data/scjgj/licenses", headers=wrong))
        _assert_429(client.get("/api/v1/open/applications", headers=wrong))


def test_a_keys_own_limit_answers_429_with_retry_after_in_ckan_too(limited):
    url, _, applicant = limited
    with _from("127.0.0.6", url) as client:
        key = {"X-CKAN-API-Key": applicant}
        search = f"{CKAN}/datastore_search?resource_id=scjgj-inspections.csv"
        assert [client.get(search, headers=key).status_code for _ in range(2)] == [200, 200]
        refused = client.get(search, headers=key)
        _assert_429(refused)
        assert refused.json()["success"] is False and refused.json()["error"]["__type"] == "Rate Limit"


def test_a_flood_of_calls_without_a_key_gets_burst_answers_and_429s(limited):
    url, _, _ = limited
    with _from("127.0.0.7", url) as client:
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda _: _ckan(client, "package_list"), range(80)))
    assert [a.status_code for a in answers].count(200) == BURST
    for answer in answers:
        if answer.status_code != 200:
            _assert_429(answer)
