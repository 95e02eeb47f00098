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
            now = clock.now()
            error = crash_error(crashed, exc)
            outcomes.append(Outcome(stage, department, resource.id, "failed", now, now, error=error))
    return outcomes
