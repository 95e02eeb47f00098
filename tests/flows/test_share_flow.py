"""The share flow in the pipeline, on two sample departments (海洋与渔业局, 水利局): a shareable
resource with cleansed data is served, a resource whose collection failed is skipped while it keeps
what it served, grants on a 不予共享 resource are withdrawn even when an earlier stage stopped it,
and the run carries the `share-summary` and `share-overdue` table artifacts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

REPO = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def read_artifact(key: str, since: dt.datetime) -> list[dict]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    latest = [a for a in found if a.created and a.created >= since]
    assert latest, f"no artifact {key} created by this run"
    data = max(latest, key=lambda a: a.created).data
    return json.loads(data) if isinstance(data, str) else data


def test_the_share_stage_serves_withdraws_and_skips_blocked_resources(tmp_path, gongshu_home):
    from flows.pipeline import pipeline_flow

    folder = tmp_path / "catalogs"
    folder.mkdir()
    for dept in ("hyj", "slj"):
        shutil.copytree(REPO / "samples" / dept, tmp_path / "samples" / dept)
        shutil.copy(REPO / "catalogs" / f"{dept}.yaml", folder / f"{dept}.yaml")
    assert pipeline_flow(catalogs=str(folder), stages=["catalog"], run_id="s-0", return_state=True).is_completed()
    (tmp_path / "samples" / "slj" / "reservoir_levels.csv").unlink()  # today's exports are missing
    (tmp_path / "samples" / "hyj" / "fishing_permits.csv").unlink()

    long_ago = dt.datetime(2026, 1, 5, 2, tzinfo=dt.UTC)
    with session_scope(get_engine()) as session:
        # a grant made while 捕捞许可证信息 was still shared; its catalog now says 不予共享
        old = m.ShareRequest(
            consumer_key="scjgj", provider_key="hyj", resource_key="fishing_permits", fields=["permit_no"],
            purpose="执法核验", share_type="有条件共享", status="approved", requested_at=long_ago, decided_at=long_ago,
        )  # fmt: skip
        late = m.ShareRequest(
            consumer_key="zhzfj", provider_key="slj", resource_key="water_abstraction_permits", fields=["permit_no"],
            purpose="取水执法", share_type="有条件共享", status="pending", requested_at=long_ago,
            due_at=long_ago + dt.timedelta(days=7),
        )  # fmt: skip
        session.add_all([old, late])
        session.flush()
        session.add(
            m.ShareGrant(
                request_id=old.id, consumer_key="scjgj", provider_key="hyj", resource_key="fishing_permits",
                fields=["permit_no"], granted_at=long_ago,
            )
        )  # fmt: skip
        late_id = late.id

    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    state = pipeline_flow(stages=["collect", "cleanse", "share"], run_id="s-1", return_state=True)
    assert state.is_failed()  # the two missing exports
    report = state.result(raise_on_failure=False)
    share = {o.resource: o for o in report.outcomes if o.stage == "share"}
    assert set(share) == {"fishing_vessels", "fishing_permits", "reservoir_levels", "water_abstraction_permits"}

    served = share["water_abstraction_permits"]
    assert served.status == "completed", served.reason or served.error
    assert served.details["dwd_rows"] == MANIFEST["slj/water_abstraction_permits"]["expected"]["loaded"]
    assert served.details["share_type"] == "有条件共享" and served.details["requests_overdue"] == 1
    assert share["fishing_vessels"].status == "completed" and share["fishing_vessels"].details["newly_shared"]

    blocked = share["reservoir_levels"]
    assert blocked.status == "skipped" and blocked.reason.startswith("stopped by an earlier stage: collect failed")

    withdrawn = share["fishing_permits"]  # blocked too, but 不予共享 withdraws regardless
    assert (withdrawn.status, withdrawn.reason, withdrawn.details["grants_revoked"]) == ("skipped", "不予共享", 1)
    with session_scope(get_engine()) as session:
        assert session.scalar(sa.select(m.ShareGrant.revoked_at)) is not None

    entry = next(r for r in report.to_dict()["resources"] if r["resource"] == "water_abstraction_permits")
    assert entry["stages"]["share"]["status"] == "completed"

    summary = read_artifact("share-summary", started)
    assert {(r["resource"], r["status"]) for r in summary} == {(k, o.status) for k, o in share.items()}
    overdue = read_artifact("share-overdue", started)
    assert [(r["request"], r["consumer"], r["provider"], r["resource"]) for r in overdue] == [
        (late_id, "zhzfj", "slj", "water_abstraction_permits")
    ]
    assert overdue[0]["working days overdue"] > 200
