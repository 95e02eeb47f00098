"""The share flow (数据共享), run after cleansing: every registered resource's sharing brought in line
with its catalog, one task run per department (what became shareable is served by the sharing API,
grants on what became 不予共享 are withdrawn), then the summary and the overdue requests as
artifacts. One resource failing never stops the others; the flow ends Failed listing what failed."""

from __future__ import annotations

from prefect import flow

from gongshu import clock
from gongshu.catalog.model import Resource
from gongshu.runs import RunReport, new_run_id
from gongshu.share.stage import STAGE
from gongshu.share.workflow import NEVER
from tasks.runlog import log_outcomes
from tasks.share import publish_share_artifacts, share_department

from .common import finish, run_name, selected, task_runner
from .gather import crashed, gather, quoted, stopped


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
        held = stopped(STAGE, dept, res, blocked) if res.share.type != NEVER else None
        if held is not None:
            report.outcomes.append(held)
        else:
            shared.setdefault(dept, []).append(res)
    runs = [
        ([(dept, r.id) for r in res], share_department.submit(dept, quoted(res), run_id))
        for dept, res in shared.items()
    ]
    # a task run that crashed fails its department's resources; the other departments go on
    report.outcomes += gather(STAGE, runs, crashed("sharing crashed"))
    log_outcomes(run_id, STAGE, quoted(report.outcomes))
    publish_share_artifacts(quoted(report.outcomes), departments)
    report.finished_at = clock.now()
    return finish(STAGE, report)
