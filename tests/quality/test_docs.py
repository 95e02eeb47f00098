"""Data Docs of the gates: what an engineer opens after a run, and what they are told when there is
nothing to show yet."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gongshu.catalog import Catalog
from gongshu.quality import gate
from gongshu.quality.docs import DocsError, build_data_docs, results_dir, save_results
from gongshu.quality.generate import build_suite
from gongshu.rules.checkdigits import uscc_check_char
from gongshu.rules.identifiers import PILOT_CODES

PILOT = min(PILOT_CODES)  # a legal code whose GB 32100 check character does not compute

GONGSHU = str(Path(sys.executable).with_name("gongshu"))
RESOURCE = {
    "id": "food_business_license",
    "name": "食品经营许可信息",
    "category": "食品药品安全",
    "format": "电子文件",
    "update_cycle": "每周",
    "share": {"type": "无条件共享", "method": "文件"},
    "open": {"type": "无条件开放"},
    "level": "L1",
    "primary_key": ["license_no"],
    "fields": [
        {"name": "license_no", "label": "许可证编号", "kind": "text", "required": True},
        {"name": "uscc", "label": "社会信用代码", "kind": "uscc", "required": True},
    ],
}


def clean_gate_result() -> gate.GateResult:
    catalog = Catalog.model_validate(
        {"department": {"id": "scjgj", "name": "台州市市场监督管理局"}, "resources": [RESOURCE]}
    )
    valid = "91331002MA0000001" + uscc_check_char("91331002MA0000001")
    table = pd.DataFrame({"license_no": ["JY1", "JY2"], "uscc": [valid, PILOT]})
    rows = pd.DataFrame({"_status": ["loaded", "loaded", "quarantined"]})
    return gate.evaluate_scoped("clean", build_suite("scjgj", catalog.resources[0]), {"table": table, "rows": rows})


def text(path: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_saved_results_become_data_docs(tmp_path):
    home = tmp_path / "home"
    result = clean_gate_result()
    save_results(home, "scjgj", "food_business_license", result)
    save_results(home, "scjgj", "food_business_license", result)  # the latest replaces the previous
    assert [p.name for p in results_dir(home).rglob("*.json")] == ["food_business_license.clean.json"]

    index = build_data_docs(home)
    assert index.name == "index.html" and index.is_relative_to(home / "quality" / "gx")
    assert "scjgj.food_business_license.clean" in index.read_text(encoding="utf-8")
    pages = sorted(set(re.findall(r"validations/[^'\"]+?\.html", index.read_text(encoding="utf-8"))))
    assert [p.rsplit("/", 1)[1] for p in pages] == ["clean-rows.html", "clean-table.html"]  # one page per frame

    table_page = text(index.parent / pages[1])
    assert "「社会信用代码」(uscc)不含校验码不符的试点代码" in table_page  # the expectation, as the suite words it
    assert PILOT in table_page  # and the value that broke it
    rows_page = text(index.parent / pages[0])
    assert "本批被隔离（未入库）的记录不得超过 5%" in rows_page


def test_an_empty_home_gets_a_clear_message(tmp_path, gongshu_home):
    with pytest.raises(DocsError, match=r"no quality gate results saved under .*quality/results"):
        build_data_docs(tmp_path / "nothing")

    out = subprocess.run(
        [GONGSHU, "quality", "docs"], env=dict(os.environ), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 1
    assert "error: no quality gate results saved under" in out.stderr and "Traceback" not in out.stderr


def test_the_command_prints_where_the_docs_are(gongshu_home):
    save_results(gongshu_home, "scjgj", "food_business_license", clean_gate_result())
    out = subprocess.run(
        [GONGSHU, "quality", "docs"], env=dict(os.environ), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    index = Path(out.stdout.strip())
    assert index.name == "index.html" and index.is_file()
    assert index.is_relative_to((gongshu_home / "quality" / "gx").resolve())
