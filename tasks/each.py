"""A stage's core function run for several resources inside one task run, each on its own: for
work too small to pay for a task run per resource (sharing, holding back from opening)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gongshu import clock
from gongshu.catalog.model import Resource
from gongshu.runs import Outcome
from gongshu.store.db import database_problem


def crash_error(what: str, exc: object) -> str:
    """The error of a resource whose work raised ``exc``: the platform database's problem as a sentence
    (never its statement or row values), else ``"<what>: <exception>"``."""
    problem = database_problem(exc) if isinstance(exc, BaseException) else None
    return problem.message if problem else f"{what}: {exc!r}"


def crash_outcome(stage: str, department: str, resource: str | None, error: str) -> Outcome:
    """The failed outcome of work that crashed instead of reporting (a task run, a resource inside
    one): started and finished now, ``error`` saying why. The one maker of a crash's outcome, for
    the tasks and the flows alike."""
    now = clock.now()
    return Outcome(stage, department, resource, "failed", now, now, error=error)


def each_alone(
    stage: str, jobs: Iterable[tuple[str, Resource]], run: Callable[[str, Resource], Outcome], crashed: str
) -> list[Outcome]:
    """``run(department, resource)`` for each job in order, one outcome each; a job that raises (a
    defect, an I/O error) fails alone, ``"<crashed>: <exception>"``, and the others go on."""
    outcomes = []
    for department, resource in jobs:
        try:
            outcomes.append(run(department, resource))
        except Exception as exc:
            outcomes.append(crash_outcome(stage, department, resource.id, crash_error(crashed, exc)))
    return outcomes
