"""The ``gongshu`` command line. Validation and export are fast and need no Prefect; compile, run
and demo go through the Prefect flows so that every run is visible in the Prefect UI.

One module per command group: ``catalog``, ``quality``, ``keys``, ``open_apps`` and ``scorecard``
(sub-apps; the last runs the stage without a subcommand), ``run`` (run, demo; the run itself in
``pipeline_run`` and ``checks``), ``service`` (api, serve) and ``prune``. This module wires them into
the root app, in the order ``gongshu --help`` lists them."""

from __future__ import annotations

import os

import typer

from gongshu.settings import reset_settings

from . import catalog, keys, open_apps, prune, quality, run, scorecard, service

app = typer.Typer(
    help="公数 gongshu: a city's public-data programme as Prefect flows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(catalog.app, name="catalog")
app.add_typer(quality.app, name="quality")
app.add_typer(keys.app, name="keys")
app.add_typer(open_apps.app, name="open-apps")
app.command("api")(service.api)
app.command("serve")(service.serve)
app.command("run")(run.run)
app.add_typer(scorecard.app, name="scorecard")
app.command("prune")(prune.prune)
app.command("demo")(run.demo)


def main() -> None:
    reset_settings()
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app(prog_name="gongshu")
