"""有条件开放 applications end to end, against the real server: apply (no key), the provider approves
and hands over the key shown once, the key opens that dataset alone, and the sharing API refuses it
everywhere; a rejection needs its reason."""

from __future__ import annotations

import json

import ckanapi
import httpx
import pytest
import sqlalchemy as sa

from gongshu.open import applications
from gongshu.share import keys
from gongshu.share.keys import Principal
from gongshu.store import models as m
from gongshu.store.db import session_scope

from . import api_fixtures
from .api_fixtures import INSPECTIONS, OpenPlatform

open_platform = api_fixtures.open_platform  # the module's server

APPS = "/api/v1/open/applications"
DOWNLOAD = "/api/v1/open/download"
APPLICATION = {"dataset": "scjgj.inspections", "applicant": "台州某信用科技有限公司", "contact": "王女士 0576-88000000"}


@pytest.fixture
def client(open_platform: OpenPlatform):
    with httpx.Client(base_url=open_platform.url, timeout=30) as c:
        yield c


def apply(client: httpx.Client, **changes: str) -> httpx.Response:
    body = {**APPLICATION, "purpose": "企业信用评价模型研究", **changes}
    # as ASCII JSON: a lone surrogate travels as its escape, as a hostile client would send it
    return client.post(APPS, content=json.dumps(body), headers={"Content-Type": "application/json"})


