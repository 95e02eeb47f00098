"""No personal number a caller sends is kept anywhere: ``gongshu api`` itself (its own process, its
access log on, its output captured) takes a valid ID number (GB 11643) and a mobile number in the
query string, the body and the path of every operation of its OpenAPI document, with no key, a
department's key, the provider's key and an admin key; then every table of the platform database,
every file under GONGSHU_HOME and the server's output are searched for them, and no refusal
repeats them to the caller."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from stdnum.cn import ric

from gongshu.open.layout import UNCONDITIONAL
from gongshu.share import keys
from gongshu.store.db import get_engine, session_scope

from ..open.api_fixtures import write_release
from ..share.platform import PROVIDER, Platform, department

ROOT = Path(__file__).resolve().parents[2]
ID_NUMBER = "33010219900307002" + ric.calc_check_digit("33010219900307002")
MOBILE = "13957612345"
SECRETS = (ID_NUMBER, MOBILE)
TEXT = f"核验 {ID_NUMBER} 联系 {MOBILE}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(platform_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the sharing platform with an open release, served by ``gongshu api`` in its own
    process with its access log on; yields (url, home, keys, output file, request id)."""
    home = tmp_path_factory.mktemp("privacy") / "home"
    home.mkdir()
    with sqlite3.connect(platform_dir / "gongshu.db") as source, sqlite3.connect(home / "gongshu.db") as copy:
        source.backup(copy)
    engine = get_engine(f"sqlite:///{home / 'gongshu.db'}")
    rows = [{"license_no": f"XK{i:04d}", "holder": f"持证主体{i}", "issued": "2024-03-01"} for i in range(1, 6)]
    write_release(engine, home, PROVIDER, "licenses", 1, UNCONDITIONAL, rows)
    platform = Platform(engine=engine, server=None)  # type: ignore[arg-type]
    consumer = department()
    platform.grant(consumer, "licenses", ["license_no", "holder", "issued"])
    platform.grant(consumer, "firms", ["uscc", "name", "founded", "staff"])
    with session_scope(engine) as session:
        named = {
            "none": None,
            "consumer": keys.create_key(session, department=consumer, role=keys.DEPARTMENT),
            "provider": keys.create_key(session, department=PROVIDER, role=keys.DEPARTMENT),
            "admin": keys.create_key(session, department=None, role=keys.ADMIN),
        }
    engine.dispose()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    output = home.parent / "server-output.log"
    env = {
        **os.environ,
        "GONGSHU_HOME": str(home),
        "GONGSHU_API_ANONYMOUS_RATE": "0",  # every call reaches its endpoint
        "GONGSHU_API_BASE": url,
    }
    env.pop("GONGSHU_DB_URL", None)
    with output.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "api", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, output.read_text(errors="replace")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "gongshu api did not start"
            time.sleep(0.2)
        yield url, home, named, output, server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


def _value(schema: dict, name: str) -> object:
    """A value for a parameter or body field of ``schema`` that carries the personal numbers."""
    kind = schema.get("type") or next((s.get("type") for s in schema.get("anyOf", []) if s.get("type")), "string")
    if kind == "integer":
        return ID_NUMBER  # not a number the API takes: a refusal, which must not repeat it
    if kind == "boolean":
        return MOBILE
    if kind == "array":
        return [f"{name}:{ID_NUMBER}", f"founded:{ID_NUMBER}", f"staff:{MOBILE}"]
    return TEXT


