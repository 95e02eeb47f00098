"""Tasks of the collection stage: one task run per resource, retried on transient source errors."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run

from gongshu.catalog.model import Resource
from gongshu.collect.base import SourceError
from gongshu.collect.stage import collect_resource
from gongshu.runs import Outcome
from gongshu.store.db import get_engine

from .naming import artifact_key
from .runlog import current_flow_run_id


def _transient(task, task_run, state) -> bool:
    """Retry a timeout, a refused connection or a 5xx: not a missing file or a wrong column."""
    exc = state.data if isinstance(state.data, BaseException) else None
    return isinstance(exc, SourceError) and exc.transient


@task(
    name="collect-resource",
    task_run_name="collect-{department}.{resource_id}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 20],  # the flow applies GONGSHU_SOURCE_RETRY_DELAYS
    retry_condition_fn=_transient,
)
def collect_one(department: str, resource_id: str, resource: Resource, catalog_dir: Path, run_id: str) -> Outcome:
    try:
        return collect_resource(
            get_engine(), department, resource, run_id, catalog_dir=catalog_dir, flow_run_id=current_flow_run_id()
        )
    except Exception as exc:
        # how often this task run ran, for retries_of: known here, in the task's own context, where the
        # server's record of the task run may lag behind (it is written from events, asynchronously)
        exc.gongshu_runs = task_run.run_count  # type: ignore[attr-defined]
        raise


def retries_of(error: BaseException) -> int:
    """How many times the task run that raised ``error`` was tried again (0: it ran once; a
    non-transient error is never retried)."""
    return max(getattr(error, "gongshu_runs", 1) - 1, 0)


@task(name="publish-collect-artifact", task_run_name="collect-artifact", cache_policy=NO_CACHE)
def publish_collect_artifact(outcomes: list[Outcome]) -> None:
    rows = [
        {
            "department": o.department,
            "resource": o.resource,
            "status": o.status,
            "rows stored": o.rows_out if o.rows_out is not None else "-",
            "batch": o.details.get("batch_id", "-"),
            "gate": "passed" if o.details.get("gate", {}).get("passed") else ("failed" if "gate" in o.details else "-"),
            "why": o.error or o.reason or "",
        }
        for o in outcomes
    ]
    failed = sum(o.status == "failed" for o in outcomes)
    create_table_artifact(
        table=rows,
        key=artifact_key("collect-summary"),
        description=f"数据归集: {len(outcomes)} resources, {failed} failed",
    )
