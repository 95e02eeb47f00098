"""Whether a department's feedback workbook (反馈表) shows its quality issues as the database holds
them (``feedback_state``).

Every cleansing commit adds one to the department's ``issues_generation`` in the same transaction
(:func:`bump`). A workbook is read at a generation (read first, so that what it shows is at least
that new), written aside, and renamed into place in a transaction that records that generation
(:func:`install`): the conditional UPDATE holds the department's row while the file is renamed, so
two writers at once install in generation order and an older workbook never replaces a newer one.
A process killed before the rename leaves the previous workbook and its older generation; one killed
between the rename and the commit leaves a newer workbook than recorded. Either way the next cleanse
run finds the department :func:`behind` and writes its workbook again.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import clock
from ..files import write_aside
from ..store import models as m

_T: sa.Table = m.FeedbackState.__table__  # type: ignore[assignment]


def bump(session: Session, department: str) -> None:
    """In the caller's (cleansing) transaction: the department's issues moved on by one generation."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(_T)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(_T)
    stmt = stmt.values(department_key=department, issues_generation=1)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[_T.c.department_key], set_={"issues_generation": _T.c.issues_generation + 1}
        )
    )


def generation(session: Session, department: str) -> int:
    """The department's issues generation now (0 before its first cleansing)."""
    return session.scalar(sa.select(_T.c.issues_generation).where(_T.c.department_key == department)) or 0


def install(session: Session, home: Path, department: str, period: str, path: Path, data: bytes, at: int) -> bool:
    """Write ``data`` aside and rename it onto ``path`` if no workbook newer than generation ``at``
    was installed meanwhile; record it, in the caller's transaction (committed by the caller right
    after). Returns False (and leaves ``path`` alone) when a newer one is there."""
    tmp = write_aside(path, data)
    try:
        try:
            relative = path.resolve().relative_to(home.resolve()).as_posix()
        except ValueError:
            relative = str(path)
        values = {
            "workbook_generation": at,
            "workbook_period": period,
            "workbook_path": relative,
            "workbook_written_at": clock.now(),
        }
        older = sa.or_(_T.c.workbook_generation.is_(None), _T.c.workbook_generation <= at)
        update = _T.update().where(_T.c.department_key == department, older).values(**values)
        if at and cast(sa.CursorResult[Any], session.execute(update)).rowcount != 1:
            return False  # a workbook of a newer generation is in place
        os.replace(tmp, path)  # while the row is held: installs of one department take turns
        return True
    finally:
        tmp.unlink(missing_ok=True)


def behind(session: Session, home: Path, departments: Iterable[str]) -> dict[str, str]:
    """Of ``departments``, those whose workbook does not show their issues as they stand, with why:
    written at an older generation (or never), or the file recorded is gone."""
    wanted = list(departments)
    if not wanted:
        return {}
    out = {}
    for row in session.execute(sa.select(_T).where(_T.c.department_key.in_(wanted))):
        if row.workbook_generation is None or row.workbook_generation < row.issues_generation:
            written = (
                f"the workbook of {_when(row.workbook_written_at)} shows generation {row.workbook_generation}"
                if row.workbook_generation is not None
                else "no workbook was recorded"
            )
            out[row.department_key] = f"{written}, its quality issues are at generation {row.issues_generation}"
        elif row.workbook_path and not _exists(home, row.workbook_path):
            out[row.department_key] = f"the workbook {row.workbook_path} is missing"
    return out


def _exists(home: Path, recorded: str) -> bool:
    path = Path(recorded)
    return (path if path.is_absolute() else home / path).is_file()


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "an unknown time"
