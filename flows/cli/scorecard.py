"""``gongshu scorecard``: the scorecard stage of a month (no subcommand, as before: ``gongshu scorecard
--period 2026-11``) and its 申诉 (``gongshu scorecard appeal file|decide|list``).

The appeal commands are the administrator's (a department files through the API with its own key);
they need no Prefect. After an appeal is filed or decided the period's site and workbook are written
again, so the department's page shows its 申诉 and an accepted one's new version at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .checks import set_clock
from .params import AsOf, Period, ReportJson, Verbose, fail
from .pipeline_run import run_pipeline

if TYPE_CHECKING:
    from gongshu.scorecard.appeals import Appeal

app = typer.Typer(help="考核晾晒: rank the departments for a month; 申诉 (appeals) against a published month.")
appeal_app = typer.Typer(
    help="申诉: appeals of departments against a published month's evidence.", no_args_is_help=True
)
app.add_typer(appeal_app, name="appeal")


@app.callback(invoke_without_command=True)
def scorecard(
    ctx: typer.Context,
    period: Period = None,
    as_of: AsOf = None,
    report_json: ReportJson = None,
    verbose: Verbose = False,
) -> None:
    """考核晾晒: rank the departments for a month from what the platform logged (the scorecard stage,
    as `gongshu run --stages scorecard`); prints where the site and the workbook are. The month in
    progress is provisional (暂定) and not stored; a closed month is stored once, then re-rendered."""
    if ctx.invoked_subcommand is None:
        run_pipeline(None, None, ["scorecard"], period, report_json, verbose=verbose, as_of=as_of, show_scorecard=True)


def _config():
    from gongshu.scorecard.config import ConfigError
    from gongshu.scorecard.stage import configured
    from gongshu.settings import get_settings

    try:
        return configured(get_settings().scorecard_config)
    except ConfigError as exc:
        fail(f"the scorecard configuration is wrong: {exc}")


def _rerender(period: str) -> str | None:
    """Write the period's site and workbook again from its stored latest version; where the site is."""
    from gongshu.scorecard import store
    from gongshu.scorecard.stage import render
    from gongshu.settings import get_settings
    from gongshu.store.db import get_engine

    engine = get_engine()
    card = store.load(engine, period)
    if card is None:
        return None
    return str(render(engine, card, get_settings().scorecards_dir / period).site)


def _line(a: Appeal) -> str:
    decided = f" — {a.status}: {a.decision}" if a.decision else f" — {a.status}"
    issued = f" (issued version {a.version_issued})" if a.version_issued else ""
    return (
        f"#{a.id} {a.period} {a.department} {a.indicator} {a.evidence_ref} (against version {a.version_filed}), "
        f"filed {a.filed_at:%Y-%m-%d %H:%M} UTC: {a.reason}{decided}{issued}"
    )


@appeal_app.command("file")
def appeal_file(
    period: Annotated[str, typer.Option("--period", help="the published month YYYY-MM")],
    department: Annotated[str, typer.Option("--department", "-d", help="the department appealing")],
    indicator: Annotated[str, typer.Option("--indicator", help="the indicator's code, e.g. request_timeliness")],
    evidence: Annotated[str, typer.Option("--evidence", help="the evidence item's reference as the page shows it")],
    reason: Annotated[str, typer.Option("--reason", help="why the item is wrong (Chinese welcome)")],
    as_of: AsOf = None,
) -> None:
    """File a 申诉 for a department against one evidence item of a published month (administrator)."""
    from gongshu.scorecard.appeals import AppealError, file_appeal
    from gongshu.store.db import get_engine

    set_clock(as_of)
    config = _config()
    try:
        appeal = file_appeal(
            get_engine(), config, period=period, department=department, indicator=indicator,
            evidence_ref=evidence, reason=reason, by="admin (cli)",
        )  # fmt: skip
    except AppealError as exc:
        fail(f"appeal refused: {exc}")
    typer.echo(f"filed appeal #{appeal.id}: {_line(appeal)}")
    if site := _rerender(period):
        typer.echo(f"site re-rendered: {site}")


@appeal_app.command("decide")
def appeal_decide(
    appeal_id: Annotated[int, typer.Argument(metavar="ID", help="the appeal's number")],
    reason: Annotated[str, typer.Option("--reason", help="the decision's reason (Chinese welcome)")],
    accept: Annotated[bool | None, typer.Option("--accept/--reject", help="accept or reject the appeal")] = None,
    as_of: AsOf = None,
) -> None:
    """Accept or reject a pending 申诉 with a reason; an accepted one re-issues its month as a new version."""
    from gongshu.scorecard.appeals import AppealError, decide
    from gongshu.store.db import get_engine

    if accept is None:
        fail("say --accept or --reject")
    set_clock(as_of)
    config = _config()
    try:
        decision = decide(get_engine(), config, appeal_id, accept=accept, reason=reason, by="admin (cli)")
    except AppealError as exc:
        fail(f"decision refused: {exc}")
    a = decision.appeal
    if decision.card is not None:
        typer.echo(f"appeal #{a.id} accepted: {a.period} re-issued as version {decision.card.version}")
    else:
        typer.echo(f"appeal #{a.id} rejected: the scorecard of {a.period} is unchanged")
    if site := _rerender(a.period):
        typer.echo(f"site re-rendered: {site}")


@appeal_app.command("list")
def appeal_list(
    period: Annotated[str | None, typer.Option("--period", help="only this month")] = None,
    department: Annotated[str | None, typer.Option("--department", "-d", help="only this department")] = None,
) -> None:
    """Every 申诉 and its decision, oldest first."""
    from gongshu.scorecard.appeals import list_appeals
    from gongshu.store.db import get_engine

    appeals = list_appeals(get_engine(), period, department)
    for a in appeals:
        typer.echo(_line(a))
    if not appeals:
        typer.echo("no appeals" + (f" for {period}" if period else ""))
