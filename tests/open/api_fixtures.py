"""An open-data platform for the API tests, built without the release writer: catalogs compiled by the
catalog stage, then releases as ``layout`` lays them out (folders with small files, ``open_release``
rows, the ``opn_`` tables of masked rows) written directly, and the API served by uvicorn on
loopback.

  scjgj.licenses     无条件开放, releases v1 and v2 (v2 newest), 25 rows
  scjgj.inspections  有条件开放, v1, 6 rows (restricted folder)
  scjgj.permits      不予开放 in the catalog, yet a stale v1 release row: must never be served
  wjw.clinics        无条件开放, v1, 3 rows
  wjw.records        有条件开放, v1, 4 rows
  rsj                a department with nothing opened
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from gongshu.api.app import create_app
from gongshu.catalog import load_catalog
from gongshu.catalog.stage import compile_catalog
from gongshu.open.layout import (
    CHECKSUMS,
    CONDITIONAL,
    DICTIONARY,
    METADATA,
    ROW,
    UNCONDITIONAL,
    data_file,
    open_table_name,
    release_dir,
)
from gongshu.settings import Settings
from gongshu.share import keys
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

from ..share.platform import LiveServer

CATALOGS = {
    "scjgj": """\
department: {id: scjgj, name: 台州市市场监督管理局}
resources:
  - id: licenses
    name: 行政许可信息
    summary: 全市行政许可决定公示
    category: 信用体系
    format: 数据库
    update_cycle: 每日
    share: {type: 无条件共享, method: 接口}
    open: {type: 无条件开放}
    level: L1
    tags: [许可, 信用]
    fields:
      - {name: license_no, label: 许可证号, kind: text, required: true}
      - {name: holder, label: 持证主体, kind: text}
      - {name: town, label: 所在乡镇, kind: text}
  - id: inspections
    name: 双随机抽查结果
    category: 信用体系
    format: 数据库
    update_cycle: 每月
    share: {type: 无条件共享, method: 接口}
    open: {type: 有条件开放, condition: 用于信用评价研究}
    level: L2
    fields:
      - {name: site, label: 检查对象, kind: text, required: true}
      - {name: result, label: 检查结果, kind: text}
  - id: permits
    name: 特种经营许可
    category: 部门
    format: 数据库
    update_cycle: 每月
    share: {type: 不予共享}
    open: {type: 不予开放}
    level: L3
    fields:
      - {name: permit_no, label: 许可编号, kind: text, required: true}
""",
    "wjw": """\
department: {id: wjw, name: 台州市卫生健康委员会}
resources:
  - id: clinics
    name: 医疗机构名录
    category: 健康保障
    format: 数据库
    update_cycle: 每月
    share: {type: 无条件共享, method: 接口}
    open: {type: 无条件开放}
    level: L1
    tags: [医疗]
    fields:
      - {name: clinic, label: 机构名称, kind: text, required: true}
      - {name: grade, label: 等级, kind: text}
  - id: records
    name: 诊疗统计
    category: 健康保障
    format: 数据库
    update_cycle: 每月
    share: {type: 无条件共享, method: 接口}
    open: {type: 有条件开放}
    level: L2
    fields:
      - {name: month, label: 月份, kind: text, required: true}
      - {name: visits, label: 诊疗人次, kind: text}
""",
    "rsj": """\
department: {id: rsj, name: 台州市人力资源和社会保障局}
resources:
  - id: jobs
    name: 招聘岗位
    category: 社会保障
    format: 数据库
    update_cycle: 每日
    share: {type: 无条件共享, method: 接口}
    open: {type: 不予开放}
    level: L1
    fields:
      - {name: title, label: 岗位, kind: text, required: true}
