"""What the command groups share: the options several commands take, and the one way a command
fails (a red line on stderr and an exit code)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from gongshu import clock

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


def fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)
