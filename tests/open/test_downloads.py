"""Downloads through the API: the release's own listed files only (no path a caller sends is ever
joined into a path), a version when asked, the applicant's key for 有条件开放, a log row each."""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import time

import httpx
import pytest
import sqlalchemy as sa

from gongshu.open.datasets import find_dataset
from gongshu.open.downloads import NotServed, release_file
from gongshu.open.layout import CHECKSUMS
from gongshu.store.db import session_scope

from . import api_fixtures
from .api_fixtures import LICENSES, OLD_LICENSES, UNLISTED, OpenPlatform

open_platform = api_fixtures.open_platform  # the module's server

BASE = "/api/v1/open/download"


@pytest.fixture
def client(open_platform: OpenPlatform):
    with httpx.Client(base_url=open_platform.url, timeout=30) as c:
        yield c


def raw_get(platform: OpenPlatform, path: str) -> tuple[int, bytes]:
    """GET with the path exactly as written (httpx would normalise dot segments away)."""
    conn = http.client.HTTPConnection("127.0.0.1", platform.server.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_public_file_streams_with_its_checksum_and_is_counted(open_platform, client):
    before = len(open_platform.downloads(resource_key="licenses"))
    got = client.get(f"{BASE}/scjgj/licenses/scjgj-licenses.csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="scjgj-licenses.csv"' in got.headers["content-disposition"]
    text = got.content.decode("utf-8-sig")
    assert text.count("\n") == len(LICENSES) + 1 and LICENSES[-1]["holder"] in text
    sums = client.get(f"{BASE}/scjgj/licenses/{CHECKSUMS}").text
    assert f"{hashlib.sha256(got.content).hexdigest()}  scjgj-licenses.csv" in sums
    logged = open_platform.downloads(resource_key="licenses")[before:]
    assert [(r.what, r.rows, r.key_id) for r in logged] == [
        ("scjgj-licenses.csv", len(LICENSES), None),
        (CHECKSUMS, None, None),
    ]


def test_an_older_version_is_served_when_asked_for(open_platform, client):
    old = client.get(f"{BASE}/scjgj/licenses/scjgj-licenses.json", params={"version": 1})
    assert old.status_code == 200 and len(old.json()) == len(OLD_LICENSES)
    assert len(client.get(f"{BASE}/scjgj/licenses/scjgj-licenses.json").json()) == len(LICENSES)
    missing = client.get(f"{BASE}/scjgj/licenses/scjgj-licenses.json", params={"version": 9})
    assert missing.status_code == 404 and "no such release" in missing.json()["error"]
    assert client.get(f"{BASE}/scjgj/licenses/scjgj-licenses.json", params={"version": "x"}).status_code == 422
    logged = open_platform.downloads(resource_key="licenses", what="scjgj-licenses.json")
    assert sorted(r.rows for r in logged)[-2:] == [len(OLD_LICENSES), len(LICENSES)]


@pytest.mark.parametrize(
    "path",
    [
        "/scjgj/licenses/../../../../gongshu.db",
        "/scjgj/licenses/..%2f..%2f..%2f..%2fgongshu.db",
        "/scjgj/licenses/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fgongshu.db",
        "/scjgj/licenses/%2e%2e",
        "/scjgj/licenses/..",
        "/scjgj/licenses/%2fetc%2fpasswd",
        "/scjgj/licenses//etc/passwd",
        "/scjgj/licenses/%5c..%5c..%5cgongshu.db",
        f"/scjgj/licenses/{UNLISTED}",
        "/scjgj/licenses/scjgj-licenses.csv%00.txt",
        "/scjgj/licenses/SCJGJ-LICENSES.CSV",
        "/scjgj/inspections/..%2f..%2f..%2fportal%2freleases%2fscjgj%2flicenses%2fv2%2fscjgj-licenses.csv",
        "/scjgj/permits/scjgj-permits.csv",
        "/scjgj/nosuch/scjgj-nosuch.csv",
        "/../../gongshu.db",
    ],
)
def test_anything_but_a_listed_file_is_refused(open_platform, path):
    before = len(open_platform.downloads())
    status, body = raw_get(open_platform, BASE + path)
    assert status in (401, 404, 422), (status, body[:200])
    assert b"SQLite format" not in body and b"root:" not in body and b"not part of the release" not in body
    assert b"TZ-SECRET" not in body  # the stale release of a resource now 不予开放
    assert len(open_platform.downloads()) == before


def test_refusals_say_what_is_served(client):
    refused = client.get(f"{BASE}/scjgj/licenses/{UNLISTED}")
    assert refused.status_code == 404
    message = refused.json()["error"]
    assert message.startswith("not a file of scjgj.licenses v2; its files: ") and "scjgj-licenses.csv" in message
    gone = client.get(f"{BASE}/scjgj/permits/scjgj-permits.csv").json()["error"]
    assert "no such open dataset" in gone


def test_a_conditional_file_needs_its_applicants_key(open_platform, client):
    url = f"{BASE}/scjgj/inspections/scjgj-inspections.csv"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and "/api/v1/open/applications" in anonymous.json()["error"]
    for key in [open_platform.key("scjgj"), open_platform.key(admin=True), "gs_000000000000_" + "A" * 43]:
        refused = client.get(url, headers={"X-API-Key": key})
        assert refused.status_code in (401, 403) and "丙检查对象" not in refused.text
    assert client.get(f"{BASE}/scjgj/inspections/{UNLISTED}").status_code == 401  # who before what
    assert not open_platform.downloads(resource_key="inspections")


def test_every_download_is_in_the_call_log_too(open_platform, client):
    client.get(f"{BASE}/wjw/clinics/wjw-clinics.csv")
    deadline = time.monotonic() + 10
    while True:  # the record is submitted once the last byte has gone out, maybe after the client read it
        open_platform.flush()
        with open_platform.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT provider_key, resource_key, status FROM api_call_log WHERE path LIKE :p"),
                {"p": f"{BASE}/wjw/clinics/%"},
            ).all()
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert ("wjw", "clinics", 200) in [tuple(r) for r in rows]


def test_a_listed_name_leading_out_of_the_folder_is_still_refused(open_platform, tmp_path):
    """Defence in depth: a corrupted ``open_release.files`` or a symlink never serves a file outside
    its release folder."""
    with session_scope(open_platform.engine) as session:
        dataset = find_dataset(session, "wjw", "clinics")
    assert dataset is not None
    folder = open_platform.home / dataset.release.folder
    (folder / "escape.csv").symlink_to(open_platform.home / "gongshu.db")
    corrupted = dataclasses.replace(
        dataset,
        release=dataclasses.replace(
            dataset.release,
            files={**dataset.release.files, "../../../../../gongshu.db": {}, "/etc/passwd": {}, "escape.csv": {}},
        ),
    )
    for name in ["../../../../../gongshu.db", "/etc/passwd", "escape.csv"]:
        with pytest.raises(NotServed):
            release_file(open_platform.home, corrupted, name)
    assert release_file(open_platform.home, corrupted, "wjw-clinics.csv").is_file()
