"""The share flow (数据共享), run after cleansing: every registered resource's sharing brought in line
with its catalog, one task run per department (what became shareable is served by the sharing API,
grants on what became 不予共享 are withdrawn), then the summary and the overdue requests as
artifacts. One resource failing never stops the others; the flow ends Failed listing what failed."""

from __future__ import annotations

from prefect import flow
from prefect.utilities.annotations import quote

from gongshu import clock
from gongshu.catalog.model import Resource
from gongshu.runs import Outcome, RunReport, new_run_id
from gongshu.share.stage import STAGE
from gongshu.share.workflow import NEVER
from tasks.each import crash_error
from tasks.runlog import log_outcomes
from tasks.share import publish_share_artifacts, share_department

from .common import finish, run_name, selected, task_runner


@flow(
    name="share",
    flow_run_name=lambda: run_name("share"),
    task_runner=task_runner(),
    description="数据共享: serve what the catalogs share, withdraw grants on 不予共享, list overdue requests",
)
def share_flow(
    departments: list[str] | None = None,
    resources: list[str] | None = None,
    run_id: str | None = None,
    blocked: dict[str, str] | None = None,
):
    """``blocked``: resources (``dept.resource``) an earlier stage of this run stopped, with why. A
    blocked resource keeps what it served before; one that is 不予共享 has its grants withdrawn anyway."""
    run_id = run_id or new_run_id()
    blocked = blocked or {}
    report = RunReport(run_id=run_id, started_at=clock.now())
    _, selection = selected("share", departments, resources)
    shared: dict[str, list[Resource]] = {}
    for c, res in selection:
        dept = c.department.id
        why = blocked.get(f"{dept}.{res.id}")
        if why and res.share.type != NEVER:
            now = clock.now()
            report.outcomes.append(
                Outcome(STAGE, dept, res.id, "skipped", now, now, reason=f"stopped by an earlier stage: {why}")
            )
            continue
        shared.setdefault(dept, []).append(res)
    submitted = [(dept, res, share_department.submit(dept, quote(res), run_id)) for dept, res in shared.items()]
    for dept, res, future in submitted:
        result = future.result(raise_on_failure=False)
        if isinstance(result, list):
            report.outcomes += result
        else:  # the task itself crashed: the department's resources fail, the others go on
            now = clock.now()
            error = crash_error("sharing crashed", result)
            report.outcomes += [Outcome(STAGE, dept, r.id, "failed", now, now, error=error) for r in res]
    log_outcomes(run_id, STAGE, quote(report.outcomes))
    publish_share_artifacts(quote(report.outcomes), departments)
    report.finished_at = clock.now()
    return finish(STAGE, report)
