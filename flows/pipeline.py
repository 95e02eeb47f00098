"""The pipeline: the stages in order for the selected departments, one run id, one run report.

Stages register here in STAGE_FLOWS; a resource that fails a stage is skipped by the later ones (with why).
"""

from __future__ import annotations

from collections.abc import Callable

from prefect import flow

from gongshu import clock
from gongshu.runs import RunReport, new_run_id
from gongshu.settings import get_settings
from gongshu.store.db import database_problem

from .catalog import catalog_flow
from .cleanse import cleanse_flow
from .collect import collect_flow
from .common import finish, run_name
from .open import open_flow
from .options import BUILT_STAGES, check_period, check_stages, database_lost
from .scorecard import scorecard_flow
from .share import share_flow

STAGE_FLOWS: dict[str, Callable] = {
    "catalog": catalog_flow,
    "collect": collect_flow,
    "cleanse": cleanse_flow,
    "share": share_flow,
    "open": open_flow,
    "scorecard": scorecard_flow,
}
if tuple(STAGE_FLOWS) != BUILT_STAGES:
    raise RuntimeError("flows/options.py BUILT_STAGES must list the stage flows of STAGE_FLOWS, in order")


@flow(
    name="pipeline",
    flow_run_name=lambda: run_name("pipeline"),
    description="公数 pipeline: every stage in order",
)
def pipeline_flow(
    catalogs: str | None = None,
    departments: list[str] | None = None,
    stages: list[str] | None = None,
    period: str | None = None,
    run_id: str | None = None,
    sample: bool = False,
):
    """``period``: the month the scorecard stage ranks (default: last month); ``sample``: the run is
    on demo data, so the scorecard says 示例数据."""
    run_id = run_id or new_run_id()
    chosen = check_stages(stages)
    period = check_period(period)
    report = RunReport(run_id=run_id, started_at=clock.now())
    report.outputs["period"] = period
    stopped: dict[str, str] = {}  # dept.resource -> why a failed stage stops its later stages
    for stage in chosen:
        params: dict = {"catalogs": catalogs} if stage == "catalog" else {}
        if stage == "scorecard":  # last: it scores what the stages before it logged
            params.update(period=period, sample=sample)
        elif stage not in ("catalog", "collect"):
            params["blocked"] = dict(stopped)
        state = STAGE_FLOWS[stage](departments=departments, run_id=run_id, return_state=True, **params)
        stage_report = state.result(raise_on_failure=False)
        if isinstance(stage_report, RunReport):
            report.outcomes += stage_report.outcomes
            for o in stage_report.outcomes:
                if o.status == "failed" and o.resource and stage != "catalog":
                    stopped.setdefault(f"{o.department}.{o.resource}", f"{o.stage} failed: {o.error}")
            report.outputs.update(stage_report.outputs)
        else:  # the stage flow crashed before it could report
            problem = database_problem(stage_report) if isinstance(stage_report, BaseException) else None
            if problem is None:
                raise RuntimeError(f"stage {stage} crashed: {state.message}") from (
                    stage_report if isinstance(stage_report, BaseException) else None
                )
            # the platform database failed: this stage fails, the later ones would fail the same way
            report.outputs["database_error"] = problem.message
            report.outcomes += database_lost(chosen[chosen.index(stage) :], catalogs, departments, problem.message)
            break
    report.finished_at = clock.now()
    report.save(get_settings().reports_dir)  # a full disk: the result is still returned, and the CLI says so
    return finish("pipeline", report)