def _body(doc: dict, operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    elif "anyOf" in schema:
        ref = next(s["$ref"] for s in schema["anyOf"] if "$ref" in s)
        schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    body: dict = {name: _value(prop, name) for name, prop in schema.get("properties", {}).items()}
    if "resource" in body:
        body["resource"] = f"{PROVIDER}.firms"
        body["fields"] = ["uscc", "name"]
    if "dataset" in body:
        body["dataset"] = f"{PROVIDER}.licenses"
    body[ID_NUMBER] = MOBILE  # a key of the caller's own
    return body


def _calls(doc: dict, request_id: int) -> list[tuple[str, str, dict, dict | None]]:
    """(method, path, query, body) for every operation, each with the personal numbers wherever the
    operation takes text, and in its path where the path takes a name."""
    paths = {
        "department": PROVIDER,
        "resource": "firms",
        "file": "scjgj-licenses.csv",
        "request_id": str(request_id),
        "application_id": "1",
        "period": "2026-11",
        "appeal_id": "1",
        "app_id": "1",
    }
    calls = []
    for template, operations in doc["paths"].items():
        for method, operation in operations.items():
            query = {p["name"]: _value(p.get("schema", {}), p["name"]) for p in operation.get("parameters", [])}
            query = {name: value for name, value in query.items() if name not in paths and name != "action"}
            query["filter"] = [f"founded:{ID_NUMBER}", f"uscc:{ID_NUMBER}", f"staff:{MOBILE}", f"name:{TEXT}"]
            query[f"x{ID_NUMBER}"] = MOBILE
            body = _body(doc, operation)
            actions = ["package_show", "datastore_search", "organization_show", "no_such_action"]
            for action in actions if "{action}" in template else [None]:
                path = template.format(**paths, action=action)
                ckan = {"id": TEXT, "resource_id": f"{ID_NUMBER}.csv", "q": TEXT, "fq": f"tags:{ID_NUMBER}"}
                ckan |= {"offset": ID_NUMBER, "limit": MOBILE, "filters": json.dumps({"holder": ID_NUMBER})}
                calls.append((method, path, query | (ckan if action else {}), body))
            if "{resource}" in template:  # a resource named by a personal number (the path's syntax allows it)
                calls.append((method, template.format(**paths | {"resource": f"r{ID_NUMBER}"}), query, body))
            if "{action}" in template:
                calls.append((method, template.format(action=ID_NUMBER), query, body))
    # the data endpoint on a granted resource, whose filters reach the fields' parsers
    data = f"/api/v1/data/{PROVIDER}/firms"
    calls.append(("get", data, {"filter": f"founded:{ID_NUMBER}"}, None))
    calls.append(("get", data, {"filter": f"staff:{MOBILE}"}, None))
    calls.append(("get", data, {"filter": f"uscc:{ID_NUMBER}", "cursor": ID_NUMBER, "fields": f"uscc,{MOBILE}"}, None))
    calls.append(("get", f"{data}?filter=founded%3A{quote(ID_NUMBER)}", {}, None))
    calls.append(("get", f"/api/v1/data/{PROVIDER}/licenses", {"filter": f"holder:{ID_NUMBER}"}, None))
    return calls


def _found_in_tables(engine: sa.Engine) -> list[str]:
    found = []
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                text = " ".join(str(v) for v in row)
                found += [f"{table}: {secret}" for secret in SECRETS if secret in text]
    return found


def test_personal_numbers_sent_to_every_endpoint_are_kept_nowhere(served):
    url, home, named, output, server = served
    doc = httpx.get(f"{url}/openapi.json").json()
    assert len([op for ops in doc["paths"].values() for op in ops]) == 20
    engine = get_engine(f"sqlite:///{home / 'gongshu.db'}")
    consumer_key, provider_key = named["consumer"], named["provider"]
    with httpx.Client(base_url=url, timeout=30) as client:
        consumer = {"X-API-Key": consumer_key}
        pending = client.post(
            "/api/v1/requests",
            headers=consumer,
            json={"resource": f"{PROVIDER}.firms", "fields": ["capital"], "purpose": TEXT},
        )
        assert pending.status_code == 201, pending.text
        assert ID_NUMBER not in pending.text and MOBILE not in pending.text and "***" in pending.json()["purpose"]
        # the provider decides with a reason holding the numbers
        rejected = client.post(
            f"/api/v1/requests/{pending.json()['id']}/reject",
            headers={"X-API-Key": provider_key},
            json={"reason": TEXT},
        )
        assert rejected.status_code == 200 and rejected.json()["reason"].count("***") == 2
        answers = []
        for name, key in named.items():
            headers = {"X-API-Key": key} if key else {}
            for method, path, query, body in _calls(doc, pending.json()["id"]):
                answer = client.request(method.upper(), path, params=query or None, json=body, headers=headers)
                answers.append((name, method, path, answer))
                raw = client.request(method.upper(), path, params=query or None, content=TEXT.encode(), headers=headers)
                answers.append((name, method, path, raw))
    server.send_signal(signal.SIGTERM)  # graceful: the call log drains
    assert server.wait(timeout=60) in (0, -signal.SIGTERM)

    assert all(a.status_code < 500 for *_, a in answers), [(n, m, p, a.status_code) for n, m, p, a in answers][:5]
    refused = [(n, m, p, a) for n, m, p, a in answers if a.status_code >= 400]
    assert len(refused) > 100 and {a.status_code for *_, a in refused} >= {401, 403, 404, 409, 422}
    echoed = [
        (n, m, p, a.status_code, a.text[:200]) for n, m, p, a in refused if ID_NUMBER in a.text or MOBILE in a.text
    ]
    assert not echoed, echoed  # a refusal names the field or filter, never the value

    printed = output.read_text(encoding="utf-8", errors="replace")
    assert '"GET /api/v1/data/scjgj/firms?filter=***' in printed  # the access log is on, its query redacted
    assert not [s for s in SECRETS if s in printed], printed[-2000:]
    assert not _found_in_tables(engine)
    calls = engine.connect().execute(sa.text("SELECT count(*) FROM api_call_log")).scalar_one()
    assert calls >= len(answers)
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "gongshu.db" for p in files)
    assert not [(str(p), s) for p in files for s in SECRETS if s.encode() in p.read_bytes()]
