"""The demo's history (演示历史): the pipeline played over past months as of their own dates, on sample
sources that change from month to month, so that the trends on the demo scorecard come from real runs.

For each period, in order (times Asia/Shanghai, working days by ``scorecard.yaml``'s calendar):

* 3rd working day, 10:00 — the period's sources (``samples/generate.py --history``) are copied into
  ``$GONGSHU_HOME/demo-history/samples/`` and the pipeline runs catalog → open over them, from a copy
  of the catalogs in ``$GONGSHU_HOME/demo-history/catalogs/`` (a catalog's source paths are relative
  to its file, so ``../samples/...`` finds the period's files; the catalogs themselves are unchanged);
* 15:00 the same day — share requests to each department's 有条件共享 resource;
* 6th and 7th working days — real use through the API: data reads, downloads, an 开放应用 submitted
  and approved (``flows/demo_usage.py``);
* 8th working day, 10:00 — the departments that correct their data resubmit it (collect + cleanse):
  issues fixed by then are fixed on time (5 working days);
* the providers decide the requests: on time, late, or never (:data:`REQUESTS`);
* 1st working day of the next month, 09:00 — the period's scorecard (marked 示例数据).

How each department's sources change is ``samples/samplegen/history.py``; the committed ``samples/``
stay the current period's. :func:`play_demo_history` is what ``gongshu demo`` calls before its own run.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, cast

import sqlalchemy as sa

from gongshu import clock
from gongshu.clock import SHANGHAI, WorkCalendar
from gongshu.runs import RunReport, new_run_id
from gongshu.scorecard import store as scorecards
from gongshu.scorecard.config import load_config
from gongshu.settings import Settings
from gongshu.share.keys import DEPARTMENT, Principal, create_key, revoke_key
from gongshu.share.workflow import PENDING, Denied, Invalid, apply, decide
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

from .demo_usage import UsePlay

if TYPE_CHECKING:
    from prefect.states import State

REPO = Path(__file__).resolve().parents[1]
FOLDER = "demo-history"
PLAYED = "played.json"
LABEL = "gongshu demo history"
FIRST_RUN, RESUBMIT, SCORE = (3, dt.time(10)), (8, dt.time(10)), (1, dt.time(9))
"""(working day of the month, time): the monthly run, the resubmission, the next month's scoring."""
USE, REVIEW = (6, dt.time(14)), (7, dt.time(10))
"""The month's use through the API, and the approval of its 开放应用 (``demo_usage``)."""
APPLY_AT = dt.time(15)
PLAY_STAGES = ["catalog", "collect", "cleanse", "share", "open"]
RESUBMIT_STAGES = ["collect", "cleanse"]
ON_TIME, LATE, IGNORED = "on time", "late", "never"


@dataclass(frozen=True)
class RequestPlay:
    """A share request made every period to ``provider``'s 有条件共享 resource, and how the provider
    answers it, step by step (the last answer repeats)."""

    provider: str
    resource: str
    consumer: str
    fields: tuple[str, ...]
    purpose: str
    answers: tuple[str, ...]

    def answer(self, step: int) -> str:
        return self.answers[min(step, len(self.answers) - 1)]


REQUESTS = (
    RequestPlay("scjgj", "enterprise_registry", "zhzfj", ("uscc", "company_name", "status", "address"),
                "综合行政执法案件中核验当事人的主体资格", (LATE, ON_TIME, ON_TIME)),
    RequestPlay("wjw", "licensed_physicians", "rsj", ("name", "certificate_no", "practice_category", "institution"),
                "医保结算资格核验中核对医师执业注册", (IGNORED, LATE, ON_TIME)),
    RequestPlay("slj", "water_abstraction_permits", "zhzfj", ("permit_no", "holder", "uscc", "water_source"),
                "取用水违法案件中核验取水许可", (LATE, ON_TIME, ON_TIME)),
    RequestPlay("rsj", "insured_employers", "scjgj", ("unit_name", "uscc", "unit_type", "region"),
                "就业创业补贴资格核验中核对企业参保状态", (ON_TIME,)),
    RequestPlay("zhzfj", "citizen_complaints", "jtysj", ("ticket_no", "received_at", "category", "location"),
                "道路运输领域投诉的处置和效能督办", (ON_TIME, LATE, IGNORED)),
    RequestPlay("hyj", "fishing_vessels", "qxj", ("vessel_code", "vessel_name", "home_port", "operation"),
                "台风预警信息向在港渔船定向推送", (ON_TIME, ON_TIME, LATE)),
)  # fmt: skip


