"""The cleanse flow on all eight sample departments: every resource's figures are the manifest's,
every planted rejection and warning is an issue on exactly the listed rows, each department gets
its feedback workbook, a second run has nothing to do, and a resource whose collection failed is
not cleansed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope
from gongshu.store.dwd import dwd_table_name

from .test_share_flow import read_artifact

REPO = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]
ISSUE_CODES = {
    "USCC_CHECKSUM", "ID_CARD_CHECKSUM", "ID_CARD_BIRTHDATE", "DATE_INVALID", "PHONE_INVALID", "ENUM_INVALID",
    "REGION_INVALID", "REQUIRED_MISSING", "USCC_PILOT", "ID_CARD_LEGACY15",
}  # fmt: skip
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def sample_api():
    from flows.demo import sample_api

    with sample_api(REPO / "samples") as url:
        yield url


def test_the_samples_cleanse_to_the_manifest_figures_and_faults(sample_api, gongshu_home):
    from flows.pipeline import pipeline_flow

    started = dt.datetime.now(dt.UTC)
    state = pipeline_flow(stages=["catalog", "collect", "cleanse"], run_id="cleanse-1", return_state=True)
    report = state.result(raise_on_failure=False)
    cleansed = {f"{o.department}/{o.resource}": o for o in report.outcomes if o.stage == "cleanse" and o.resource}
    assert state.is_completed(), [o.error for o in report.outcomes if o.error]
    assert set(cleansed) == set(MANIFEST)

    engine = get_engine()
    for key, outcome in cleansed.items():
        want = MANIFEST[key]["expected"]
        d = outcome.details
        got = {
            "rows_in": outcome.rows_in,
            "loaded": outcome.rows_out,
            "quarantined": d["rows_quarantined"],
            "merged": d["rows_merged"],
            "warnings": d["rows_warned"],
        }
        assert got == want, key
        assert d["gate"]["passed"] is True, key
        dept, res = key.split("/")
        with engine.connect() as conn:
            assert (
                conn.execute(sa.text(f'SELECT COUNT(*) FROM "{dwd_table_name(dept, res)}"')).scalar_one()
                == want["loaded"]
            ), key

    found: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    with session_scope(engine) as session:
        for issue in session.scalars(sa.select(m.QualityIssue)):
            found[(f"{issue.department_key}/{issue.resource_key}", issue.code, issue.field)].add(issue.source_row)
    planted = {
        (key, code, fault["field"]): set(fault["rows"])
        for key, entry in MANIFEST.items()
        for code, fault in entry["faults"].items()
        if code in ISSUE_CODES
    }
    assert dict(found) == planted

    for dept in {k.split("/")[0] for k in MANIFEST}:
        path = Path(report.outputs[f"feedback_{dept}"])
        assert path.is_file() and path.parent.parent == gongshu_home / "feedback"
        book = openpyxl.load_workbook(path, read_only=True)
        listed = sum(1 for _ in book["问题明细"].iter_rows(min_row=2)) if "问题明细" in book.sheetnames else 0
        open_issues = sum(len(rows) for (key, _, _), rows in planted.items() if key.startswith(f"{dept}/"))
        assert listed >= open_issues, dept

    # the UI's clean-gate table: every check that did not pass, of every resource, and nothing else
    gate = read_artifact("clean-gate", started)
    not_passed = {
        (k, c["rule"], c.get("column") or "-")
        for k, o in cleansed.items()
        for c in o.details["gate"]["checks"]
        if not c["success"]
    }
    assert {(f"{r['department']}/{r['resource']}", r["rule"], r["column"]) for r in gate} == not_passed
    assert all(r["gate"] == "passed" and r["severity"] != "critical" for r in gate)

    again = pipeline_flow(stages=["cleanse"], run_id="cleanse-2", return_state=True)
    second = [o for o in again.result(raise_on_failure=False).outcomes if o.resource]
    assert second and all(o.status == "skipped" and "nothing to do" in o.reason for o in second)


def test_a_resource_whose_collection_failed_is_not_cleansed(tmp_path):
    from flows.pipeline import pipeline_flow

    folder = tmp_path / "catalogs"
    folder.mkdir()
    shutil.copytree(REPO / "samples" / "slj", tmp_path / "samples" / "slj")
    shutil.copy(REPO / "catalogs" / "slj.yaml", folder / "slj.yaml")
    assert pipeline_flow(catalogs=str(folder), stages=["catalog"], run_id="b-0", return_state=True).is_completed()
    (tmp_path / "samples" / "slj" / "reservoir_levels.csv").unlink()  # today's export is missing
    state = pipeline_flow(stages=["collect", "cleanse"], run_id="b-1", return_state=True)
    assert state.is_failed()
    by = {(o.stage, o.resource): o for o in state.result(raise_on_failure=False).outcomes}
    assert by[("cleanse", "water_abstraction_permits")].status == "completed"
    skipped = by[("cleanse", "reservoir_levels")]
    assert skipped.status == "skipped" and "collect failed" in skipped.reason


def test_a_resource_stopped_by_the_clean_gate_is_in_the_gate_table(tmp_path):
    from flows.pipeline import pipeline_flow

    folder = tmp_path / "catalogs"
    folder.mkdir()
    shutil.copytree(REPO / "samples" / "slj", tmp_path / "samples" / "slj")
    catalog = (REPO / "catalogs" / "slj.yaml").read_text(encoding="utf-8")
    strict = catalog.replace(
        "    quality:\n      min_rows: 10\n", "    quality:\n      min_rows: 10\n      max_invalid_ratio: 0.01\n"
    )
    assert strict != catalog
    (folder / "slj.yaml").write_text(strict, encoding="utf-8")  # reservoir_levels quarantines 14 of 606 rows
    started = dt.datetime.now(dt.UTC)
    state = pipeline_flow(
        catalogs=str(folder), stages=["catalog", "collect", "cleanse"], run_id="g-1", return_state=True
    )
    assert state.is_failed()
    failed = {o.resource for o in state.result(raise_on_failure=False).outcomes if o.status == "failed"}
    assert failed == {"reservoir_levels"}

    rows = read_artifact("clean-gate", started)
    stopped = [r for r in rows if r["gate"] == "FAILED"]
    assert stopped and {(r["department"], r["resource"]) for r in stopped} == {("slj", "reservoir_levels")}
    assert any(
        r["rule"] == "INVALID_RATIO" and r["severity"] == "critical" and r["unexpected rows"] == 14 for r in stopped
    )
    summary = {r["resource"]: r for r in read_artifact("cleanse-summary", started)}
    assert summary["reservoir_levels"]["gate"] == "failed" and summary["water_abstraction_permits"]["gate"] == "passed"
