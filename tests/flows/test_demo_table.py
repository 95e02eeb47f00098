"""The demo's final table names each month's standing: the played months 正式 with their stored
version (a re-issued one shows v2), the month in progress 暂定 with its provisional totals."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from flows.demo import print_history
from flows.demo_history import PeriodPlayed
from gongshu.runs import Outcome, RunReport
from gongshu.scorecard import store
from gongshu.scorecard.model import DepartmentScore, Revision, Scorecard
from gongshu.store.db import get_engine

WHEN = dt.datetime(2026, 12, 2, 2, tzinfo=dt.UTC)


def card(period: str, total: float, version: int = 1) -> Scorecard:
    d = DepartmentScore(department="scjgj", name="市场监管局", total=total, rank=1, indicators=())
    return Scorecard(
        period=period, starts=dt.date(2026, 1, 1), ends=dt.date(2026, 1, 31), computed_at=WHEN,
        departments=(d,), config_hash="sha256:x", sample=True, version=version,
        revisions=tuple(Revision(v, WHEN, "申诉 #1 成立：核实" if v > 1 else None) for v in range(1, version + 1)),
    )  # fmt: skip


def test_the_table_names_final_months_with_their_version_and_the_provisional_month(capsys: pytest.CaptureFixture):
    engine = get_engine()
    store.save(engine, card("2026-10", 70.0))
    store.save(engine, card("2026-11", 80.0))
    store.save(engine, dataclasses.replace(card("2026-11", 85.0, version=2)))
    played = [PeriodPlayed(p, WHEN, run_ids=["r"]) for p in ("2026-10", "2026-11")]
    current = RunReport(run_id="now", started_at=WHEN)
    current.outputs["period"] = "2026-12"
    details = {"period": "2026-12", "total": 90.0, "rank": 1, "provisional": True}
    current.outcomes = [Outcome("scorecard", "scjgj", None, "completed", WHEN, WHEN, details=details)]

    print_history(played, None, current)
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("总分"))
    assert lines[header].split()[1:] == ["2026-10", "2026-11", "2026-12"]
    assert lines[header + 1].split() == ["正式v1", "正式v2", "暂定"]
    assert lines[header + 2].split() == ["scjgj", "70.0", "85.0", "90.0", "↑"]  # v2's total, the 暂定 one beside
    assert any("暂定 = 2026-12, the month in progress" in line for line in lines)
