"""The platform's clock: every time the platform records (run logs, batches, issues, requests,
releases) is read here, so that a run can be played as of another moment.

Normally :func:`now` is the wall clock in UTC. :func:`travel_to` (or ``GONGSHU_AS_OF`` for a whole
process, e.g. ``gongshu run --as-of 2026-09-05T10:00+08:00``) sets the clock to a moment from which
it keeps running at the wall clock's pace: durations stay real, the dates are those of the moment.
That is how the demo plays several past months of runs whose logs the scorecard then ranks, and how
a missed run can be backfilled into its own period. Timings of work (latencies, benchmarks) use
``time.perf_counter`` and are not affected.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

AS_OF_ENV = "GONGSHU_AS_OF"
_lock = threading.Lock()
_anchor: tuple[dt.datetime, float] | None = None


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 moment; one without a zone is Asia/Shanghai wall-clock time."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 moment such as 2026-09-05T10:00+08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return moment.astimezone(dt.UTC)


def now() -> dt.datetime:
    """The current moment, UTC."""
    anchor = _anchor
    if anchor is None:
        env = os.environ.get(AS_OF_ENV)
        if not env:
            return dt.datetime.now(dt.UTC)
        anchor = _set(parse_moment(env))
    moment, started = anchor
    return moment + dt.timedelta(seconds=time.monotonic() - started)


def _set(moment: dt.datetime | None) -> tuple[dt.datetime, float] | None:
    global _anchor
    with _lock:
        _anchor = (moment.astimezone(dt.UTC), time.monotonic()) if moment is not None else None
        return _anchor


@contextmanager
def travel_to(moment: dt.datetime) -> Iterator[None]:
    """Run the block as of ``moment`` (the clock runs on from it); the clock is restored after."""
    if moment.tzinfo is None:
        raise ValueError("travel_to needs an aware datetime")
    previous = _anchor
    _set(moment)
    try:
        yield
    finally:
        with _lock:
            globals()["_anchor"] = previous
