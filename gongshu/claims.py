"""Claims on a resource for a stage (``stage_claim``): a run cleanses (or releases) a resource only
while it holds the resource's claim, so two runs at once never do the same work twice and never both
report it.

A claim is taken with one conditional UPDATE (``… WHERE run_id IS NULL OR refreshed_at < stale``),
which the database makes atomic on SQLite and PostgreSQL alike: of two runs, one updates the row,
the other updates nothing and skips the resource, saying who holds it and since when. The holder
refreshes the claim inside each of its commits (:func:`refresh`); if the claim is no longer its own
(taken over as stale), the refresh raises and that commit rolls back, so even a run wrongly deemed
dead cannot write after its claim was taken. A claim left by a killed process is taken over when it
was not refreshed within ``GONGSHU_CLAIM_TIMEOUT``, or at once when its process ran on this host and
is gone; a live holder refreshes it in the background (:func:`kept_alive`) however long its work.

Times here are the wall clock, not :mod:`gongshu.clock`: a run played as of another moment
(``--as-of``) must not make a live claim look stale to a run of today.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from .settings import get_settings
from .store import models as m

_T = m.StageClaim.__table__


@dataclass(frozen=True)
class Claim:
    """A claim this process holds."""

    stage: str
    department: str
    resource: str
    run_id: str
    holder: str


@dataclass(frozen=True)
class Busy:
    """A claim another run holds."""

    run_id: str
    holder: str
    claimed_at: dt.datetime

    def reason(self, doing: str) -> str:
        since = self.claimed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"being {doing} by run {self.run_id} since {since} ({self.holder}); this run left it alone"


class ClaimLost(RuntimeError):
    """The claim was taken over by another run: what this run was about to commit is rolled back."""


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _wall() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key(stage: str, department: str, resource: str) -> sa.ColumnElement[bool]:
    return sa.and_(_T.c.stage == stage, _T.c.department_key == department, _T.c.resource_key == resource)


def _gone(holder: str) -> bool:
    """True when ``holder`` (``host:pid``) ran on this host and its process no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def acquire(
    engine: Engine, stage: str, department: str, resource: str, run_id: str, *, timeout: float | None = None
) -> Claim | Busy:
    """Take the resource's claim for ``stage``, or say who holds it. ``timeout``: seconds without a
    refresh after which a claim is stale (default ``GONGSHU_CLAIM_TIMEOUT``)."""
    timeout = get_settings().claim_timeout if timeout is None else timeout
    me = Claim(stage, department, resource, run_id, this_process())
    now = _wall()
    take = {"run_id": run_id, "holder": me.holder, "claimed_at": now, "refreshed_at": now}
    key = _key(stage, department, resource)
    with engine.begin() as conn:
        _ensure_row(conn, stage, department, resource)
        free = sa.or_(
            _T.c.run_id.is_(None),
            _T.c.refreshed_at < now - dt.timedelta(seconds=timeout),
            sa.and_(_T.c.run_id == run_id, _T.c.holder == me.holder),  # this run again (a retried task)
        )
        if conn.execute(_T.update().where(key, free).values(**take)).rowcount == 1:
            return me
        held = conn.execute(sa.select(_T.c.run_id, _T.c.holder, _T.c.claimed_at).where(key)).one()
        if held.holder and _gone(held.holder):
            # compare and set: only if it is still that dead holder's claim
            taken = conn.execute(
                _T.update().where(key, _T.c.run_id == held.run_id, _T.c.holder == held.holder).values(**take)
            )
            if taken.rowcount == 1:
                return me
            held = conn.execute(sa.select(_T.c.run_id, _T.c.holder, _T.c.claimed_at).where(key)).one()
    return Busy(held.run_id or "?", held.holder or "?", held.claimed_at or now)


def _ensure_row(conn: Connection, stage: str, department: str, resource: str) -> None:
    values = {"stage": stage, "department_key": department, "resource_key": resource}
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(_T).values(**values).on_conflict_do_nothing())


def refresh(conn: Connection, claim: Claim) -> None:
    """Inside the caller's transaction: mark the claim alive, or raise :class:`ClaimLost` (rolling that
    transaction back) when another run has taken it over."""
    mine = sa.and_(
        _key(claim.stage, claim.department, claim.resource), _T.c.run_id == claim.run_id, _T.c.holder == claim.holder
    )
    if conn.execute(_T.update().where(mine).values(refreshed_at=_wall())).rowcount != 1:
        held = conn.execute(
            sa.select(_T.c.run_id, _T.c.claimed_at).where(_key(claim.stage, claim.department, claim.resource))
        ).first()
        by = f"run {held.run_id}" if held is not None and held.run_id else "no run"
        raise ClaimLost(
            f"the claim on {claim.department}.{claim.resource} ({claim.stage}) of run {claim.run_id} is now held by "
            f"{by}: it was taken over as stale (GONGSHU_CLAIM_TIMEOUT); nothing of this commit was written"
        )


@contextmanager
def kept_alive(engine: Engine, claim: Claim, *, timeout: float | None = None) -> Iterator[None]:
    """Refresh ``claim`` from a background thread, every third of the timeout, while the block runs:
    a long batch (minutes of standardising, a slow load) never makes a live claim look stale. A
    refresh that finds the claim taken over stops; the block's own commit then fails on it."""
    every = (get_settings().claim_timeout if timeout is None else timeout) / 3
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with engine.begin() as conn:
                    refresh(conn, claim)
            except ClaimLost:
                return
            except Exception:  # a database hiccup: the next beat, or the commit, will tell
                continue

    thread = threading.Thread(target=beat, name=f"claim-{claim.department}.{claim.resource}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def release(engine: Engine, claim: Claim) -> None:
    """Free the claim if it is still this run's."""
    mine = sa.and_(
        _key(claim.stage, claim.department, claim.resource), _T.c.run_id == claim.run_id, _T.c.holder == claim.holder
    )
    with engine.begin() as conn:
        conn.execute(_T.update().where(mine).values(run_id=None, holder=None, claimed_at=None, refreshed_at=None))
