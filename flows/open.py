"""The open flow (数据开放), run after sharing: every registered resource released if its catalog
entry lets it open and its data changed, one task run per resource that may open (masked, through
the publish gate, written as a new version under ``$GONGSHU_HOME/portal`` or ``open-restricted``),
one task run for those held back (a release made before is withdrawn); then the `open-summary`
artifact and the portal rebuilt. One resource failing never stops the others; the flow ends Failed
listing what failed (a release blocked by the gate, a portal that could not be built)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from gongshu import clock
from gongshu.catalog.model import Resource
from gongshu.open.masking import release_decision
from gongshu.open.stage import STAGE
from gongshu.runs import RunReport, new_run_id
from tasks.open import build_portal_site, hold_back, open_one, publish_open_artifacts
from tasks.runlog import log_outcomes

from .common import finish, run_name, selected, task_runner
from .gather import Held, Ran, crashed, gather, gather_output, quoted, stopped


def _held_details(res: Resource) -> dict[str, Any]:
    """What the open-summary artifact shows of a resource an earlier stage stopped."""
    return {"open_type": res.open.type, "level": res.level, "held": "earlier stage"}


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
    runs: list[tuple[Held, Ran]] = []
    held: list[tuple[str, Resource]] = []
    for c, res in selection:
        dept = c.department.id
        if not release_decision(res).openable:
            held.append((dept, res))
        elif (skip := stopped(STAGE, dept, res, blocked, **_held_details(res))) is not None:
            report.outcomes.append(skip)  # a held-back resource says why it is held
        else:
            runs.append(([(dept, res.id)], open_one.submit(dept, res.id, quoted(res), run_id)))
    held_back = hold_back.submit(quoted(held), run_id) if held else None
    report.outcomes += gather(STAGE, runs, crashed("the release crashed"))
    if held_back is not None:  # one task run for all: if it crashed, each of them fails
        report.outcomes += gather(STAGE, [([(d, r.id) for d, r in held], held_back)], crashed("holding back crashed"))
    order: dict[tuple[str, str | None], int] = {(c.department.id, res.id): n for n, (c, res) in enumerate(selection)}
    report.outcomes.sort(key=lambda o: order.get((o.department, o.resource), len(order)))
    log_outcomes(run_id, STAGE, quoted(report.outcomes))
    publish_open_artifacts(quoted(report.outcomes))
    portal = build_portal_site(api_base, return_state=True)
    # not a resource's failure: reported in the run, not in run_log
    gather_output(STAGE, report, "portal", "portal", portal, lambda index: f"the portal could not be built: {index!r}")
    report.finished_at = clock.now()
    return finish(STAGE, report)
