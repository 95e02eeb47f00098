"""What every stage flow shares: run ids, run names, and ending Failed after all work is done.

Task runs are named for their stage, department and resource (``cleanse-scjgj.enterprise_registry``)
and carry no tags: Prefect 3 asks its server for a tag concurrency slot before every tagged task run,
limit or not (PrefectHQ/prefect#19367), and per-department tags made the whole pipeline of 100
departments 2.3x slower (bench/pipeline_overhead.py). Deployments carry the stage tags."""

from __future__ import annotations

from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from gongshu.catalog.compiled import CompiledCatalog
from gongshu.catalog.model import Resource
from gongshu.catalog.registry import registered
from gongshu.runs import RunReport
from gongshu.store.db import get_engine, session_scope


def run_name(stage: str) -> str:
    """'catalog scjgj,wjw 20261125T103000Z-3f9a1c': the stage, the departments, the run id."""
    params = flow_run.parameters or {}
    depts = params.get("departments")
    scope = ",".join(depts) if depts else "all"
    run_id = params.get("run_id") or ""
    return f"{stage} {scope} {run_id}".strip()


def finish(stage: str, report: RunReport) -> State:
    """Completed with the report, or Failed naming what failed (the report is the state's data)."""
    failed = report.failed
    if not failed:
        return Completed(data=report, message=f"{stage}: {len(report.outcomes)} outcomes, none failed")
    names = sorted({f"{o.stage}:{o.department}" + (f"/{o.resource}" if o.resource else "") for o in failed})
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return Failed(data=report, message=f"{stage}: {len(failed)} failed: {shown}. First error: {failed[0].error}")


def selected(
    stage: str, departments: list[str] | None, resources: list[str] | None
) -> tuple[list[CompiledCatalog], list[tuple[CompiledCatalog, Resource]]]:
    """The registered catalogs of ``departments`` (default: all) and their resources named in
    ``resources`` (``resource`` or ``dept.resource``; default: all)."""
    with session_scope(get_engine()) as session:
        catalogs = registered(session, departments)
    if not catalogs:
        raise ValueError(f"no registered catalog to {stage}: run the catalog stage first")
    jobs = [
        (c, r.resource)
        for c in catalogs
        for r in c.resources
        if not resources or r.resource.id in resources or f"{c.department.id}.{r.resource.id}" in resources
    ]
    return catalogs, jobs
