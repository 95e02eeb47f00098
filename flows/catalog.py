"""The catalog flow (目录编制): validate every catalog file, register each department, export the
catalog, generate the expectation suites, and publish artifacts. One bad file never stops the
others; the flow ends Failed naming it, after everything else is done."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from gongshu import clock
from gongshu.catalog import discover
from gongshu.catalog.loader import LoadedCatalog
from gongshu.catalog.stage import STAGE, CompileResult, select
from gongshu.runs import RunReport, new_run_id
from gongshu.settings import get_settings
from tasks.catalog import compile_department, export_catalog, publish_artifacts, validate_catalogs
from tasks.each import crash_error, crash_outcome
from tasks.runlog import log_outcomes

from .common import finish, run_name, task_runner
from .gather import Ran, quoted


@flow(
    name="catalog",
    flow_run_name=lambda: run_name("catalog"),
    task_runner=task_runner(),
    description="目录编制: validate, register, export the catalog and generate expectation suites",
)
def catalog_flow(
    catalogs: str | None = None,
    departments: list[str] | None = None,
    run_id: str | None = None,
):
    settings = get_settings()
    run_id = run_id or new_run_id()
    report = RunReport(run_id=run_id, started_at=clock.now())
    files = discover([Path(catalogs) if catalogs else settings.catalogs])
    loaded = select(validate_catalogs(files), departments)
    if departments:
        unknown = sorted(set(departments) - {item.department_id or item.path.stem for item in loaded})
        if unknown:
            raise ValueError(f"no catalog file declares department(s) {', '.join(unknown)}")

    futures = [
        compile_department.submit(
            quoted(item),
            department=item.department_id or item.path.stem,
            run_id=run_id,
            suites_dir=settings.expectations,
        )
        for item in loaded
    ]
    results = [_compiled_or_crashed(item, future) for item, future in zip(loaded, futures, strict=True)]
    compiled = [r.compiled for r in results if r.compiled is not None]
    report.outcomes = [o for r in results for o in r.outcomes]
    log_outcomes(run_id, STAGE, quoted(report.outcomes))
    publish_artifacts(quoted(compiled))
    exports = export_catalog(settings.exports_dir)  # the 目录 is always the whole registered catalog
    report.outputs.update({name: str(path) for name, path in exports.items()})
    report.outputs["expectations"] = str(settings.expectations)
    report.finished_at = clock.now()
    return finish(STAGE, report)


def _compiled_or_crashed(item: LoadedCatalog, ran: Ran) -> CompileResult:
    """The department's compile result; a task run that crashed instead (a defect, its suites not
    writable) fails that department alone, and the others' results still count."""
    result = ran.result(raise_on_failure=False)
    if isinstance(result, CompileResult):
        return result
    crashed = CompileResult(loaded=item, compiled=None)
    crashed.outcomes = [
        crash_outcome(STAGE, crashed.department, None, crash_error("compiling the catalog crashed", result))
    ]
    return crashed