@dataclass
class PeriodPlayed:
    """What one period of the history did, and its scorecard."""

    period: str
    played_at: dt.datetime
    run_ids: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """``dept/resource: stage`` of everything that failed in the monthly run."""
    missing: list[str] = field(default_factory=list)
    resubmitted: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    """``provider ← consumer: answer`` for each request played."""
    use: list[str] = field(default_factory=list)
    """What the month's use did (reads, downloads, the 开放应用), one line each."""
    totals: dict[str, float | None] = field(default_factory=dict)
    ranks: dict[str, int | None] = field(default_factory=dict)


def past_periods(count: int = 3, now: dt.datetime | None = None) -> list[str]:
    """The ``count`` months before the current one (Asia/Shanghai), oldest first."""
    today = (now or clock.now()).astimezone(SHANGHAI).date()
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append(f"{year:04d}-{month:02d}")
    return out[::-1]


def _afternoon(deadline: dt.datetime) -> dt.datetime:
    """16:00 (15:59:59) of a deadline's day, in UTC: eight hours before that day's end."""
    return dt.datetime.combine(clock.local_day(deadline), dt.time(15, 59, 59), tzinfo=SHANGHAI).astimezone(dt.UTC)


def moment(period: str, nth: int, at: dt.time, calendar: WorkCalendar) -> dt.datetime:
    """The ``nth`` working day of ``period`` at ``at`` (Asia/Shanghai)."""
    year, month = (int(p) for p in period.split("-"))
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    day = calendar.working_days(first, last)[nth - 1]
    return dt.datetime.combine(day, at, tzinfo=SHANGHAI)


