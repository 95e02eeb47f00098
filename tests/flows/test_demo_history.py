"""The demo's history: months played as of their own dates on sources that change, so that the
scorecard's trends come from real runs (a short one: two months, an improving and a worsening
department)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
PERIODS = ["2026-08", "2026-09"]
DEPTS = ["slj", "zhzfj"]  # improving (resubmits from the 2nd month), worsening
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _generator():
    spec = importlib.util.spec_from_file_location("samples_generate_history", REPO / "samples" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_past_periods_and_moments_follow_the_calendar():
    from flows.demo_history import moment, past_periods
    from gongshu.scorecard.config import load_config

    now = dt.datetime(2026, 1, 15, 4, tzinfo=dt.UTC)
    assert past_periods(3, now) == ["2025-10", "2025-11", "2025-12"]
    calendar = load_config(REPO / "scorecard.yaml").work_calendar()
    # 2026-10: 国庆节 to the 7th, the 10th (a Saturday) is worked: the 3rd working day is the 10th
    assert moment("2026-10", 3, dt.time(10), calendar) == dt.datetime(2026, 10, 10, 10, tzinfo=SHANGHAI)
    assert moment("2026-09", 1, dt.time(9), calendar) == dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_short_history_logs_each_month_and_its_scorecards_trend_as_designed(tmp_path, monkeypatch):
    from flows.demo_history import play_history
    from gongshu.scorecard import store
    from gongshu.settings import get_settings, reset_settings
    from gongshu.store import models as m
    from gongshu.store.db import get_engine

    monkeypatch.setenv("GONGSHU_SCORECARD_CONFIG", str(REPO / "scorecard.yaml"))
    reset_settings()
    sources = tmp_path / "sources"
    _generator().generate_history(sources, PERIODS, departments=DEPTS)
    played = play_history(PERIODS, sources, settings=get_settings(), departments=DEPTS)

    assert [p.period for p in played] == PERIODS
    assert [p.resubmitted for p in played] == [[], ["slj"]]
    assert [p.requests[0].split(" #")[0] for p in played] == ["slj ← zhzfj"] * 2  # zhzfj's consumer is not here
    months = defaultdict(set)
    with get_engine().connect() as conn:
        for stage, started in conn.execute(sa.select(m.RunLog.stage, m.RunLog.started_at)):
            moment = started if started.tzinfo else started.replace(tzinfo=dt.UTC)
            months[stage].add(f"{moment.astimezone(SHANGHAI):%Y-%m}")
    for stage in ("catalog", "collect", "cleanse", "share", "open"):
        assert months[stage] == set(PERIODS), (stage, months[stage])

    engine = get_engine()
    before, after = (store.load(engine, p) for p in PERIODS)
    assert before.sample and after.sample  # sample data, and labelled so
    total = {
        p: {d.department: d.total for d in card.departments} for p, card in zip(PERIODS, (before, after), strict=True)
    }
    assert total["2026-09"]["slj"] > total["2026-08"]["slj"], total  # improving
    assert total["2026-09"]["zhzfj"] < total["2026-08"]["zhzfj"], total  # worsening
    slj = {d.department: d for d in after.departments}["slj"]
    assert slj.previous_total == pytest.approx(total["2026-08"]["slj"])
    values = [
        {i.code: i.value for i in {d.department: d for d in c.departments}["slj"].indicators} for c in (before, after)
    ]
    assert values[0]["request_timeliness"] == 0 and values[1]["request_timeliness"] == 100, values  # late, on time
    assert values[1]["issue_fix_rate"] > values[0]["issue_fix_rate"], values  # the resubmission fixed issues
    assert values[1]["row_pass_rate"] > values[0]["row_pass_rate"], values
    _assert_real_use(played, before, after)


def _assert_real_use(played, before, after):
    """数据利用: each month made real reads, downloads and an 开放应用 through the API, all counted."""
    from sqlalchemy.orm import Session

    from flows.demo_usage import LABEL
    from gongshu.open.apps import approved_apps
    from gongshu.store import models as m
    from gongshu.store.db import get_engine

    for card in (before, after):
        for d in card.departments:
            assert d.usage["share_calls"] > 0 and d.usage["downloads"] > 0, (card.period, d.department, d.usage)
            use = {i.code: i for i in d.indicators if i.dimension == "数据利用"}
            assert set(use) == {"share_use", "open_use"}
            assert all(i.value and i.value > 0 for i in use.values()), (card.period, d.department, use)
    apps = {
        p: {d.department: d.usage["apps"] for d in c.departments} for p, c in zip(PERIODS, (before, after), strict=True)
    }
    # 台州防汛避险地图 (on slj's reservoir levels) and 企业信用速查 (on zhzfj's penalties), approved in the first month
    assert apps == {"2026-08": {"slj": 1, "zhzfj": 1}, "2026-09": {"slj": 1, "zhzfj": 1}}, apps
    assert [line.split(": ")[1] for line in played[0].use if line.startswith("app #")] == ["approved"] * 2
    with Session(get_engine()) as session:
        listed = approved_apps(session)
        assert [a.name for a in listed] == ["企业信用速查", "台州防汛避险地图"]
        assert [d.key for d in listed[1].datasets] == ["slj.reservoir_levels"]  # qxj is not in this short history
        open_keys = session.scalars(
            sa.select(m.ApiKey.key_id).where(m.ApiKey.label == LABEL, m.ApiKey.revoked_at.is_(None))
        )
        assert list(open_keys) == []  # the history's keys are revoked
