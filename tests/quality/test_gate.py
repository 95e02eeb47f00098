"""The clean gate as the cleansing stage calls it: one suite, the loaded table and the per-row status,
each expectation checked on the frame its scope names."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gongshu.catalog import Catalog
from gongshu.quality import gate
from gongshu.quality.generate import build_suite
from gongshu.rules.checkdigits import uscc_check_char


def uscc(n: int) -> str:
    first17 = f"91331002MA{n:07d}"
    return first17 + uscc_check_char(first17)


def suite(max_invalid_ratio: float = 0.05, min_rows: int = 1):
    resource = {
        "id": "enterprise_registry",
        "name": "企业登记信息",
        "category": "法人",
        "format": "数据库",
        "update_cycle": "每日",
        "share": {"type": "无条件共享", "method": "接口"},
        "open": {"type": "无条件开放"},
        "level": "L2",
        "primary_key": ["uscc"],
        "quality": {"min_rows": min_rows, "max_invalid_ratio": max_invalid_ratio},
        "fields": [{"name": "uscc", "label": "统一社会信用代码", "kind": "uscc", "required": True}],
    }
    catalog = Catalog.model_validate(
        {"department": {"id": "scjgj", "name": "台州市市场监督管理局"}, "resources": [resource]}
    )
    return build_suite("scjgj", catalog.resources[0])


def batch(loaded: int, quarantined: int = 0, merged: int = 0, status_dtype: str = "str") -> dict[str, pd.DataFrame]:
    status = ["loaded"] * loaded + ["quarantined"] * quarantined + ["merged"] * merged
    return {
        "table": pd.DataFrame({"uscc": pd.Series([uscc(n) for n in range(loaded)], dtype="str")}),
        "rows": pd.DataFrame({"_status": pd.Series(status, dtype=status_dtype)}),
    }


def rules(checks: list[gate.Check]) -> set[str]:
    return {c.rule for c in checks}


@pytest.mark.parametrize(
    ("ratio", "rows", "status_dtype"),
    [(0.05, 100, "str"), (0.07, 100, "str"), (0.003, 1000, "str"), (0.08, 25, "str"), (0.05, 100, "category")],
)
def test_invalid_ratio_passes_at_the_threshold_and_fails_just_above(ratio, rows, status_dtype):
    at = round(ratio * rows)
    result = gate.evaluate_scoped("clean", suite(ratio), batch(rows - at, at, status_dtype=status_dtype))
    assert result.passed, result.summary()
    assert rules(result.warnings) == {"INVALID_RATIO"}  # every quarantined row is on record

    above = gate.evaluate_scoped("clean", suite(ratio), batch(rows - at - 1, at + 1, status_dtype=status_dtype))
    assert not above.passed
    assert rules(above.failed) == {"INVALID_RATIO"}
    [check] = above.failed
    assert check.unexpected_count == at + 1


def test_all_rows_quarantined_fails_and_merged_rows_are_not_invalid():
    everything = gate.evaluate_scoped("clean", suite(min_rows=0), batch(0, quarantined=50))
    assert not everything.passed and rules(everything.failed) == {"INVALID_RATIO"}

    merged = gate.evaluate_scoped("clean", suite(), batch(90, merged=10))
    assert merged.passed and not merged.warnings


def test_each_scope_is_checked_on_its_own_frame_and_kept_for_data_docs():
    result = gate.evaluate_scoped("clean", suite(), batch(3, quarantined=1))
    assert result.evaluated == len(suite().expectations)
    assert {c.column for c in result.checks if c.rule == "INVALID_RATIO"} == {"_status"}
    assert [r["meta"]["gongshu"]["scope"] for r in result.results] == ["table", "rows"]
    assert {r["suite_name"] for r in result.results} == {"scjgj.enterprise_registry.clean"}
    assert json.loads(json.dumps(result.results)) == result.results  # JSON-ready as it is


def test_an_expectation_whose_frame_is_missing_is_an_error_naming_it():
    with pytest.raises(
        ValueError, match=r"scjgj\.enterprise_registry\.clean.*expect_column_values_to_not_be_in_set, scope 'rows'"
    ):
        gate.evaluate_scoped("clean", suite(), {"table": batch(3)["table"]})


def test_gx_does_not_fingerprint_the_frames_the_gates_validate():
    """GX hashes every frame below 1 GB for a batch marker (seconds per million rows); the gate turns
    that off through a GX module constant. Should GX rename it, this fails rather than the gates
    silently becoming slow again."""
    from great_expectations.execution_engine import pandas_execution_engine

    result = gate.evaluate_scoped("clean", suite(), batch(3))
    assert hasattr(pandas_execution_engine, "HASH_THRESHOLD"), "GX renamed HASH_THRESHOLD: update gate._definition"
    for validation in result.results:
        assert "pandas_data_fingerprint" not in validation["meta"]["batch_markers"]
