"""HTTP sources against real loopback servers: paging, records paths, retries, timeouts, bad bodies,
tokens, servers that ignore paging, and the 气象局 samples served by ``samples/api_server.py``."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from gongshu.catalog import load_catalog
from gongshu.catalog.model import HttpSource, Paging
from gongshu.collect.base import SOURCE_ROW, Reading, SourceError
from gongshu.collect.httpapi import read_http
from gongshu.collect.httpfetch import safe_url
from gongshu.collect.values import render_value
from tests.collect.conftest import Hit, LoopbackServer, json_answer
from tests.conftest import REPO

FAST = {"backoff": 0.01}


def rows_of(reading: Reading) -> list[dict[str, Any]]:
    chunks = list(reading.chunks)
    for chunk in chunks:
        assert chunk.schema.field(SOURCE_ROW).type == pa.int64()
        assert all(f.type == pa.string() for f in chunk.schema if f.name != SOURCE_ROW)
    return [row for chunk in chunks for row in chunk.to_pylist()]


def http(url: str, **kw: Any) -> HttpSource:
    return HttpSource(kind="http", url=url, **kw)


# --------------------------------------------------------------------------------------------------
# paging and records


@pytest.mark.parametrize("with_total", [True, False])
def test_page_paging(http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path, with_total: bool):
    url = http_server.paged("/api/stations", records, with_total=with_total)
    source = http(url, records="data.records", paging=Paging(kind="page", size=10))
    reading = read_http(source, tmp_path, chunk_rows=7, **FAST)
    assert reading.columns == ["id", "name", "temp", "ok", "note", "extra"]
    chunks = list(reading.chunks)
    assert [c.num_rows for c in chunks] == [7, 7, 7, 4]
    rows = [r for c in chunks for r in c.to_pylist()]
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 26)]
    assert [r[SOURCE_ROW] for r in rows] == list(range(1, 26))
    assert rows[0] == {
        "id": "1",
        "name": "站点01",
        "temp": "20.6",
        "ok": "false",
        "note": "备注1",
        "extra": '{"级别":"蓝色","n":[1,2]}',
        SOURCE_ROW: 1,
    }
    assert rows[1]["ok"] == "true" and rows[4]["note"] is None
    hits = http_server.hits["/api/stations"]
    assert [(h.query["page"], h.query["page_size"]) for h in hits] == [("1", "10"), ("2", "10"), ("3", "10")]
    assert reading.high_water is None and reading.notes == []
    assert "page paging" in reading.description


def test_paging_stops_at_total_or_at_an_empty_page(
    http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path
):
    twenty = records[:20]
    with_total = http_server.paged("/t", twenty)
    without_total = http_server.paged("/n", twenty, with_total=False)
    for url, path, requests in ((with_total, "/t", 2), (without_total, "/n", 3)):  # 10, 10 (and an empty page)
        reading = read_http(http(url, records="data.records", paging=Paging(kind="page", size=10)), tmp_path)
        assert len(rows_of(reading)) == 20
        assert len(http_server.hits[path]) == requests


def test_offset_paging_with_own_parameter_names(
    http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path
):
    url = http_server.paged(
        "/api/offset", records, style="offset", records_path="result.items", offset_param="skip", size_param="limit"
    )
    url += "?dataset=qx01"  # the URL's own query is kept next to params and paging
    paging = Paging(kind="offset", offset_param="skip", size_param="limit", size=8)
    source = http(url, records="result.items", paging=paging, params={"area": "椒江", "v": 2})
    rows = rows_of(read_http(source, tmp_path))
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 26)]
    hits = http_server.hits["/api/offset"]
    assert [h.query["skip"] for h in hits] == ["0", "8", "16", "24"]
    assert all(
        h.query == {"dataset": "qx01", "area": "椒江", "v": "2", "skip": h.query["skip"], "limit": "8"} for h in hits
    )


def test_page_start_zero(http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path):
    url = http_server.paged("/zero", records, start=0, page_param="pageNo", size_param="pageSize")
    paging = Paging(kind="page", page_param="pageNo", size_param="pageSize", start=0, size=10)
    assert len(rows_of(read_http(http(url, records="data.records", paging=paging), tmp_path))) == 25
    assert [h.query["pageNo"] for h in http_server.hits["/zero"]] == ["0", "1", "2"]


def test_body_is_the_list_without_paging(http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path):
    url = http_server.route("/list", lambda hit, n: json_answer(records[:3]))
    reading = read_http(http(url), tmp_path, since="2024-01-01")
    assert [r["name"] for r in rows_of(reading)] == ["站点01", "站点02", "站点03"]
    assert len(http_server.hits["/list"]) == 1
    assert reading.high_water is None and any("since" in n for n in reading.notes)


def test_new_keys_on_later_pages_are_added_and_noted(http_server: LoopbackServer, tmp_path: Path):
    data = [{"a": 1, "b": "x"}, {"a": 2}, {"b": "y", "c": True, "a": 3}, {"d": None}]
    url = http_server.paged("/keys", data)
    reading = read_http(http(url, records="data.records", paging=Paging(kind="page", size=2)), tmp_path)
    assert reading.columns == ["a", "b"]
    rows = rows_of(reading)
    assert reading.columns == ["a", "b", "c", "d"]
    assert [(r["a"], r["b"], r.get("c"), r.get("d")) for r in rows] == [
        ("1", "x", None, None),
        ("2", None, None, None),
        ("3", "y", "true", None),
        (None, None, None, None),
    ]
    assert any("c (record 3)" in n and "d (record 4)" in n for n in reading.notes), reading.notes


def test_missing_records_path_names_the_keys(http_server: LoopbackServer, tmp_path: Path):
    url = http_server.route("/wrong", lambda hit, n: json_answer({"code": 0, "data": {"total": 1, "rows": [{"a": 1}]}}))
    with pytest.raises(SourceError) as caught:
        read_http(http(url, records="data.records"), tmp_path)
    err = caught.value
    assert err.code == "SOURCE_MALFORMED" and not err.transient
    assert "data.records" in err.message and "total" in err.message and "rows" in err.message
    # a service error in a 200 body: its message is shown
    url = http_server.route("/apierr", lambda hit, n: json_answer({"code": 500, "msg": "数据库连接失败", "data": None}))
    with pytest.raises(SourceError) as caught:
        read_http(http(url, records="data.records"), tmp_path)
    assert caught.value.code == "SOURCE_MALFORMED" and "数据库连接失败" in caught.value.message
    # no records path, and the body is not a list
    with pytest.raises(SourceError) as caught:
        read_http(http(url), tmp_path)
    assert caught.value.code == "SOURCE_MALFORMED" and "records" in caught.value.message


def test_records_must_be_objects(http_server: LoopbackServer, tmp_path: Path):
    url = http_server.route("/scalars", lambda hit, n: json_answer([{"a": 1}, [1, 2]]))
    with pytest.raises(SourceError) as caught:
        read_http(http(url), tmp_path)
    assert caught.value.code == "SOURCE_MALFORMED" and "record 2" in caught.value.message


# --------------------------------------------------------------------------------------------------
# retries, timeouts, errors


def test_503_twice_then_success_is_retried_and_noted(
    http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path
):
    url = http_server.flaky("/busy", lambda hit, n: json_answer(records[:4]), failures=2)
    reading = read_http(http(url), tmp_path, **FAST)
    assert len(rows_of(reading)) == 4
    assert len(http_server.hits["/busy"]) == 3
    retries = [n for n in reading.notes if n.startswith("retry")]
    assert len(retries) == 2 and all("503" in n for n in retries), reading.notes
    assert "retry 1/3" in retries[0] and "retry 2/3" in retries[1]


def test_retry_after_is_honoured_when_short_and_refused_when_long(
    http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path
):
    url = http_server.flaky("/later", lambda hit, n: json_answer(records[:1]), failures=1, retry_after="1")
    started = time.monotonic()
    reading = read_http(http(url), tmp_path, **FAST)
    assert len(rows_of(reading)) == 1
    assert time.monotonic() - started >= 0.9
    assert any("waited 1 s" in n for n in reading.notes), reading.notes

    url = http_server.flaky("/much-later", lambda hit, n: json_answer([]), failures=1, status=429, retry_after="3600")
    with pytest.raises(SourceError) as caught:
        read_http(http(url), tmp_path, **FAST)
    assert caught.value.code == "SOURCE_HTTP" and caught.value.transient and "3600" in caught.value.message
    assert len(http_server.hits["/much-later"]) == 1


def test_5xx_until_retries_run_out(http_server: LoopbackServer, tmp_path: Path):
    url = http_server.flaky("/down", lambda hit, n: json_answer([]), failures=99, status=502)
    with pytest.raises(SourceError) as caught:
        read_http(http(url), tmp_path, retries=2, **FAST)
    err = caught.value
    assert err.code == "SOURCE_HTTP" and err.transient and "502" in err.message and "3 attempts" in err.message
    assert len(http_server.hits["/down"]) == 3


def test_timeout_is_transient_after_retries(http_server: LoopbackServer, tmp_path: Path):
    url = http_server.slow("/slow", 1.0, lambda hit, n: json_answer([]))
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_http(http(url, timeout=0.2), tmp_path, retries=1, **FAST)
    elapsed = time.monotonic() - started
    err = caught.value
    assert err.code == "SOURCE_UNREACHABLE" and err.transient and "timeout" in err.message.lower()
    assert len(http_server.hits["/slow"]) == 2
    assert elapsed < 1.5


def test_connection_refused_is_unreachable(tmp_path: Path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SourceError) as caught:
        read_http(http(f"http://127.0.0.1:{port}/x"), tmp_path, retries=1, **FAST)
    assert caught.value.code == "SOURCE_UNREACHABLE" and caught.value.transient
    assert f"127.0.0.1:{port}" in (caught.value.location or "")


def test_404_is_not_retried(http_server: LoopbackServer, tmp_path: Path):
    url = http_server.route("/gone", lambda hit, n: json_answer({"code": 404, "msg": "no such resource"}, 404))
    with pytest.raises(SourceError) as caught:
        read_http(http(url, paging=Paging(kind="page", size=10)), tmp_path, **FAST)
    err = caught.value
    assert err.code == "SOURCE_HTTP" and not err.transient and "404" in err.message
    assert len(http_server.hits["/gone"]) == 1
    assert err.location is not None and err.location.endswith("/gone?page=1&page_size=10")


def test_malformed_json_names_url_page_and_position(
    http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path
):
    url = http_server.raw("/bad", b'{"data": {"records": [{"a": 1},, ]}}')
    with pytest.raises(SourceError) as caught:
        read_http(http(url, records="data.records", paging=Paging(kind="page", size=10)), tmp_path, **FAST)
    err = caught.value
    assert err.code == "SOURCE_MALFORMED" and not err.transient
    assert "line 1 column 32" in err.message and "page 1" in err.message
    assert err.location is not None and "/bad?page=1" in err.location

    def second_page_broken(hit: Hit, n: int):
        if hit.query.get("page") == "2":
            return 200, {"Content-Type": "text/html"}, b"<html>maintenance</html>"
        return json_answer({"data": {"records": records[:10]}})

    url = http_server.route("/bad2", second_page_broken)
    reading = read_http(http(url, records="data.records", paging=Paging(kind="page", size=10)), tmp_path, **FAST)
    chunks = reading.chunks
    with pytest.raises(SourceError) as caught:
        list(chunks)
    assert caught.value.code == "SOURCE_MALFORMED" and "page 2" in caught.value.message
    assert "text/html" in caught.value.message and "page=2" in (caught.value.location or "")


def test_bearer_token(http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path):
    token = "tok-Secret-123"
    url = http_server.bearer("/private", token, lambda hit, n: json_answer(records[:2]))
    source = http(url, token_env="QXJ_TOKEN")
    reading = read_http(source, tmp_path, env={"QXJ_TOKEN": token})
    assert len(rows_of(reading)) == 2
    assert http_server.hits["/private"][-1].headers["authorization"] == f"Bearer {token}"
    assert token not in reading.description and "QXJ_TOKEN" in reading.description

    with pytest.raises(SourceError) as caught:
        read_http(source, tmp_path, env={"QXJ_TOKEN": "wrong"}, **FAST)
    err = caught.value
    assert err.code == "SOURCE_HTTP" and not err.transient and "401" in err.message and "QXJ_TOKEN" in err.message
    assert len(http_server.hits["/private"]) == 2  # not retried

    with pytest.raises(SourceError) as caught:
        read_http(source, tmp_path, env={})
    assert caught.value.code == "SOURCE_CONFIG" and "QXJ_TOKEN" in caught.value.message


def test_url_env(http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path):
    url = http_server.route("/env", lambda hit, n: json_answer(records[:1]))
    source = HttpSource(kind="http", url_env="QXJ_URL")
    assert len(rows_of(read_http(source, tmp_path, env={"QXJ_URL": url}))) == 1
    with pytest.raises(SourceError) as caught:
        read_http(source, tmp_path, env={})
    assert caught.value.code == "SOURCE_CONFIG" and "QXJ_URL" in caught.value.message


def test_server_ignoring_paging_does_not_loop(
    http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path
):
    url = http_server.ignoring_paging("/same", records[:10])
    reading = read_http(http(url, records="data.records", paging=Paging(kind="page", size=10)), tmp_path)
    with pytest.raises(SourceError) as caught:
        list(reading.chunks)
    assert caught.value.code == "SOURCE_PAGING" and "page 2" in caught.value.message
    assert len(http_server.hits["/same"]) == 2

    url = http_server.endless("/endless", page_size=10)
    reading = read_http(http(url, records="data.records", paging=Paging(kind="page", size=10)), tmp_path, max_pages=5)
    with pytest.raises(SourceError) as caught:
        list(reading.chunks)
    assert caught.value.code == "SOURCE_PAGING" and "5 pages" in caught.value.message
    assert len(http_server.hits["/endless"]) == 5


def test_credentials_in_the_url_are_never_shown(
    http_server: LoopbackServer, records: list[dict[str, Any]], tmp_path: Path
):
    http_server.route("/auth", lambda hit, n: json_answer({"code": 403, "msg": "forbidden"}, 403))
    url = f"http://user:Pw-Secret@127.0.0.1:{http_server.port}/auth?appKey=K-Secret&type=1"
    assert safe_url(url) == f"http://127.0.0.1:{http_server.port}/auth?appKey=***&type=1"
    with pytest.raises(SourceError) as caught:
        read_http(http(url), tmp_path)
    err = caught.value
    assert err.code == "SOURCE_HTTP" and "403" in err.message
    assert err.location == f"http://127.0.0.1:{http_server.port}/auth?appKey=***&type=1"
    assert http_server.hits["/auth"][0].query == {"appKey": "K-Secret", "type": "1"}
    text = f"{err} {err.message} {err.location}"
    assert "Pw-Secret" not in text and "K-Secret" not in text


def test_json_values_render_as_text():
    assert render_value("文本") == "文本"
    assert render_value(7) == "7"
    assert render_value(25.3) == "25.3"
    assert render_value(1e-7) == "1e-07"
    assert render_value(True) == "true"
    assert render_value(None) is None
    assert render_value({"a": [1, "乙"]}) == '{"a":[1,"乙"]}'


# --------------------------------------------------------------------------------------------------
# the 气象局 samples through samples/api_server.py


def test_qxj_samples_through_the_catalog(sample_api_port: int):
    loaded = load_catalog(REPO / "catalogs" / "qxj.yaml")
    assert loaded.ok, loaded.errors
    manifest = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]
    for resource in loaded.catalog.resources:
        assert isinstance(resource.source, HttpSource)
        entry = manifest[f"qxj/{resource.id}"]
        url = f"http://127.0.0.1:{sample_api_port}{entry['url_path']}"
        source = resource.source.model_copy(update={"url": url})
        reading = read_http(source, REPO / "catalogs", chunk_rows=250)
        rows = rows_of(reading)
        assert len(rows) == entry["rows"]
        served = json.loads((REPO / "samples" / entry["source"]).read_text(encoding="utf-8"))
        assert reading.columns == list(served[0])
        first = reading.columns[0]
        assert [r[first] for r in rows] == [render_value(r.get(first)) for r in served]
        assert [r[SOURCE_ROW] for r in rows] == list(range(1, len(rows) + 1))
        assert reading.notes == []
