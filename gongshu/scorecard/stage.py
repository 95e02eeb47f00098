"""The scorecard stage (考核晾晒), in the shape of the other stages' ``stage`` modules: :data:`STAGE`,
the stage's configuration (:func:`configured`), :func:`prepare` (what a run of the stage does for a
period) and :func:`publish`.

Which period gets what:

* a month that has not begun is refused (:class:`NotBegun`): there is nothing to score;
* the month in progress is computed as 暂定 (provisional) up to now and never stored as the month's
  result; 较上期 compares it with the last closed month's stored version;
* a closed month is computed once and stored as version 1; a later run re-renders the stored version
  (same numbers, same 示例数据 flag) instead of computing it again. Only an accepted 申诉 issues a
  new version (:mod:`.appeals`).

Publishing: the stored or provisional scorecard rendered as the HTML site and the Excel workbook in
one folder per period (``$GONGSHU_HOME/scorecards/<period>/``), the site's trends drawn from the
periods stored before it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine

from .. import clock
from . import store
from .compute import compute_scorecard
from .config import DEFAULT_PATH, ScorecardConfig, load_config
from .model import Scorecard
from .site import TREND_PERIODS, write_site
from .status import not_begun
from .workbook import write_workbook

STAGE = "scorecard"


class NotBegun(ValueError):
    """The month asked for has not begun."""


@dataclass(frozen=True)
class Published:
    site: Path
    """The site's ``index.html``."""
    workbook: Path


@dataclass(frozen=True)
class Prepared:
    card: Scorecard
    fresh: bool
    """Computed by this run (a provisional month, or a closed month's first version); False: the
    stored version, to be re-rendered."""

    def says(self) -> str:
        """What the run did, in English, for the CLI and the run report."""
        card = self.card
        if card.provisional:
            upto = clock.local_time(card.computed_at).strftime("%Y-%m-%d %H:%M")
            return f"provisional: the month is in progress, scored up to {upto} (Asia/Shanghai); not stored"
        issued = clock.local_time(card.computed_at).strftime("%Y-%m-%d")
        if self.fresh:
            return f"issued as version {card.version} on {issued}"
        return f"already issued as version {card.version} on {issued}; re-rendered"


def workbook_name(period: str) -> str:
    """``scorecard-2026-10.xlsx``: ASCII, like the feedback workbooks, so it survives any mail or zip."""
    return f"scorecard-{period}.xlsx"


def configured(path: Path) -> ScorecardConfig:
    """The configuration at ``path`` (``settings.scorecard_config``): the default ``scorecard.yaml``
    may be absent (built-in weights, Monday–Friday), a file named otherwise must exist. Raises
    :class:`~.config.ConfigError` naming the file and the key."""
    return load_config(None if path == DEFAULT_PATH else path)


def check_begun(period: str, now: dt.datetime | None = None) -> None:
    """Raise :class:`NotBegun` for a month after the current one (Asia/Shanghai)."""
    why = not_begun(period, now)
    if why:
        raise NotBegun(why)


def prepare(
    engine: Engine, period: str, config: ScorecardConfig, *, sample: bool = False, now: dt.datetime | None = None
) -> Prepared:
    """The scorecard a run of the stage publishes for ``period`` (see the module's doc)."""
    now = now or clock.now()
    check_begun(period, now)
    if period == clock.current_period(now):
        card = compute_scorecard(engine, period, config, now=now, sample=sample)
        return Prepared(replace(card, provisional=True, revisions=()), True)
    stored = store.load(engine, period)
    if stored is not None:
        return Prepared(stored, False)
    return Prepared(compute_scorecard(engine, period, config, now=now, sample=sample), True)


def history(engine: Engine, period: str, last: int = TREND_PERIODS) -> list[Scorecard]:
    """The stored scorecards (latest versions) of the ``last`` periods before ``period``, oldest first."""
    earlier = [p for p in store.periods(engine) if p < period][-last:]
    return [card for p in earlier if (card := store.load(engine, p)) is not None]


def render(engine: Engine, scorecard: Scorecard, out: Path) -> Published:
    """Write ``scorecard``'s site and workbook into ``out`` (nothing stored)."""
    site = write_site(scorecard, history(engine, scorecard.period), out)
    workbook = write_workbook(scorecard, out / workbook_name(scorecard.period))
    return Published(site=site, workbook=workbook)


def publish(engine: Engine, scorecard: Scorecard | Prepared, out: Path) -> Published:
    """Store a freshly computed closed month (a provisional one and a stored one are not stored
    again) and write its site and workbook into ``out``."""
    prepared = scorecard if isinstance(scorecard, Prepared) else Prepared(scorecard, True)
    if prepared.fresh and not prepared.card.provisional:
        store.save(engine, prepared.card)
    return render(engine, prepared.card, out)
