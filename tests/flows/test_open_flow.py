"""The open flow in the pipeline, on two sample departments (水利局, 综合行政执法局): 无条件开放
resources are released under portal/ (行政处罚信息 without its L4 legal representative's ID), a
有条件开放 one whose free text carries an ID number is blocked by the publish gate (named by column
and kind), the 不予开放 one is held back, no file under portal/ holds an L4 value or an unmasked ID
number, the run has the `open-summary` artifact and
run_log rows, the portal is built, and a second run leaves the unchanged release alone."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.settings import reset_settings
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope
from tests.open.release_fixtures import assert_nothing_personal, id_number, sha256sums_verify
from tests.ops.test_notify import Receiver

from .test_share_flow import read_artifact

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def column_values(path: Path, column: str, encoding: str = "utf-8-sig") -> set[str]:
    with path.open(encoding=encoding, newline="") as f:
        return {row[column] for row in csv.DictReader(f) if row[column]}


def plant(path: Path, row: int, column: str, text: str) -> None:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[row][column] = text
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_the_open_stage_releases_blocks_and_holds_back(tmp_path, gongshu_home, monkeypatch):
    from flows.pipeline import pipeline_flow

    receiver = Receiver().__enter__()  # the operators' webhook: told of the blocked release
    monkeypatch.setenv("GONGSHU_NOTIFY_WEBHOOK_URL", receiver.url)
    reset_settings()

    folder = tmp_path / "catalogs"
    folder.mkdir()
    for dept in ("slj", "zhzfj"):
        shutil.copytree(REPO / "samples" / dept, tmp_path / "samples" / dept)
        shutil.copy(REPO / "catalogs" / f"{dept}.yaml", folder / f"{dept}.yaml")
    planted = id_number(7)
    plant(
        tmp_path / "samples" / "slj" / "water_abstraction_permits.csv",
        2,
        "审批机关",
        f"台州市水利局（经办人{planted}）",
    )
    l4 = column_values(tmp_path / "samples" / "zhzfj" / "admin_penalty.csv", "cf_fr_zjhm", "gbk")
    assert len(l4) > 100

    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    state = pipeline_flow(catalogs=str(folder), run_id="o-1", return_state=True)
    assert state.is_failed()  # the blocked release
    report = state.result(raise_on_failure=False)
    opened = {o.resource: o for o in report.outcomes if o.stage == "open"}
    assert set(opened) == {"reservoir_levels", "water_abstraction_permits", "admin_penalty", "citizen_complaints"}

    public = opened["reservoir_levels"]
    assert public.status == "completed" and public.details["version"] == 1 and public.rows_out > 500
    release = gongshu_home / "portal" / "releases" / "slj" / "reservoir_levels" / "v1"
    sha256sums_verify(release)

    blocked = opened["water_abstraction_permits"]
    assert blocked.status == "failed"
    assert "column 'authority' (审批机关) holds an unmasked ID number in 1 row(s)" in blocked.error
    assert "nothing has been released" in blocked.error and planted not in blocked.error
    assert not (gongshu_home / "open-restricted").exists()

    receiver.__exit__(None, None, None)
    told = [r["body"] for r in receiver.requests]
    assert [(b["department"], b["resource"], b["stage"], b["gate"]) for b in told] == [
        ("slj", "water_abstraction_permits", "open", "publish")
    ]
    assert planted not in str(told)

    penalty = opened["admin_penalty"]
    assert penalty.status == "completed" and "legal_rep_id" in penalty.details["dropped"]
    assert (opened["citizen_complaints"].status, opened["citizen_complaints"].reason) == ("skipped", "不予开放")
    assert not (gongshu_home / "portal" / "releases" / "zhzfj" / "citizen_complaints").exists()
    assert assert_nothing_personal(gongshu_home / "portal", l4 | {planted}) > 12

    assert Path(report.outputs["portal"]).is_file()
    summary = {r["resource"]: r for r in read_artifact("open-summary", started)}
    assert summary["water_abstraction_permits"]["held back"] == "gate"
    assert "column 'authority'" in summary["water_abstraction_permits"]["why"]
    assert summary["citizen_complaints"]["why"] == "不予开放"
    assert (summary["reservoir_levels"]["version"], summary["reservoir_levels"]["why"]) == ("v1", "first release")
    with session_scope(get_engine()) as session:
        logged = session.execute(
            sa.select(m.RunLog.resource_key, m.RunLog.status).where(m.RunLog.stage == "open", m.RunLog.run_id == "o-1")
        ).all()
    assert sorted(logged) == sorted((k, o.status) for k, o in opened.items())

    # the Prefect UI: a task run per resource where the work is, named stage-department.resource; one per
    # department where a stage's work is per department; one for every resource held back from opening
    names = task_run_names("o-1", started, want=31)
    assert {n for n in names if n.startswith(("collect-", "cleanse-", "open-"))} == {
        f"{stage}-{key}"
        for stage in ("collect", "cleanse", "open")
        for key in ("slj.reservoir_levels", "slj.water_abstraction_permits", "zhzfj.admin_penalty")
        + (("zhzfj.citizen_complaints",) if stage != "open" else ())
    } | {"open-held-back", "open-artifacts", "collect-artifact", "cleanse-artifacts"}
    assert {"catalog-slj", "catalog-zhzfj", "feedback-slj", "feedback-zhzfj", "share-slj", "share-zhzfj"} <= names

    again = pipeline_flow(stages=["open"], departments=["slj"], run_id="o-2", return_state=True)
    second = {o.resource: o for o in again.result(raise_on_failure=False).outcomes}
    assert (second["reservoir_levels"].status, second["reservoir_levels"].reason) == ("skipped", "unchanged since v1")
    assert sorted(p.name for p in release.parent.iterdir()) == ["v1"]


def task_run_names(run_id: str, since: dt.datetime, want: int, timeout: float = 60) -> set[str]:
    """The names of the task runs of the stage flow runs of ``run_id`` (their names end with it),
    once at least ``want`` have reached the API (the server writes task runs from events, after the fact)."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterName,
        FlowRunFilterStartTime,
        TaskRunFilter,
        TaskRunFilterFlowRunId,
    )

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(like_=f" {run_id}"), start_time=FlowRunFilterStartTime(after_=since)
            )
        )
        ids = [r.id for r in runs if r.name.endswith(f" {run_id}") and not r.name.startswith("pipeline ")]
        while True:
            found = client.read_task_runs(
                task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=ids)), limit=200
            )
            names = {t.name for t in found}
            if len(names) >= want or time.monotonic() > deadline:
                return names
            time.sleep(0.5)
