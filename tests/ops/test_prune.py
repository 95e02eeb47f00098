"""Retention: which ODS batches and log rows a prune plans, that planning deletes nothing, that
applying deletes exactly the plan in slices and keeps every batch record, and that history shorter
than the scorecard needs is refused. Prefect flow runs are pruned against the test server."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from gongshu.cleanse.stage import pending_batches
from gongshu.ops.prune import (
    HISTORY_MINIMUM,
    RetentionError,
    apply_prune,
    is_pruned,
    parse_duration,
    plan_prune,
)
from gongshu.store import models as m
from gongshu.store import ods
from gongshu.store.db import get_engine, session_scope

NOW = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
DEPT = "d"
ROWS = 5
# resource -> [(batch id, days ago, cleanse status or None)], oldest first
BATCHES = {
    "full": [("f1", 300, "superseded"), ("f2", 200, "completed"), ("f3", 150, "completed")],
    "inc": [("i1", 300, "completed"), ("i2", 250, "completed"), ("i3", 200, "failed"), ("i4", 10, None)],
    "only": [("o1", 300, "completed")],
    "raw": [("n1", 300, None)],
}
PRUNABLE = {"f1", "f2", "i1"}
# table -> (days ago of each row)
HISTORY_ROWS = {
    "run_log": [500, 500, 500, 100, 5],
    "quality_result": [600, 420, 30],
    "api_call_log": [401, 1],
    "download_log": [800, 2],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", dt.timedelta(days=90)),
        ("12w", dt.timedelta(weeks=12)),
        ("36h", dt.timedelta(hours=36)),
        (" 2Y ", dt.timedelta(days=730)),
        ("400 d", dt.timedelta(days=400)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("6m", "months or minutes"),
        ("3months", "months or minutes"),
        ("90", "no unit"),
        ("0d", "longer than zero"),
        ("5s", "unknown unit"),
        ("-3d", "not a duration"),
        ("", "not a duration"),
        ("1.5d", "not a duration"),
    ],
)
def test_parse_duration_errors_say_what_to_write(text, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def _ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def engine(db_url):
    engine = get_engine(db_url)
    with engine.begin() as conn:
        for resource, batches in BATCHES.items():
            table = ods.ods_table(DEPT, resource, ["a", "b"])
            ods.ensure_table(conn, table)
            for batch_id, days, _ in batches:
                rows = [
                    {ods.BATCH_ID: batch_id, ods.COLLECTED_AT: _ago(days), ods.SOURCE_ROW: n, "a": f"{batch_id}-{n}"}
                    for n in range(1, ROWS + 1)
                ]
                conn.execute(table.insert(), rows)
    with session_scope(engine) as session:
        for resource, batches in BATCHES.items():
            for batch_id, days, status in batches:
                session.add(
                    m.CollectBatch(
                        id=batch_id,
                        run_id="r",
                        department_key=DEPT,
                        resource_key=resource,
                        ods_table=ods.ods_table_name(DEPT, resource),
                        fingerprint=f"sha256:{batch_id}",
                        source="test",
                        rows=ROWS,
                        started_at=_ago(days),
                        finished_at=_ago(days),
                        notes=["encoding gb18030 detected"] if batch_id == "f2" else [],
                    )
                )
                if status:
                    session.add(
                        m.CleanseBatch(
                            batch_id=batch_id,
                            run_id="r",
                            department_key=DEPT,
                            resource_key=resource,
                            status=status,
                            dwd_table=f"dwd_{DEPT}__{resource}",
                            started_at=_ago(days - 0.5),
                            finished_at=_ago(days - 0.5),
                        )
                    )
        for days in HISTORY_ROWS["run_log"]:
            session.add(
                m.RunLog(run_id="r", stage="collect", department_key=DEPT, status="completed", started_at=_ago(days))
            )
        for days in HISTORY_ROWS["quality_result"]:
            session.add(
                m.QualityResult(
                    run_id="r",
                    department_key=DEPT,
                    resource_key="full",
                    gate="clean",
                    rule="ROW_COUNT",
                    expectation="expect_table_row_count_to_be_between",
                    severity="critical",
                    success=True,
                    evaluated_at=_ago(days),
                )
            )
        for days in HISTORY_ROWS["api_call_log"]:
            session.add(m.ApiCallLog(called_at=_ago(days), method="GET", path="/api/v1/x", status=200, latency_ms=1.0))
        for days in HISTORY_ROWS["download_log"]:
            session.add(m.DownloadLog(department_key=DEPT, resource_key="full", what="x.csv", downloaded_at=_ago(days)))
    return engine


def ods_rows(engine) -> dict[str, int]:
    counts = {}
    with engine.connect() as conn:
        for resource in BATCHES:
            table = sa.table(ods.ods_table_name(DEPT, resource), sa.column(ods.BATCH_ID))
            query = sa.select(table.c[ods.BATCH_ID], sa.func.count()).group_by(table.c[ods.BATCH_ID])
            counts.update({b: int(n) for b, n in conn.execute(query)})
    return counts


def table_rows(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one()


def pending(engine) -> dict[str, list[str]]:
    with session_scope(engine) as session:
        return {r: [b.id for b in pending_batches(session, DEPT, r)] for r in BATCHES}


def test_the_plan_lists_cleansed_batches_with_a_later_cleansing_and_deletes_nothing(engine):
    plan = plan_prune(engine, dt.timedelta(days=90), scope=("ods",), now=NOW)

    assert {b.batch_id for b in plan.batches} == PRUNABLE
    assert all(b.rows == ROWS for b in plan.batches)
    assert plan.cutoff == NOW - dt.timedelta(days=90)
    assert plan.kept == {"pending cleansing": 2, "the latest cleansed data of their resource": 3}  # i3 n1; f3 i2 o1
    assert plan.rows == {"ods_d__full": 2 * ROWS, "ods_d__inc": ROWS}
    assert plan.history == []
    assert "ODS: 3 batch(es), 15 row(s)" in "\n".join(plan.describe())
    assert plan.to_dict()["rows"] == plan.rows
    assert sum(ods_rows(engine).values()) == ROWS * 9  # planning deleted nothing

    shorter = plan_prune(engine, dt.timedelta(days=250), scope=("ods",), now=NOW)
    assert {b.batch_id for b in shorter.batches} == {"f1", "i1"}  # f2 (200 days) is younger than the cut-off


def test_apply_deletes_the_planned_batches_in_slices_and_keeps_their_records(engine):
    before = pending(engine)
    plan = plan_prune(engine, dt.timedelta(days=90), scope=("ods",), now=NOW)

    result = apply_prune(engine, plan, slice_rows=2)  # 5 rows a batch: three slices each

    assert sorted(result.batches) == sorted(PRUNABLE)
    assert result.deleted == {"ods_d__full": 2 * ROWS, "ods_d__inc": ROWS}
    remaining = ods_rows(engine)
    assert set(remaining) == {"f3", "i2", "i3", "i4", "o1", "n1"}
    assert all(n == ROWS for n in remaining.values())
    with session_scope(engine) as session:
        records = {b.id: b for b in session.scalars(sa.select(m.CollectBatch))}
        assert len(records) == 9  # every batch record stays (fingerprints, high-water marks)
        assert {b for b, r in records.items() if is_pruned(r)} == PRUNABLE
        assert records["f2"].notes[0] == "encoding gb18030 detected"  # the source's notes are kept
    assert table_rows(engine, "cleanse_batch") == sum(s is not None for b in BATCHES.values() for *_, s in b)
    assert pending(engine) == before  # no pruned batch comes back as pending cleansing

    again = plan_prune(engine, dt.timedelta(days=90), scope=("ods",), now=NOW)
    assert again.batches == [] and again.empty
    assert apply_prune(engine, again).deleted == {}


def test_history_shorter_than_the_scorecard_needs_is_refused(engine):
    with pytest.raises(RetentionError, match=r"at least 400 days.*--only ods"):
        plan_prune(engine, dt.timedelta(days=90), now=NOW)
    with pytest.raises(RetentionError):
        plan_prune(engine, HISTORY_MINIMUM - dt.timedelta(hours=1), scope=("history",), now=NOW)
    with pytest.raises(ValueError, match="scope"):
        plan_prune(engine, dt.timedelta(days=500), scope=("prefect",), now=NOW)
    plan = plan_prune(engine, dt.timedelta(days=30), history_minimum=dt.timedelta(days=30), now=NOW)
    assert {h.table: h.rows for h in plan.history}["run_log"] == 4


def test_history_older_than_the_cutoff_is_deleted_in_slices(engine):
    plan = plan_prune(engine, HISTORY_MINIMUM, now=NOW)
    expected = {t: sum(d > 400 for d in days) for t, days in HISTORY_ROWS.items()}

    assert {h.table: h.rows for h in plan.history} == expected
    assert "run_log: 3 row(s) with started_at before the cut-off" in plan.describe()
    assert plan.batches == []  # every batch is younger than 400 days
    result = apply_prune(engine, plan, slice_rows=2)

    assert result.deleted == expected
    for table, days in HISTORY_ROWS.items():
        assert table_rows(engine, table) == sum(d <= 400 for d in days), table
    assert all(h.rows == 0 for h in plan_prune(engine, HISTORY_MINIMUM, now=NOW).history)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_prefect_flow_runs_that_ended_before_the_cutoff_are_deleted():
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Cancelled, Running

    from gongshu import clock
    from tasks.prune_prefect import prune_flow_runs

    name = "gongshu-test-prune-tiny"

    @flow(name=name)
    def tiny() -> int:
        return 1

    state = tiny(return_state=True)
    assert state.is_completed()
    ended = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        running = client.create_flow_run(tiny, state=Running()).id
        assert client.read_flow_run(running).start_time is not None
    later = clock.now() + dt.timedelta(days=1)
    try:
        assert prune_flow_runs(dt.timedelta(days=1), flows=[name]).flow_runs == []  # nothing that old yet

        dry = prune_flow_runs(dt.timedelta(hours=1), now=later, flows=[name])
        assert [r["id"] for r in dry.flow_runs] == [str(ended)]  # the running one is not listed
        assert dry.deleted == 0 and dry.dry_run
        with get_client(sync_client=True) as client:
            client.read_flow_run(ended)  # still there

        done = prune_flow_runs(dt.timedelta(hours=1), now=later, flows=[name], dry_run=False)
        assert done.deleted == 1 and done.to_dict()["found"] == 1
        with get_client(sync_client=True) as client:
            with pytest.raises(ObjectNotFound):
                client.read_flow_run(ended)
            assert client.read_flow_run(running).state_type.value == "RUNNING"
    finally:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(running, Cancelled(), force=True)
