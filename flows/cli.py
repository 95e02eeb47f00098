"""The ``gongshu`` command line. Validation and export are fast and need no Prefect; compile, run
and demo go through the Prefect flows so that every run is visible in the Prefect UI."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gongshu import clock
from gongshu.scorecard.workdays import SHANGHAI
from gongshu.settings import get_settings, reset_settings

if TYPE_CHECKING:
    from gongshu.runs import RunReport

app = typer.Typer(
    help="公数 gongshu: a city's public-data programme as Prefect flows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="目录编制: validate, compile and export department catalogs.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
quality_app = typer.Typer(help="数据质量: Great Expectations Data Docs of the quality gates.", no_args_is_help=True)
app.add_typer(quality_app, name="quality")
keys_app = typer.Typer(help="共享接口密钥: create, revoke and list keys of the sharing API.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

Catalogs = Annotated[
    Path | None,
    typer.Option("--catalogs", help="folder of catalog files (default: $GONGSHU_CATALOGS or ./catalogs)"),
]
Departments = Annotated[list[str] | None, typer.Option("--department", "-d", help="only this department (repeatable)")]
ReportJson = Annotated[Path | None, typer.Option("--report-json", help="also write the run report here")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="show Prefect's log lines on the console")]
Period = Annotated[str | None, typer.Option("--period", help="assessment month YYYY-MM (default: last month)")]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="MOMENT",
        help="run as of this moment, ISO 8601 (e.g. 2026-10-05T10:00; no zone: Asia/Shanghai): every time "
        f"recorded and the default period follow it (also ${clock.AS_OF_ENV})",
    ),
]


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@catalog_app.command("validate")
def catalog_validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="catalog files or folders (default: the catalogs folder)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the issues as JSON")] = False,
) -> None:
    """Check catalog files against format v1 without touching the database."""
    from gongshu.catalog import validate_paths

    loaded = validate_paths(paths or [get_settings().catalogs])
    if not loaded:
        _fail(f"no catalog files (*.yaml) in {', '.join(map(str, paths or [get_settings().catalogs]))}")
    issues = [i for item in loaded for i in item.issues]
    errors = [i for i in issues if i.severity == "error"]
    if as_json:
        typer.echo(json.dumps([i.to_dict() for i in issues], ensure_ascii=False, indent=2))
    else:
        for issue in issues:
            typer.secho(
                str(issue),
                fg=typer.colors.RED if issue.severity == "error" else typer.colors.YELLOW,
                err=True,
            )
        bad = sum(1 for item in loaded if item.errors)
        typer.echo(
            f"checked {len(loaded)} catalog file(s): {len(loaded) - bad} valid, {bad} with errors; "
            f"{len(errors)} error(s), {len(issues) - len(errors)} warning(s)"
        )
    raise typer.Exit(1 if errors else 0)


@catalog_app.command("compile")
def catalog_compile(
    catalogs: Catalogs = None, departments: Departments = None, report_json: ReportJson = None, verbose: Verbose = False
) -> None:
    """Validate, register and export the catalogs, and generate the expectation suites (catalog flow)."""
    _run(catalogs, departments, ["catalog"], None, report_json, verbose=verbose)


@catalog_app.command("export")
def catalog_export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="json, xlsx or dcat")] = "json",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="file to write (default: under $GONGSHU_HOME/exports)")
    ] = None,
) -> None:
    """Export the compiled catalog: JSON, the Excel 目录清单, or DCAT JSON-LD."""
    from gongshu.catalog.export import export_dcat, export_json, export_xlsx
    from gongshu.catalog.registry import registered
    from gongshu.store.db import session_scope

    writers = {
        "json": (export_json, "catalog.json"),
        "xlsx": (export_xlsx, "catalog.xlsx"),
        "dcat": (export_dcat, "catalog.dcat.jsonld"),
    }
    if fmt not in writers:
        _fail(f"unknown format '{fmt}'; use json, xlsx or dcat")
    with session_scope() as session:
        catalogs = registered(session)
    if not catalogs:
        _fail("nothing is compiled yet: run 'gongshu catalog compile' first")
    writer, name = writers[fmt]
    target = out or get_settings().exports_dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    writer(catalogs, target)
    typer.echo(f"wrote {target} ({len(catalogs)} departments, {sum(len(c.resources) for c in catalogs)} resources)")


@quality_app.command("docs")
def quality_docs() -> None:
    """Build Great Expectations Data Docs from the latest gate results; prints the path of its index.html."""
    from gongshu.quality.docs import DocsError, build_data_docs

    try:
        index = build_data_docs(get_settings().home)
    except DocsError as exc:
        _fail(str(exc), code=1)
    typer.echo(index.resolve())


@app.command("api")
def api(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port to listen on")] = 8600,
) -> None:
    """Serve the sharing API (数据共享接口) with uvicorn; its OpenAPI document is at /docs."""
    import uvicorn

    from gongshu.api.app import PREFIX, create_app

    application = create_app()
    typer.echo(f"sharing API on http://{host}:{port}{PREFIX} (documentation: http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_level="info")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="address every service listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Prefect's server and UI")] = 4200,
    api_port: Annotated[int, typer.Option("--api-port", min=1, max=65535, help="the sharing API")] = 8600,
    server: Annotated[
        bool, typer.Option("--server/--no-server", help="start Prefect's server (--no-server: use $PREFECT_API_URL)")
    ] = True,
    deploy: Annotated[
        bool, typer.Option("--deploy/--no-deploy", help="register the deployments of prefect.yaml")
    ] = True,
    paused: Annotated[
        bool, typer.Option("--paused", help="pause every schedule after registering: runs only by hand or trigger")
    ] = False,
    api: Annotated[bool, typer.Option("--api/--no-api", help="serve the sharing API")] = True,
    worker_limit: Annotated[
        int, typer.Option("--worker-limit", min=1, help="flow runs this host's worker runs at once")
    ] = 2,
) -> None:
    """Run the platform as a service: Prefect's server, the deployments of prefect.yaml, a worker of the
    gongshu-process pool and the sharing API, until Ctrl-C or SIGTERM (docs/runbook.md)."""
    from .serve import ServeError, ServeOptions, run_service

    options = ServeOptions(
        host=host,
        port=port,
        api_port=api_port,
        server=server,
        deploy=deploy,
        paused=paused,
        api=api,
        worker_limit=worker_limit,
    )
    try:
        code = run_service(options)
    except ServeError as exc:
        _fail(str(exc), code=1)
    raise typer.Exit(code)


@keys_app.command("create")
def keys_create(
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="the department the key acts for")
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="a platform admin key: manages requests, reads no data")
    ] = False,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="the key stops working after N days")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="what the key is for, e.g. the calling system")] = None,
) -> None:
    """Create a key and print it: the only time it is shown (only its hash is stored)."""
    import datetime as dt

    import sqlalchemy as sa

    from gongshu.share.keys import ADMIN, DEPARTMENT, create_key
    from gongshu.store import models as m
    from gongshu.store.db import session_scope

    if admin == (department is not None):
        _fail("give either --department ID or --admin")
    expires_at = clock.now() + dt.timedelta(days=expires_days) if expires_days else None
    with session_scope() as session:
        if department is not None:
            known = list(
                session.scalars(sa.select(m.Department.key).where(m.Department.active).order_by(m.Department.key))
            )
            if department not in known:
                _fail(
                    f"no registered department '{department}'; "
                    + (f"known: {', '.join(known)}" if known else "run 'gongshu catalog compile' first")
                )
        key = create_key(
            session, department=department, role=ADMIN if admin else DEPARTMENT, label=label, expires_at=expires_at
        )
    who = "platform admin" if admin else f"department {department}"
    typer.echo(key)
    typer.secho(
        f"key {key[3:15]} for {who}{f', expires {expires_at:%Y-%m-%d %H:%M} UTC' if expires_at else ''}: "
        "it is shown this once and cannot be shown again; store it now",
        fg=typer.colors.YELLOW,
        err=True,
    )


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key id (the 12 characters after gs_)")]) -> None:
    """Revoke a key: it stops working at once."""
    from gongshu.share.keys import revoke_key
    from gongshu.store.db import session_scope

    with session_scope() as session:
        revoked = revoke_key(session, key_id)
    if not revoked:
        _fail(f"no active key {key_id} (see 'gongshu keys list')", code=1)
    typer.echo(f"revoked key {key_id}")


@keys_app.command("list")
def keys_list(
    department: Annotated[str | None, typer.Option("--department", "-d", help="only this department's keys")] = None,
) -> None:
    """The keys: id, role, department (an applicant key: its one open dataset), label, created, expires,
    revoked (never a secret)."""
    import datetime as dt

    from gongshu.share.keys import list_keys
    from gongshu.store.db import session_scope

    with session_scope() as session:
        found = list_keys(session, department)
    if not found:
        typer.echo("no keys" + (f" of department {department}" if department else ""))
        return

    def when(t: dt.datetime | None) -> str:
        return f"{t:%Y-%m-%d %H:%M}" if t else "-"

    rows = [("key id", "role", "department/dataset", "created", "expires", "revoked", "label")] + [
        (
            k.key_id,
            k.role,
            k.department_key or k.resource_scope or "-",
            when(k.created_at),
            when(k.expires_at),
            when(k.revoked_at),
            k.label or "",
        )
        for k in found
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)) + "  " + row[-1])


@app.command("run")
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
    """Run the pipeline (the stages built so far) and write the run report."""
    chosen = [s.strip() for item in stages or [] for s in item.split(",") if s.strip()]
    _run(catalogs, departments, chosen or None, period, report_json, verbose=verbose, as_of=as_of)


@app.command("scorecard")
def scorecard(
    period: Period = None, as_of: AsOf = None, report_json: ReportJson = None, verbose: Verbose = False
) -> None:
    """考核晾晒: rank the departments for a month from what the platform logged (the scorecard stage,
    as `gongshu run --stages scorecard`); prints where the site and the workbook are."""
    _run(None, None, ["scorecard"], period, report_json, verbose=verbose, as_of=as_of, show_scorecard=True)


@app.command("prune")
def prune(
    older_than: Annotated[str, typer.Option("--older-than", metavar="DURATION", help="e.g. 90d, 12w, 2y (h, d, w, y)")],
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="ods, history or prefect (repeatable; default: all three)"),
    ] = None,
    apply: Annotated[bool, typer.Option("--apply", help="delete; without it nothing is deleted (dry run)")] = False,
    report_json: ReportJson = None,
) -> None:
    """Retention: ODS batches already cleansed and superseded, run logs past the scorecard's needs, ended
    Prefect flow runs, older than DURATION. A dry run unless --apply (docs/operations.md)."""
    from gongshu.ops.prune import RetentionError, apply_prune, parse_duration, plan_prune
    from gongshu.store.db import get_engine

    scopes = [s.strip() for item in only or ["ods", "history", "prefect"] for s in item.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in ("ods", "history", "prefect")]
    if unknown:
        _fail(f"--only: {', '.join(unknown)} is not one of ods, history, prefect")
    try:
        delta = parse_duration(older_than)
    except ValueError as exc:
        _fail(f"--older-than: {exc}")
    report: dict = {"older_than": older_than, "dry_run": not apply}
    store_scopes = [s for s in scopes if s in ("ods", "history")]
    if store_scopes:
        engine = get_engine()
        try:
            plan = plan_prune(engine, delta, scope=store_scopes)
        except RetentionError as exc:
            _fail(str(exc))
        for line in plan.describe():
            typer.echo(line)
        report["plan"] = plan.to_dict()
        if apply:
            result = apply_prune(engine, plan)
            typer.echo(f"deleted: {json.dumps(result.deleted, ensure_ascii=False)}")
            report["deleted"] = result.to_dict()
    if "prefect" in scopes:
        from gongshu.settings import configure_prefect_env

        configure_prefect_env()
        from tasks.prune_prefect import prune_flow_runs

        runs = prune_flow_runs(delta, dry_run=not apply)
        verb = "deleted" if apply else "would delete"
        typer.echo(f"Prefect flow runs ended before {runs.cutoff:%Y-%m-%d %H:%M} UTC: {verb} {len(runs.flow_runs)}")
        report["prefect"] = runs.to_dict()
    if report_json:
        report_json.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    if not apply:
        typer.echo("dry run: nothing deleted; add --apply")


@app.command("demo")
def demo(verbose: Verbose = False) -> None:
    """Run the whole pipeline on the bundled sample departments and show where every output is."""
    settings = get_settings()
    typer.echo(f"gongshu demo: home {settings.home.resolve()}, catalogs {settings.catalogs.resolve()}")
    _run(None, None, None, None, None, demo=True, verbose=verbose)


def _run(
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
) -> None:
    from gongshu.catalog import discover

    from .options import check_period, check_stages

    _set_clock(as_of)
    try:
        chosen = check_stages(stages)
        period = check_period(period)
    except ValueError as exc:
        _fail(str(exc))
    settings = get_settings()
    folder = catalogs or settings.catalogs
    # The later stages read the registered catalogs, but a folder named on the command line must exist.
    if catalogs is not None or "catalog" in chosen or departments:
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            _fail(f"catalog folder {folder} {what} (set --catalogs or GONGSHU_CATALOGS)")
        if not discover([folder]):
            _fail(f"no catalog files (*.yaml) in {folder}")
    if departments:
        _check_departments(folder, departments)

    settings.home.mkdir(parents=True, exist_ok=True)
    from gongshu.runs import new_run_id

    _check_database(folder, departments, chosen, report_json)
    if not verbose:  # our summary says what happened; Prefect's lines stay in its UI (and with -v)
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")

    if not os.environ.get("PREFECT_API_URL"):
        typer.echo("starting Prefect's temporary local server (10-20 s; set PREFECT_API_URL to use a running one)")
    started = time.monotonic()
    from .common import local_runs
    from .demo import print_history, sample_api, share_demo
    from .pipeline import pipeline_flow

    if not verbose:
        _one_line_console_logs()
    history = None
    if demo:  # three past months played first, so the scorecard's trends come from real runs
        from .demo_history import play_demo_history

        typer.echo("playing three past months of sample runs for the scorecard's history (the first time: ~1 min)")
        with local_runs():
            history = play_demo_history(settings)
    try:
        with sample_api(folder.resolve().parent / "samples") if demo else nullcontext(), local_runs():
            state = pipeline_flow(
                catalogs=str(folder),
                departments=departments,
                stages=chosen,
                period=period,
                run_id=new_run_id(),
                sample=demo,
                return_state=True,
            )
    except Exception as exc:  # Prefect could not run the flow at all (its server, its database)
        if verbose:
            raise
        _fail(f"the pipeline could not run: {type(exc).__name__}: {exc} (add -v for the traceback)", code=1)
    report = state.result(raise_on_failure=False)
    if isinstance(report, BaseException):
        _fail(f"the pipeline crashed: {report}", code=1)
    unwritten = _write_report_copy(report, report_json)
    from .summary import print_summary

    print_summary(report, demo=demo)
    if show_scorecard and "scorecard_site" in report.outputs:
        typer.echo(f"\n考核晾晒 {period}:\n  site      {report.outputs['scorecard_site']}")
        typer.echo(f"  workbook  {report.outputs['scorecard_workbook']}")
    if demo:
        if history is not None:
            print_history(*history)
        share_demo(report)
    typer.echo(f"finished in {time.monotonic() - started:.1f} s")
    if "database_error" in report.outputs:  # one line for the whole run, not one per department
        where = report.outputs.get("report") or report.outputs.get("report_json")
        _fail(report.outputs["database_error"] + (f"; run report: {where}" if where else ""), code=1)
    if unwritten:
        _fail(unwritten, code=1)
    raise typer.Exit(1 if report.failed else 0)


def _write_report_copy(report: RunReport, report_json: Path | None) -> str | None:
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


def _check_database(folder: Path, departments: list[str] | None, stages: list[str], report_json: Path | None) -> None:
    """Before Prefect starts: connect to the platform database (trying again as GONGSHU_DB_RETRY_DELAYS
    say) and, on SQLite, take its write lock for a moment. A database that is down, frozen or locked
    ends the run here: one line on stderr, the run report with the first stage failed, exit 1."""
    from gongshu.runs import RunReport, new_run_id
    from gongshu.store.db import check_database, database_problem

    from .options import database_lost

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
    unwritten = _write_report_copy(report, report_json)
    where = report.outputs.get("report") or report.outputs.get("report_json")
    _fail(
        problem.message + (f"; run report: {where}" if where else "") + (f"; {unwritten}" if unwritten else ""),
        code=1,
    )


def _check_departments(folder: Path, departments: list[str]) -> None:
    """Every department named with -d has a catalog file in ``folder``. Another department's broken
    file does not stop the run: it is named in one line (the catalog stage reads only the chosen
    departments' files into the registry)."""
    from gongshu.catalog import discover, load_catalog

    loaded = [load_catalog(f) for f in discover([folder])]
    known = {item.department_id or item.path.stem for item in loaded}
    unknown = sorted(set(departments) - known)
    if unknown:
        _fail(
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


class _OneLineFormatter(logging.Formatter):
    """Prefect's console format without the traceback: without -v a failed flow or task is one line
    (the run report and the Prefect UI keep the details). The record is left as it was, for the
    handler that sends it to Prefect's server."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self._inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _one_line_console_logs() -> None:
    """Strip tracebacks from Prefect's console handlers in this process (set up when the flows are
    imported)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if isinstance(handler, PrefectConsoleHandler) and not isinstance(handler.formatter, _OneLineFormatter):
                handler.setFormatter(_OneLineFormatter(handler.formatter))


def _set_clock(as_of: str | None) -> None:
    """Play the run as of ``as_of`` (or ``$GONGSHU_AS_OF``), for the whole process: the clock reads
    the variable (its worker processes inherit it). A bad moment is answered before Prefect loads."""
    if as_of is None:
        env = os.environ.get(clock.AS_OF_ENV)
        if env:
            try:
                clock.parse_moment(env)
            except ValueError as exc:
                _fail(f"{clock.AS_OF_ENV}: {exc}")
        return
    try:
        moment = clock.parse_moment(as_of)
    except ValueError as exc:
        _fail(f"--as-of: {exc}")
    os.environ[clock.AS_OF_ENV] = moment.isoformat()
    typer.echo(f"running as of {moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai)")


def main() -> None:
    reset_settings()
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app(prog_name="gongshu")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
