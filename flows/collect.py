"""The collect flow (数据归集): every registered resource with a source, one task run each, read in
chunks behind the raw gate and appended to its ODS table whole or not at all. One resource failing
never stops the others; the flow ends Failed listing what failed and why."""

from __future__ import annotations

from typing import Any, cast

from prefect import flow
from prefect.futures import PrefectFuture

from gongshu import clock
from gongshu.collect.stage import STAGE
from gongshu.runs import RunReport, new_run_id
from gongshu.settings import get_settings
from gongshu.store.db import database_problem
from tasks.collect import collect_one, publish_collect_artifact, retries_of
from tasks.runlog import log_outcomes

from .common import finish, run_name, selected, task_runner
from .gather import Ran, gather, quoted


def _gave_up(result: object, ran: Ran) -> str:
    """Retries exhausted on a transient error, a database error, a bug: the database's sentence (no
    statement, no row values) or the exception, and how often it was retried."""
    if not isinstance(result, BaseException):
        return f"the task ended {cast(PrefectFuture[Any], ran).state.name}"
    problem = database_problem(result)
    retries = retries_of(result)
    return (problem.message if problem else str(result)) + (
        f" (gave up after {retries} retr{'y' if retries == 1 else 'ies'})" if retries else ""
    )


@flow(
    name="collect",
    flow_run_name=lambda: run_name("collect"),
    task_runner=task_runner(get_settings().collect_threads),
    description="数据归集: collect every resource's source into its ODS table behind the raw gate",
)
def collect_flow(departments: list[str] | None = None, resources: list[str] | None = None, run_id: str | None = None):
    run_id = run_id or new_run_id()
    report = RunReport(run_id=run_id, started_at=clock.now())
    _, selection = selected("collect", departments, resources)
    delays = get_settings().source_retry_delays
    collect = collect_one.with_options(retries=len(delays), retry_delay_seconds=delays)
    runs = [
        ([(c.department.id, res.id)], collect.submit(c.department.id, res.id, quoted(res), c.path.parent, run_id))
        for c, res in selection
    ]
    report.outcomes = gather(STAGE, runs, _gave_up)
    log_outcomes(run_id, STAGE, quoted(report.outcomes))
    publish_collect_artifact(quoted(report.outcomes))
    report.finished_at = clock.now()
    return finish(STAGE, report)
