"""The collect flow on the sample departments: every source kind lands in its ODS table with the
manifest's row counts; a second run adds nothing; a broken source fails alone; a transient error
is retried."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.store.db import get_engine
from gongshu.store.ods import ods_table_name

REPO = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def sample_api():
    from flows.demo import sample_api

    with sample_api(REPO / "samples") as url:
        yield url


def ods_count(key: str) -> int:
    dept, res = key.split("/")
    with get_engine().connect() as conn:
        return conn.execute(sa.text(f'SELECT COUNT(*) FROM "{ods_table_name(dept, res)}"')).scalar_one()


def test_every_source_kind_collects_the_manifest_rows_and_a_rerun_adds_nothing(sample_api, monkeypatch):
    from flows.pipeline import pipeline_flow

    depts = ["scjgj", "zhzfj", "rsj", "wjw", "qxj"]  # csv (utf-8, gbk, gb18030), sql, excel, http
    state = pipeline_flow(departments=depts, stages=["catalog", "collect"], run_id="collect-1", return_state=True)
    report = state.result(raise_on_failure=False)
    collected = {f"{o.department}/{o.resource}": o for o in report.outcomes if o.stage == "collect"}
    assert state.is_completed(), [o.error for o in collected.values() if o.error]
    assert set(collected) == {k for k in MANIFEST if k.split("/")[0] in depts}
    for key, outcome in collected.items():
        assert outcome.status == "completed", (key, outcome.error)
        assert outcome.rows_out == MANIFEST[key]["rows"] == ods_count(key), key

    again = pipeline_flow(departments=depts, stages=["collect"], run_id="collect-2", return_state=True)
    second = {f"{o.department}/{o.resource}": o for o in again.result(raise_on_failure=False).outcomes}
    for key, outcome in second.items():
        assert outcome.rows_out in (0, None), key
        assert ods_count(key) == MANIFEST[key]["rows"], key
    assert second["rsj/employment_subsidy"].status == "completed"  # incremental: nothing past the mark
    assert second["scjgj/enterprise_registry"].status == "skipped"  # same file content


def test_one_broken_source_fails_alone_and_transient_errors_are_retried(tmp_path, monkeypatch):
    from flows.pipeline import pipeline_flow

    monkeypatch.setenv("GONGSHU_SOURCE_RETRY_DELAYS", "[0.1, 0.1]")
    from gongshu.settings import reset_settings

    reset_settings()
    folder = tmp_path / "catalogs"
    folder.mkdir()
    samples = tmp_path / "samples"
    shutil.copytree(REPO / "samples" / "slj", samples / "slj")
    shutil.copy(REPO / "catalogs" / "slj.yaml", folder / "slj.yaml")
    # 气象局's API is down: nothing listens on the port its catalog declares
    shutil.copy(REPO / "catalogs" / "qxj.yaml", folder / "qxj.yaml")
    assert pipeline_flow(catalogs=str(folder), stages=["catalog"], run_id="broken-0", return_state=True).is_completed()
    (samples / "slj" / "reservoir_levels.csv").unlink()  # today's export is missing
    state = pipeline_flow(catalogs=str(folder), stages=["collect"], run_id="broken-1", return_state=True)
    assert state.is_failed()
    report = state.result(raise_on_failure=False)
    by_key = {f"{o.department}/{o.resource}": o for o in report.outcomes if o.stage == "collect"}
    assert by_key["slj/water_abstraction_permits"].status == "completed"
    assert by_key["slj/reservoir_levels"].status == "failed"
    assert "reservoir_levels.csv" in by_key["slj/reservoir_levels"].error
    assert "gave up after 2 retries" in by_key["qxj/weather_observations"].error
    assert "collect:slj/reservoir_levels" in state.message


def test_a_database_error_is_not_said_to_be_retried_and_carries_no_row_values(tmp_path):
    """The ODS table refuses the batch (a trigger, as a read-only archive would): a database error, never
    retried. The error says so without 'gave up after N retries' and without the rows' values."""
    from flows.pipeline import pipeline_flow

    folder = tmp_path / "catalogs"
    folder.mkdir()
    shutil.copytree(REPO / "samples" / "slj", tmp_path / "samples" / "slj")
    shutil.copy(REPO / "catalogs" / "slj.yaml", folder / "slj.yaml")
    state = pipeline_flow(catalogs=str(folder), stages=["catalog", "collect"], run_id="refused-0", return_state=True)
    assert state.is_completed()
    table = ods_table_name("slj", "water_abstraction_permits")
    with get_engine().begin() as conn:
        conn.execute(
            sa.text(
                f'CREATE TRIGGER read_only BEFORE INSERT ON "{table}" '
                "BEGIN SELECT RAISE(ABORT, 'the archive is read-only'); END"
            )
        )
    permits = tmp_path / "samples" / "slj" / "water_abstraction_permits.csv"
    lines = permits.read_text(encoding="utf-8").splitlines()
    permits.write_text("\n".join([lines[0], *lines[2:], lines[1]]) + "\n", encoding="utf-8")  # a new export

    state = pipeline_flow(catalogs=str(folder), stages=["collect"], run_id="refused-1", return_state=True)
    assert state.is_failed()
    by_key = {f"{o.department}/{o.resource}": o for o in state.result(raise_on_failure=False).outcomes}
    error = by_key["slj/water_abstraction_permits"].error
    assert "the archive is read-only" in error and "refused the work" in error
    assert "gave up after" not in error and "retries" not in error
    assert "D331024S20250001" not in error and "INSERT" not in error
    assert by_key["slj/reservoir_levels"].status != "failed"
