"""``gongshu keys``: create, revoke and list the keys of the sharing API."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from gongshu import clock

from .params import fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="共享接口密钥: create, revoke and list keys of the sharing API.", no_args_is_help=True)


@app.command("create")
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
    from gongshu.share.keys import ADMIN, DEPARTMENT, create_key
    from gongshu.store.db import session_scope

    if admin == (department is not None):
        fail("give either --department ID or --admin")
    expires_at = clock.now() + dt.timedelta(days=expires_days) if expires_days else None
    with session_scope() as session:
        if department is not None:
            _check_department(session, department)
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


def _check_department(session: Session, department: str) -> None:
    """The department a key is created for is registered (and active)."""
    import sqlalchemy as sa

    from gongshu.store import models as m

    known = list(session.scalars(sa.select(m.Department.key).where(m.Department.active).order_by(m.Department.key)))
    if department not in known:
        fail(
            f"no registered department '{department}'; "
            + (f"known: {', '.join(known)}" if known else "run 'gongshu catalog compile' first")
        )


@app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key id (the 12 characters after gs_)")]) -> None:
    """Revoke a key: it stops working at once."""
    from gongshu.share.keys import revoke_key
    from gongshu.store.db import session_scope

    with session_scope() as session:
        revoked = revoke_key(session, key_id)
    if not revoked:
        fail(f"no active key {key_id} (see 'gongshu keys list')", code=1)
    typer.echo(f"revoked key {key_id}")


@app.command("list")
def keys_list(
    department: Annotated[str | None, typer.Option("--department", "-d", help="only this department's keys")] = None,
) -> None:
    """The keys: id, role, department (an applicant key: its one open dataset), label, created, expires,
    revoked (never a secret)."""
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
