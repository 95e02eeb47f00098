"""What every stage flow does with its task runs: outcomes decided without one (skipped: stopped by
an earlier stage, nothing to do), the task runs' results gathered in order, and a task run that
crashed (a defect, retries exhausted, a worker that died) turned into failed outcomes for the
resources it held, so that one resource failing never stops the others. Outputs (a workbook, the
portal) are gathered the same way, a failure to make one reported as a failed outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar, cast

from prefect.utilities.annotations import quote

from gongshu import clock
from gongshu.catalog.model import Resource
from gongshu.runs import Outcome, RunReport
from tasks.each import crash_error, crash_outcome

T = TypeVar("T")


class Ran(Protocol):
    """A task run's future or final state: both give its result, or what it raised."""

    def result(self, *, raise_on_failure: bool = ...) -> Any: ...


Why = Callable[[object, Ran], str]
"""The error of resources whose task run ended without a result: from what it raised (or returned
instead) and the run itself."""


def quoted(value: T) -> T:
    """``value`` handed to a task as it is: Prefect does not walk it looking for futures (large lists
    of outcomes and resources). Typed as the value, which is what the task receives."""
    return cast(T, quote(value))


def crashed(what: str) -> Why:
    """The error of a crash: the database's problem as a sentence, else ``"<what>: <exception>"``."""
    return lambda result, _ran: crash_error(what, result)


def stopped(stage: str, department: str, resource: Resource, blocked: dict[str, str], **details: Any) -> Outcome | None:
    """The skipped outcome of a resource an earlier stage of this run stopped (``blocked``, keyed
    ``dept.resource``), with why; None when nothing stopped it."""
    why = blocked.get(f"{department}.{resource.id}")
    if not why:
        return None
    return skipped(stage, department, resource.id, f"stopped by an earlier stage: {why}", **details)


def skipped(stage: str, department: str, resource: str | None, reason: str, **details: Any) -> Outcome:
    """An outcome decided without a task run: nothing to do, and why."""
    now = clock.now()
    return Outcome(stage, department, resource, "skipped", now, now, reason=reason, details=details)


Held = Sequence[tuple[str, str]]
"""The resources a task run works on, as ``(department, resource id)``."""


def gather(stage: str, runs: Iterable[tuple[Held, Ran]], why: Why) -> list[Outcome]:
    """The outcomes of task runs, in the order given, each run with the resources it works on and
    returning an outcome or a list of them; a run that ended without one fails each of its
    resources with ``why``."""
    outcomes: list[Outcome] = []
    for held, ran in runs:
        result = ran.result(raise_on_failure=False)
        if isinstance(result, Outcome):
            outcomes.append(result)
        elif isinstance(result, list):
            outcomes += result
        else:
            error = why(result, ran)
            outcomes += [crash_outcome(stage, department, resource, error) for department, resource in held]
    return outcomes


def gather_output(
    stage: str, report: RunReport, name: str, department: str, ran: Ran, failed: Callable[[object], str]
) -> None:
    """A task run's output path into ``report.outputs[name]``; when it gave none, a failed outcome of
    ``department`` (no resource) saying ``failed(what it raised)``."""
    path = ran.result(raise_on_failure=False)
    if isinstance(path, str):
        report.outputs[name] = path
    else:
        report.outcomes.append(crash_outcome(stage, department, None, failed(path)))
