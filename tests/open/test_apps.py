"""开放应用 (apps built on open data) end to end against the real server: anyone submits one with the
open datasets it uses, the administrator approves or rejects it (a rejection gives its reason), and only
approved apps are listed, with their datasets and never their contact."""

from __future__ import annotations

import logging

import httpx
import pytest
import sqlalchemy as sa

from gongshu.api.app import create_app
from gongshu.settings import Settings
from gongshu.store import models as m

from ..share.platform import LiveServer
from . import api_fixtures
from .api_fixtures import OpenPlatform, build_open_platform

open_platform = api_fixtures.open_platform  # the module's server

APPS = "/api/v1/open/apps"
CONTACT = "赵先生 13905761234"
APP = {
    "name": "许可信息速查",
    "submitter": "台州某信息技术有限公司",
    "contact": CONTACT,
    "description": "按乡镇查询行政许可与医疗机构，方便企业办事",
    "url": "https://example.org/xk",
    "datasets": ["scjgj.licenses", "wjw.clinics"],
}


@pytest.fixture
def client(open_platform: OpenPlatform):
    with httpx.Client(base_url=open_platform.url, timeout=30) as c:
        yield c


def _review(client: httpx.Client, app_id: int, key: str | None, **body: str) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    return client.post(f"{APPS}/{app_id}/review", headers=headers, json=body)


def test_submitted_apps_are_listed_with_their_datasets_once_approved_never_with_the_contact(
    open_platform, client, caplog
):
    caplog.set_level(logging.DEBUG)
    made = client.post(APPS, json=APP)
    assert made.status_code == 201, made.text
    app = made.json()
    assert app["status"] == "pending" and "contact" not in app
    assert [d["dataset"] for d in app["datasets"]] == ["scjgj.licenses", "wjw.clinics"]
    assert app["datasets"][0] == {
        "dataset": "scjgj.licenses",
        "department_name": "台州市市场监督管理局",
        "name": "行政许可信息",
    }
    assert app["id"] not in [a["id"] for a in client.get(APPS).json()["apps"]]  # pending: not listed

    assert _review(client, app["id"], None, decision="approve").status_code == 401
    department = open_platform.key("scjgj")
    assert _review(client, app["id"], department, decision="approve").status_code == 403  # admin only
    admin = open_platform.key(admin=True)
    approved = _review(client, app["id"], admin, decision="approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["reviewed_at"]
    again = _review(client, app["id"], admin, decision="reject", reason="重复")
    assert again.status_code == 409 and "already approved" in again.json()["error"]

    listed = client.get(APPS)
    assert listed.status_code == 200
    mine = next(a for a in listed.json()["apps"] if a["id"] == app["id"])
    assert mine["name"] == "许可信息速查" and mine["url"] == "https://example.org/xk"
    assert [d["name"] for d in mine["datasets"]] == ["行政许可信息", "医疗机构名录"]
    assert CONTACT not in listed.text and "13905761234" not in listed.text
    open_platform.flush()
    with open_platform.engine.connect() as conn:  # stored for the administrator, as written
        assert conn.scalar(sa.select(m.OpenApp.contact).where(m.OpenApp.id == app["id"])) == CONTACT
        calls = conn.execute(sa.select(m.ApiCallLog).where(m.ApiCallLog.path.like("/api/v1/open/apps%"))).all()
    assert calls and "13905761234" not in repr(calls)
    assert "13905761234" not in caplog.text


def test_a_rejection_gives_its_reason_and_is_not_listed(open_platform, client):
    app = client.post(APPS, json={**APP, "name": "重复提交的应用"}).json()
    admin = open_platform.key(admin=True)
    without = _review(client, app["id"], admin, decision="reject")
    assert without.status_code == 409 and "reason" in without.json()["error"]
    rejected = _review(client, app["id"], admin, decision="reject", reason="与已上架应用重复")
    assert rejected.status_code == 200 and rejected.json()["reason"] == "与已上架应用重复"
    assert app["id"] not in [a["id"] for a in client.get(APPS).json()["apps"]]
    assert _review(client, 2**31 - 1, admin, decision="approve").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"datasets": []}, 422, None),
        ({"datasets": ["scjgj.nothing"]}, 404, "no such open dataset"),
        ({"datasets": ["scjgj.permits"]}, 404, "no such open dataset"),  # 不予开放, even with a stale release
        ({"datasets": ["rsj.jobs"]}, 404, "no such open dataset"),  # registered, never opened
        ({"datasets": ["scjgj.licenses", "scjgj"]}, 422, None),
        ({"url": "javascript:alert(1)"}, 409, "url: an http:// or https:// address"),
        ({"url": "ftp://example.org/x"}, 409, "url: an http:// or https:// address"),
        ({"url": "https://example.org/a b"}, 409, "url: an http:// or https:// address"),
        ({"name": "   "}, 422, None),
        ({"contact": ""}, 422, None),
        ({"extra": "x"}, 422, None),
    ],
)
def test_invalid_submissions_are_refused_with_a_clear_error(client, change, status, says):
    answer = client.post(APPS, json={**APP, **change})
    assert answer.status_code == status, answer.text
    assert "error" in answer.json()
    if says:
        assert says in answer.json()["error"]


def test_a_conditional_dataset_may_be_used_by_an_app(client):
    answer = client.post(APPS, json={**APP, "datasets": ["scjgj.inspections"]})
    assert answer.status_code == 201, answer.text


def test_submitting_without_a_key_is_limited_per_address(tmp_path):
    engine, settings = build_open_platform(tmp_path)
    limited = Settings(home=settings.home, api_anonymous_rate=0.01, api_anonymous_burst=2)
    with LiveServer(create_app(engine, limited)) as server, httpx.Client(base_url=server.url, timeout=30) as c:
        answers = [c.post(APPS, json=APP).status_code for _ in range(3)]
    assert answers == [201, 201, 429]
