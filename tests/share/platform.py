"""A real platform for the sharing tests: a provider department (scjgj) whose catalog is compiled,
collected and cleansed into DWD tables by the stage functions, and the sharing API served by
uvicorn on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from stdnum.cn import uscc as stdnum_uscc

from gongshu.catalog import load_catalog
from gongshu.catalog.stage import compile_catalog
from gongshu.cleanse.stage import cleanse_resource
from gongshu.collect.stage import collect_resource
from gongshu.quality.suites import write_suites
from gongshu.share import keys, workflow
from gongshu.share.keys import Principal
from gongshu.share.resources import find
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

PROVIDER = "scjgj"
CATALOG = """\
department: {id: scjgj, name: 台州市市场监督管理局}
resources:
  - id: firms
    name: 企业登记信息
    category: 法人
    format: 数据库
    update_cycle: 每日
    share: {type: 有条件共享, condition: 用于市场监管执法, method: 接口}
    open: {type: 不予开放}
    level: L2
    primary_key: [uscc]
    fields:
      - {name: uscc, label: 统一社会信用代码, kind: uscc, required: true}
      - {name: name, label: 企业名称, kind: text, required: true}
      - {name: capital, label: 注册资本, kind: amount, unit: 万元}
      - {name: founded, label: 成立日期, kind: date}
      - {name: status, label: 登记状态, kind: enum, values: [存续, 注销]}
      - {name: staff, label: 从业人数, kind: integer}
    source: {kind: csv, path: firms.csv, encoding: utf-8}
  - id: licenses
    name: 行政许可信息
    category: 信用体系
    format: 数据库
    update_cycle: 每日
    share: {type: 无条件共享, method: 接口}
    open: {type: 无条件开放}
    level: L1
    primary_key: [license_no]
    fields:
      - {name: license_no, label: 许可证号, kind: text, required: true}
      - {name: holder, label: 持证主体, kind: text}
      - {name: issued, label: 发证日期, kind: date}
    source: {kind: csv, path: licenses.csv, encoding: utf-8}
  - id: permits
    name: 特种经营许可
    category: 部门
    format: 数据库
    update_cycle: 每月
    share: {type: 不予共享, condition: 涉及国家秘密}
    open: {type: 不予开放}
    level: L3
    primary_key: [permit_no]
    fields:
      - {name: permit_no, label: 许可编号, kind: text, required: true}
      - {name: holder, label: 持有人, kind: text}
    source: {kind: csv, path: permits.csv, encoding: utf-8}
  - id: inspections
    name: 检查记录
    category: 部门
    format: 数据库
    update_cycle: 每日
    share: {type: 无条件共享, method: 接口}
    open: {type: 不予开放}
    level: L1
    fields:
      - {name: site, label: 检查点, kind: text, required: true}
      - {name: result, label: 检查结果, kind: text}
    source: {kind: csv, path: inspections.csv, encoding: utf-8}
  - id: drafts
    name: 待归集目录项
    category: 部门
    format: 数据库
    update_cycle: 不定期
    share: {type: 无条件共享}
    open: {type: 不予开放}
    level: L1
    primary_key: [draft_no]
    fields:
      - {name: draft_no, label: 编号, kind: text, required: true}
