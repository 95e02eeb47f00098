"""Benchmark: the sharing API serving pages of a 200k-row resource under concurrent load on loopback.

Setup (timed apart, not compared): a fresh SQLite platform database under a temporary folder; a
catalog of two departments (the provider's registry-shaped resource, 13 fields, shared 无条件共享,
and a consumer department); a generated CSV of --rows valid rows; compile_catalog, write_suites,
collect_resource and cleanse_resource put it in the DWD; the consumer gets a department key
(create_key) and, by workflow.apply, a grant of every field.

Each measurement runs in its own process, bounded in time (--seconds of load after a 1 s warm-up):

  constant           a minimal FastAPI app on the same route that answers a constant body: the bytes
                     of a real gongshu page (same size), pre-encoded. The floor of the HTTP stack.
  constant (model)   the same page returned as a response model of DataPageOut's shape, validated and
                     serialised by FastAPI on each call (information: what that costs).
  gongshu            uvicorn serving gongshu.api.app:create_app (factory) on the platform database,
                     its rate limit set out of reach (the limiter still runs on every call).
  in-process         the API's page query through SQLAlchemy Core in one process, no HTTP, one call
                     at a time, walking the pages by the key: the floor of the data access.
  breakdown          one call at a time through the whole application in one process (httpx's ASGI
                     transport, no socket), the functions the data endpoint calls wrapped with timers.

Before the load, a gongshu server answers two pages by hand (the probe); its first page is the
constant apps' body. Every server is uvicorn with one worker, access log off, in its own process on
a free loopback port. The load generator is another process: raw asyncio HTTP/1.1 keep-alive
connections (16, then 64), each walking the pages by next_cursor (restarting at the end) and
recording each request's latency (written to the last byte read). On this 2-core machine the
generator competes with the server for CPU: the CPU time per request of each, and what other
processes used meanwhile, are printed; the constant apps meet the same generator, so the ratios are
fair. After each gongshu measurement the server is stopped with SIGTERM (graceful shutdown, so the
call log's writer drains) and the api_call_log rows it wrote are counted against the requests sent.

    .venv/bin/python bench/share_api.py [--seconds 10] [--rows 200000] [--keep DIR] [--no-gongshu]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROVIDER, CONSUMER, RESOURCE = "scjgj", "swj", "bench_registry"
ROUTE = "/api/v1/data/{provider}/{resource}"
PAGE = 100
CONCURRENCY = (16, 64)
WARMUP = 1.0
GONGSHU_APP = "gongshu.api.app:create_app"
REQUEST_TIMEOUT = 90.0  # seconds a request may take before the generator gives up on it (counted as an error)
RATE_OFF = 10**9  # GONGSHU_API_RATE and _BURST for the servers: the limiter runs on every call, never refuses
TARGETS = {"throughput": 0.5, "p99_ms": 100.0}

CATALOG = """\
department: {{id: {provider}, name: 台州市市场监督管理局}}
resources:
  - id: {resource}
    name: 企业登记信息（基准测试）
    summary: 基准测试用的企业登记信息，全部为合规记录。
    category: 法人
    format: 数据库
    update_cycle: 每日
    share: {{type: 无条件共享, method: 接口}}
    open: {{type: 不予开放}}
    level: L2
    primary_key: [uscc]
    quality: {{min_rows: 1, max_invalid_ratio: 0.01}}
    fields:
      - {{name: uscc, label: 统一社会信用代码, kind: uscc, required: true}}
      - {{name: company_name, label: 企业名称, kind: text, required: true}}
      - name: enterprise_type
        label: 企业类型
        kind: enum
        values:
          - 有限责任公司（自然人投资或控股）
          - 有限责任公司（自然人独资）
          - 股份有限公司（非上市、自然人投资或控股）
          - 个人独资企业
          - 有限合伙企业
      - {{name: legal_rep, label: 法定代表人, kind: person_name}}
      - {{name: phone, label: 联系电话, kind: phone}}
      - {{name: email, label: 电子邮箱, kind: email}}
      - {{name: capital, label: 注册资本, kind: amount, unit: 万元}}
      - {{name: founded, label: 成立日期, kind: date, required: true}}
      - {{name: status, label: 登记状态, kind: enum, required: true, values: [存续, 在业, 注销, 吊销, 迁出]}}
      - {{name: authority, label: 登记机关, kind: text}}
      - {{name: address, label: 住所, kind: address}}
      - {{name: scope, label: 经营范围, kind: text}}
      - {{name: region, label: 所属行政区划, kind: region_code, required: true}}
    source: {{kind: csv, path: {resource}.csv, encoding: utf-8}}
