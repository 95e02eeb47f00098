"""``gongshu prune``: retention of ODS batches, run logs and Prefect flow runs (docs/operations.md)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer

from .params import ReportJson, fail

SCOPES = ("ods", "history", "prefect")


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
    from gongshu.ops.prune import parse_duration

    scopes = [s.strip() for item in only or list(SCOPES) for s in item.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        fail(f"--only: {', '.join(unknown)} is not one of ods, history, prefect")
    try:
        delta = parse_duration(older_than)
    except ValueError as exc:
        fail(f"--older-than: {exc}")
    report: dict[str, Any] = {"older_than": older_than, "dry_run": not apply}
    store_scopes = [s for s in scopes if s in ("ods", "history")]
    if store_scopes:
        _prune_store(delta, store_scopes, apply, report)
    if "prefect" in scopes:
        _prune_prefect(delta, apply, report)
    if report_json:
        report_json.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    if not apply:
        typer.echo("dry run: nothing deleted; add --apply")


def _prune_store(delta: dt.timedelta, scopes: list[str], apply: bool, report: dict[str, Any]) -> None:
    """The platform database's part: the plan (printed), and with ``apply`` the deletion."""
    from gongshu.ops.prune import RetentionError, apply_prune, plan_prune
    from gongshu.store.db import get_engine

    engine = get_engine()
    try:
        plan = plan_prune(engine, delta, scope=scopes)
    except RetentionError as exc:
        fail(str(exc))
    for line in plan.describe():
        typer.echo(line)
    report["plan"] = plan.to_dict()
    if apply:
        result = apply_prune(engine, plan)
        typer.echo(f"deleted: {json.dumps(result.deleted, ensure_ascii=False)}")
        report["deleted"] = result.to_dict()


def _prune_prefect(delta: dt.timedelta, apply: bool, report: dict[str, Any]) -> None:
    """Prefect's part: the ended flow runs older than ``delta`` (deleted with ``apply``)."""
    from gongshu.settings import configure_prefect_env

    configure_prefect_env()
    from tasks.prune_prefect import prune_flow_runs

    runs = prune_flow_runs(delta, dry_run=not apply)
    verb = "deleted" if apply else "would delete"
    typer.echo(f"Prefect flow runs ended before {runs.cutoff:%Y-%m-%d %H:%M} UTC: {verb} {len(runs.flow_runs)}")
    report["prefect"] = runs.to_dict()
