"""Writing files whole: a file the platform writes (exports, workbooks, pages, run logs) is written
beside its place and renamed onto it, so that a reader never sees half a file and a crash or a full
disk leaves the previous one as it was."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
