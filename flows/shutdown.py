"""A quiet end for runs against Prefect's temporary server.

The temporary server records task runs from the events the client sends, one database write per
event (its task-run recorder), and it lags behind the flows (docs: tech-notes, "stalled 3-33 s while
the temporary server caught up"). When the process exits, Prefect stops that server with SIGTERM;
a write still in progress is cancelled and the server prints ``task_run_recorder - Error flushing
... CancelledError`` tracebacks after our "finished" line, and the records still queued are lost
(Prefect issues #9148, #15033, open). Prefect's own test harness only drains the client's event
queue before stopping the server, which leaves the server's backlog to the same fate.

:func:`settle` is the clean path: send what the client still holds, then wait until the server has
recorded every task run of the flow runs started since ``since`` in a final state and the count has
stopped moving; only then does the process go on to exit and stop the server. It waits at most
``timeout`` seconds and never raises: a quiet exit is worth a little waiting, never a failed run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

logger = logging.getLogger("gongshu.shutdown")

FINAL = ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")
PAGE = 200


def settle(since: dt.datetime, timeout: float = 20.0, poll: float = 0.25) -> bool:
    """True when the server caught up with the task runs of the flow runs started since ``since``."""
    try:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime
        from prefect.client.schemas.objects import TaskRun
        from prefect.events.worker import EventsWorker

        EventsWorker.drain_all(timeout=timeout, at_exit=False)
        deadline = time.monotonic() + timeout
        flows = FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since))
        last: tuple[int, int] | None = None
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                runs: list[TaskRun] = []
                page = PAGE
                while page == PAGE:
                    batch = client.read_task_runs(flow_run_filter=flows, limit=PAGE, offset=len(runs))
                    runs += batch
                    page = len(batch)
                seen = (len(runs), sum(1 for r in runs if r.state_type and r.state_type.value in FINAL))
                if seen[0] == seen[1] and seen == last:
                    return True
                last = seen
                time.sleep(poll)
    except Exception as exc:  # the run is over; this only decides how quietly it ends
        logger.debug("could not wait for Prefect's server to record the task runs: %s", exc)
    return False
