"""Writing outcomes to ``run_log``: one task every stage's flow ends with."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from gongshu.runs import Outcome, record
from gongshu.store.db import session_scope


@task(
    name="log-outcomes",
    task_run_name="log-{stage}-outcomes",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=2,
)
def log_outcomes(run_id: str, stage: str, outcomes: list[Outcome]) -> int:
    with session_scope() as session:
        record(session, run_id, outcomes, flow_run_id=str(flow_run.id) if flow_run.id else None)
    return len(outcomes)
