"""Withdrawing releases the catalog no longer opens as they were (数据开放的撤回).

A resource's catalog entry may change after it was released: it becomes 不予开放, or L4, or a
dataset that was public becomes 有条件开放. "不予开放 never leaves the platform" must then hold for
what already left: the release folders are deleted (a public folder under ``portal/`` may be copied
to a web server as it is, so a file left there stays downloadable), the masked rows of the
``opn_`` table are dropped when nothing of the resource stays open, and each withdrawn release is
marked (``withdrawn_at``, ``withdraw_reason``) rather than deleted: its row is the history the
scorecard reads. The API and the portal serve releases that are not withdrawn only.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine

from .. import clock
from ..store import models as m
from ..store.db import session_scope
from .layout import UNCONDITIONAL
from .table import open_table


def withdraw(
    engine: Engine,
    home: Path,
    department: str,
    resource: str,
    reason: str,
    *,
    public_only: bool = False,
    now: dt.datetime | None = None,
) -> list[int]:
    """Withdraw the resource's releases still standing (only the public ones with ``public_only``);
    returns their versions, oldest first. Idempotent: a second call finds nothing to withdraw."""
    r = m.OpenRelease
    with session_scope(engine) as session:
        query = sa.select(r).where(r.department_key == department, r.resource_key == resource, r.withdrawn_at.is_(None))
        if public_only:
            query = query.where(r.open_type == UNCONDITIONAL)
        standing = list(session.scalars(query.order_by(r.version)))
        if not standing:
            return []
        when = now or clock.now()
        for release in standing:
            release.withdrawn_at, release.withdraw_reason = when, reason
        if not public_only:
            open_table(department, resource, []).drop(session.connection(), checkfirst=True)
        folders = [home / release.folder for release in standing]
    for folder in folders:  # after the commit: a failed commit must not leave releases without files
        shutil.rmtree(folder, ignore_errors=True)
    return [release.version for release in standing]
