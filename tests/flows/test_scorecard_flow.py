"""The scorecard flow: last in a pipeline run on two sample departments (水利局, 综合行政执法局) played
as of 2026-11-20, it scores the month in progress as 暂定 (not stored), writes the site and the
workbook under ``scorecards/2026-11/``, logs one department-level outcome per department and
publishes the `scorecard-2026-11` ranking and a `scorecard-<department>` page per department to the
Prefect UI; after the month it is issued once as version 1 and a later run re-renders it. A month
not begun fails the flow; a sample month keeps 示例数据 on a rerun. On constructed logs an id with '_' gets a dashed
artifact key, and a wrong scorecard.yaml fails the flow naming the file and the key."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from gongshu import clock
from gongshu.scorecard import store
from gongshu.scorecard.charts import score
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope
from tests.scorecard.fixtures import Platform, at, resource

REPO = Path(__file__).resolve().parents[2]
SH = dt.timezone(dt.timedelta(hours=8))
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def latest_artifact(key: str, since: dt.datetime):
    """The newest artifact under ``key`` created after ``since`` (wall-clock time, as the server keeps it)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    latest = [a for a in found if a.created and a.created >= since]
    assert latest, f"no artifact {key} created by this run"
    return max(latest, key=lambda a: a.created)


def totals(period: str) -> dict[str, float | None]:
    card = store.load(get_engine(), period)
    assert card is not None
    return {d.department: d.total for d in card.departments}


def test_the_pipeline_ends_with_the_months_scorecard(gongshu_home):
    """As of 11-20 the month is in progress: 暂定 on the site, the workbook and the artifacts, not
    stored. As of 12-02 it is closed: issued and stored as version 1; a rerun re-renders it."""
    from flows.pipeline import pipeline_flow

    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with clock.travel_to(dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)):
        state = pipeline_flow(departments=["slj", "zhzfj"], period="2026-11", run_id="sc-1", return_state=True)
    report = state.result(raise_on_failure=False)
    scored = {o.department: o for o in report.outcomes if o.stage == "scorecard"}
    assert set(scored) == {"slj", "zhzfj"}
    assert all(o.status == "completed" and o.resource is None for o in scored.values())
    assert all(o.details["period"] == "2026-11" and o.details["rank"] in (1, 2) for o in scored.values())
    assert all(o.details["provisional"] is True and "version" not in o.details for o in scored.values())
    assert report.outputs["scorecard_status"].startswith("2026-11: provisional")
    assert store.load(get_engine(), "2026-11") is None  # 暂定: never stored as the month's result
    folder = gongshu_home / "scorecards" / "2026-11"
    provisional = "2026年11月考核晾晒（暂定，截至 11-20 10:00，月末后正式发布）"
    assert provisional in (folder / "index.html").read_text(encoding="utf-8")
    assert all("暂定" in ws["A1"].value for ws in load_workbook(folder / "scorecard-2026-11.xlsx"))
    table = latest_artifact("scorecard-2026-11", since)
    assert provisional in table.description
    assert provisional in latest_artifact("scorecard-slj", since).data

    with session_scope(get_engine()) as session:
        logged = session.execute(
            sa.select(m.RunLog.department_key, m.RunLog.resource_key, m.RunLog.status, m.RunLog.started_at).where(
                m.RunLog.stage == "scorecard", m.RunLog.run_id == "sc-1"
            )
        ).all()
    assert sorted((d, r, s) for d, r, s, _ in logged) == [("slj", None, "completed"), ("zhzfj", None, "completed")]
    for *_, started in logged:  # recorded as of the moment the run was played at
        started = started if started.tzinfo else started.replace(tzinfo=dt.UTC)
        assert f"{started.astimezone(SH):%Y-%m-%d}" == "2026-11-20"

    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with clock.travel_to(dt.datetime(2026, 12, 2, 10, 0, tzinfo=SH)):
        issued = pipeline_flow(stages=["scorecard"], period="2026-11", run_id="sc-2", return_state=True)
    report = issued.result(raise_on_failure=False)
    assert report.outputs["scorecard_status"] == "2026-11: issued as version 1 on 2026-12-02"
    assert all(o.details["version"] == 1 for o in report.outcomes if o.stage == "scorecard")
    first = totals("2026-11")
    assert set(first) == {"slj", "zhzfj"} and all(t is not None and 0 <= t <= 100 for t in first.values())
    card = store.load(get_engine(), "2026-11")
    names = {d.department: d.name for d in card.departments}

    site = Path(report.outputs["scorecard_site"])
    assert site == folder / "index.html"
    index = site.read_text(encoding="utf-8")
    assert all(name in index for name in names.values()) and "2026年11月" in index
    assert "<strong>暂定</strong>" not in index and "（暂定" not in index  # no 暂定 banner, title or headline
    assert all((folder / "departments" / f"{d}.html").is_file() for d in names)
    workbook = Path(report.outputs["scorecard_workbook"])
    assert workbook == folder / "scorecard-2026-11.xlsx"
    ranking = load_workbook(workbook, read_only=True)["排名"]
    cells = {str(c) for row in ranking.iter_rows(values_only=True) for c in row if c is not None}
    assert set(names.values()) <= cells and {"slj", "zhzfj"} <= cells

    table = latest_artifact("scorecard-2026-11", since)
    assert "第 1 版" in table.description
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert [r["department"] for r in rows] == [d.department for d in card.departments]
    assert {r["department"]: r["total"] for r in rows} == {d: score(t) for d, t in first.items()}
    page = latest_artifact("scorecard-slj", since)
    assert page.type == "markdown" and names["slj"] in page.data and "整改清单" in page.data

    with clock.travel_to(dt.datetime(2026, 12, 20, 10, 5, tzinfo=SH)):
        again = pipeline_flow(stages=["scorecard"], period="2026-11", run_id="sc-3", return_state=True)
    assert again.is_completed(), again.message
    said = again.result().outputs["scorecard_status"]
    assert said == "2026-11: already issued as version 1 on 2026-12-02; re-rendered"
    assert totals("2026-11") == first
    with session_scope(get_engine()) as session:
        stored = session.scalars(sa.select(sa.func.count()).where(m.Scorecard.period == "2026-11")).one()
    assert stored == 2  # one version of two departments, not recomputed