def next_period(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"


def load_generator() -> ModuleType:
    """``samples/generate.py``, imported by its path (``samples`` is not a package)."""
    path = REPO / "samples" / "generate.py"
    spec = importlib.util.spec_from_file_location("gongshu_samples_generate", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class _Play:
    """The history being played: its sources, the folders it plays in, its departments, calendar and
    the keys its requests are made and decided with."""

    settings: Settings
    sources: Path
    catalogs: Path
    samples: Path
    departments: list[str]
    resubmitted: dict[str, list[str]]
    calendar: WorkCalendar
    keys: dict[str, Principal] = field(default_factory=dict)
    use: UsePlay | None = None


def play_history(
    periods: list[str],
    sources: Path,
    *,
    settings: Settings,
    departments: list[str] | None = None,
) -> list[PeriodPlayed]:
    """Play ``periods`` (in order) from ``sources`` (written by ``generate_history``): each month's run,
    requests, resubmission and scorecard as of their own dates (see the module docstring)."""
    from .demo import sample_api

    calendar = load_config(settings.scorecard_config).work_calendar()
    history = json.loads((sources / "history.json").read_text(encoding="utf-8"))
    depts = sorted(departments or history["departments"])
    play = settings.home / FOLDER
    run = _Play(settings, sources, play / "catalogs", play / "samples", depts, history["resubmitted"], calendar)
    run.use = UsePlay(settings, depts)
    run.catalogs.mkdir(parents=True, exist_ok=True)
    for name in depts:
        shutil.copy2(settings.catalogs / f"{name}.yaml", run.catalogs / f"{name}.yaml")
    http = any(sources.glob(f"{periods[0]}/*/*.json"))  # 气象局's sources are served, as in the demo
    _copy_period(sources / periods[0], run.samples, depts)
    with sample_api(run.samples) if http else nullcontext():
        played = [_play_period(run, step, period) for step, period in enumerate(periods)]
    with session_scope() as session:  # the history's keys decided its requests; nobody keeps them
        for principal in run.keys.values():
            revoke_key(session, principal.key_id)
    run.use.close()
    return played


def _play_period(run: _Play, step: int, period: str) -> PeriodPlayed:
    """One month: its run, its requests, its resubmission and its scorecard, each as of its moment."""
    start = moment(period, *FIRST_RUN, run.calendar)
    result = PeriodPlayed(period, start)
    manifest = json.loads((run.sources / period / "manifest.json").read_text(encoding="utf-8"))
    result.missing = [k for k in manifest["missing"] if k.split("/")[0] in run.departments]
    _copy_period(run.sources / period, run.samples, run.departments)
    _monthly_run(run, period, start, result)
    with clock.travel_to(dt.datetime.combine(start.date(), APPLY_AT, tzinfo=SHANGHAI)):
        if not run.keys:
            run.keys.update(_keys(run.departments))
        result.requests = _requests(
            step, period, run.departments, run.keys, run.settings.share_response_days, run.calendar
        )
    if run.use is not None:
        result.use = run.use.play(step, moment(period, *USE, run.calendar), moment(period, *REVIEW, run.calendar))
    _resubmit(run, period, result)
    with clock.travel_to(moment(next_period(period), *SCORE, run.calendar)):
        _score(period, run.departments, run.settings)
    card = scorecards.load(get_engine(), period)
    if card is not None:
        result.totals = {d.department: d.total for d in card.departments}
        result.ranks = {d.department: d.rank for d in card.departments}
    return result


def _monthly_run(run: _Play, period: str, start: dt.datetime, result: PeriodPlayed) -> None:
    """The period's run, catalog → open, as of ``start``; what failed in it goes into ``result``."""
    from .pipeline import pipeline_flow

    with clock.travel_to(start):
        run_id = new_run_id()
        state = cast("State[RunReport]", pipeline_flow(
            catalogs=str(run.catalogs), departments=run.departments, stages=PLAY_STAGES, period=period,
            run_id=run_id, return_state=True, sample=True,
        ))  # fmt: skip
    result.run_ids.append(run_id)
    report = state.result(raise_on_failure=False)
    if isinstance(report, BaseException):
        raise RuntimeError(f"the history's run of {period} crashed: {report}") from report
    result.failed = sorted(f"{o.department}/{o.resource}: {o.stage}" for o in report.outcomes if o.status == "failed")


def _resubmit(run: _Play, period: str, result: PeriodPlayed) -> None:
    """The departments that correct their data this period resubmit it (collect + cleanse)."""
    from .pipeline import pipeline_flow

    fixing = [d for d in run.resubmitted.get(period, []) if d in run.departments]
    if not fixing:
        return
    _copy_period(run.sources / period / "resubmitted", run.samples, fixing, clear=False)
    with clock.travel_to(moment(period, *RESUBMIT, run.calendar)):
        run_id = new_run_id()
        pipeline_flow(
            catalogs=str(run.catalogs), departments=fixing, stages=RESUBMIT_STAGES, period=period,
            run_id=run_id, return_state=True,
        )  # fmt: skip
    result.run_ids.append(run_id)
    result.resubmitted = fixing


def _copy_period(folder: Path, samples: Path, departments: list[str], *, clear: bool = True) -> None:
    """Make ``samples`` hold the departments' files of ``folder`` (and the sample API's script)."""
    if clear and samples.exists():
        shutil.rmtree(samples)
    samples.mkdir(parents=True, exist_ok=True)
    for name in departments:
        if (folder / name).is_dir():
            shutil.rmtree(samples / name, ignore_errors=True)
            shutil.copytree(folder / name, samples / name)
    shutil.copy2(REPO / "samples" / "api_server.py", samples / "api_server.py")


def _keys(departments: list[str]) -> dict[str, Principal]:
    """A key per department, to apply and decide as it (revoked when the history is played)."""
    with session_scope() as session:
        known = set(session.scalars(sa.select(m.Department.key).where(m.Department.active)))
        out = {}
        for name in departments:
            if name in known:
                key = create_key(session, department=name, role=DEPARTMENT, label=LABEL)
                out[name] = Principal(key_id=key.split("_")[1], role=DEPARTMENT, department=name)
    return out


def _requests(
    step: int,
    period: str,
    departments: list[str],
    keys: dict[str, Principal],
    response_days: int,
    calendar: WorkCalendar,
) -> list[str]:
    """Apply now for each played request; decide each at the moment its answer says."""
    from gongshu.catalog.registry import registered

    now = clock.now()
    out = []
    with session_scope() as session:
        resources = {(c.department.id, r.resource.id): r.resource for c in registered(session) for r in c.resources}
        for play in REQUESTS:
            resource = resources.get((play.provider, play.resource))
            if play.provider not in keys or play.consumer not in keys or resource is None:
                continue
            try:
                request = apply(
                    session, keys[play.consumer], play.provider, resource, list(play.fields),
                    f"{play.purpose}（{period}）", response_days=response_days, now=now,
                )  # fmt: skip
                answer = play.answer(step)
                if request.status == PENDING and answer != IGNORED:
                    if answer == ON_TIME:
                        when = _afternoon(calendar.add_working_days(now, 2))
                    else:
                        assert request.due_at is not None  # a pending request has its due date
                        when = _afternoon(calendar.add_working_days(request.due_at, 2))
                    decide(session, keys[play.provider], request.id, True, now=when)
            except (Denied, Invalid) as exc:  # the catalog changed under the play: say so, play the rest
                out.append(f"{play.provider} ← {play.consumer}: not played ({exc})")
                continue
            out.append(f"{play.provider} ← {play.consumer} #{request.id}: {answer}")
    return out


def _score(period: str, departments: list[str], settings: Settings) -> None:
    """The period's scorecard, by the pipeline's scorecard stage (sample data)."""
    from .pipeline import STAGE_FLOWS, pipeline_flow

    if "scorecard" in STAGE_FLOWS:
        state = cast("State[RunReport]", pipeline_flow(
            departments=departments, stages=["scorecard"], period=period, run_id=new_run_id(), return_state=True,
            sample=True,
        ))  # fmt: skip
        report = state.result(raise_on_failure=False)
        if isinstance(report, BaseException) or report.failed:
            raise RuntimeError(f"the history's scorecard of {period} failed: {report}")
        return
    from gongshu.scorecard.compute import compute_scorecard

    engine = get_engine()
    config = load_config(settings.scorecard_config)
    scorecards.save(engine, compute_scorecard(engine, period, config, sample=True))


def play_demo_history(settings: Settings, count: int = 3) -> tuple[list[PeriodPlayed], str | None]:
    """What ``gongshu demo`` plays before its own run: the ``count`` months before this one, once per
    home. Returns what was played (or had been: then without run details) and, when nothing could
    be played, why."""
    periods = past_periods(count)
    play = settings.home / FOLDER
    marker = play / PLAYED
    done = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else []
    if done[: len(periods)] == periods or set(periods) <= set(done):
        return [_stored(p) for p in periods], None
    if done or _has_runs():
        return [], (
            f"the history was not played: {settings.home} already holds runs, and past months can only be "
            "played before them (start from an empty home: make clean)"
        )
    sources = play / "sources"
    generator = load_generator()
    generator.generate_history(sources, periods, catalogs=settings.catalogs)
    played = play_history(periods, sources, settings=settings)
    marker.write_text(json.dumps(periods) + "\n", encoding="utf-8")
    return played, None


def _has_runs() -> bool:
    with session_scope() as session:
        return (session.scalar(sa.select(sa.func.count()).select_from(m.RunLog)) or 0) > 0


def _stored(period: str) -> PeriodPlayed:
    card = scorecards.load(get_engine(), period)
    out = PeriodPlayed(period, dt.datetime.combine(dt.date.fromisoformat(f"{period}-01"), dt.time(), SHANGHAI))
    if card is not None:
        out.totals = {d.department: d.total for d in card.departments}
        out.ranks = {d.department: d.rank for d in card.departments}
    return out
