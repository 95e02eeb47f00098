"""The chunked cleanse flow (数据治理, one large resource): the cleansing stage for a resource too
large for one process, its standardising split into row-range chunks that run as task runs on a
Dask cluster (prefect-dask), the rest (merging duplicates across chunks, the clean gate, one DWD
load, issues, run log, feedback workbook) done once where the flow runs. The result is the one the
ordinary cleanse flow gives for the same batch: same DWD rows, same quarantine, same accounting.

Where the chunks run: the Dask scheduler at ``GONGSHU_DASK_ADDRESS`` (``tcp://host:8786``, workers
started with ``dask worker`` on other hosts, docs/runbook.md "Several hosts"), else a LocalCluster
of ``GONGSHU_DASK_WORKERS`` processes (default 2) on this host for the length of the run.

    from flows.chunked import cleanse_chunked_flow
    cleanse_chunked_flow(department="scjgj", resource="enterprise_registry", chunk_rows=200_000)
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.task_runners import TaskRunner
from prefect_dask import DaskTaskRunner

from gongshu import clock
from gongshu.cleanse.chunks import DEFAULT_CHUNK_ROWS
from gongshu.cleanse.stage import STAGE
from gongshu.clock import current_period
from gongshu.runs import RunReport, new_run_id
from gongshu.settings import get_settings
from tasks.chunked import cleanse_one_chunked
from tasks.cleanse import feedback_behind, publish_cleanse_artifacts, write_feedback_one
from tasks.runlog import log_outcomes

from .cleanse import NO_SOURCE
from .common import finish, selected
from .gather import crashed, gather, quoted, skipped


def dask_task_runner(address: str | None = None, workers: int | None = None) -> TaskRunner[Any]:
    """The scheduler at ``address`` (default ``GONGSHU_DASK_ADDRESS``), else a LocalCluster of
    ``workers`` single-threaded processes (default ``GONGSHU_DASK_WORKERS``, else 2), started with
    the flow run and stopped after it."""
    settings = get_settings()
    address = address or settings.dask_address
    if address:
        return DaskTaskRunner(address=address)
    workers = workers or settings.dask_workers
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": workers, "processes": True, "threads_per_worker": 1, "dashboard_address": None},
    )


def _run_name() -> str:
    params = flow_run.parameters or {}
    return f"cleanse-chunked {params.get('department')}.{params.get('resource')} {params.get('run_id') or ''}".strip()


@flow(
    name="cleanse-chunked",
    flow_run_name=_run_name,
    task_runner=dask_task_runner(),
    description="数据治理, one large resource: standardised in chunks on a Dask cluster, gated and loaded once",
)
def cleanse_chunked_flow(
    department: str,
    resource: str,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    run_id: str | None = None,
):
    """``chunk_rows``: rows per chunk, one task run each (keep chunks large: 100,000 rows and more)."""
    run_id = run_id or new_run_id()
    report = RunReport(run_id=run_id, started_at=clock.now())
    _, selection = selected(STAGE, [department], [f"{department}.{resource}"])
    if not selection:
        raise ValueError(f"{department}.{resource} is not a registered resource: check the name, run the catalog stage")
    [(catalog, res)] = selection
    if res.source is None:
        report.outcomes.append(skipped(STAGE, department, res.id, NO_SOURCE))
    else:
        state = cleanse_one_chunked(department, res.id, res, run_id, chunk_rows, return_state=True)
        # a chunk crashed, a Dask worker died, ...: the resource fails with why
        report.outcomes += gather(STAGE, [([(department, res.id)], state)], crashed("chunked cleansing crashed"))
    cleansed = any(o.status in ("completed", "failed") for o in report.outcomes)
    behind = None if cleansed else feedback_behind([department]).get(department)  # a run killed while writing it
    if cleansed or behind:
        report.outputs[f"feedback_{department}"] = write_feedback_one(
            department, catalog.catalog, current_period(), behind
        )
    log_outcomes(run_id, STAGE, quoted(report.outcomes))
    publish_cleanse_artifacts(report.outcomes)
    report.finished_at = clock.now()
    return finish(STAGE, report)
