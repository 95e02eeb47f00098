"""The scorecard flow (考核晾晒), the pipeline's last stage: the period's scorecard computed from what
the platform recorded, rendered as the site and the workbook under
``$GONGSHU_HOME/scorecards/<period>/``, and published to the Prefect UI (the ranking as
``scorecard-<period>``, each department as ``scorecard-<department>``). One department-level outcome
per department goes to ``run_log``. A wrong ``scorecard.yaml`` fails the flow naming the file and
the key; nothing is stored then.

A month not begun is refused (ValueError); the month in progress is 暂定 (provisional: computed up to
now, not stored); a closed month is computed and stored once (version 1), and a later run re-renders
its stored version (see gongshu.scorecard.stage). The run report's ``scorecard_status`` and each
outcome's details say which (``provisional``, ``version``)."""

from __future__ import annotations

import datetime as dt

from prefect import flow
from prefect.states import State

from gongshu import clock
from gongshu.runs import Outcome, RunReport, new_run_id
from gongshu.scorecard.config import ConfigError
from gongshu.scorecard.model import DepartmentScore, Scorecard
from gongshu.scorecard.stage import STAGE, Prepared, Published, configured
from gongshu.settings import get_settings
from tasks.runlog import log_outcomes
from tasks.scorecard import prepare_one, publish_one, publish_scorecard_artifacts

from .common import finish, run_name
from .gather import quoted
from .options import check_period


def _details(card: Scorecard, d: DepartmentScore) -> dict:
    details = {"period": card.period, "total": d.total, "rank": d.rank, "red": d.red, "black": d.black}
    details["provisional"] = card.provisional
    if not card.provisional:
        details["version"] = card.version
    if d.change is not None:
        details["change"] = d.change
    if d.note:
        details["note"] = d.note
    return details


def _failed(report: RunReport, started: dt.datetime, error: str, where: str = STAGE) -> State:
    """The stage failed as a whole (not a department's failure): reported in the run, not in run_log."""
    report.finished_at = clock.now()
    report.outcomes.append(Outcome(STAGE, where, None, "failed", started, report.finished_at, error=error))
    return finish(STAGE, report)


@flow(
    name="scorecard",
    flow_run_name=lambda: run_name("scorecard"),
    description="考核晾晒: rank the departments for a month; the site, the workbook and the artifacts",
)
def scorecard_flow(
    period: str | None = None,
    departments: list[str] | None = None,
    run_id: str | None = None,
    sample: bool = False,
):
    """``period``: YYYY-MM (default: last month; a month not begun raises ValueError). A scorecard
    ranks every registered department whatever ``departments`` says; ``departments`` only narrows
    the run's outcomes (and ``run_log`` rows) to those it names. ``sample``: computed from demo data
    (every output says 示例数据)."""
    run_id = run_id or new_run_id()
    period = check_period(period)
    report = RunReport(run_id=run_id, started_at=clock.now())
    report.outputs["period"] = period
    path = get_settings().scorecard_config
    try:
        config = configured(path)
    except ConfigError as exc:
        error = f"the scorecard configuration is wrong, nothing was scored: {exc}"
        return _failed(report, clock.now(), error, where=path.name)
    started = clock.now()
    prepared = prepare_one(period, config, sample, return_state=True).result(raise_on_failure=False)
    if not isinstance(prepared, Prepared):  # a defect: nothing was stored
        return _failed(report, started, f"the scorecard could not be computed: {prepared!r}")
    card = prepared.card
    published = publish_one(prepared, return_state=True).result(raise_on_failure=False)
    if not isinstance(published, Published):  # an I/O error, a full disk, a locked database
        return _failed(report, started, f"the scorecard could not be stored or written: {published!r}")
    finished = clock.now()
    report.outcomes = [
        Outcome(STAGE, d.department, None, "completed", started, finished, details=_details(card, d))
        for d in card.departments
        if not departments or d.department in departments
    ]
    log_outcomes(run_id, STAGE, quoted(report.outcomes))
    publish_scorecard_artifacts(card, published)
    report.outputs["scorecard_status"] = f"{period}: {prepared.says()}"
    report.outputs["scorecard_site"] = str(published.site)
    report.outputs["scorecard_workbook"] = str(published.workbook)
    report.finished_at = clock.now()
    return finish(STAGE, report)
