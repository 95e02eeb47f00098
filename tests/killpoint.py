"""A process that dies at a chosen statement, played in one process: the statement raises, so the
transaction it belongs to is rolled back as a killed process's would be. Tests use it to check what a
stage commits together (its work and its run record) without killing anything."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa


@contextmanager
def dies_at(engine: sa.Engine, statement_start: str = "INSERT INTO RUN_LOG") -> Iterator[None]:
    """The first statement on ``engine`` beginning with ``statement_start`` raises; the block must let
    that error out (it is expected, as ``RuntimeError('killed')``)."""

    def die(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(statement_start):
            raise RuntimeError("killed")

    sa.event.listen(engine, "before_cursor_execute", die)
    try:
        with pytest.raises(RuntimeError, match="killed"):
            yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", die)
