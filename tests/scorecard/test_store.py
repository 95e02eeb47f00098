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


def test_migration_0008_keeps_the_rows_stored_before_versions_as_version_1(tmp_path):
    """A database at 0007 with a stored sample month: upgraded, the month loads as version 1 with its
    示例数据 flag and its issue time; a second version saved beside it; downgraded, the latest stays."""
    import json

    from alembic import command

    from gongshu.scorecard.model import DepartmentScore
    from gongshu.store.db import alembic_config

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0007")
    payload = store.to_payload(DepartmentScore(department="a", name="甲局", total=80.0, rank=1, indicators=()))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO scorecard (period, department, total, rank, payload, config_hash, sample, computed_at) "
                "VALUES ('2026-10', 'a', 80.0, 1, :payload, 'sha256:old', 1, '2026-11-02 02:00:00.000000')"
            ),
            {"payload": json.dumps(payload)},
        )
    command.upgrade(alembic_config(engine), "head")
    card = store.load(engine, "2026-10")
    assert card is not None and card.version == 1 and card.sample
    assert card.revisions == (Revision(1, dt.datetime(2026, 11, 2, 2, tzinfo=dt.UTC)),)
    assert [d.total for d in card.departments] == [80.0]

    second = dataclasses.replace(
        card,
        version=2,
        sample=False,  # the period's flag stays whatever a caller says
        departments=(dataclasses.replace(card.departments[0], total=90.0),),
        revisions=(*card.revisions, Revision(2, AFTER, "申诉 #1 成立：核实")),
    )
    store.save(engine, second)
    assert store.load(engine, "2026-10").version == 2 and store.load(engine, "2026-10").sample
    assert store.load(engine, "2026-10", 1).departments[0].total == 80.0
    command.downgrade(alembic_config(engine), "0007")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT total FROM scorecard")).scalars().all() == [90.0]
