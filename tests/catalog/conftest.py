from __future__ import annotations

from pathlib import Path

import pytest

# A small valid catalog; tests edit one line of it and assert on that line's number.
BASE = """\
department:
  id: scjgj
  name: 台州市市场监督管理局
  uscc: 11331000MB1234567X
resources:
  - id: enterprise_registry
    name: 企业登记信息
    summary: 全市企业登记注册基本信息
    category: 法人
    format: 数据库
    update_cycle: 每日
    share: {type: 有条件共享, condition: 用于市场监管执法, method: 接口}
    open: {type: 无条件开放}
    level: L1
    primary_key: [uscc]
    publish_date: 2024-01-15
    fields:
      - {name: uscc, label: 统一社会信用代码, kind: uscc, required: true}
      - {name: company_name, label: 企业名称, kind: text, required: true}
      - {name: legal_rep_id, label: 法定代表人身份证号, kind: id_card, level: L4}
      - {name: capital, label: 注册资本(万元), kind: amount, unit: 万元}
      - {name: status, label: 登记状态, kind: enum, values: [存续, 注销]}
    source:
      kind: csv
      path: data/enterprise_registry.csv
      encoding: auto
  - id: admin_license
    name: 行政许可信息
    category: 信用体系
    format: 电子表格
    update_cycle: 每周
    share: {type: 无条件共享, method: 文件}
    open: {type: 无条件开放}
    level: L1
    primary_key: [license_no]
    fields:
      - {name: license_no, label: 行政许可决定文书号, kind: text, required: true}
      - {name: decided_on, label: 许可决定日期, kind: date}
"""


def uscc_with_check(first17: str) -> str:
    from stdnum.cn import uscc

    return first17 + uscc.calc_check_digit(first17)


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogs"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "enterprise_registry.csv").write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    return folder


@pytest.fixture
def base_text() -> str:
    return BASE.replace("11331000MB1234567X", uscc_with_check("11331000MB1234567"))


@pytest.fixture
def write(catalog_dir: Path):
    def _write(text: str | bytes, name: str = "scjgj.yaml") -> Path:
        path = catalog_dir / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


def line_of(text: str, needle: str) -> int:
    """1-based line number of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)