"""
CONSUMER_CATALOG = """\
department: {{id: {consumer}, name: 台州市商务局}}
resources:
  - id: foreign_trade
    name: 外贸企业名录
    category: 法人
    format: 数据库
    update_cycle: 每月
    share: {{type: 有条件共享, condition: 用于招商服务, method: 接口}}
    open: {{type: 不予开放}}
    level: L2
    primary_key: [uscc]
    fields:
      - {{name: uscc, label: 统一社会信用代码, kind: uscc, required: true}}
      - {{name: company_name, label: 企业名称, kind: text, required: true}}
    source: {{kind: csv, path: foreign_trade.csv, encoding: utf-8}}
"""
TYPES = ("有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "股份有限公司（非上市、自然人投资或控股）")
TYPES += ("个人独资企业", "有限合伙企业")
REGIONS = ("331002", "331003", "331004", "331022", "331023", "331024", "331081", "331082", "331083")
AREAS = ("椒江区", "黄岩区", "路桥区", "三门县", "天台县", "仙居县", "温岭市", "临海市", "玉环市")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚"
TRADES = ("科技", "贸易", "机械", "电子", "塑料", "食品", "服装", "建材", "物流", "医药")
SCOPES = (
    "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；",
    "机械设备销售；五金产品批发；塑料制品制造；",
    "食品经营（销售预包装食品）；日用百货销售；",
    "货物进出口；技术进出口；国内贸易代理；",
    "普通货物仓储服务（不含危险化学品等需许可审批的项目）；",
)


# ---- the children -------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _uscc(n: int) -> str:
    from gongshu.rules.checkdigits import uscc_check_char

    first = f"91331002M{n:08d}"
    return first + uscc_check_char(first)


def _write_csv(path: Path, rows: int) -> None:
    import random

    rnd = random.Random(20240601)
    labels = "统一社会信用代码,企业名称,企业类型,法定代表人,联系电话,电子邮箱,注册资本,"
    labels += "成立日期,登记状态,登记机关,住所,经营范围,所属行政区划"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(labels + "\n")
        for n in range(1, rows + 1):
            area = rnd.randrange(len(REGIONS))
            name = rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.choice((1, 2))))
            company = f"台州市{AREAS[area]}{name}{rnd.choice(TRADES)}有限公司{n}"
            scope = "".join(rnd.sample(SCOPES, 2))
            out.write(
                f"{_uscc(n)},{company},{rnd.choice(TYPES)},{name},1{rnd.randint(3, 9)}{rnd.randrange(10**9):09d},"
                f"u{n}@example.com,{rnd.randrange(10, 100000)}.{rnd.randrange(100):02d},"
                f"{rnd.randint(1995, 2023)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d},"
                f"{rnd.choice(('存续', '存续', '在业', '注销'))},台州市{AREAS[area]}市场监督管理局,"
                f"浙江省台州市{AREAS[area]}{rnd.randint(1, 999)}号{rnd.randint(1, 30)}幢,{scope},{REGIONS[area]}\n"
            )


def child_setup(folder: str, rows: str) -> dict:
    """The platform database with the resource in its DWD, the consumer's key and its grant."""
    import sqlalchemy as sa

    from gongshu.catalog import validate_files
    from gongshu.catalog.stage import compile_catalog
    from gongshu.cleanse.stage import cleanse_resource
    from gongshu.collect.stage import collect_resource
    from gongshu.quality.suites import write_suites
    from gongshu.share import workflow
    from gongshu.share.keys import create_key, verify
    from gongshu.store.db import dispose_engines, get_engine, session_scope
    from gongshu.store.dwd import dwd_table_name

    base = Path(folder)
    catalogs, expectations = base / "catalogs", base / "expectations"
    catalogs.mkdir(parents=True, exist_ok=True)
    phases: dict[str, float] = {}
    t = time.perf_counter()
    (catalogs / f"{PROVIDER}.yaml").write_text(CATALOG.format(provider=PROVIDER, resource=RESOURCE), "utf-8")
    (catalogs / f"{CONSUMER}.yaml").write_text(CONSUMER_CATALOG.format(consumer=CONSUMER), "utf-8")
    (catalogs / "foreign_trade.csv").write_text("统一社会信用代码,企业名称\n", "utf-8")
    _write_csv(catalogs / f"{RESOURCE}.csv", int(rows))
    phases["write the CSV"] = time.perf_counter() - t

    t = time.perf_counter()
    engine = get_engine(os.environ["GONGSHU_DB_URL"])
    phases["create the database (migrations)"] = time.perf_counter() - t
    t = time.perf_counter()
    loaded = {item.department_id: item for item in validate_files(sorted(catalogs.glob("*.yaml")))}
    for item in loaded.values():
        if item.errors:
            raise SystemExit(f"the bench catalog {item.path.name} does not validate: {[str(i) for i in item.errors]}")
        result = compile_catalog(item, engine, "bench-setup")
        if result.compiled is None:
            raise SystemExit(f"compile_catalog failed: {[o.error for o in result.outcomes]}")
        write_suites(item.catalog, expectations)
    resource = loaded[PROVIDER].catalog.resource(RESOURCE)
    phases["compile the catalogs + write the suites"] = time.perf_counter() - t

    t = time.perf_counter()
    out = collect_resource(engine, PROVIDER, resource, "bench-setup", catalog_dir=catalogs)
    if out.status != "completed":
        raise SystemExit(f"collect failed: {out.error or out.reason}")
    phases["collect_resource (ODS)"] = time.perf_counter() - t
    t = time.perf_counter()
    out = cleanse_resource(engine, PROVIDER, resource, "bench-setup", expectations_dir=expectations)
    if out.status != "completed":
        raise SystemExit(f"cleanse failed: {out.error or out.reason}")
    phases["cleanse_resource (DWD)"] = time.perf_counter() - t

    t = time.perf_counter()
    fields = [f.name for f in resource.fields]
    with session_scope(engine) as session:
        key = create_key(session, department=CONSUMER, label="bench/share_api.py")
    with session_scope(engine) as session:
        principal = verify(session, key)
        request = workflow.apply(session, principal, PROVIDER, resource, fields, "基准测试：分页读取全部记录")
        status = request.status
    if status != workflow.APPROVED:
        raise SystemExit(f"the 无条件共享 request was not approved at once: {status}")
    phases["key + request + grant"] = time.perf_counter() - t
    table = dwd_table_name(PROVIDER, RESOURCE)
    with engine.connect() as conn:
        dwd_rows = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
    dispose_engines()
    return {
        "phases": phases,
        "key": key,
        "fields": fields,
        "primary_key": list(resource.primary_key),
        "table": table,
        "dwd_rows": dwd_rows,
        "loaded": out.rows_out,
    }


