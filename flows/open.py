"""The open flow (数据开放), run after sharing: every registered resource released if its catalog
entry lets it open and its data changed, one task run per resource (masked, through the publish
gate, written as a new version under ``$GONGSHU_HOME/portal`` or ``open-restricted``), then the
`open-summary` artifact and the portal rebuilt. One resource failing never stops the others; the
flow ends Failed listing what failed (a release blocked by the gate, a portal that could not be
built)."""

from __future__ import annotations

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from gongshu import clock
from gongshu.open.masking import release_decision
from gongshu.open.stage import STAGE
from gongshu.runs import Outcome, RunReport, new_run_id
from tasks.open import build_portal_site, open_one, publish_open_artifacts
from tasks.runlog import log_outcomes

from .common import finish, run_name, selected


@flow(
    name="open",
    flow_run_name=lambda: run_name("open"),
    task_runner=ThreadPoolTaskRunner(max_workers=4),
    description="数据开放: mask, gate and release what the catalogs open; rebuild the portal",
)
def open_flow(
    departments: list[str] | None = None,
    resources: list[str] | None = None,
    run_id: str | None = None,
    blocked: dict[str, str] | None = None,
    api_base: str | None = None,
):
    """``blocked``: resources (``dept.resource``) an earlier stage of this run stopped, with why; they
    keep their previous release. ``api_base``: the API address the portal's examples point at."""
    run_id = run_id or new_run_id()
    blocked = blocked or {}
    report = RunReport(run_id=run_id, started_at=clock.now())
    _, selection = selected("open", departments, resources)
    submitted = []
    for c, res in selection:
        dept = c.department.id
        why = blocked.get(f"{dept}.{res.id}")
        if why and release_decision(res).openable:  # a held-back resource says why it is held
            now = clock.now()
            report.outcomes.append(
                Outcome(
                    STAGE,
                    dept,
                    res.id,
                    "skipped",
                    now,
                    now,
                    reason=f"stopped by an earlier stage: {why}",
                    details={"open_type": res.open.type, "level": res.level, "held": "earlier stage"},
                )
            )
            continue
        future = open_one.submit(dept, res.id, res, run_id)
        submitted.append(((dept, res), future))
    for (dept, res), future in submitted:
        result = future.result(raise_on_failure=False)
        if isinstance(result, Outcome):
            report.outcomes.append(result)
        else:  # a defect or an I/O error: the resource fails, the others go on
            now = clock.now()
            report.outcomes.append(
                Outcome(STAGE, dept, res.id, "failed", now, now, error=f"the release crashed: {result!r}")
            )
    log_outcomes(run_id, STAGE, report.outcomes)
    publish_open_artifacts(report.outcomes)
    portal = build_portal_site(api_base, return_state=True)
    index = portal.result(raise_on_failure=False)
    if isinstance(index, str):
        report.outputs["portal"] = index
    else:  # not a resource's failure: reported in the run, not in run_log
        now = clock.now()
        report.outcomes.append(
            Outcome(STAGE, "portal", None, "failed", now, now, error=f"the portal could not be built: {index!r}")
        )
    report.finished_at = clock.now()
    return finish(STAGE, report)
