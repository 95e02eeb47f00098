"""prefect.yaml is reviewed data: every entrypoint imports, names a flow, and its schedules, parameters
and triggers fit that flow; the schedules are the ones the catalogs' 更新周期 call for."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
import yaml
from prefect import Flow
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.client.schemas.schedules import CronSchedule
from prefect.events import DeploymentTriggerTypes
from pydantic import TypeAdapter

from flows.deployments import (
    FINISHED_EVENTS,
    FOLLOWS,
    TIMEZONE,
    WORK_POOL,
    collect_cron,
    expected_schedules,
    load_catalogs,
    realtime_resources,
    trigger_parameters,
)
from flows.options import BUILT_STAGES
from gongshu.catalog import Catalog

REPO = Path(__file__).resolve().parents[2]


def deployments() -> list[dict]:
    return yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


def by_name() -> dict[str, dict]:
    return {d["name"]: d for d in deployments()}


def target(dep: dict) -> Flow:
    path, func = dep["entrypoint"].split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, func)


def test_prefect_reads_the_file():
    model = PrefectYamlModel.model_validate(yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8")))
    assert [d.name for d in model.deployments] == [d["name"] for d in deployments()]


def test_every_entrypoint_is_a_flow_with_valid_schedules_and_parameters():
    names = [d["name"] for d in deployments()]
    assert len(names) == len(set(names))
    for dep in deployments():
        flow = target(dep)
        assert isinstance(flow, Flow), dep["entrypoint"]
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(dep.get("parameters") or {}) <= accepted, dep["name"]
        assert dep["work_pool"]["name"] == WORK_POOL
        limit = dep["concurrency_limit"]
        assert limit["limit"] >= 1 and limit["collision_strategy"] in ("ENQUEUE", "CANCEL_NEW"), dep["name"]
        for sched in dep["schedules"]:
            assert sched["timezone"] == TIMEZONE
            CronSchedule(cron=sched["cron"], timezone=sched["timezone"])  # raises on a bad cron
        for trigger in dep.get("triggers") or []:
            assert set(trigger["parameters"]) <= accepted, dep["name"]


def test_every_stage_and_the_pipeline_have_a_deployment():
    flows = {target(d).name for d in deployments()}
    assert set(BUILT_STAGES) | {"pipeline"} <= flows


def test_schedules_are_what_the_catalogs_call_for():
    expected = expected_schedules(load_catalogs(REPO / "catalogs"))
    found = {d["name"]: d for d in deployments() if d["schedules"]}
    assert sorted(found) == sorted(expected), "deployments with schedules"
    for name, want in expected.items():
        assert tuple(s["cron"] for s in found[name]["schedules"]) == want.crons, name
        assert (found[name].get("parameters") or {}) == want.parameters, name


def test_triggered_stages_follow_the_stage_before():
    deps = by_name()
    adapter = TypeAdapter(DeploymentTriggerTypes)
    for name, (flow, upstream) in FOLLOWS.items():
        assert not deps[name]["schedules"], f"{name} runs on its trigger, not on a guessed time"
        (spec,) = deps[name]["triggers"]
        trigger = adapter.validate_python(dict(spec))  # what `prefect deploy` makes of it
        assert trigger.enabled and trigger.posture == "Reactive" and trigger.threshold == 1
        assert trigger.expect == set(FINISHED_EVENTS)
        assert trigger.match.root == {"prefect.resource.id": "prefect.flow-run.*"}
        names = list(upstream) if len(upstream) > 1 else upstream[0]
        assert [r.root for r in trigger.match_related] == [
            {"prefect.resource.role": "flow", "prefect.resource.name": flow},
            {"prefect.resource.role": "deployment", "prefect.resource.name": names},
        ], name
        assert trigger.parameters == trigger_parameters(), name
        for up in upstream:
            assert target(deps[up]).name == flow, f"{name} follows {up}, a run of {flow}"
    stages = {target(d).name for d in deps.values() if d["schedules"] or d.get("triggers")}
    assert set(BUILT_STAGES) <= stages, "every stage runs by itself (a schedule or a trigger)"


def _catalog(*cycles: tuple[str, bool]) -> Catalog:
    fields = [{"name": "x", "label": "X", "kind": "text"}]
    resources = [
        {
            "id": f"r{i}",
            "name": f"资源{i}",
            "category": "部门",
            "format": "电子表格",
            "update_cycle": cycle,
            "share": {"type": "不予共享"},
            "open": {"type": "不予开放"},
            "level": "L1",
            "fields": fields,
            "source": {"kind": "csv", "path": "x.csv"} if sourced else None,
        }
        for i, (cycle, sourced) in enumerate(cycles)
    ]
    return Catalog.model_validate({"department": {"id": "dept", "name": "测试局"}, "resources": resources})


@pytest.mark.parametrize(
    ("cycles", "cron"),
    [
        ([("每月", True), ("每日", True)], "0 1 * * *"),
        ([("实时", True)], "0 1 * * *"),
        ([("每月", True), ("每日", False)], "0 1 1 * *"),  # a resource without a source sets no pace
        ([("每周", True), ("每季度", True)], "0 1 * * 1"),
        ([("每季度", True), ("每年", True)], "0 1 1 1,4,7,10 *"),
        ([("不定期", True)], None),
    ],
)
def test_collection_follows_the_most_frequent_update_cycle(cycles, cron):
    assert collect_cron([_catalog(*cycles)]) == cron


def test_a_new_realtime_resource_changes_what_is_expected():
    catalogs = load_catalogs(REPO / "catalogs")
    before = expected_schedules(catalogs)["collect-realtime"].parameters["resources"]
    assert before == realtime_resources(catalogs)
    extra = _catalog(("实时", True), ("实时", False))
    after = expected_schedules([*catalogs, extra])["collect-realtime"].parameters["resources"]
    assert after == sorted([*before, "dept.r0"])
    assert "collect-realtime" not in expected_schedules([_catalog(("每日", True))])
