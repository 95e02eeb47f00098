"""The CKAN-compatible Action API driven by the real ckanapi client, against uvicorn on loopback."""

from __future__ import annotations

import ckanapi
import httpx
import pytest

from ..open import api_fixtures
from ..open.api_fixtures import INSPECTIONS, LICENSES, TOWNS, OpenPlatform

open_platform = api_fixtures.open_platform  # the module's server

OPEN = ["scjgj-inspections", "scjgj-licenses", "wjw-clinics", "wjw-records"]


@pytest.fixture
def ckan(open_platform: OpenPlatform):
    with ckanapi.RemoteCKAN(open_platform.url) as remote:
        yield remote


def test_package_list_names_the_newest_release_of_each_opened_resource(ckan):
    assert ckan.action.package_list() == OPEN  # permits: a stale release of a 不予开放 resource
    assert ckan.action.package_list(limit=2, offset=1) == OPEN[1:3]


def test_package_show_describes_a_dataset_its_files_and_its_datastore(ckan, open_platform):
    pkg = ckan.action.package_show(id="scjgj-licenses")
    assert (pkg["name"], pkg["title"], pkg["notes"], pkg["version"]) == (
        "scjgj-licenses",
        "行政许可信息",
        "全市行政许可决定公示",
        "2",
    )
    assert pkg["organization"]["name"] == "scjgj" and pkg["organization"]["title"] == "台州市市场监督管理局"
    assert [t["name"] for t in pkg["tags"]] == ["许可", "信用", "信用体系"]
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["open_type"] == "无条件开放" and extras["rows"] == str(len(LICENSES))
    assert pkg["metadata_created"] < pkg["metadata_modified"]  # v1, then v2
    by_id = {r["id"]: r for r in pkg["resources"]}
    assert set(by_id) == {"scjgj-licenses.csv", "scjgj-licenses.json", "scjgj-licenses.data-dictionary.csv"}
    csv_resource = by_id["scjgj-licenses.csv"]
    assert csv_resource["datastore_active"] and csv_resource["format"] == "CSV"
    assert (
        csv_resource["url"]
        == f"{open_platform.settings.api_base}/api/v1/open/download/scjgj/licenses/scjgj-licenses.csv?version=2"
    )
    fetched = httpx.get(csv_resource["url"].replace(open_platform.settings.api_base, open_platform.url))
    assert fetched.status_code == 200 and len(fetched.content) == csv_resource["size"]
    import hashlib

    assert hashlib.sha256(fetched.content).hexdigest() == csv_resource["hash"]
    assert ckan.action.resource_show(id="scjgj-licenses.json")["format"] == "JSON"


def test_unknown_datasets_and_resources_are_ckan_not_found(ckan):
    for name in ["scjgj-nosuch", "scjgj-permits", "rsj-jobs", "not a name", "../etc/passwd"]:
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=name)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id="scjgj-permits.csv")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="scjgj-licenses.xlsx")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_show()


def test_package_search_filters_on_organization_and_tags_pages_and_sorts(ckan):
    found = ckan.action.package_search(fq="organization:scjgj", rows=10)
    assert found["count"] == 2 and {p["name"] for p in found["results"]} == {"scjgj-licenses", "scjgj-inspections"}
    both = ckan.action.package_search(fq="organization:scjgj AND tags:许可")
    assert [p["name"] for p in both["results"]] == ["scjgj-licenses"]
    assert ckan.action.package_search(fq='+organization:wjw +tags:"医疗"')["count"] == 1
    assert ckan.action.package_search(fq="organization:rsj")["count"] == 0
    by_name = ckan.action.package_search(sort="name desc", rows=2, start=1)
    assert by_name["count"] == 4 and [p["name"] for p in by_name["results"]] == ["wjw-clinics", "scjgj-licenses"]
    newest = ckan.action.package_search(sort="metadata_modified desc", rows=1)["results"][0]
    assert newest["name"] == "scjgj-licenses"  # its v2 is the latest release
    assert [p["name"] for p in ckan.action.package_search(q="医疗机构")["results"]] == ["wjw-clinics"]
    assert ckan.action.package_search(q="tags:信用 许可")["count"] == 1
    assert ckan.action.package_search(q="*:*")["count"] == 4
    assert ckan.action.package_search(fq_list=["organization:wjw", "res_format:CSV"])["count"] == 2
    conditional = ckan.action.package_search(fq="open_type:有条件开放")["results"]
    assert {p["name"] for p in conditional} == {"scjgj-inspections", "wjw-records"}  # listed, with metadata


def test_package_search_refuses_what_it_does_not_support(ckan):
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="organization:scjgj OR organization:wjw")
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="license_id:cc-by")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(sort="popularity desc")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows=-1)


