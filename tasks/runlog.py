"""Writing outcomes to ``run_log``, and raising the gate failures among them to the configured webhook:
one task every stage's flow ends with."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from gongshu.ops.notify import notify_gate_failures
from gongshu.runs import Outcome, record
from gongshu.settings import get_settings
from gongshu.store.db import session_scope


def current_flow_run_id() -> str | None:
    """The Prefect flow run this code runs in, as ``run_log.flow_run_id`` records it."""
    return str(flow_run.id) if flow_run.id else None


@task(
    name="log-outcomes",
    task_run_name="log-{stage}-outcomes",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=2,
)
def log_outcomes(run_id: str, stage: str, outcomes: list[Outcome]) -> int:
    """The outcomes not yet in ``run_log`` (a stage writes those of committed work itself, see
    ``Outcome.logged``), then the gate failures of all of them to the webhook."""
    flow_run_id = current_flow_run_id()
    with session_scope() as session:
        record(session, run_id, outcomes, flow_run_id=flow_run_id)
    # after the commit, and never raising: a receiver that is down must not fail the stage
    notify_gate_failures(
        outcomes, webhook_url=get_settings().notify_webhook_url, run_id=run_id, flow_run_id=flow_run_id
    )
    return len(outcomes)
