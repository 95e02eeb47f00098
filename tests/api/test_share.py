"""The sharing API doing its job, against the real uvicorn server: browsing the catalog, the life of
a request, reading granted data page by page as JSON or CSV, a revoked grant stopping access."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from gongshu.share import workflow
from gongshu.share.keys import DEPARTMENT, Principal
from gongshu.share.resources import find
from gongshu.store.db import session_scope

from ..share.platform import FIRMS, INSPECTIONS, PROVIDER, department, firm_row, uscc

DATA = "/api/v1/data/scjgj"


def test_health_needs_no_key(client):
    assert client.get("/api/v1/health").json() == {"status": "ok"}


def test_the_openapi_document_describes_the_service_in_chinese_and_english(client):
    doc = client.get("/openapi.json").json()
    assert "数据共享" in doc["info"]["title"] and "sharing API" in doc["info"]["title"]
    assert (
        "共享" in doc["info"]["description"] and "Every call, refused ones too, is logged" in doc["info"]["description"]
    )
    assert set(doc["paths"]) == {
        "/api/v1/health",
        "/api/v1/catalog",
        "/api/v1/requests",
        "/api/v1/requests/{request_id}/approve",
        "/api/v1/requests/{request_id}/reject",
        "/api/v1/data/{department}/{resource}",
        "/api/v1/open/download/{department}/{resource}/{file}",
        "/api/v1/open/applications",
        "/api/v1/open/applications/{application_id}/approve",
        "/api/v1/open/applications/{application_id}/reject",
        "/api/v1/scorecards/{period}/appeals",
        "/api/v1/scorecards/appeals/{appeal_id}/decision",
        "/api/v1/open/apps",
        "/api/v1/open/apps/{app_id}/review",
        "/api/3/action/{action}",
    }
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"apiKey", "http"}
    data = doc["paths"]["/api/v1/data/{department}/{resource}"]["get"]
    limit = next(p for p in data["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 1000


def test_the_catalog_lists_share_attributes_and_fields_but_no_data(platform, client):
    headers = {"X-API-Key": platform.key(department())}
    resources = client.get("/api/v1/catalog", headers=headers).json()["resources"]
    by_id = {r["resource"]: r for r in resources}
    assert set(by_id) == {"firms", "licenses", "permits", "inspections", "drafts"}
    firms = by_id["firms"]
    assert (firms["department"], firms["department_name"]) == (PROVIDER, "台州市市场监督管理局")
    assert re.fullmatch(r"102/SCJGJ[0-9]{4}", firms["code"])  # 法人 (102), department, sequence
    assert (firms["share_type"], firms["share_condition"], firms["share_method"]) == (
        "有条件共享",
        "用于市场监管执法",
        "接口",
    )
    assert firms["fields"][:2] == [
        {"name": "uscc", "label": "统一社会信用代码", "kind": "uscc"},
        {"name": "name", "label": "企业名称", "kind": "text"},
    ]
    assert "甲测企业" not in str(resources)

    def ask(**params) -> list[str]:
        found = client.get("/api/v1/catalog", headers=headers, params=params).json()["resources"]
        return [r["resource"] for r in found]

    assert ask(share_type="不予共享") == ["permits"]
    assert ask(share_type="无条件共享") == ["drafts", "inspections", "licenses"]
    assert ask(q="许可") == ["licenses", "permits"]
    assert ask(q="%") == [] and ask(q="_") == []  # LIKE wildcards are searched as themselves
    assert ask(department="hyj") == []
    assert client.get("/api/v1/catalog").status_code == 401


def test_a_conditional_request_waits_for_the_provider_who_approves_or_rejects_it(platform, client):
    consumer = department()
    mine = {"X-API-Key": platform.key(consumer)}
    provider = {"X-API-Key": platform.key(PROVIDER)}
    body = {"resource": "scjgj.firms", "fields": ["uscc", "name", "capital"], "purpose": "就业补贴资格核验"}
    made = client.post("/api/v1/requests", headers=mine, json=body)
    assert made.status_code == 201
    made = made.json()
    assert (made["status"], made["consumer"], made["resource"], made["share_type"]) == (
        "pending",
        consumer,
        "scjgj.firms",
        "有条件共享",
    )
    due = dt.datetime.fromisoformat(made["due_at"])
    assert dt.timedelta(days=5) <= due - dt.datetime.fromisoformat(made["requested_at"]) <= dt.timedelta(days=9)
    assert client.get(f"{DATA}/firms", headers=mine).status_code == 403

    # the provider sees it among its pending requests and approves it
    pending = client.get("/api/v1/requests", headers=provider, params={"status": "pending"}).json()["requests"]
    assert made["id"] in [r["id"] for r in pending]
    approved = client.post(f"/api/v1/requests/{made['id']}/approve", headers=provider)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert client.post(f"/api/v1/requests/{made['id']}/approve", headers=provider).status_code == 409
    rows = client.get(f"{DATA}/firms", headers=mine, params={"limit": 2}).json()["rows"]
    assert rows == [{k: firm_row(i)[k] for k in body["fields"]} for i in (1, 2)]

    # a second request is rejected: a reason is required, and no grant follows
    second = client.post("/api/v1/requests", headers=mine, json={**body, "fields": ["staff"]}).json()
    no_reason = client.post(f"/api/v1/requests/{second['id']}/reject", headers=provider, json={"reason": "  "})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]
    assert client.post(f"/api/v1/requests/{second['id']}/reject", headers=provider).status_code == 422
    rejected = client.post(f"/api/v1/requests/{second['id']}/reject", headers=provider, json={"reason": "超出共享条件"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "超出共享条件"
    assert client.get(f"{DATA}/firms", headers=mine, params={"fields": "staff"}).status_code == 403
    assert client.post("/api/v1/requests/999999/approve", headers=provider).status_code == 404


def test_an_unconditional_request_is_granted_at_once_and_unknown_resources_are_404(platform, client):
    mine = {"X-API-Key": platform.key(department())}
    made = client.post(
        "/api/v1/requests",
        headers=mine,
        json={"resource": "scjgj.licenses", "fields": ["license_no", "holder"], "purpose": "许可核查"},
    ).json()
    assert made["status"] == "approved" and made["due_at"] is None
    assert client.get(f"{DATA}/licenses", headers=mine).json()["fields"] == ["license_no", "holder"]
    for resource in ("scjgj.nosuch", "nosuch.licenses"):
        response = client.post(
            "/api/v1/requests", headers=mine, json={"resource": resource, "fields": ["holder"], "purpose": "x"}
        )
        assert response.status_code == 404 and "no such resource" in response.json()["error"]
    assert client.get("/api/v1/data/scjgj/nosuch", headers=mine).status_code == 404
    assert client.get("/api/v1/data/nosuch/licenses", headers=mine).status_code == 404
    # registered and granted, but never collected: no table to read yet
    platform.grant(made["consumer"], "drafts", ["draft_no"])
    empty = client.get(f"{DATA}/drafts", headers=mine)
    assert empty.status_code == 404 and "no cleansed data yet" in empty.json()["error"]
    unknown = client.post(
        "/api/v1/requests", headers=mine, json={"resource": "scjgj.licenses", "fields": ["salary"], "purpose": "x"}
    )
    assert unknown.status_code == 409 and "salary" not in unknown.json()["error"]  # named by count, not echoed


def test_requests_are_listed_for_consumer_and_provider_only_and_overdue_ones_stand_out(platform, client):
    consumer, third = department(), department()
    with session_scope(platform.engine) as session:
        firms = find(session, PROVIDER, "firms").resource
        who = Principal("k", DEPARTMENT, consumer)
        late = workflow.apply(
            session, who, PROVIDER, firms, ["name"], "年度核查", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        ).id
        fresh = workflow.apply(session, who, PROVIDER, firms, ["uscc"], "日常核查").id

    def listed(key: str, **params: str) -> list[tuple[int, bool]]:
        found = client.get("/api/v1/requests", headers={"X-API-Key": key}, params=params).json()["requests"]
        return [(r["id"], r["overdue"]) for r in found]

    consumer_key, provider_key = platform.key(consumer), platform.key(PROVIDER)
    assert listed(consumer_key) == [(late, True), (fresh, False)]
    assert listed(consumer_key, overdue="true") == [(late, True)]
    provider_overdue = listed(provider_key, overdue="true")
    assert (late, True) in provider_overdue and (fresh, False) not in provider_overdue
    assert listed(platform.key(third)) == []
    assert (late, True) in listed(platform.key(admin=True), overdue="true")


def test_only_granted_fields_appear_and_a_revoked_grant_stops_access_at_once(platform, client):
    consumer = department()
    platform.grant(consumer, "firms", ["uscc", "status"])
    mine = {"X-API-Key": platform.key(consumer)}
    page = client.get(f"{DATA}/firms", headers=mine, params={"limit": 3}).json()
    assert page["fields"] == ["uscc", "status"]
    assert page["rows"] == [{"uscc": uscc(i), "status": firm_row(i)["status"]} for i in (1, 2, 3)]
    assert client.get(f"{DATA}/firms", headers=mine, params={"fields": "status"}).json()["rows"][0] == {
        "status": "存续"
    }
    filtered = client.get(f"{DATA}/firms", headers=mine, params={"filter": "status:注销", "limit": 1000}).json()
    assert len(filtered["rows"]) == FIRMS // 3 and {r["status"] for r in filtered["rows"]} == {"注销"}

    with session_scope(platform.engine) as session:
        assert workflow.revoke_grants(session, PROVIDER, "firms", "合作终止", consumer=consumer) == 1
    response = client.get(f"{DATA}/firms", headers=mine, params={"cursor": page["next_cursor"]})
    assert response.status_code == 403 and uscc(4) not in response.text


def test_pages_are_complete_and_stable_in_json_and_csv(platform, client):
    consumer = department()
    platform.grant(consumer, "firms", ["uscc", "name", "staff"])
    platform.grant(consumer, "inspections", ["site"])
    mine = {"X-API-Key": platform.key(consumer)}

    def every(resource: str, fmt: str, limit: int) -> list[list]:
        pages, cursor = [], None
        while True:
            params = {"limit": limit, "format": fmt, **({"cursor": cursor} if cursor else {})}
            response = client.get(f"{DATA}/{resource}", headers=mine, params=params)
            assert response.status_code == 200, response.text
            if fmt == "json":
                pages.append([list(r.values()) for r in response.json()["rows"]])
                cursor = response.json()["next_cursor"]
            else:
                assert response.content.startswith(b"\xef\xbb\xbf")
                assert response.headers["content-type"] == "text/csv; charset=utf-8"
                rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
                assert rows[0] == (["uscc", "name", "staff"] if resource == "firms" else ["site"])
                pages.append(rows[1:])
                cursor = response.headers.get("X-Next-Cursor")
            if cursor is None:
                return pages

    pages = every("firms", "json", 37)
    rows = [r for p in pages for r in p]
    assert len(pages) == 7 and [r[0] for r in rows] == [uscc(i) for i in range(1, FIRMS + 1)]
    assert rows[6] == [uscc(7), "甲测企业0007", 7]
    assert every("firms", "json", 37) == pages  # the same pages again
    csv_rows = [r for p in every("firms", "csv", 100) for r in p]
    assert csv_rows == [[u, n, str(s)] for u, n, s in rows]
    sites = [r[0] for p in every("inspections", "json", 8) for r in p]
    assert sites == [f"丁检查点{i:02d}" for i in range(1, INSPECTIONS + 1)]
    assert client.get(f"{DATA}/licenses", headers=mine).status_code == 403  # not granted to this department