def test_apply_approve_and_use_the_key_for_that_dataset_only(open_platform, client):
    provider = {"X-API-Key": open_platform.key("scjgj")}
    made = apply(client)
    assert made.status_code == 201, made.text
    application = made.json()
    assert (application["status"], application["dataset"], application["key_id"]) == (
        "pending",
        "scjgj.inspections",
        None,
    )
    listed = client.get(APPS, headers=provider, params={"status": "pending"}).json()["applications"]
    assert application["id"] in [a["id"] for a in listed]
    other = {"X-API-Key": open_platform.key("wjw")}
    assert application["id"] not in [a["id"] for a in client.get(APPS, headers=other).json()["applications"]]
    assert client.get(APPS).status_code == 401

    approve = f"{APPS}/{application['id']}/approve"
    assert client.post(approve).status_code == 401
    assert client.post(approve, headers=other).status_code == 403
    assert client.post(approve, headers={"X-API-Key": open_platform.key(admin=True)}).status_code == 403
    approved = client.post(approve, headers=provider, json={"expires_days": 365})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    key = body["key"]
    assert body["status"] == "approved" and body["key_id"] == key[3:15]
    assert client.post(approve, headers=provider).status_code == 409  # once
    assert key not in client.get(APPS, headers=provider).text  # shown that once only
    with session_scope(open_platform.engine) as session:
        row = session.scalar(sa.select(m.ApiKey).where(m.ApiKey.key_id == key[3:15]))
        assert (row.role, row.resource_scope, row.department_key) == ("applicant", "scjgj.inspections", None)
        assert row.expires_at is not None and key.split("_", 2)[2] not in row.secret_hash

    # the dataset: its rows through ckanapi, its files through the download endpoint
    with ckanapi.RemoteCKAN(open_platform.url, apikey=key) as as_applicant:
        rows = as_applicant.action.datastore_search(resource_id="scjgj-inspections.csv", filters={"result": "合格"})
        assert rows["total"] == len([r for r in INSPECTIONS if r["result"] == "合格"])
        with pytest.raises(ckanapi.NotAuthorized):
            as_applicant.action.datastore_search(resource_id="wjw-records.csv")
        assert as_applicant.action.datastore_search(resource_id="wjw-clinics.csv")["total"] == 3  # public anyway
    got = client.get(f"{DOWNLOAD}/scjgj/inspections/scjgj-inspections.csv", headers={"X-API-Key": key})
    assert got.status_code == 200 and INSPECTIONS[0]["site"] in got.content.decode("utf-8-sig")
    logged = open_platform.downloads(resource_key="inspections")
    assert [(r.what, r.key_id) for r in logged] == [
        ("datastore_search", key[3:15]),
        ("scjgj-inspections.csv", key[3:15]),
    ]
    refused = client.get(f"{DOWNLOAD}/wjw/records/wjw-records.csv", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 403 and "2024-01" not in refused.text

    # and nothing of the sharing API
    as_key = {"X-API-Key": key}
    for method, path, payload in [
        ("GET", "/api/v1/data/scjgj/licenses", None),
        ("GET", "/api/v1/data/scjgj/inspections", None),
        ("GET", "/api/v1/catalog", None),
        ("GET", "/api/v1/requests", None),
        ("POST", "/api/v1/requests", {"resource": "scjgj.licenses", "fields": ["license_no"], "purpose": "x"}),
        ("POST", "/api/v1/requests/1/approve", None),
        ("POST", "/api/v1/requests/1/reject", {"reason": "x"}),
        ("GET", APPS, None),
        ("POST", f"{APPS}/{application['id']}/approve", None),
    ]:
        answer = client.request(method, path, json=payload, headers=as_key)
        assert answer.status_code == 403, (path, answer.text)
    bearer = client.get("/api/v1/data/scjgj/licenses", headers={"Authorization": f"Bearer {key}"})
    assert bearer.status_code == 403 and "applicant" in bearer.json()["error"]

    # revoked, it stops at once
    with session_scope(open_platform.engine) as session:
        assert keys.revoke_key(session, key[3:15])
    assert client.get(f"{DOWNLOAD}/scjgj/inspections/scjgj-inspections.csv", headers=as_key).status_code == 401


def test_a_rejection_needs_its_reason(open_platform, client):
    provider = {"X-API-Key": open_platform.key("scjgj")}
    application = apply(client, purpose="转售数据").json()
    reject = f"{APPS}/{application['id']}/reject"
    assert client.post(reject, headers=provider, json={}).status_code == 422
    assert client.post(reject, headers=provider, json={"reason": "   "}).status_code == 422
    rejected = client.post(reject, headers=provider, json={"reason": "用途超出开放条件（用于信用评价研究）"})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["reason"], rejected.json()["key_id"]) == (
        "rejected",
        "用途超出开放条件（用于信用评价研究）",
        None,
    )
    assert client.post(f"{APPS}/{application['id']}/approve", headers=provider).status_code == 409
    assert client.post(f"{APPS}/999999/approve", headers=provider).status_code == 404


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"dataset": "scjgj.licenses"}, 409, "无条件开放"),
        ({"dataset": "scjgj.permits"}, 403, "不予开放"),
        ({"dataset": "rsj.jobs"}, 403, "不予开放"),
        ({"dataset": "scjgj.nosuch"}, 404, "no such resource"),
        ({"dataset": "scjgj-inspections"}, 422, "dataset"),
        ({"dataset": "../etc.passwd"}, 422, "dataset"),
        ({"applicant": ""}, 422, "applicant"),
        ({"contact": "x" * 201}, 422, "contact"),
        ({"purpose": " \t "}, 422, "purpose"),
        ({"extra": "field"}, 422, "Extra inputs"),
    ],
)
def test_applications_are_validated_and_refused_with_a_reason(client, changes, status, words):
    answer = apply(client, **changes)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"]


def test_only_department_keys_decide_and_applicant_keys_name_their_dataset(open_platform):
    with session_scope(open_platform.engine) as session:
        made = applications.apply(session, "wjw", "records", applicant="某研究所", contact="a@b.cn", purpose="研究")
        applicant = Principal(key_id="x", role=keys.APPLICANT, department=None, scope="wjw.records")
        with pytest.raises(applications.Denied):
            applications.decide(session, applicant, made.id, True)
        with pytest.raises(applications.Denied):
            applications.applications_of(session, applicant)
        with pytest.raises(ValueError, match="names its one dataset"):
            keys.create_key(session, department=None, role=keys.APPLICANT)
        with pytest.raises(ValueError, match="names none"):
            keys.create_key(session, department="wjw", role=keys.APPLICANT, resource_scope="wjw.records")
        with pytest.raises(ValueError, match="names its one dataset"):
            keys.create_key(session, department="wjw", resource_scope="wjw.records")
        owner = Principal(key_id="y", role=keys.DEPARTMENT, department="wjw")
        decided, key = applications.decide(session, owner, made.id, True)
        assert decided.status == "approved" and key is not None
        verified = keys.verify(session, key)
        assert (verified.is_applicant, verified.scope, verified.department, verified.is_admin) == (
            True,
            "wjw.records",
            None,
            False,
        )