def _bench_resource(folder: str):
    from gongshu.catalog import load_catalog

    return load_catalog(Path(folder) / "catalogs" / f"{PROVIDER}.yaml").catalog.resource(RESOURCE)


def child_inprocess(folder: str, seconds: str) -> dict:
    """The page query the API makes, through SQLAlchemy Core in this process, one call at a time,
    walking the pages by the last key: gongshu's DWD table definition (typed columns), every field
    and the key, ORDER BY the key, WHERE key > the last one, LIMIT page + 1."""
    import sqlalchemy as sa

    from gongshu.store.dwd import dwd_table

    resource = _bench_resource(folder)
    engine = sa.create_engine(os.environ["GONGSHU_DB_URL"])
    table = dwd_table(PROVIDER, resource)
    fields = [f.name for f in resource.fields]
    [pk] = resource.primary_key
    key = table.c[pk]
    base = sa.select(*(table.c[f] for f in fields)).order_by(key)
    first = base.limit(PAGE + 1)
    after = base.where(key > sa.bindparam("last", type_=key.type)).limit(PAGE + 1)
    query_lat: list[float] = []
    encode_lat: list[float] = []
    nbytes = 0

    def page(conn: sa.Connection, last: str | None) -> list[sa.Row]:
        return conn.execute(first if last is None else after, {} if last is None else {"last": last}).all()

    with engine.connect() as conn:
        last = None
        for _ in range(50):  # warm-up: statement cache, page cache
            rows = page(conn, last)
            last = getattr(rows[PAGE - 1], pk) if len(rows) > PAGE else None
        last = None
        deadline = time.perf_counter() + float(seconds)
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            rows = page(conn, last)[:PAGE]
            t1 = time.perf_counter()
            body = json.dumps(
                {"fields": fields, "rows": [r._asdict() for r in rows], "next_cursor": None},
                ensure_ascii=False,
                default=str,
            ).encode()
            t2 = time.perf_counter()
            query_lat.append(t1 - t0)
            encode_lat.append(t2 - t1)
            nbytes += len(body)
            last = getattr(rows[-1], pk) if len(rows) == PAGE else None
        elapsed = time.perf_counter() - started
    engine.dispose()
    query_lat.sort()
    encode_lat.sort()
    return {
        "calls": len(query_lat),
        "elapsed": elapsed,
        "query_seconds": sum(query_lat),
        "p50": _percentile(query_lat, 0.50),
        "p99": _percentile(query_lat, 0.99),
        "encode_p50": _percentile(encode_lat, 0.50),
        "bytes": nbytes / max(1, len(query_lat)),
    }


