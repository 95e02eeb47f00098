"""A small department for the release tests: resources of every open type and level, collected and
cleansed from CSV files the tests rewrite, and the checks every release must pass (no L4 value and
no unmasked ID number in any file under ``portal/``)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
from stdnum.cn import uscc as stdnum_uscc

from gongshu.catalog import load_catalog
from gongshu.catalog.model import Resource
from gongshu.cleanse.stage import cleanse_resource
from gongshu.collect.stage import collect_resource
from gongshu.open import pii
from gongshu.quality.suites import write_suites

DEPT = "scjgj"
_FIRMS_FIELDS = """\
    fields:
      - {name: uscc, label: 统一社会信用代码, kind: uscc, required: true}
      - {name: name, label: 企业名称, kind: text, required: true}
      - {name: legal_rep, label: 法定代表人, kind: person_name}
      - {name: legal_rep_id, label: 法定代表人身份证号码, kind: id_card, level: L4, mask: id_card}
      - {name: phone, label: 联系电话, kind: phone}
      - {name: capital, label: 注册资本, kind: amount, unit: 万元}
      - {name: founded, label: 成立日期, kind: date}
      - {name: remark, label: 备注, kind: text, description: 登记机关填写的说明}
"""
_RESOURCE = """\
  - id: {id}
    name: {name}
    category: 法人
    format: 数据库
    update_cycle: 每日
    share: {{type: 无条件共享}}
    open: {{type: {open}}}
    level: {level}
    primary_key: [uscc]
{fields}    source: {{kind: csv, path: firms.csv, encoding: utf-8}}
"""
RESOURCES = {
    # id: (name, open type, level)
    "firms": ("企业登记信息", "无条件开放", "L1"),
    "licences": ("企业许可信息", "有条件开放", "L2"),
    "internal": ("内部核查信息", "不予开放", "L1"),
    "sensitive": ("敏感登记信息", "无条件开放", "L4"),
    "declared_open": ("低敏感登记信息", "无条件开放", "L2"),
}
HEADER = [
    "统一社会信用代码",
    "企业名称",
    "法定代表人",
    "法定代表人身份证号码",
    "联系电话",
    "注册资本",
    "成立日期",
    "备注",
]


def catalog_text() -> str:
    body = "".join(
        _RESOURCE.format(id=rid, name=name, open=open_type, level=level, fields=_FIRMS_FIELDS)
        for rid, (name, open_type, level) in RESOURCES.items()
    )
    return f"department: {{id: {DEPT}, name: 台州市市场监督管理局}}\nresources:\n{body}"


def uscc(n: int) -> str:
    first = f"91331002MA2{n:06d}"
    return first + stdnum_uscc.calc_check_digit(first)


def id_number(n: int) -> str:
    first = f"33100219{70 + n % 30:02d}0{1 + n % 9}1{n % 10}{n % 1000:03d}"
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first))
    return first + "10X98765432"[total % 11]


def firm_rows(count: int, remark: str = "正常经营") -> list[list[str]]:
    return [
        [
            uscc(i),
            f"台州市第{i}贸易有限公司",
            f"王{'小明大'[i % 3]}",
            id_number(i),
            f"1381234{i:04d}",
            f"{100 + i}",
            f"2015-03-{1 + i % 28:02d}",
            remark,
        ]
        for i in range(1, count + 1)
    ]


def write_source(folder: Path, rows: list[list[str]]) -> None:
    with (folder / "firms.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)


def load_resources(folder: Path) -> dict[str, Resource]:
    path = folder / f"{DEPT}.yaml"
    path.write_text(catalog_text(), encoding="utf-8")
    loaded = load_catalog(path)
    assert loaded.catalog is not None, [str(i) for i in loaded.issues]
    write_suites(loaded.catalog, folder / "expectations")
    return {r.id: r for r in loaded.catalog.resources}


def collect_and_cleanse(engine, resource: Resource, folder: Path, run_id: str) -> None:
    collected = collect_resource(engine, DEPT, resource, run_id, catalog_dir=folder)
    assert collected.status == "completed", collected.error
    cleansed = cleanse_resource(engine, DEPT, resource, run_id, expectations_dir=folder / "expectations")
    assert cleansed.status == "completed", cleansed.error


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def text_of(path: Path) -> str:
    """A file's text, an XLSX's cells included (its XML is zipped)."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        cells = load_workbook(path, read_only=True).active.iter_rows(values_only=True)
        return "\n".join("\t".join("" if v is None else str(v) for v in row) for row in cells)
    return path.read_bytes().decode("utf-8", errors="replace")


def assert_nothing_personal(root: Path, l4_values: set[str]) -> int:
    """No L4 value and no valid unmasked ID number in any file under ``root``; returns the files read."""
    found = files_under(root)
    for path in found:
        text = text_of(path)
        leaked = sorted(v for v in l4_values if v in text)
        assert not leaked, f"{path} holds L4 values {leaked[:3]}"
        hits = [f for f in pii.scan_frame(pd.DataFrame({"text": text.splitlines() or [""]})) if f.kind == "id_card"]
        assert not hits, f"{path} holds unmasked ID numbers: {hits}"
    return len(found)


def sha256sums_verify(folder: Path) -> None:
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{folder / name} changed"
    assert set(listed) == {p.name for p in folder.iterdir()} - {"SHA256SUMS"}
