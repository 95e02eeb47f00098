"""What a run checks before Prefect starts, so that a mistake is answered at once: the moment it
runs as of, the catalog folder and departments, the platform database; and the --report-json copy."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gongshu import clock
from gongshu.clock import SHANGHAI
from gongshu.settings import get_settings

from .params import fail

if TYPE_CHECKING:
    from gongshu.runs import RunReport


def set_clock(as_of: str | None) -> None:
    """Play the run as of ``as_of`` (or ``$GONGSHU_AS_OF``), for the whole process: the clock reads
    the variable (its worker processes inherit it). A bad moment is answered before Prefect loads."""
    if as_of is None:
        env = os.environ.get(clock.AS_OF_ENV)
        if env:
            try:
                clock.parse_moment(env)
            except ValueError as exc:
                fail(f"{clock.AS_OF_ENV}: {exc}")
        return
    try:
        moment = clock.parse_moment(as_of)
    except ValueError as exc:
        fail(f"--as-of: {exc}")
    os.environ[clock.AS_OF_ENV] = moment.isoformat()
    typer.echo(f"running as of {moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai)")


def check_catalogs(catalogs: Path | None, departments: list[str] | None, stages: list[str]) -> Path:
    """The catalog folder of the run. The later stages read the registered catalogs, but a folder
    named on the command line must exist, and so must the departments named with -d."""
    from gongshu.catalog import discover

    folder = catalogs or get_settings().catalogs
    if catalogs is not None or "catalog" in stages or departments:
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            fail(f"catalog folder {folder} {what} (set --catalogs or GONGSHU_CATALOGS)")
        if not discover([folder]):
            fail(f"no catalog files (*.yaml) in {folder}")
    if departments:
        check_departments(folder, departments)
    return folder


def check_departments(folder: Path, departments: list[str]) -> None:
    """Every department named with -d has a catalog file in ``folder``. Another department's broken
    file does not stop the run: it is named in one line (the catalog stage reads only the chosen
    departments' files into the registry)."""
    from gongshu.catalog import discover, load_catalog

    loaded = [load_catalog(f) for f in discover([folder])]
    known = {item.department_id or item.path.stem for item in loaded}
    unknown = sorted(set(departments) - known)
    if unknown:
        fail(
            f"no catalog file in {folder} declares department(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    for item in loaded:
        if item.errors and (item.department_id or item.path.stem) not in departments:
            more = f" (and {len(item.errors) - 1} more)" if len(item.errors) > 1 else ""
            typer.secho(
                f"warning: {item.errors[0]}{more}; not part of this run (gongshu catalog validate {item.path})",
                fg=typer.colors.YELLOW,
                err=True,
            )


def check_database(folder: Path, departments: list[str] | None, stages: list[str], report_json: Path | None) -> None:
    """Before Prefect starts: connect to the platform database (trying again as GONGSHU_DB_RETRY_DELAYS
    say) and, on SQLite, take its write lock for a moment. A database that is down, frozen or locked
    ends the run here: one line on stderr, the run report with the first stage failed, exit 1."""
    from gongshu.runs import RunReport, new_run_id
    from gongshu.store.db import check_database, database_problem

    from ..options import database_lost

    started = clock.now()
    try:
        check_database()
        return
    except Exception as exc:
        problem = database_problem(exc)
        if problem is None:
            raise
    report = RunReport(run_id=new_run_id(), started_at=started, finished_at=clock.now())
    report.outcomes = database_lost(stages, folder, departments, problem.message)
    report.outputs["database_error"] = problem.message
    report.save(get_settings().reports_dir)
    unwritten = write_report_copy(report, report_json)
    where = report.outputs.get("report") or report.outputs.get("report_json")
    fail(
        problem.message + (f"; run report: {where}" if where else "") + (f"; {unwritten}" if unwritten else ""),
        code=1,
    )


def write_report_copy(report: RunReport, report_json: Path | None) -> str | None:
    """Write the --report-json copy; on a full disk keep the previous file and say so (the sentence),
    with the run's own report (under $GONGSHU_HOME/reports) not written either if that failed."""
    failures = [report.outputs["report_error"]] if "report_error" in report.outputs else []
    if report_json:
        try:
            report.write(report_json)
            report.outputs["report_json"] = str(report_json)
        except OSError as exc:
            kept = "; the previous one is kept" if report_json.exists() else ""
            failures.append(f"the run report {report_json} was not written: {exc.strerror or exc}{kept}")
    return "; ".join(failures) or None