def child_breakdown(key: str, seconds: str) -> dict:
    """One call at a time through the whole application in this process (httpx's ASGI transport: no
    socket, no uvicorn), with a timer around the functions the data endpoint calls (module
    attributes looked up at call time, wrapped here). Whatever is not wrapped is FastAPI's own work
    (parameters, dependencies, the thread hops of a sync endpoint, the response model, the middleware)
    and the httpx client's."""
    import asyncio
    import functools
    import importlib
    from collections.abc import Callable

    import httpx
    from fastapi import FastAPI, routing

    from gongshu.api.app import create_app

    app = create_app()
    phases = {
        "lookup.look_up (key, catalog entry, grants)": ("gongshu.api.routers.data", "look_up"),
        "  of which parsing a catalog entry (cache misses)": ("gongshu.share.lookup", "parsed_entry"),
        "data.read_page (query + JSON-ready rows)": ("gongshu.api.routers.data", "read_page"),
        "  of which CursorSeal.seal + open": None,
        "data.to_json (orjson)": ("gongshu.api.routers.data", "to_json"),
        "FastAPI serialize_response (response model)": None,
    }
    spent = dict.fromkeys(phases, 0.0)

    def timed(label: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t

        return wrapper

    for label, where in phases.items():
        if where:
            module = importlib.import_module(where[0])
            setattr(module, where[1], timed(label, getattr(module, where[1])))
    seal = "  of which CursorSeal.seal + open"
    from gongshu.share.cursor import CursorSeal

    CursorSeal.seal = timed(seal, CursorSeal.seal)
    CursorSeal.open = timed(seal, CursorSeal.open)
    serialize = routing.serialize_response
    label_ser = "FastAPI serialize_response (response model)"

    async def timed_serialize(*args, **kwargs):
        t = time.perf_counter()
        try:
            return await serialize(*args, **kwargs)
        finally:
            spent[label_ser] += time.perf_counter() - t

    routing.serialize_response = timed_serialize
    path = ROUTE.format(provider=PROVIDER, resource=RESOURCE)
    first: dict = {}

    async def walk(target: FastAPI, seconds: float, reset: Callable[[], None]) -> list[float]:
        """Pages one after the other, by next_cursor, for ``seconds`` after 30 calls of warm-up."""
        lat: list[float] = []
        transport = httpx.ASGITransport(app=target)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            cursor = None

            async def call() -> None:
                nonlocal cursor
                params = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
                response = await client.get(path, params=params, headers={"X-API-Key": key})
                if response.status_code != 200:
                    raise SystemExit(f"in-process call answered {response.status_code}: {response.text[:500]}")
                page = response.json()
                first.setdefault("page", page)
                cursor = page["next_cursor"]

            for _ in range(30):
                await call()
            reset()
            cursor = None
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                await call()
                lat.append(time.perf_counter() - t0)
        return lat

    def reset() -> None:
        for name in spent:
            spent[name] = 0.0

    app.state.call_log.start()
    lat = asyncio.run(walk(app, float(seconds), reset))
    app.state.call_log.close()
    cache = app.state.engine._compiled_cache
    calls = len(lat)
    per_call = {name: value / max(1, calls) for name, value in spent.items()}  # before the skeleton runs

    # The same endpoint's skeleton (in the constant apps' module): what FastAPI, the thread hops and
    # the httpx client cost per call without gongshu's own work.
    import bench_constant_app

    base = asyncio.run(walk(bench_constant_app.skeleton, min(float(seconds), 5.0), lambda: None))
    lat.sort()
    base.sort()
    return {
        "calls": calls,
        "p50": _percentile(lat, 0.5),
        "mean": sum(lat) / max(1, calls),
        "phases": per_call,
        "skeleton_mean": sum(base) / max(1, len(base)),
        "skeleton_p50": _percentile(base, 0.5),
        "compiled_cache": [len(cache), cache.capacity] if cache is not None else None,
    }


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores, not idle nor waiting on I/O), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def child_load(port: str, path: str, key: str, conns: str, seconds: str, server_pid: str, cursor_param: str) -> dict:
    """N keep-alive connections, each walking the pages (following the cursor) until the deadline."""
    import asyncio
    import resource as rusage
    from urllib.parse import quote

    n, duration = int(conns), float(seconds)
    sent = done = errors = non_2xx = 0
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    nbytes = 0
    phase = {"measuring": False}
    find = json.JSONDecoder().raw_decode

    def next_cursor(body: bytes) -> str | None:
        at = body.rfind(b'"next_cursor"')
        if at < 0:
            return None
        text = body[at + len('"next_cursor"') :].decode().lstrip()[1:].lstrip()  # after the colon
        value, _ = find(text)
        return None if value is None else str(value)

    async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")  # no trailers expected
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await reader.read()
        return status, body, headers.get("connection", "").lower() == "close"

    async def worker(deadline: float) -> None:
        nonlocal sent, done, errors, non_2xx, nbytes
        reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
        cursor = None
        while time.perf_counter() < deadline:
            target = path + (f"&{cursor_param}={quote(cursor, safe='')}" if cursor else "")
            request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {key}\r\n\r\n".encode()
            t0 = time.perf_counter()
            writer.write(request)
            sent += 1
            try:
                status, body, close = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
                cursor = None
                continue
            elapsed = time.perf_counter() - t0
            statuses[status] = statuses.get(status, 0) + 1
            if phase["measuring"]:
                latencies.append(elapsed)
                nbytes += len(body)
                done += 1
            if not 200 <= status < 300:
                non_2xx += 1
                cursor = None
            else:
                cursor = next_cursor(body)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
        writer.close()

    async def main() -> dict:
        start = time.perf_counter()
        warm_deadline = start + WARMUP
        # the warm-up and the measurement run on the same connections: each worker keeps going
        tasks = [asyncio.create_task(worker(warm_deadline + duration)) for _ in range(n)]
        await asyncio.sleep(max(0.0, warm_deadline - time.perf_counter()))
        phase["measuring"] = True
        cpu0, srv0, t0 = rusage.getrusage(rusage.RUSAGE_SELF), _proc_cpu(int(server_pid)), time.perf_counter()
        busy0 = _machine_busy()
        await asyncio.gather(*tasks)
        t1, srv1, cpu1 = time.perf_counter(), _proc_cpu(int(server_pid)), rusage.getrusage(rusage.RUSAGE_SELF)
        busy1 = _machine_busy()
        client = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        return {
            "elapsed": t1 - t0,
            "client_cpu": client,
            "server_cpu": srv1 - srv0,
            "other_cpu": max(0.0, (busy1 - busy0) - (srv1 - srv0) - client),
        }

    timing = asyncio.run(main())
    latencies.sort()
    return {
        "sent": sent,
        "done": done,
        "errors": errors,
        "non_2xx": non_2xx,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50": _percentile(latencies, 0.50),
        "p99": _percentile(latencies, 0.99),
        "max": latencies[-1] if latencies else float("nan"),
        "bytes": nbytes / max(1, done),
        **timing,
    }


