"""``gongshu catalog``: validate catalog files, compile them (the catalog flow), export the compiled
catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gongshu.settings import get_settings

from .params import Catalogs, Departments, ReportJson, Verbose, fail

app = typer.Typer(help="目录编制: validate, compile and export department catalogs.", no_args_is_help=True)


@app.command("validate")
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
        fail(f"no catalog files (*.yaml) in {', '.join(map(str, paths or [get_settings().catalogs]))}")
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


@app.command("compile")
def catalog_compile(
    catalogs: Catalogs = None, departments: Departments = None, report_json: ReportJson = None, verbose: Verbose = False
) -> None:
    """Validate, register and export the catalogs, and generate the expectation suites (catalog flow)."""
    from .pipeline_run import run_pipeline

    run_pipeline(catalogs, departments, ["catalog"], None, report_json, verbose=verbose)


@app.command("export")
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
        fail(f"unknown format '{fmt}'; use json, xlsx or dcat")
    with session_scope() as session:
        catalogs = registered(session)
    if not catalogs:
        fail("nothing is compiled yet: run 'gongshu catalog compile' first")
    writer, name = writers[fmt]
    target = out or get_settings().exports_dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    writer(catalogs, target)
    typer.echo(f"wrote {target} ({len(catalogs)} departments, {sum(len(c.resources) for c in catalogs)} resources)")
