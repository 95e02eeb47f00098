"""``gongshu open-apps``: the administrator's side of 开放应用 (apps built on open data), on this host:
list them and approve or reject one (``gongshu.open.apps``; the API's review takes an admin key)."""

from __future__ import annotations

from typing import Annotated

import typer

from .params import fail

app = typer.Typer(help="开放应用: list and review the apps built on open data.", no_args_is_help=True)
CLI_REVIEWER = "cli"
"""``open_app.reviewed_by`` of a review made here (an API review records the admin key's id)."""


@app.command("list")
def apps_list(
    status: Annotated[str | None, typer.Option("--status", help="pending, approved or rejected (default: all)")] = None,
    contacts: Annotated[
        bool, typer.Option("--contacts", help="also print each submitter's contact (personal data: not for logs)")
    ] = False,
) -> None:
    """The apps, oldest first: id, status, name, submitter, the datasets each uses."""
    import sqlalchemy as sa

    from gongshu.open import apps
    from gongshu.store import models as m
    from gongshu.store.db import session_scope

    if status not in (None, apps.PENDING, apps.APPROVED, apps.REJECTED):
        fail(f"--status is pending, approved or rejected, not {status!r}")
    with session_scope() as session:
        found = apps.list_apps(session, status)
        contact = {i: c for i, c in session.execute(sa.select(m.OpenApp.id, m.OpenApp.contact))} if contacts else {}
    if not found:
        typer.echo("no 开放应用" + (f" {status}" if status else ""))
        return
    for a in found:
        datasets = ", ".join(d.key for d in a.datasets)
        line = f"#{a.id}  {a.status:<8}  {a.name}  ({a.submitter})  uses {datasets}"
        if a.reason:
            line += f"  reason: {a.reason}"
        if contacts:
            line += f"  contact: {contact.get(a.id, '')}"
        typer.echo(line)


@app.command("review")
def apps_review(
    app_id: Annotated[int, typer.Argument(help="the app's id (see 'gongshu open-apps list')", min=1)],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="approve it, or reject it (with --reason)")],
    reason: Annotated[str | None, typer.Option("--reason", help="why (required to reject), in Chinese")] = None,
) -> None:
    """Approve an app (the portal lists it at its next build; the scorecard counts it) or reject it."""
    from gongshu.open import apps
    from gongshu.share.keys import ADMIN, Principal
    from gongshu.store.db import session_scope

    reviewer = Principal(key_id=CLI_REVIEWER, role=ADMIN, department=None)
    try:
        with session_scope() as session:
            done = apps.review(session, reviewer, app_id, approve, reason)
            name, status = done.name, done.status
    except apps.Unknown as exc:
        fail(str(exc), code=1)
    except apps.Invalid as exc:
        fail(str(exc))
    typer.echo(f"开放应用 #{app_id} 「{name}」: {status}")
