"""``gongshu run`` and ``gongshu demo``: the pipeline's runs (``gongshu scorecard`` is in scorecard.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from gongshu.settings import get_settings

from .params import AsOf, Catalogs, Departments, Period, ReportJson, Verbose
from .pipeline_run import run_pipeline


def run(
    catalogs: Catalogs = None,
    departments: Departments = None,
    stages: Annotated[
        list[str] | None, typer.Option("--stages", "-s", help="stages to run, repeatable or comma-separated")
    ] = None,
    period: Period = None,
    as_of: AsOf = None,
    report_json: ReportJson = None,
    verbose: Verbose = False,
) -> None:
    """Run the pipeline's six stages, catalog to scorecard (or those of --stages), and write the run report."""
    chosen = [s.strip() for item in stages or [] for s in item.split(",") if s.strip()]
    run_pipeline(catalogs, departments, chosen or None, period, report_json, verbose=verbose, as_of=as_of)


def demo(verbose: Verbose = False) -> None:
    """Run the whole pipeline on the bundled sample departments and show where every output is."""
    settings = get_settings()
    typer.echo(f"gongshu demo: home {settings.home.resolve()}, catalogs {settings.catalogs.resolve()}")
    run_pipeline(None, None, None, None, None, demo=True, verbose=verbose)
