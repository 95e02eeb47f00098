"""The cleanse flow (数据治理): every registered resource's new batches standardised, quarantined,
de-duplicated and passed through the clean gate into its DWD table, one task run per resource;
then one feedback workbook per department. One resource failing never stops the others; the flow
ends Failed listing what failed and why."""

from __future__ import annotations

from prefect import flow

from gongshu import clock
from gongshu.catalog.compiled import CompiledCatalog
from gongshu.cleanse.stage import STAGE
from gongshu.clock import current_period
from gongshu.runs import RunReport, new_run_id
from tasks.cleanse import cleanse_one, feedback_behind, publish_cleanse_artifacts, write_feedback_one
from tasks.runlog import log_outcomes

from .common import finish, run_name, selected, task_runner
from .gather import crashed, gather, gather_output, quoted, skipped, stopped

NO_SOURCE = "no source declared: nothing is collected"


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
    runs = []
    for c, res in selection:
        dept = c.department.id
        held = stopped(STAGE, dept, res, blocked)
        if held is None and res.source is None:
            held = skipped(STAGE, dept, res.id, NO_SOURCE)
        if held is not None:
            report.outcomes.append(held)
        else:
            runs.append(([(dept, res.id)], cleanse_one.submit(dept, res.id, quoted(res), run_id)))
    report.outcomes += gather(STAGE, runs, crashed("cleansing crashed"))
    _write_feedback(report, catalogs)
    log_outcomes(run_id, STAGE, quoted(report.outcomes))
    publish_cleanse_artifacts(quoted(report.outcomes))
    report.finished_at = clock.now()
    return finish(STAGE, report)


def _write_feedback(report: RunReport, catalogs: list[CompiledCatalog]) -> None:
    """One feedback workbook per department cleansed in this run, and per department a run killed
    while writing its workbook left behind; their paths into the report's outputs."""
    period = current_period()
    cleansed = {o.department for o in report.outcomes if o.status in ("completed", "failed")}
    behind = feedback_behind([c.department.id for c in catalogs if c.department.id not in cleansed])
    feedback = [
        (
            c.department.id,
            write_feedback_one.submit(c.department.id, quoted(c.catalog), period, behind.get(c.department.id)),
        )
        for c in catalogs
        if c.department.id in cleansed or c.department.id in behind
    ]
    for dept, future in feedback:
        gather_output(
            STAGE,
            report,
            f"feedback_{dept}",
            dept,
            future,
            lambda path: f"the feedback workbook was not written: {path!r}",
        )
