"""The cleanse flow (数据治理): every registered resource's new batches standardised, quarantined,
de-duplicated and passed through the clean gate into its DWD table, one task run per resource;
then one feedback workbook per department. One resource failing never stops the others; the flow
ends Failed listing what failed and why."""

from __future__ import annotations

from prefect import flow
from prefect.utilities.annotations import quote

from gongshu import clock
from gongshu.cleanse.stage import STAGE
from gongshu.clock import current_period
from gongshu.runs import Outcome, RunReport, new_run_id
from tasks.cleanse import cleanse_one, feedback_behind, publish_cleanse_artifacts, write_feedback_one
from tasks.each import crash_error
from tasks.runlog import log_outcomes

from .common import finish, run_name, selected, task_runner


@flow(
    name="cleanse",
    flow_run_name=lambda: run_name("cleanse"),
    task_runner=task_runner(),
    description="数据治理: standardise, quarantine and de-duplicate new batches into DWD tables behind the clean gate",
)
def cleanse_flow(
    departments: list[str] | None = None,
    resources: list[str] | None = None,
    run_id: str | None = None,
    blocked: dict[str, str] | None = None,
):
    """``blocked``: resources (``dept.resource``) an earlier stage of this run stopped, with why."""
    run_id = run_id or new_run_id()
    blocked = blocked or {}
    report = RunReport(run_id=run_id, started_at=clock.now())
    catalogs, selection = selected("cleanse", departments, resources)
    jobs = [(c.department.id, res) for c, res in selection]
    submitted = []
    for dept, res in jobs:
        why = blocked.get(f"{dept}.{res.id}")
        if why:
            now = clock.now()
            report.outcomes.append(
                Outcome(STAGE, dept, res.id, "skipped", now, now, reason=f"stopped by an earlier stage: {why}")
            )
        elif res.source is None:
            now = clock.now()
            report.outcomes.append(
                Outcome(STAGE, dept, res.id, "skipped", now, now, reason="no source declared: nothing is collected")
            )
        else:
            submitted.append(
                (
                    (dept, res),
                    cleanse_one.submit(dept, res.id, quote(res), run_id),
                )
            )
    for (dept, res), future in submitted:
        result = future.result(raise_on_failure=False)
        if isinstance(result, Outcome):
            report.outcomes.append(result)
        else:  # a defect: the resource fails, the others go on
            now = clock.now()
            report.outcomes.append(
                Outcome(STAGE, dept, res.id, "failed", now, now, error=crash_error("cleansing crashed", result))
            )

    period = current_period()
    cleansed = {o.department for o in report.outcomes if o.status in ("completed", "failed")}
    # and those a run killed while writing their workbook left behind
    behind = feedback_behind([c.department.id for c in catalogs if c.department.id not in cleansed])
    feedback = [
        (
            c.department.id,
            write_feedback_one.submit(c.department.id, quote(c.catalog), period, behind.get(c.department.id)),
        )
        for c in catalogs
        if c.department.id in cleansed or c.department.id in behind
    ]
    for dept, future in feedback:
        path = future.result(raise_on_failure=False)
        if isinstance(path, str):
            report.outputs[f"feedback_{dept}"] = path
        else:
            now = clock.now()
            report.outcomes.append(
                Outcome(STAGE, dept, None, "failed", now, now, error=f"the feedback workbook was not written: {path!r}")
            )
    log_outcomes(run_id, STAGE, quote(report.outcomes))
    publish_cleanse_artifacts(quote(report.outcomes))
    report.finished_at = clock.now()
    return finish(STAGE, report)
