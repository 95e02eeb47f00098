"""The open flow (数据开放), run after sharing: every registered resource released if its catalog
entry lets it open and its data changed, one task run per resource that may open (masked, through
the publish gate, written as a new version under ``$GONGSHU_HOME/portal`` or ``open-restricted``),
one task run for those held back (a release made before is withdrawn); then the `open-summary`
artifact and the portal rebuilt. One resource failing never stops the others; the flow ends Failed
listing what failed (a release blocked by the gate, a portal that could not be built)."""

from __future__ import annotations

from prefect import flow
from prefect.utilities.annotations import quote

from gongshu import clock
from gongshu.open.masking import release_decision
from gongshu.open.stage import STAGE
from gongshu.runs import Outcome, RunReport, new_run_id
from tasks.each import crash_error
from tasks.open import build_portal_site, hold_back, open_one, publish_open_artifacts
from tasks.runlog import log_outcomes

from .common import finish, run_name, selected, task_runner


@flow(
    name="open",
    flow_run_name=lambda: run_name("open"),
    task_runner=task_runner(),
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
    submitted, held = [], []
    for c, res in selection:
        dept = c.department.id
        why = blocked.get(f"{dept}.{res.id}")
        openable = release_decision(res).openable
        if why and openable:  # a held-back resource says why it is held
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
        elif openable:
            submitted.append(((dept, res), open_one.submit(dept, res.id, quote(res), run_id)))
        else:
            held.append((dept, res))
    held_back = hold_back.submit(quote(held), run_id) if held else None
    for (dept, res), future in submitted:
        result = future.result(raise_on_failure=False)
        if isinstance(result, Outcome):
            report.outcomes.append(result)
        else:  # a defect or an I/O error: the resource fails, the others go on
            now = clock.now()
            report.outcomes.append(
                Outcome(STAGE, dept, res.id, "failed", now, now, error=crash_error("the release crashed", result))
            )
    if held_back is not None:
        result = held_back.result(raise_on_failure=False)
        if isinstance(result, list):
            report.outcomes += result
        else:  # the task itself crashed
            now = clock.now()
            error = crash_error("holding back crashed", result)
            report.outcomes += [Outcome(STAGE, d, r.id, "failed", now, now, error=error) for d, r in held]
    order = {(c.department.id, res.id): n for n, (c, res) in enumerate(selection)}
    report.outcomes.sort(key=lambda o: order.get((o.department, o.resource), len(order)))
    log_outcomes(run_id, STAGE, quote(report.outcomes))
    publish_open_artifacts(quote(report.outcomes))
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