CONSTANT_APP = '''\
"""The constant baselines: the sharing API's route, a constant page (a real page's bytes)."""
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Response, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

BODY = Path(os.environ["BENCH_CONSTANT_BODY"]).read_bytes()
PAGE = json.loads(BODY)
app = FastAPI()


@app.get("/api/v1/data/{provider}/{resource}")
async def page(provider: str, resource: str, limit: int = 100, cursor: str | None = None) -> Response:
    return Response(BODY, media_type="application/json")


class PageOut(BaseModel):  # the shape of gongshu's DataPageOut
    fields: list[str]
    rows: list[dict[str, Any]]
    next_cursor: str | None


model_app = FastAPI()


@model_app.get("/api/v1/data/{provider}/{resource}")
async def page_model(provider: str, resource: str, limit: int = 100, cursor: str | None = None) -> PageOut:
    return PageOut.model_construct(**PAGE)


# The skeleton of gongshu's data endpoint, for the in-process breakdown: a sync endpoint with a sync
# generator dependency (the session) and a sync key dependency, the same response model, a constant page.
skeleton = FastAPI()


def session_dep() -> Iterator[None]:
    yield None


def principal_dep(
    _: Annotated[None, Depends(session_dep, scope="function")],
    api_key: Annotated[str | None, Security(APIKeyHeader(name="X-API-Key", auto_error=False))] = None,
) -> str:
    return api_key or ""


@skeleton.get("/api/v1/data/{provider}/{resource}")
def skeleton_page(
    provider: str,
    resource: str,
    _: Annotated[None, Depends(session_dep, scope="function")],
    __: Annotated[str, Depends(principal_dep)],
    limit: int = 100,
    cursor: str | None = None,
) -> PageOut:
    return PageOut(**PAGE)
'''

CHILDREN = {"setup": child_setup, "inprocess": child_inprocess, "breakdown": child_breakdown, "load": child_load}


# ---- the parent ---------------------------------------------------------------------------------


