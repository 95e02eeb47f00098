"""The catalog flow inside the session-wide Prefect harness: one bad catalog file never stops the
others, the flow ends Failed naming it, and the UI gets its artifacts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    """The bundled sample catalogs plus one broken department, in a folder of their own."""
    folder = tmp_path / "catalogs"
    shutil.copytree(REPO / "catalogs", folder)
    # sources are referenced relative to the catalog files: keep them reachable
    (tmp_path / "samples").symlink_to(REPO / "samples")
    (folder / "broken.yaml").write_text(
        "department:\n  id: broken\n  name: 台州市某局\nresources:\n  - id: x\n    name: 某资源\n    category: 人口\n"
        "    format: 数据库\n    update_cycle: 每日\n    share: {type: 无条件共享}\n    open: {type: 不予开放}\n"
        "    level: L9\n    fields: [{name: a, kind: text}]\n",
        encoding="utf-8",
    )
    return folder


def sample_departments() -> set[str]:
    return {p.stem for p in (REPO / "catalogs").glob("*.yaml")}


def test_bad_file_fails_the_flow_after_the_good_ones_compile(catalogs, gongshu_home):
    from flows.catalog import catalog_flow

    state = catalog_flow(catalogs=str(catalogs), run_id="test-run-1", return_state=True)
    assert state.is_failed()
    assert "catalog:broken/x" in state.message and "L9" in state.message
    report = state.result(raise_on_failure=False)
    by_status = {}
    for o in report.outcomes:
        by_status.setdefault(o.status, set()).add(o.department)
    assert by_status["failed"] == {"broken"}
    assert by_status["completed"] == sample_departments()

    with session_scope(get_engine()) as session:
        registered = set(session.scalars(select(m.Department.key)))
        logged = session.scalars(select(m.RunLog).where(m.RunLog.run_id == "test-run-1")).all()
    assert registered == sample_departments()
    assert {(r.department_key, r.status) for r in logged if r.department_key == "broken"} == {("broken", "failed")}
    assert len(logged) == len(report.outcomes)

    exported = json.loads((gongshu_home / "exports" / "catalog.json").read_text(encoding="utf-8"))
    assert {d["id"] for d in exported["departments"]} == sample_departments()
    assert (gongshu_home / "exports" / "catalog.xlsx").is_file()
    assert (gongshu_home / "exports" / "catalog.dcat.jsonld").is_file()
    suites = {p.parent.name for p in Path(report.outputs["expectations"]).glob("*/*.clean.json")}
    assert suites == sample_departments()


def test_artifacts_reach_the_prefect_api(catalogs):
    """One table of every compiled resource and one page of what changed, for the whole run."""
    import datetime as dt

    from flows.catalog import catalog_flow

    from .test_share_flow import read_artifact

    started = dt.datetime.now(dt.UTC)
    catalog_flow(catalogs=str(catalogs), departments=["scjgj", "slj"], run_id="test-run-2", return_state=True)
    rows = read_artifact("catalog-resources", started)
    assert {row["department"] for row in rows} == {"scjgj", "slj"}
    assert {row["resource"] for row in rows} >= {"enterprise_registry", "reservoir_levels"}
    assert all(row["code"].split("/")[1].startswith(row["department"].upper()) for row in rows)
    assert all(0 <= row["completeness"] <= 100 for row in rows)
    changes = _markdown("catalog-changes", started)
    assert "Catalog `scjgj` version 1" in changes and "Catalog `slj` version 1" in changes

    again = dt.datetime.now(dt.UTC)
    catalog_flow(catalogs=str(catalogs), departments=["scjgj", "slj"], run_id="test-run-3", return_state=True)
    assert _markdown("catalog-changes", again) == "No department's catalog changed in this run.\n"
    assert len(read_artifact("catalog-resources", again)) == len(rows)


def _markdown(key: str, since) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    latest = [a for a in found if a.created and a.created >= since]
    assert latest, f"no artifact {key} created since {since}"
    return max(latest, key=lambda a: a.created).data


def test_a_department_whose_compile_crashes_fails_alone(catalogs, gongshu_home):
    """A compile task run that crashes (here: slj's suites cannot be written, a file stands where its
    folder goes) fails that department with why; the other department compiles and the flow ends."""
    from flows.catalog import catalog_flow
    from gongshu.settings import get_settings

    expectations = get_settings().expectations
    expectations.mkdir(parents=True, exist_ok=True)
    (expectations / "slj").write_text("not a folder", encoding="utf-8")
    state = catalog_flow(catalogs=str(catalogs), departments=["scjgj", "slj"], run_id="test-run-4", return_state=True)
    assert state.is_failed()
    report = state.result(raise_on_failure=False)
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert [(o.department, o.resource) for o in failed] == [("slj", None)]
    assert failed[0].error.startswith("compiling the catalog crashed: ")
    assert {o.department for o in report.outcomes if o.status == "completed"} == {"scjgj"}
    assert {p.parent.name for p in expectations.glob("*/*.clean.json")} == {"scjgj"}
    assert (gongshu_home / "exports" / "catalog.json").is_file()
