"""``gongshu quality``: the Great Expectations Data Docs of the quality gates."""

from __future__ import annotations

import typer

from gongshu.settings import get_settings

from .params import fail

app = typer.Typer(help="数据质量: Great Expectations Data Docs of the quality gates.", no_args_is_help=True)


@app.command("docs")
def quality_docs() -> None:
    """Build Great Expectations Data Docs from the latest gate results; prints the path of its index.html."""
    from gongshu.quality.docs import DocsError, build_data_docs

    try:
        index = build_data_docs(get_settings().home)
    except DocsError as exc:
        fail(str(exc), code=1)
    typer.echo(index.resolve())