def run(name: str, *args: str, env: dict | None = None, timeout: float = 1800) -> dict:
    """Run one child in its own process; it prints its figures as JSON on its last line."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", name, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark step {name} failed:\n{out.stderr[-5000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn with one worker in its own process; stopped with SIGTERM (graceful shutdown)."""

    def __init__(self, app: list[str], env: dict, log: Path) -> None:
        self.port = free_port()
        self.log = log
        command = [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", "1", "--no-access-log", "--log-level", "warning"]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        started = time.perf_counter()
        while True:  # ready when the port accepts (uvicorn binds after the app's startup)
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited at start:\n{log.read_text(errors='replace')[-5000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.perf_counter() - started > 120:
                    self.proc.kill()
                    raise SystemExit("the server did not start within 120 s") from None
                time.sleep(0.05)
        self.startup = time.perf_counter() - started

    def stop(self) -> tuple[float, int | None]:
        """SIGTERM and wait for the process to end; returns (seconds it took, exit code or None when killed)."""
        started = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        return time.perf_counter() - started, code


def call_log_top(db: Path) -> int:
    """The highest id in api_call_log (the rows of a measurement are those above it)."""
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT coalesce(max(id), 0) FROM api_call_log").fetchone()[0]
    finally:
        con.close()


def call_log_since(db: Path, after_id: int) -> dict[int, int]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT status, count(*) FROM api_call_log WHERE id > ? GROUP BY status", (after_id,))
        return {status: n for status, n in rows}
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds of load per measurement (after 1 s warm-up)")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--keep", type=Path, help="make (or reuse) the platform database in this folder")
    ap.add_argument("--no-gongshu", action="store_true", help="only the baselines (when the API is not there)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="share_api_") as tmp:
        folder = (args.keep or Path(tmp)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        home = folder / "home"
        db = home / "gongshu.db"
        env = {
            **os.environ,
            "GONGSHU_HOME": str(home),
            "GONGSHU_DB_URL": f"sqlite:///{db}",
            "GONGSHU_CATALOGS": str(folder / "catalogs"),
            "GONGSHU_EXPECTATIONS": str(folder / "expectations"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(folder)]),
        }
        setup_file = folder / "setup.json"
        setup = json.loads(setup_file.read_text("utf-8")) if setup_file.exists() and db.exists() else None
        if setup is None or setup.get("rows") != args.rows:
            for stale in (folder / "catalogs", folder / "expectations"):
                shutil.rmtree(stale, ignore_errors=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            started = time.perf_counter()
            setup = run("setup", str(folder), str(args.rows), env=env)
            setup["rows"] = args.rows
            setup["seconds"] = time.perf_counter() - started
            setup_file.write_text(json.dumps(setup, ensure_ascii=False), "utf-8")
            print(f"setup (timed apart): {setup['seconds']:.1f} s in all, {db.stat().st_size / 1e6:.0f} MB database")
            for label, seconds in setup["phases"].items():
                print(f"  {label:<42} {seconds:6.1f} s")
        else:
            print(f"setup: reusing the platform database in {folder}")
        print(f"  DWD {setup['table']}: {setup['dwd_rows']:,} rows, {len(setup['fields'])} fields, all granted")
        if setup["dwd_rows"] != args.rows:
            print(f"  NOTE: the DWD holds {setup['dwd_rows']:,} rows, not {args.rows:,}")

        env["GONGSHU_API_RATE"], env["GONGSHU_API_BURST"] = str(RATE_OFF), str(RATE_OFF)
        path = ROUTE.format(provider=PROVIDER, resource=RESOURCE) + f"?limit={PAGE}"
        loadavg = os.getloadavg()
        inproc = run("inprocess", str(folder), str(args.seconds), env=env)
        results: dict[tuple[str, int], dict] = {}
        extra: dict = {"inproc": inproc, "loadavg": loadavg}
        body = folder / "constant_body.json"
        if not args.no_gongshu:
            server = Server(["--factory", GONGSHU_APP], env, folder / "server_gongshu_probe.log")
            try:
                page, extra["probe"] = probe(server.port, setup["key"], path)
            finally:
                server.stop()
            extra["probe"]["startup"] = server.startup
            if page is not None:
                body.write_bytes(page)  # the constant apps answer with the bytes of a real page
        if not body.exists():
            body.write_bytes(make_constant_body(folder, setup))
        (folder / "bench_constant_app.py").write_text(CONSTANT_APP, "utf-8")
        env["BENCH_CONSTANT_BODY"] = str(body)
        if not args.no_gongshu and extra["probe"].get("ok"):
            extra["breakdown"] = run("breakdown", setup["key"], str(args.seconds), env=env)

        apps = {"constant": ["bench_constant_app:app"], "constant (model)": ["bench_constant_app:model_app"]}
        if not args.no_gongshu and extra["probe"].get("ok"):
            apps["gongshu"] = ["--factory", GONGSHU_APP]
        for conns in CONCURRENCY:
            for label, app in apps.items():
                log_top = call_log_top(db) if label == "gongshu" else 0
                server = Server(app, env, folder / f"server_{label.split()[0]}_{conns}.log")
                try:
                    fig = run(
                        "load",
                        str(server.port),
                        path,
                        setup["key"],
                        str(conns),
                        str(args.seconds),
                        str(server.proc.pid),
                        "cursor",
                        env=env,
                        timeout=WARMUP + args.seconds + REQUEST_TIMEOUT + 120,
                    )
                finally:
                    stopped = server.stop()
                fig["stop_seconds"], fig["exit_code"] = stopped
                fig["startup"] = server.startup
                if label == "gongshu":
                    fig["log"] = call_log_since(db, log_top)
                    fig["server_errors"] = server_errors(server.log)
                results[(label, conns)] = fig
    report(args, setup, results, extra)


def server_errors(log: Path) -> dict[str, int]:
    """The exceptions in a server's log (the last line of each traceback), with how often each came."""
    found: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout)\w*: ", line):
            found[line[:300]] = found.get(line[:300], 0) + 1
    return found


def probe(port: int, key: str, path: str) -> tuple[bytes | None, dict]:
    """Two pages by hand before the load: the API must answer 200 with a full page, a next_cursor, and
    a second page after the first. Returns the first page's bytes and what was seen."""
    import httpx

    seen: dict = {"ok": False}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=60) as client:
        first = client.get(path)
        seen["first"] = f"{first.status_code}, {len(first.content):,} bytes"
        if first.status_code != 200:
            seen["problem"] = f"the first page answered {first.status_code}: {first.text[:500]}"
            return None, seen
        page = first.json()
        rows, cursor = page.get("rows") or [], page.get("next_cursor")
        seen["keys"] = sorted(page)
        seen["fields"] = page.get("fields")
        if len(rows) != PAGE or not cursor:
            seen["problem"] = f"the first page has {len(rows)} rows and next_cursor {cursor!r}"
            return None, seen
        second = client.get(path, params={"cursor": cursor})
        seen["second"] = f"{second.status_code}, {len(second.content):,} bytes"
        if second.status_code != 200:
            seen["problem"] = f"the second page answered {second.status_code}: {second.text[:500]}"
            return None, seen
        more = second.json().get("rows") or []
        if len(more) != PAGE or more[0].get("uscc", "") <= rows[-1].get("uscc", ""):
            seen["problem"] = "the second page does not continue after the first"
            return None, seen
    seen["ok"] = True
    return first.content, seen


def make_constant_body(folder: Path, setup: dict) -> bytes:
    """Without gongshu's API (--no-gongshu): a page of the first rows in the API's shape, as the body."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{folder / 'home' / 'gongshu.db'}")
    with engine.connect() as conn:
        cols = ", ".join(f'"{f}"' for f in setup["fields"])
        pk = setup["primary_key"][0]
        rows = conn.execute(sa.text(f'SELECT {cols} FROM "{setup["table"]}" ORDER BY "{pk}" LIMIT {PAGE}')).all()
    engine.dispose()
    page = {"fields": setup["fields"], "rows": [r._asdict() for r in rows], "next_cursor": "x" * 80}
    return json.dumps(page, ensure_ascii=False, default=str).encode()


def report(args: argparse.Namespace, setup: dict, results: dict, extra: dict) -> None:
    import importlib.util

    import uvicorn

    inproc, probed, parts = extra["inproc"], extra.get("probe"), extra.get("breakdown")
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio (uvloop not installed)"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11 (httptools not installed)"
    print(
        f"\nsharing API: GET {ROUTE.format(provider=PROVIDER, resource=RESOURCE)}?limit={PAGE}&cursor=..., "
        f"pages of {PAGE} rows x {len(setup['fields'])} fields of {setup['dwd_rows']:,}, walked by next_cursor; "
        f"{args.seconds:g} s per measurement after a {WARMUP:g} s warm-up"
    )
    print(
        f"  servers: uvicorn {uvicorn.__version__}, 1 worker, loop {loop}, http {http}, access log off, each in its "
        f"own process;\n  {os.cpu_count()} CPU cores shared by the server and the load generator (raw asyncio "
        "HTTP/1.1 keep-alive connections, one process): each one's CPU time per request is printed"
    )
    print("  load average before the measurements: " + ", ".join(f"{v:.2f}" for v in extra["loadavg"]))
    print(
        f"  gongshu: rate limit set out of reach (GONGSHU_API_RATE = _BURST = {RATE_OFF:.0e}; the limiter still runs "
        "on each call), one key, SQLite platform database (WAL)"
    )
    if probed:
        print(
            f"  gongshu server start {probed['startup']:.1f} s; probe: first page {probed.get('first')}, "
            f"second page {probed.get('second', '-')}, body keys {probed.get('keys', '-')}"
        )
        if not probed.get("ok"):
            print(f"  gongshu NOT MEASURED: {probed.get('problem')}")
    print(
        f"\n  {'app':<16} {'conns':>5} {'requests/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'x const':>7} "
        f"{'KB/resp':>7} {'srv core':>8} {'srv ms/req':>10} {'gen ms/req':>10} {'others':>6} {'not 2xx':>7}"
    )
    for conns in CONCURRENCY:
        const = results.get(("constant", conns))
        for (label, c), fig in results.items():
            if c != conns:
                continue
            rps = fig["done"] / fig["elapsed"]
            ratio = f"{rps / (const['done'] / const['elapsed']):.2f}" if const else "-"
            print(
                f"  {label:<16} {conns:>5} {rps:10,.0f} {fig['p50'] * 1e3:7.1f} {fig['p99'] * 1e3:7.1f} "
                f"{fig['max'] * 1e3:7.1f} {ratio:>7} {fig['bytes'] / 1024:7.1f} "
                f"{fig['server_cpu'] / fig['elapsed']:8.0%} "
                f"{fig['server_cpu'] / max(1, fig['done']) * 1e3:10.2f} "
                f"{fig['client_cpu'] / max(1, fig['done']) * 1e3:10.2f} {fig['other_cpu'] / fig['elapsed']:6.0%} "
                f"{fig['non_2xx'] + fig['errors']:>7}"
            )
    in_rps = inproc["calls"] / inproc["query_seconds"]
    print(
        f"  {'in-process':<16} {1:>5} {in_rps:10,.0f} {inproc['p50'] * 1e3:7.2f} {inproc['p99'] * 1e3:7.2f} "
        f"{'':>7} {'':>7} {inproc['bytes'] / 1024:7.1f}"
    )
    print(
        "  x const = requests/s over the constant app's at the same concurrency; srv core = the server's CPU time "
        "over the\n  measurement (100 % = one core); ms/req = CPU milliseconds per request answered; others = CPU "
        "used meanwhile by\n  other processes of the machine (100 % = one core).\n"
        "  constant = the bytes of a real gongshu page, pre-encoded; constant (model) = the same page returned as a "
        "response\n  model of DataPageOut's shape (FastAPI validates and serialises it on each call).\n"
        "  in-process = the API's page query (typed DWD table, every field, keyset on the primary key, LIMIT 101) "
        "through\n  SQLAlchemy Core, one call at a time, no HTTP: calls per second of query time; json.dumps of each "
        f"page took another\n  {inproc['encode_p50'] * 1e3:.2f} ms (p50), not in its figures"
    )
    gongshu = {c: fig for (label, c), fig in results.items() if label == "gongshu"}
    for conns, fig in gongshu.items():
        print(
            f"  gongshu at {conns}: {fig['done'] / fig['elapsed'] / in_rps:.2f}x the in-process query's calls/s; "
            f"p50 {fig['p50'] / inproc['p50']:.0f}x its p50"
        )
    for (label, conns), fig in results.items():
        if fig["errors"] or fig["non_2xx"]:
            print(f"  {label} at {conns}: statuses {fig['statuses']}, {fig['errors']} connection errors/timeouts")
        for line, count in (fig.get("server_errors") or {}).items():
            print(f"  {label} at {conns}, server log, {count} lines: {line}")

    if parts:
        mean = parts["mean"]
        print(
            f"\nwhere a call's time goes, one call at a time in one process through httpx's ASGI transport (no socket, "
            f"no uvicorn):\n  {parts['calls']:,} calls, {mean * 1e3:.2f} ms mean, {parts['p50'] * 1e3:.2f} ms p50 "
            "(each phase timed by wrapping the function the endpoint calls)"
        )
        counted = 0.0
        for label, seconds in parts["phases"].items():
            if not label.startswith(" "):
                counted += seconds
            print(f"  {label:<52} {seconds * 1e3:7.2f} ms  {seconds / mean:6.1%}")
        rest = mean - counted
        print(f"  {'the rest (FastAPI, thread hops, middleware, httpx)':<52} {rest * 1e3:7.2f} ms  {rest / mean:6.1%}")
        print(
            f"  the endpoint's skeleton through the same transport (sync endpoint, a generator and a key dependency, "
            f"the same\n  response model, a constant page): {parts['skeleton_mean'] * 1e3:.2f} ms mean, "
            f"{parts['skeleton_p50'] * 1e3:.2f} ms p50 per call"
        )
        if parts.get("compiled_cache"):
            size, capacity = parts["compiled_cache"]
            print(
                f"  SQLAlchemy's compiled-statement cache after {parts['calls'] + 30:,} calls: {size} entries "
                f"(capacity {capacity})"
            )

    if gongshu:
        print("\ncall log: api_call_log rows written by each gongshu server against the requests sent to it")
        for conns, fig in gongshu.items():
            logged = sum(fig["log"].values())
            same = "equal" if logged == fig["sent"] else "NOT EQUAL"
            print(
                f"  {conns:>3} connections: sent {fig['sent']:,} (warm-up included), logged {logged:,}: {same}; "
                f"by status sent {fig['statuses']}, logged {fig['log']};\n      SIGTERM to exit "
                f"{fig['stop_seconds']:.1f} s (exit code {fig['exit_code']}"
                + (": uvicorn re-raises the signal after its graceful shutdown)" if fig["exit_code"] == -15 else ")")
            )

    print("\ntargets (as measured in this run; nothing is tuned to meet them)")

    def verdict(text: str, figure: str, met: bool) -> None:
        print(f"  {text:<58} {figure:>12}  {'met' if met else 'MISSED'}")

    if not gongshu:
        print("  not measured: gongshu's API was not measured (see above)")
        return
    for conns, fig in gongshu.items():
        const = results[("constant", conns)]
        r = (fig["done"] / fig["elapsed"]) / (const["done"] / const["elapsed"])
        verdict(f"{conns} conns: at least half the constant app's throughput", f"{r:.2f}x", r >= TARGETS["throughput"])
    top = max(gongshu)
    p99 = gongshu[top]["p99"] * 1e3
    verdict(f"{top} conns: p99 under {TARGETS['p99_ms']:g} ms", f"{p99:.1f} ms", p99 < TARGETS["p99_ms"])
    for conns, fig in gongshu.items():
        logged = sum(fig["log"].values())
        same = logged == fig["sent"]
        verdict(f"{conns} conns: call-log records equal requests sent", f"{logged:,}/{fig['sent']:,}", same)
    for conns, fig in gongshu.items():
        bad = fig["non_2xx"] + fig["errors"]
        verdict(f"{conns} conns: every request answered 2xx", f"{bad} not", bad == 0)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:]), ensure_ascii=False, default=str))
    else:
        main()
