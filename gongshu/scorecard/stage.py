"""The scorecard stage (考核晾晒), in the shape of the other stages' ``stage`` modules: :data:`STAGE`,
the stage's configuration (:func:`configured`) and its entry point :func:`publish`. The stage is not
one resource at a time: it publishes the period's scorecard, which
:func:`~gongshu.scorecard.compute.compute_scorecard` computes from what the platform recorded.

Publishing a computed scorecard: stored in the ``scorecard`` table, then rendered as the HTML site
and the Excel workbook in one folder per period (``$GONGSHU_HOME/scorecards/<period>/``), the site's
trends drawn from the periods stored before it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from . import store
from .config import DEFAULT_PATH, ScorecardConfig, load_config
from .model import Scorecard
from .site import TREND_PERIODS, write_site
from .workbook import write_workbook

STAGE = "scorecard"


@dataclass(frozen=True)
class Published:
    site: Path
    """The site's ``index.html``."""
    workbook: Path


def workbook_name(period: str) -> str:
    """``scorecard-2026-10.xlsx``: ASCII, like the feedback workbooks, so it survives any mail or zip."""
    return f"scorecard-{period}.xlsx"


def configured(path: Path) -> ScorecardConfig:
    """The configuration at ``path`` (``settings.scorecard_config``): the default ``scorecard.yaml``
    may be absent (built-in weights, Monday–Friday), a file named otherwise must exist. Raises
    :class:`~.config.ConfigError` naming the file and the key."""
    return load_config(None if path == DEFAULT_PATH else path)


def history(engine: Engine, period: str, last: int = TREND_PERIODS) -> list[Scorecard]:
    """The stored scorecards of the ``last`` periods before ``period``, oldest first."""
    earlier = [p for p in store.periods(engine) if p < period][-last:]
    return [card for p in earlier if (card := store.load(engine, p)) is not None]


def publish(engine: Engine, scorecard: Scorecard, out: Path) -> Published:
    """Store ``scorecard`` (replacing the period's rows) and write its site and workbook into ``out``."""
    store.save(engine, scorecard)
    site = write_site(scorecard, history(engine, scorecard.period), out)
    workbook = write_workbook(scorecard, out / workbook_name(scorecard.period))
    return Published(site=site, workbook=workbook)