def test_organization_list_with_and_without_all_fields(ckan):
    assert ckan.action.organization_list() == ["rsj", "scjgj", "wjw"]
    orgs = {o["name"]: o for o in ckan.action.organization_list(all_fields=True)}
    assert (orgs["scjgj"]["package_count"], orgs["wjw"]["package_count"], orgs["rsj"]["package_count"]) == (2, 2, 0)
    assert orgs["wjw"]["title"] == "台州市卫生健康委员会"
    assert ckan.action.organization_show(id="wjw")["package_count"] == 2


def test_datastore_search_filters_searches_and_pages_the_masked_rows(ckan, open_platform):
    before = len(open_platform.downloads(what="datastore_search"))
    result = ckan.action.datastore_search(resource_id="scjgj-licenses.csv", filters={"town": TOWNS[1]}, limit=3)
    expected = [r for r in LICENSES if r["town"] == TOWNS[1]]
    assert result["total"] == len(expected) and len(result["records"]) == 3
    assert [f["id"] for f in result["fields"]] == ["_id", "license_no", "holder", "town"]
    assert result["fields"][1]["info"]["label"] == "许可证号"
    assert [r["license_no"] for r in result["records"]] == [r["license_no"] for r in expected[:3]]
    assert "offset=3" in result["_links"]["next"]
    following = ckan.action.datastore_search(resource_id="scjgj-licenses.csv", filters={"town": TOWNS[1]}, offset=3)
    assert [r["license_no"] for r in following["records"]] == [r["license_no"] for r in expected[3:]]
    several = ckan.action.datastore_search(resource_id="scjgj-licenses", filters={"town": TOWNS[:2]}, limit=1)
    assert several["total"] == len([r for r in LICENSES if r["town"] in TOWNS[:2]])
    assert ckan.action.datastore_search(resource_id="scjgj-licenses.csv", q="持有人007")["total"] == 1
    both_words = [r for r in LICENSES if "XK001" in r["license_no"] and r["town"] == "葭沚街道"]
    assert ckan.action.datastore_search(resource_id="scjgj-licenses.csv", q="XK001 葭沚")["total"] == len(both_words)
    newest_first = ckan.action.datastore_search(resource_id="scjgj-licenses.csv", sort="license_no desc", limit=1)
    assert newest_first["records"][0]["license_no"] == "XK0025" and newest_first["total"] == len(LICENSES)
    logged = open_platform.downloads(what="datastore_search")[before:]
    assert len(logged) == 6 and logged[0].rows == 3 and all(r.key_id is None for r in logged)
    assert {(r.department_key, r.resource_key) for r in logged} == {("scjgj", "licenses")}


def test_datastore_search_refuses_bad_parameters_as_validation_errors(ckan):
    for bad in [
        {"filters": {"nosuch": "x"}},
        {"filters": {"town": {"$gt": 1}}},
        {"sort": "town; drop table x"},
        {"fields": ["holder", "secret"]},
        {"limit": "many"},
        {"q": {"nosuch": "x"}},
    ]:
        with pytest.raises(ckanapi.ValidationError):
            ckan.action.datastore_search(resource_id="scjgj-licenses.csv", **bad)


def test_get_requests_and_ckan_error_envelopes(open_platform):
    with httpx.Client(base_url=open_platform.url) as client:
        listed = client.get("/api/3/action/package_list").json()
        assert listed["success"] is True and listed["result"] == OPEN and "help" in listed
        found = client.get(
            "/api/3/action/datastore_search",
            params={"resource_id": "wjw-clinics.csv", "filters": '{"grade": "三甲"}', "limit": "5"},
        ).json()["result"]
        assert found["total"] == 1 and found["records"][0]["clinic"] == "丁医院1"
        missing = client.get("/api/3/action/package_show", params={"id": "wjw-nosuch"})
        assert missing.status_code == 404
        assert missing.json()["success"] is False and missing.json()["error"]["__type"] == "Not Found Error"
        invalid = client.get("/api/3/action/package_search", params={"rows": "x"})
        assert invalid.status_code == 409 and invalid.json()["error"]["rows"]
        unknown = client.post("/api/3/action/package_create", json={"name": "x"})
        assert unknown.status_code == 400 and "Action name not known" in unknown.json()["error"]["message"]
        not_json = client.post(
            "/api/3/action/package_list", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400


def test_conditional_rows_are_refused_without_the_applicants_key(ckan, open_platform):
    pkg = ckan.action.package_show(id="scjgj-inspections")  # metadata is public
    assert {e["key"]: e["value"] for e in pkg["extras"]}["open_condition"] == "用于信用评价研究"
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.datastore_search(resource_id="scjgj-inspections.csv")
    department_key = open_platform.key("scjgj")  # not even the provider's own department key
    with ckanapi.RemoteCKAN(open_platform.url, apikey=department_key) as as_department:
        with pytest.raises(ckanapi.NotAuthorized):
            as_department.action.datastore_search(resource_id="scjgj-inspections.csv")
    with httpx.Client(base_url=open_platform.url) as client:
        body = client.get("/api/3/action/datastore_search", params={"resource_id": "scjgj-inspections"}).json()
    assert body["error"]["__type"] == "Authorization Error" and INSPECTIONS[0]["site"] not in str(body)
