"""Helpers shared by the exports: time stamps, ordering, atomic writes, vocabulary labels."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ... import clock
from ..compiled import CompiledCatalog, CompiledResource
from ..vocab import CATEGORIES, CATEGORY_CLASS

# China has one time zone and no daylight saving; a fixed offset needs no tz database.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def resolve_generated_at(generated_at: dt.datetime | None) -> dt.datetime:
    """``generated_at`` as an aware datetime to the second; None: now; naive: Beijing time."""
    if generated_at is None:
        return clock.now().astimezone(BEIJING).replace(microsecond=0)
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=BEIJING)
    return generated_at.replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def ordered(
    catalogs: Sequence[CompiledCatalog],
) -> list[tuple[CompiledCatalog, list[CompiledResource]]]:
    """Departments by id, each with its resources by code: the order of every export."""
    seen: set[str] = set()
    for c in catalogs:
        if c.department.id in seen:
            raise ValueError(f"department '{c.department.id}' is given twice to the export")
        seen.add(c.department.id)
    return [
        (c, sorted(c.resources, key=lambda r: (r.code, r.resource.id)))
        for c in sorted(catalogs, key=lambda c: c.department.id)
    ]


def category_code(category: str) -> str:
    return CATEGORIES[category]


def category_class(category: str) -> str:
    """基础信息资源 / 主题信息资源 / 部门信息资源, from the first digit of the category code."""
    return CATEGORY_CLASS[CATEGORIES[category][0]]


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    tmp = write_aside(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_aside(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path`` (folders created) and return it, for the
    caller to rename onto ``path`` (``os.replace``) when it decides to."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # on the disk before the rename: a crash or a full disk never leaves half a file
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; exports are read by other processes
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