""",
}
TOWNS = ["海门街道", "葭沚街道", "白云街道"]
LICENSES = [{"license_no": f"XK{i:04d}", "holder": f"乙许可持有人{i:03d}", "town": TOWNS[i % 3]} for i in range(1, 26)]
OLD_LICENSES = LICENSES[:10]
INSPECTIONS = [{"site": f"丙检查对象{i}", "result": "合格" if i % 2 else "责令整改"} for i in range(1, 7)]
PERMITS = [{"permit_no": "TZ-SECRET-001"}]
CLINICS = [{"clinic": f"丁医院{i}", "grade": g} for i, g in enumerate(["三甲", "二甲", "一级"], 1)]
RECORDS = [{"month": f"2024-0{i}", "visits": str(1000 * i)} for i in range(1, 5)]
RELEASES = [  # department, resource, version, open type (as released), rows
    ("scjgj", "licenses", 1, UNCONDITIONAL, OLD_LICENSES),
    ("scjgj", "licenses", 2, UNCONDITIONAL, LICENSES),
    ("scjgj", "inspections", 1, CONDITIONAL, INSPECTIONS),
    ("scjgj", "permits", 1, UNCONDITIONAL, PERMITS),
    ("wjw", "clinics", 1, UNCONDITIONAL, CLINICS),
    ("wjw", "records", 1, CONDITIONAL, RECORDS),
]
RELEASED_AT = dt.datetime(2024, 6, 1, 8, 0, tzinfo=dt.UTC)
UNLISTED = "notes.txt"  # a file lying in a release folder that the release does not list


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_release(
    engine: Engine, home: Path, dept: str, res: str, version: int, open_type: str, rows: list[dict[str, str]]
) -> m.OpenRelease:
    """A release as the open stage lays it out: folder, files, ``open_release`` row, ``opn_`` table."""
    folder = release_dir(home, dept, res, version, open_type)
    folder.mkdir(parents=True, exist_ok=True)
    fields = list(rows[0])
    contents = {
        data_file(dept, res, "csv"): _csv(rows),
        data_file(dept, res, "json"): json.dumps(rows, ensure_ascii=False).encode("utf-8"),
        DICTIONARY: _csv([{"name": f, "label": f} for f in fields]),
        METADATA: json.dumps({"department": dept, "resource": res, "version": version}).encode("utf-8"),
    }
    contents[CHECKSUMS] = "".join(f"{hashlib.sha256(b).hexdigest()}  {n}\n" for n, b in contents.items()).encode()
    files = {}
    for name, body in contents.items():
        (folder / name).write_bytes(body)
        suffix = name.rsplit(".", 1)[-1] if "." in name else "txt"
        files[name] = {"format": suffix, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    (folder / UNLISTED).write_text("not part of the release\n", encoding="utf-8")
    table = sa.Table(
        open_table_name(dept, res),
        sa.MetaData(),
        sa.Column(ROW, sa.Integer, primary_key=True),
        *(sa.Column(f, sa.Text) for f in fields),
    )
    with engine.begin() as conn:
        table.drop(conn, checkfirst=True)  # the newest release's rows replace the last ones
        table.create(conn)
        conn.execute(table.insert(), [{ROW: i, **row} for i, row in enumerate(rows, 1)])
    with session_scope(engine) as session:
        release = m.OpenRelease(
            department_key=dept,
            resource_key=res,
            version=version,
            open_type=open_type,
            rows=len(rows),
            fields=fields,
            files=files,
            folder=str(folder.relative_to(home)),
            content_hash=hashlib.sha256(contents[data_file(dept, res, "csv")]).hexdigest(),
            released_at=RELEASED_AT + dt.timedelta(days=version, hours=len(dept)),
        )
        session.add(release)
    return release


def build_open_platform(folder: Path) -> tuple[Engine, Settings]:
    home = folder / "home"
    settings = Settings(home=home, api_rate=1e6, api_burst=1_000_000, api_anonymous_rate=0)
    engine = get_engine(f"sqlite:///{home / 'gongshu.db'}")
    for dept, text in CATALOGS.items():
        path = folder / f"{dept}.yaml"
        path.write_text(text, encoding="utf-8")
        loaded = load_catalog(path)
        assert loaded.catalog is not None, [str(i) for i in loaded.issues]
        compiled = compile_catalog(loaded, engine, "r1")
        assert compiled.compiled is not None, [o.error for o in compiled.outcomes]
    for dept, res, version, open_type, rows in RELEASES:
        write_release(engine, home, dept, res, version, open_type, rows)
    return engine, settings


@dataclass
class OpenPlatform:
    engine: Engine
    settings: Settings
    server: LiveServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def home(self) -> Path:
        return self.settings.home

    def key(self, department: str | None = None, *, admin: bool = False) -> str:
        with session_scope(self.engine) as session:
            return keys.create_key(session, department=department, role=keys.ADMIN if admin else keys.DEPARTMENT)

    def downloads(self, **where: object) -> list[m.DownloadLog]:
        with session_scope(self.engine) as session:
            query = sa.select(m.DownloadLog).order_by(m.DownloadLog.id)
            for column, value in where.items():
                query = query.where(getattr(m.DownloadLog, column) == value)
            found = list(session.scalars(query))
            session.expunge_all()
        return found

    def flush(self) -> None:
        assert self.server.app.state.call_log.flush(timeout=20), "the call log did not drain"


@pytest.fixture(scope="module")
def open_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenPlatform]:
    engine, settings = build_open_platform(tmp_path_factory.mktemp("open-platform"))
    with LiveServer(create_app(engine, settings)) as server:
        yield OpenPlatform(engine=engine, settings=settings, server=server)
