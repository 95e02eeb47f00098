"""Retention of Prefect's own records (``gongshu prune``): flow runs that started before the cut-off
and ended (completed, failed, cancelled or crashed) are deleted through Prefect's API, which deletes
their task runs with them. Runs still scheduled, pending, running or paused are never touched. Dry
run by default: the runs are listed, nothing is deleted.

``run_log.flow_run_id`` of a deleted run then points nowhere in the Prefect UI; our own run log
(:mod:`gongshu.ops.prune`, kept at least 400 days) still holds what the run did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound

from gongshu import clock

FINAL_STATES = (StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED)
PAGE = 200


@dataclass
class FlowRunPrune:
    cutoff: dt.datetime
    dry_run: bool
    flow_runs: list[dict[str, Any]] = field(default_factory=list)
    """id, name, state and start time of each flow run found."""
    deleted: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "found": len(self.flow_runs),
            "deleted": self.deleted,
            "flow_runs": self.flow_runs,
        }


def prune_flow_runs(
    older_than: dt.timedelta,
    *,
    dry_run: bool = True,
    now: dt.datetime | None = None,
    flows: Sequence[str] | None = None,
) -> FlowRunPrune:
    """List (and unless ``dry_run`` delete) the ended flow runs that started before
    ``now - older_than``; ``flows`` limits it to flows of those names."""
    if older_than <= dt.timedelta(0):
        raise ValueError("a retention must be longer than zero")
    cutoff = (now or clock.now()) - older_than
    result = FlowRunPrune(cutoff=cutoff, dry_run=dry_run)
    run_filter = FlowRunFilter(
        start_time=FlowRunFilterStartTime(before_=cutoff),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(FINAL_STATES))),
    )
    flow_filter = FlowFilter(name=FlowFilterName(any_=list(flows))) if flows else None
    with get_client(sync_client=True) as client:
        offset = 0
        while True:
            page = client.read_flow_runs(
                flow_filter=flow_filter,
                flow_run_filter=run_filter,
                sort=FlowRunSort.START_TIME_ASC,
                limit=PAGE,
                offset=offset,
            )
            result.flow_runs += [
                {
                    "id": str(run.id),
                    "name": run.name,
                    "state": run.state_name,
                    "start_time": run.start_time.isoformat() if run.start_time else None,
                }
                for run in page
            ]
            if len(page) < PAGE:
                break
            offset += PAGE
        if not dry_run:
            for run in result.flow_runs:
                try:
                    client.delete_flow_run(UUID(run["id"]))
                except ObjectNotFound:  # deleted meanwhile
                    continue
                result.deleted += 1
    return result
