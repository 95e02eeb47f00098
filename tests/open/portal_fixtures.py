"""Releases made by hand for the portal and DCAT tests: registered departments and resources, and
``open_release`` rows whose folders (laid out as ``gongshu.open.layout`` says) hold small files.

Built directly rather than through the open stage, so that these tests pin what the portal does
with a release, whatever the release writer does to produce one.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gongshu.catalog.model import Resource
from gongshu.open import layout
from gongshu.open.masking import effective_mask
from gongshu.store import models as m

BEIJING = dt.timezone(dt.timedelta(hours=8))
GENERATED_AT = dt.datetime(2024, 5, 6, 9, 30, tzinfo=BEIJING)

DEPARTMENTS = {
    "scjgj": "台州市市场监督管理局",
    "wjw": "台州市卫生健康委员会",
    "qxj": "台州市气象局",
}

ENTERPRISES = Resource.model_validate(
    {
        "id": "enterprise_registry",
        "name": "企业登记信息",
        "summary": "全市企业登记注册基本信息",
        "category": "法人",
        "format": "数据库",
        "update_cycle": "每日",
        "share": {"type": "无条件共享"},
        "open": {"type": "无条件开放"},
        "level": "L1",
        "tags": ["企业", "登记"],
        "fields": [
            {"name": "uscc", "label": "统一社会信用代码", "kind": "uscc"},
            {"name": "company_name", "label": "企业名称", "kind": "text"},
            {"name": "legal_rep", "label": "法定代表人", "kind": "person_name", "mask": "name"},
            {"name": "legal_rep_id", "label": "法定代表人身份证号", "kind": "id_card", "level": "L4"},
            {"name": "capital", "label": "注册资本", "kind": "amount", "unit": "万元"},
            {"name": "founded", "label": "成立日期", "kind": "date"},
        ],
    }
)
INSPECTIONS = Resource.model_validate(
    {
        "id": "random_inspection",
        "name": "双随机抽查结果",
        "summary": "市场监管领域双随机、一公开抽查结果",
        "category": "信用体系",
        "format": "电子表格",
        "update_cycle": "每月",
        "share": {"type": "无条件共享"},
        "open": {"type": "无条件开放"},
        "level": "L1",
        "fields": [
            {"name": "company_name", "label": "企业名称", "kind": "text"},
            {"name": "result", "label": "抽查结果", "kind": "text"},
        ],
    }
)
WITHDRAWN = Resource.model_validate(
    {
        "id": "deregistered_notice",
        "name": "注销企业公告",
        "category": "法人",
        "format": "电子表格",
        "update_cycle": "不定期",
        "share": {"type": "无条件共享"},
        "open": {"type": "不予开放"},
        "level": "L1",
        "fields": [{"name": "company_name", "label": "企业名称", "kind": "text"}],
    }
)
CLINICS = Resource.model_validate(
    {
        "id": "medical_institutions",
        "name": "医疗机构执业登记信息",
        "summary": "全市医疗机构执业登记及联系方式",
        "category": "健康保障",
        "format": "数据库",
        "update_cycle": "每月",
        "share": {"type": "有条件共享", "condition": "用于卫生监督"},
        "open": {"type": "有条件开放", "condition": "用于医疗服务类应用开发"},
        "level": "L2",
        "fields": [
            {"name": "institution", "label": "机构名称", "kind": "text"},
            {"name": "address", "label": "机构地址", "kind": "address"},
            {"name": "phone", "label": "联系电话", "kind": "phone"},
        ],
    }
)
WEATHER = Resource.model_validate(
    {
        "id": "daily_weather",
        "name": "逐日气象观测数据",
        "summary": "全市国家气象站逐日气温与降水观测",
        "category": "自然资源和空间地理",
        "format": "电子表格",
        "update_cycle": "每日",
        "share": {"type": "无条件共享"},
        "open": {"type": "无条件开放"},
        "level": "L1",
        "fields": [
            {"name": "station", "label": "观测站", "kind": "text"},
            {"name": "obs_date", "label": "观测日期", "kind": "date"},
            {"name": "temp_max", "label": "最高气温", "kind": "decimal"},
            {"name": "rain", "label": "降水量", "kind": "decimal"},
        ],
    }
)

ENTERPRISE_ROWS = [
    {
        "uscc": f"91331000MA2A{i:05d}X",
        "company_name": f"台州市第{i}号机械有限公司",
        "legal_rep": "王**",
        "capital": str(100 + i),
        "founded": f"2020-01-{i:02d}",
    }
    for i in range(1, 13)
]
CLINIC_ROWS = [
    {"institution": "台州市中心医院", "address": "浙江省台州市椒江区****", "phone": "0576****89"},
    {"institution": "椒江区人民医院", "address": "浙江省台州市椒江区****", "phone": "138****5678"},
]
WEATHER_ROWS = [
    {"station": "椒江", "obs_date": "2024-05-01", "temp_max": "26.5", "rain": "0.0"},
    {"station": "临海", "obs_date": "2024-05-01", "temp_max": "27.1", "rain": "3.2"},
]
INSPECTION_ROWS = [{"company_name": "台州市第1号机械有限公司", "result": "未发现问题"}]


@dataclass
class Scenario:
    engine: Engine
    home: Path
    releases: dict[str, m.OpenRelease]
    """``dept.resource`` -> its latest release row."""


def _csv(rows: list[dict[str, Any]], fields: list[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_release(
    session: Session,
    home: Path,
    dept: str,
    resource: Resource,
    version: int,
    rows: list[dict[str, Any]],
    *,
    released_at: dt.datetime,
    open_type: str | None = None,
    dropped: list[dict[str, str]] | None = None,
) -> m.OpenRelease:
    """A release folder with the CSV, JSON, data dictionary and SHA256SUMS, and its row."""
    open_type = open_type or resource.open.type
    folder = layout.release_dir(home, dept, resource.id, version, open_type)
    folder.mkdir(parents=True, exist_ok=True)
    fields = list(rows[0])
    contents = {
        layout.data_file(dept, resource.id, "csv"): _csv(rows, fields),
        layout.data_file(dept, resource.id, "json"): json.dumps(rows, ensure_ascii=False).encode("utf-8"),
        layout.DICTIONARY: _csv([{"name": f.name, "label": f.label} for f in resource.fields], ["name", "label"]),
    }
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(contents.items()))
    contents[layout.CHECKSUMS] = sums.encode()
    files = {}
    for name, data in contents.items():
        (folder / name).write_bytes(data)
        fmt = name.rsplit(".", 1)[-1].upper() if "." in name else "TXT"
        files[name] = {"format": fmt, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    masks = {f: effective_mask(resource.field(f)) for f in fields}
    row = m.OpenRelease(
        department_key=dept,
        resource_key=resource.id,
        version=version,
        open_type=open_type,
        rows=len(rows),
        fields=fields,
        dropped=dropped or [],
        masks=masks,
        files=files,
        folder=folder.relative_to(home).as_posix(),
        content_hash=hashlib.sha256(repr(rows).encode()).hexdigest(),
        released_at=released_at,
    )
    session.add(row)
    return row


def register(session: Session, dept: m.Department, resource: Resource, seq: int) -> m.Resource:
    from gongshu.catalog.vocab import CATEGORIES

    row = m.Resource(
        department=dept,
        key=resource.id,
        seq=seq,
        code=f"{CATEGORIES[resource.category]}/{dept.id:02d}{seq:03d}",
        name=resource.name,
        category=resource.category,
        format=resource.format,
        update_cycle=resource.update_cycle,
        share_type=resource.share.type,
        open_type=resource.open.type,
        level=resource.level,
        spec=resource.model_dump(mode="json", exclude_none=True),
    )
    session.add(row)
    session.flush()
    return row


def build_scenario(engine: Engine, home: Path) -> Scenario:
    """Three departments: two public datasets of 市场监管 (one in its second version), a 有条件开放
    one of 卫健委, a public one of 气象局, and an old release of a resource now 不予开放."""
    day = dt.datetime(2024, 5, 1, 2, 0, tzinfo=dt.UTC)
    releases: dict[str, m.OpenRelease] = {}
    with Session(engine) as session:
        depts = {}
        for key, name in DEPARTMENTS.items():
            depts[key] = m.Department(key=key, name=name)
            session.add(depts[key])
        session.flush()
        for seq, res in enumerate((ENTERPRISES, INSPECTIONS, WITHDRAWN), start=1):
            register(session, depts["scjgj"], res, seq)
        register(session, depts["wjw"], CLINICS, 1)
        register(session, depts["qxj"], WEATHER, 1)

        l4 = [{"field": "legal_rep_id", "reason": "level L4 (敏感数据): never opened (DB33/T 2351)"}]
        write_release(session, home, "scjgj", ENTERPRISES, 1, ENTERPRISE_ROWS[:3], released_at=day, dropped=l4)
        releases["scjgj.enterprise_registry"] = write_release(
            session, home, "scjgj", ENTERPRISES, 2, ENTERPRISE_ROWS, released_at=day + dt.timedelta(days=2), dropped=l4
        )
        releases["scjgj.random_inspection"] = write_release(
            session, home, "scjgj", INSPECTIONS, 1, INSPECTION_ROWS, released_at=day
        )
        # released while the catalog still opened it; the catalog has since withdrawn it
        write_release(
            session, home, "scjgj", WITHDRAWN, 1, [{"company_name": "某公司"}], released_at=day, open_type="无条件开放"
        )
        releases["wjw.medical_institutions"] = write_release(
            session, home, "wjw", CLINICS, 1, CLINIC_ROWS, released_at=day
        )
        releases["qxj.daily_weather"] = write_release(session, home, "qxj", WEATHER, 1, WEATHER_ROWS, released_at=day)
        session.commit()
        for r in releases.values():
            session.refresh(r)
            session.expunge(r)
    return Scenario(engine=engine, home=home, releases=releases)
