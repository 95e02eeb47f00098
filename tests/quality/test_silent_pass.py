"""The silent pass: Great Expectations loads a suite whose custom expectation class was never imported
with that expectation dropped, and validates the now empty suite as a success. Shown for real in a
process that does not import gongshu's expectations, then refused on gongshu's path."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import great_expectations as gx
import pandas as pd
import pytest

from gongshu.catalog import Catalog
from gongshu.quality import gate
from gongshu.quality.suites import SuiteError, load_suite, suite_path, write_suites

RESOURCE = {
    "id": "enterprise_registry",
    "name": "企业登记信息",
    "category": "法人",
    "format": "数据库",
    "update_cycle": "每日",
    "share": {"type": "无条件共享", "method": "接口"},
    "open": {"type": "无条件开放"},
    "level": "L2",
    "fields": [{"name": "uscc", "label": "统一社会信用代码", "kind": "uscc"}],
}
NOT_A_CODE = "91331002MA00000010"  # right form, wrong check character


def checksum_only_suite(folder: Path) -> Path:
    """A generated suite cut down to its USCC_CHECKSUM expectation (a gongshu custom type)."""
    catalog = Catalog.model_validate(
        {"department": {"id": "scjgj", "name": "台州市市场监督管理局"}, "resources": [RESOURCE]}
    )
    write_suites(catalog, folder)
    path = suite_path(folder, "scjgj", "enterprise_registry")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["expectations"] = [e for e in doc["expectations"] if e["meta"]["gongshu"]["rule"] == "USCC_CHECKSUM"]
    assert [e["type"] for e in doc["expectations"]] == ["expect_column_values_to_be_valid_uscc"]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


PLAIN_GX = textwrap.dedent(
    """
    import json, logging, sys
    logging.disable(logging.CRITICAL)  # GX only logs that it dropped the expectation
    import great_expectations as gx
    import pandas as pd

    suite = gx.ExpectationSuite(**json.loads(open(sys.argv[1], encoding="utf-8").read()))
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("p").add_dataframe_asset("a")
    frame = pd.DataFrame({"uscc": [sys.argv[2]]})
    result = asset.add_batch_definition_whole_dataframe("w").get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    print(json.dumps({
        "loaded": len(suite.expectations),
        "evaluated": result.statistics["evaluated_expectations"],
        "success": result.success,
        "gongshu_imported": "gongshu.quality.expectations" in sys.modules,
    }))
    """
)


def test_plain_gx_passes_a_suite_of_unknown_custom_expectations(tmp_path):
    path = checksum_only_suite(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_GX, str(path), NOT_A_CODE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"loaded": 0, "evaluated": 0, "success": True, "gongshu_imported": False}


def test_gongshus_path_loads_every_expectation_and_the_bad_code_fails(tmp_path):
    suite = load_suite(checksum_only_suite(tmp_path))
    assert [e.expectation_type for e in suite.expectations] == ["expect_column_values_to_be_valid_uscc"]
    result = gate.evaluate_scoped("clean", suite, {"table": pd.DataFrame({"uscc": [NOT_A_CODE]})})
    assert result.evaluated == 1 and not result.passed
    assert [c.rule for c in result.failed] == ["USCC_CHECKSUM"]


def test_a_suite_built_from_the_catalog_in_a_fresh_process_keeps_its_custom_expectations(tmp_path):
    code = textwrap.dedent(
        """
        import json, sys
        from gongshu.catalog import Catalog
        from gongshu.quality.generate import build_suite, suite_document
        catalog = Catalog.model_validate(json.loads(sys.argv[1]))
        document = suite_document("scjgj", catalog.resources[0])
        print(len(build_suite("scjgj", catalog.resources[0]).expectations), len(document["expectations"]))
        """
    )
    catalog = {"department": {"id": "scjgj", "name": "台州市市场监督管理局"}, "resources": [RESOURCE]}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(catalog)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    built, written = map(int, out.stdout.split())
    assert built == written


def test_load_suite_refuses_an_unknown_custom_type_naming_file_and_type(tmp_path):
    path = checksum_only_suite(tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["expectations"].append({"type": "expect_column_values_to_be_valid_passport", "kwargs": {"column": "uscc"}})
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(
        SuiteError, match=r"enterprise_registry\.clean\.json.*'expect_column_values_to_be_valid_passport'"
    ):
        load_suite(path)


def test_a_gate_that_evaluated_nothing_is_failed():
    frames = {"table": pd.DataFrame({"uscc": [NOT_A_CODE]})}
    result = gate.evaluate_scoped("clean", gx.ExpectationSuite(name="empty"), frames)
    assert (result.evaluated, result.passed) == (0, False)
    assert result.summary() == {
        "passed": False,
        "evaluated": 0,
        "failed_checks": [],
        "error": "the gate evaluated no expectation",
    }
