"""What a stage did to each resource: one :class:`Outcome` per resource × stage, written to
``run_log`` by the one writer every stage uses, and gathered into the run report
(DESIGN.md "Run report")."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import clock
from .files import write_atomic
from .store import models as m

Status = Literal["completed", "failed", "skipped"]
STAGES = ("catalog", "collect", "cleanse", "share", "open", "scorecard")


def new_run_id(now: dt.datetime | None = None) -> str:
    """A run id that sorts by time and reads as one: ``20261125T103000Z-3f9a1c``."""
    now = now or clock.now()
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class Outcome:
    stage: str
    department: str
    resource: str | None
    status: Status
    started_at: dt.datetime
    finished_at: dt.datetime
    rows_in: int | None = None
    rows_out: int | None = None
    error: str | None = None
    """A sentence a person can act on (failed outcomes only)."""
    reason: str | None = None
    """Why nothing was done (skipped outcomes only)."""
    details: dict[str, Any] = field(default_factory=dict)
    logged: bool = field(default=False, repr=False, compare=False)
    """Already in ``run_log``: written by the stage in the transaction of the work it reports (the
    cleansing of a batch, a release), so that a crash never leaves the work without its record."""

    def __post_init__(self) -> None:
        if self.status == "failed" and not self.error:
            raise ValueError("a failed outcome carries an error")
        if self.status == "skipped" and not self.reason:
            raise ValueError("a skipped outcome carries a reason")

    def report_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"status": self.status}
        for key in ("rows_in", "rows_out", "error", "reason"):
            value = getattr(self, key)
            if value is not None:
                entry[key] = value
        entry.update(self.details)
        return entry


def outcome_for(stage: str, department: str, resource: str | None, started: dt.datetime) -> Callable[..., Outcome]:
    """A maker of this resource's outcome for the stage: ``outcome("completed", rows_in=…)``, the
    finish time taken when it is called."""

    def outcome(status: Status, **kw: Any) -> Outcome:
        return Outcome(stage, department, resource, status, started, clock.now(), **kw)

    return outcome


def record(session: Session, run_id: str, outcomes: Iterable[Outcome], flow_run_id: str | None = None) -> None:
    """Write one ``run_log`` row per outcome (the one run-log writer of every stage). Outcomes the
    stage logged itself are left alone; a resource's outcome replaces the row its stage already
    wrote for it in this run (a stage that committed some work, then crashed), so a run keeps one row
    per resource × stage: the status, error and reason are the new ones, the row counts and details
    of the committed work stay where the new outcome has none."""
    pending = [o for o in outcomes if not o.logged]
    if not pending:
        return
    rl = m.RunLog
    existing = {
        (r.stage, r.department_key, r.resource_key): r
        for r in session.scalars(
            # only the rows of these outcomes' resources: record_now writes one outcome per commit, and
            # loading the whole run's rows each time made a run of n resources O(n^2) (300 resources:
            # 72,000 rows loaded, 6 s of a 47 s cleanse)
            sa.select(rl).where(
                rl.run_id == run_id,
                rl.stage.in_({o.stage for o in pending}),
                rl.department_key.in_({o.department for o in pending}),
                rl.resource_key.in_({o.resource for o in pending if o.resource}),
            )
        )
    }
    for o in pending:
        row = existing.get((o.stage, o.department, o.resource)) if o.resource else None
        if row is None:
            session.add(_row(m.RunLog(run_id=run_id), o, flow_run_id))
        else:
            _row(row, o, flow_run_id)


def record_now(session: Session, run_id: str, outcome: Outcome, flow_run_id: str | None = None) -> Outcome:
    """Inside the transaction of the work ``outcome`` reports: write (or replace) its ``run_log`` row
    and mark it logged, so that the flow's final writer leaves it alone. Returns the outcome."""
    record(session, run_id, [outcome], flow_run_id)
    session.flush()
    outcome.logged = True
    return outcome


def _row(row: m.RunLog, o: Outcome, flow_run_id: str | None) -> m.RunLog:
    row.flow_run_id = flow_run_id
    row.stage = o.stage
    row.department_key = o.department
    row.resource_key = o.resource
    row.status = o.status
    row.started_at = o.started_at
    row.finished_at = o.finished_at
    row.rows_in = o.rows_in if o.rows_in is not None else row.rows_in
    row.rows_out = o.rows_out if o.rows_out is not None else row.rows_out
    row.error = o.error
    row.reason = o.reason
    row.details = {**(row.details or {}), **json.loads(json.dumps(o.details, default=str, ensure_ascii=False))}
    return row


@dataclass
class RunReport:
    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    """Where a person finds what the run wrote (exports, suites, ...), by name."""

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def status(self) -> Status:
        return "failed" if self.failed else "completed"

    def to_dict(self) -> dict[str, Any]:
        groups: dict[tuple[str, str | None], dict[str, Any]] = {}
        for o in self.outcomes:
            entry = groups.setdefault(
                (o.department, o.resource), {"department": o.department, "resource": o.resource, "stages": {}}
            )
            entry["stages"][o.stage] = o.report_entry()
        counts = {s: sum(o.status == s for o in self.outcomes) for s in ("completed", "failed", "skipped")}
        return {
            "run_id": self.run_id,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": (self.finished_at or clock.now()).isoformat(),
            "summary": counts,
            "resources": [groups[k] for k in sorted(groups, key=lambda k: (k[0], k[1] or ""))],
            "outputs": dict(sorted(self.outputs.items())),
        }

    def write(self, path: Path) -> Path:
        """Written aside, synced, then renamed over ``path``: a full disk raises OSError and leaves the
        previous report as it was."""
        return write_atomic(path, (json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))

    def save(self, reports_dir: Path) -> None:
        """The run's own report, ``<reports_dir>/<run id>.json``: its path in ``outputs["report"]``, or,
        when it could not be written (a full disk), the sentence saying so in ``outputs["report_error"]``."""
        path = reports_dir / f"{self.run_id}.json"
        try:
            self.write(path)
        except OSError as exc:
            self.outputs.pop("report", None)
            self.outputs["report_error"] = f"the run report {path} was not written: {exc.strerror or exc}"
        else:
            self.outputs["report"] = str(path)