"""
FIRMS, LICENSES, PERMITS, INSPECTIONS = 250, 40, 10, 30
# values that a response must never contain when it should return no data of that resource
FIRM_NAME, LICENSE_HOLDER, PERMIT_HOLDER = "甲测企业", "乙许可持有人", "丙保密持证人"


def uscc(n: int) -> str:
    first = f"91331002MA2{n:06d}"
    return first + stdnum_uscc.calc_check_digit(first)


def firm_row(i: int) -> dict:
    return {
        "uscc": uscc(i),
        "name": f"{FIRM_NAME}{i:04d}",
        "capital": f"{i * 10}.5",
        "founded": (dt.date(2020, 1, 1) + dt.timedelta(days=i)).isoformat(),
        "status": "存续" if i % 3 else "注销",
        "staff": i,
    }


def write_sources(folder: Path) -> None:
    (folder / "scjgj.yaml").write_text(CATALOG, encoding="utf-8")
    firms = ["统一社会信用代码,企业名称,注册资本,成立日期,登记状态,从业人数"]
    firms += [",".join(str(v) for v in firm_row(i).values()) for i in range(1, FIRMS + 1)]
    licenses = ["许可证号,持证主体,发证日期"]
    licenses += [f"XK{i:04d},{LICENSE_HOLDER}{i:03d},2024-03-{i % 28 + 1:02d}" for i in range(1, LICENSES + 1)]
    permits = ["许可编号,持有人"] + [f"TZ{i:03d},{PERMIT_HOLDER}{i:02d}" for i in range(1, PERMITS + 1)]
    inspections = ["检查点,检查结果"] + [f"丁检查点{i:02d},合格" for i in range(1, INSPECTIONS + 1)]
    for name, lines in {
        "firms": firms,
        "licenses": licenses,
        "permits": permits,
        "inspections": inspections,
    }.items():
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_platform(folder: Path) -> Engine:
    """Compile, collect and cleanse the provider's catalog into a SQLite platform database."""
    write_sources(folder)
    engine = get_engine(f"sqlite:///{folder / 'gongshu.db'}")
    loaded = load_catalog(folder / "scjgj.yaml")
    assert loaded.catalog is not None, [str(i) for i in loaded.issues]
    compiled = compile_catalog(loaded, engine, "r1")
    assert compiled.compiled is not None, [o.error for o in compiled.outcomes]
    write_suites(loaded.catalog, folder / "expectations")
    for resource in loaded.catalog.resources:
        if resource.source is None:  # registered, never collected: no DWD table
            continue
        collected = collect_resource(engine, PROVIDER, resource, "r1", catalog_dir=folder)
        assert collected.status == "completed", collected.error
        cleansed = cleanse_resource(engine, PROVIDER, resource, "r1", expectations_dir=folder / "expectations")
        assert cleansed.status == "completed", cleansed.error
    return engine


class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1 at a free port, in a thread; stopped (lifespan
    shutdown included) on exit."""

    def __init__(self, app: FastAPI):
        self.app = app
        # IPPROTO_TCP named: asyncio turns Nagle off only on sockets that say so (else 40 ms a call)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert self._thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()


@dataclass
class Platform:
    engine: Engine
    server: LiveServer

    @property
    def url(self) -> str:
        return self.server.url

    def key(self, department: str | None = None, *, admin: bool = False, expires_at: dt.datetime | None = None) -> str:
        with session_scope(self.engine) as session:
            return keys.create_key(
                session,
                department=None if admin else department,
                role=keys.ADMIN if admin else keys.DEPARTMENT,
                expires_at=expires_at,
            )

    def grant(self, consumer: str, resource: str, fields: list[str]) -> int:
        """A request of ``consumer`` for the provider's resource, approved (by the provider where
        the resource is 有条件共享); its id."""
        principal = Principal(key_id="test", role=keys.DEPARTMENT, department=consumer)
        provider = Principal(key_id="provider", role=keys.DEPARTMENT, department=PROVIDER)
        with session_scope(self.engine) as session:
            shared = find(session, PROVIDER, resource)
            assert shared is not None
            made = workflow.apply(session, principal, PROVIDER, shared.resource, fields, "测试用途 testing")
            if made.status == workflow.PENDING:
                workflow.decide(session, provider, made.id, True)
            return made.id

    def flush(self) -> None:
        assert self.server.app.state.call_log.flush(timeout=20), "the call log did not drain"

    def calls(self, **where: object) -> list[m.ApiCallLog]:
        """The call-log rows matching ``where`` (column=value), after the writer drained."""
        self.flush()
        with session_scope(self.engine) as session:
            query = sa.select(m.ApiCallLog).order_by(m.ApiCallLog.id)
            for column, value in where.items():
                query = query.where(getattr(m.ApiCallLog, column) == value)
            found = list(session.scalars(query))
            session.expunge_all()
        return found

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def department() -> str:
    """A consumer department of its own for one test: no grant of another test applies to it."""
    return f"c{secrets.token_hex(4)}"
