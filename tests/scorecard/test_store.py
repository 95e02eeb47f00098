"""The scorecard table: saved and loaded back equal, a period replaced whole, history for trends."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from gongshu.scorecard import store
from gongshu.scorecard.compute import compute_scorecard
from gongshu.scorecard.model import Revision
from gongshu.store import models as m

from .fixtures import AFTER, PERIOD, department
from .test_compute import busy_platform


def test_round_trip(platform, config):
    busy_platform(platform)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, sample=True)
    assert any(e.at is not None for d in sc.departments for i in d.indicators for e in i.evidence)
    store.save(platform.engine, sc)
    # stored as version 1, issued when it was computed: the store fills in the revisions
    assert store.load(platform.engine, PERIOD) == dataclasses.replace(sc, revisions=(Revision(1, AFTER),))
    assert store.load(platform.engine, "2026-09") is None


def test_saving_a_period_again_replaces_its_rows(platform, config):
    busy_platform(platform)
    sc = compute_scorecard(platform.engine, PERIOD, config, now=AFTER, compare=False)
    store.save(platform.engine, sc)
    fewer = dataclasses.replace(sc, departments=sc.departments[:1], computed_at=AFTER + dt.timedelta(hours=1))
    store.save(platform.engine, fewer)
    assert store.load(platform.engine, PERIOD) == dataclasses.replace(
        fewer, revisions=(Revision(1, fewer.computed_at),)
    )
    with platform.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(m.Scorecard)) == 1


def test_history_oldest_first(platform, config):
    busy_platform(platform)
    for period in ("2026-08", "2026-09", "2026-10", PERIOD):
        store.save(platform.engine, compute_scorecard(platform.engine, period, config, now=AFTER, compare=False))
    trend = store.history(platform.engine, "a", last=3)
    assert [p for p, _ in trend] == ["2026-09", "2026-10", PERIOD]
    assert trend[-1][1] == department(store.load(platform.engine, PERIOD), "a")
    assert store.periods(platform.engine) == ["2026-08", "2026-09", "2026-10", PERIOD]
