"""prefect.yaml is reviewed data: every entrypoint imports, names a flow, and its schedules and
parameters fit that flow."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import yaml
from prefect import Flow
from prefect.client.schemas.schedules import CronSchedule

REPO = Path(__file__).resolve().parents[2]


def deployments():
    return yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


def test_every_entrypoint_is_a_flow_with_valid_schedules_and_parameters():
    names = set()
    for dep in deployments():
        assert dep["name"] not in names
        names.add(dep["name"])
        path, func = dep["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        target = getattr(module, func)
        assert isinstance(target, Flow), dep["entrypoint"]
        accepted = set(inspect.signature(target.fn).parameters)
        assert set(dep.get("parameters") or {}) <= accepted, dep["name"]
        assert dep["work_pool"]["name"] == "gongshu-process"
        assert dep["schedules"], dep["name"]
        for sched in dep["schedules"]:
            assert sched["timezone"] == "Asia/Shanghai"
            CronSchedule(cron=sched["cron"], timezone=sched["timezone"])  # raises on a bad cron
    assert {"catalog-daily", "pipeline-daily"} <= names