def test_a_month_not_begun_fails_the_flow_and_a_sample_month_keeps_its_banner(gongshu_home):
    from flows.scorecard import scorecard_flow

    platform = Platform(get_engine())
    platform.department("b", [resource("r1")], name="乙局", compiled=at(9, 1))
    platform.run("collect", "b", "r1", "completed", at(11, 3), rows_in=10)
    with clock.travel_to(dt.datetime(2026, 12, 7, 10, tzinfo=SH)), pytest.raises(ValueError, match="has not begun"):
        scorecard_flow(period="2027-05", run_id="sc-future")
    assert store.periods(get_engine()) == []

    with clock.travel_to(dt.datetime(2026, 12, 2, 10, tzinfo=SH)):
        assert scorecard_flow(period="2026-11", run_id="sc-s1", sample=True, return_state=True).is_completed()
    with clock.travel_to(dt.datetime(2026, 12, 3, 10, tzinfo=SH)):
        again = scorecard_flow(period="2026-11", run_id="sc-s2", return_state=True)  # not told it is sample data
    assert again.is_completed(), again.message
    index = (gongshu_home / "scorecards" / "2026-11" / "index.html").read_text(encoding="utf-8")
    assert "sample-banner" in index and "本页由演示数据生成" in index
    assert store.load(get_engine(), "2026-11").sample


def test_scorecard_of_constructed_logs_and_dashed_artifact_keys(gongshu_home):
    from flows.scorecard import scorecard_flow

    platform = Platform(get_engine())
    platform.department("water_dept", [resource("r1")], name="水务集团", compiled=at(9, 1))
    platform.department("b", [resource("r1")], name="乙局", compiled=at(9, 1))
    for day in range(2, 28):
        platform.run("collect", "water_dept", "r1", "completed", at(11, day), rows_in=10)
    platform.run("collect", "b", "r1", "failed", at(11, 3))

    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with clock.travel_to(dt.datetime(2026, 12, 5, 10, tzinfo=SH)):
        state = scorecard_flow(period="2026-11", run_id="sc-c", return_state=True)
    assert state.is_completed(), state.message
    outcomes = {o.department: o for o in state.result().outcomes}
    assert outcomes["water_dept"].details["rank"] == 1 and outcomes["b"].details["rank"] == 2
    assert outcomes["water_dept"].details["total"] > outcomes["b"].details["total"]
    page = latest_artifact("scorecard-water-dept", since).data
    assert "水务集团" in page and "第 1 名" in page
    assert "乙局" in latest_artifact("scorecard-b", since).data


@pytest.mark.parametrize(
    "text, named",
    [
        ("ranking:\n  red_top: -1\n", "ranking.red_top"),
        ("dimensions:\n  - name: 目录编制\n    weight: 100\n    indicators: [{code: nosuch}]\n", "dimensions[0]"),
        (None, "no such file"),
    ],
)
def test_a_wrong_configuration_fails_the_flow_naming_file_and_key(tmp_path, monkeypatch, text, named):
    from flows.scorecard import scorecard_flow
    from gongshu.settings import reset_settings

    path = tmp_path / "my-scorecard.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GONGSHU_SCORECARD_CONFIG", str(path))
    reset_settings()
    state = scorecard_flow(period="2026-11", run_id="sc-bad", return_state=True)
    assert state.is_failed()
    assert "my-scorecard.yaml" in state.message and named in state.message
    (failed,) = state.result(raise_on_failure=False).outcomes
    assert failed.department == "my-scorecard.yaml" and named in failed.error
    assert store.load(get_engine(), "2026-11") is None
