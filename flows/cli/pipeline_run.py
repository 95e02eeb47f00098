"""A run of the pipeline from the command line (``gongshu run``, ``scorecard``, ``demo`` and
``catalog compile``): the checks, the flow run in Prefect, the summary, the exit code."""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

import typer

from gongshu.settings import get_settings

from .checks import check_catalogs, check_database, set_clock, write_report_copy
from .params import fail

if TYPE_CHECKING:
    from prefect.states import State

    from gongshu.runs import RunReport

    from ..demo_history import PeriodPlayed

    History = tuple[list[PeriodPlayed], str | None, RunReport | None]
    """What ``play_demo_history`` played (or why nothing was), and the month in progress scored 暂定."""


def run_pipeline(
    catalogs: Path | None,
    departments: list[str] | None,
    stages: list[str] | None,
    period: str | None,
    report_json: Path | None,
    demo: bool = False,
    verbose: bool = False,
    *,
    as_of: str | None = None,
    show_scorecard: bool = False,
) -> NoReturn:
    """Check the options, run the pipeline flow, print the summary; exit 1 if anything failed."""
    from ..options import check_period, check_stages

    set_clock(as_of)
    try:
        chosen = check_stages(stages)
        period = check_period(period)
    except ValueError as exc:
        fail(str(exc))
    folder = check_catalogs(catalogs, departments, chosen)
    get_settings().home.mkdir(parents=True, exist_ok=True)
    check_database(folder, departments, chosen, report_json)
    if not verbose:  # our summary says what happened; Prefect's lines stay in its UI (and with -v)
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")

    if not os.environ.get("PREFECT_API_URL"):
        typer.echo("starting Prefect's temporary local server (10-20 s; set PREFECT_API_URL to use a running one)")
    started = time.monotonic()
    history, report = _play(folder, departments, chosen, period, demo=demo, verbose=verbose)
    unwritten = write_report_copy(report, report_json)
    _print_outcome(report, period, demo=demo, history=history, show_scorecard=show_scorecard)
    typer.echo(f"finished in {time.monotonic() - started:.1f} s")
    if "database_error" in report.outputs:  # one line for the whole run, not one per department
        where = report.outputs.get("report") or report.outputs.get("report_json")
        fail(report.outputs["database_error"] + (f"; run report: {where}" if where else ""), code=1)
    if unwritten:
        fail(unwritten, code=1)
    raise typer.Exit(1 if report.failed else 0)


def _play(
    folder: Path, departments: list[str] | None, stages: list[str], period: str, *, demo: bool, verbose: bool
) -> tuple[History | None, RunReport]:
    """Run the pipeline flow in Prefect (the demo: three past months first, and the sample API up);
    the demo's history (or None) and the run report."""
    from gongshu.runs import new_run_id

    from ..common import local_runs
    from ..demo import sample_api, score_month_in_progress
    from ..pipeline import pipeline_flow
    from .console import one_line_console_logs

    if not verbose:
        one_line_console_logs()
    history: History | None = None
    if demo:  # three past months played first, so the scorecard's trends come from real runs
        from ..demo_history import play_demo_history

        typer.echo("playing three past months of sample runs for the scorecard's history (the first time: ~1 min)")
        with local_runs():
            history = (*play_demo_history(get_settings()), None)
    try:
        with sample_api(folder.resolve().parent / "samples") if demo else nullcontext(), local_runs():
            state = cast(
                "State[RunReport]",
                pipeline_flow(
                    catalogs=str(folder),
                    departments=departments,
                    stages=stages,
                    period=period,
                    run_id=new_run_id(),
                    sample=demo,
                    return_state=True,
                ),
            )
    except Exception as exc:  # Prefect could not run the flow at all (its server, its database)
        if verbose:
            raise
        fail(f"the pipeline could not run: {type(exc).__name__}: {exc} (add -v for the traceback)", code=1)
    report = state.result(raise_on_failure=False)
    if isinstance(report, BaseException):
        fail(f"the pipeline crashed: {report}", code=1)
    if demo and history is not None:  # the month in progress too, as 暂定, beside the final months
        with local_runs():
            history = (*history[:2], score_month_in_progress(departments))
    return history, report


def _print_outcome(
    report: RunReport, period: str, *, demo: bool, history: History | None, show_scorecard: bool
) -> None:
    """The summary; for ``gongshu scorecard`` where its outputs are; for the demo its history and
    the sharing demo."""
    from ..demo import print_history, share_demo
    from ..summary import print_summary

    print_summary(report, demo=demo)
    if show_scorecard and "scorecard_site" in report.outputs:
        typer.echo(f"\n考核晾晒 {period}: {report.outputs.get('scorecard_status', period).split(': ', 1)[-1]}")
        typer.echo(f"  site      {report.outputs['scorecard_site']}")
        typer.echo(f"  workbook  {report.outputs['scorecard_workbook']}")
    if demo:
        if history is not None:
            print_history(*history)
        share_demo(report)
