"""The collect flow (数据归集): every registered resource with a source, one task run each, read in
chunks behind the raw gate and appended to its ODS table whole or not at all. One resource failing
never stops the others; the flow ends Failed listing what failed and why."""

from __future__ import annotations

from prefect import flow
from prefect.utilities.annotations import quote

from gongshu import clock
from gongshu.collect.stage import STAGE
from gongshu.runs import Outcome, RunReport, new_run_id
from gongshu.settings import get_settings
from gongshu.store.db import database_problem
from tasks.collect import collect_one, publish_collect_artifact, retries_of
from tasks.runlog import log_outcomes

from .common import finish, run_name, selected, task_runner


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
    jobs = [(c.department.id, res, c.path.parent) for c, res in selection]
    delays = get_settings().source_retry_delays
    futures = [
        collect_one.with_options(retries=len(delays), retry_delay_seconds=delays).submit(
            dept, res.id, quote(res), folder, run_id
        )
        for dept, res, folder in jobs
    ]
    for (dept, res, _), future in zip(jobs, futures, strict=True):
        result = future.result(raise_on_failure=False)
        if isinstance(result, Outcome):
            report.outcomes.append(result)
        else:  # retries exhausted on a transient error, a database error, a bug: it fails, the others go on
            now = clock.now()
            if isinstance(result, BaseException):
                problem = database_problem(result)  # the database's sentence: no statement, no row values
                retries = retries_of(result)
                error = (problem.message if problem else str(result)) + (
                    f" (gave up after {retries} retr{'y' if retries == 1 else 'ies'})" if retries else ""
                )
            else:
                error = f"the task ended {future.state.name}"
            report.outcomes.append(
                Outcome(
                    stage=STAGE,
                    department=dept,
                    resource=res.id,
                    status="failed",
                    started_at=now,
                    finished_at=now,
                    error=error,
                )
            )
    log_outcomes(run_id, STAGE, quote(report.outcomes))
    publish_collect_artifact(quote(report.outcomes))
    report.finished_at = clock.now()
    return finish(STAGE, report)
