"""Prefect's server on PostgreSQL: a gongshu flow run against a standing ``prefect server start``
whose database is PostgreSQL, with the platform database on PostgreSQL too — the production shape.
The run, its task runs and its artifacts are in the server's PostgreSQL tables, and what the flow
wrote is in the platform's."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

pytestmark = pytest.mark.postgres
DEPARTMENT = "slj"


def test_catalog_flow_runs_on_a_postgresql_backed_prefect_server(prefect_api, platform_db):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.catalog import catalog_flow

    state = catalog_flow(departments=[DEPARTMENT], return_state=True)
    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        assert run.state is not None and run.state.is_completed()
        assert run.name.startswith(f"catalog {DEPARTMENT}")
        artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    keys = {a.key for a in artifacts}
    assert {"catalog-resources", "catalog-changes"} <= keys, keys

    # The server keeps all this in PostgreSQL, not in a SQLite file of its own
    prefect_db = sa.create_engine(prefect_api.database)
    try:
        with prefect_db.connect() as conn:
            tables = set(
                conn.scalars(sa.text("select table_name from information_schema.tables where table_schema = 'public'"))
            )
            assert {"flow_run", "task_run", "artifact", "deployment", "work_pool"} <= tables
            stored = conn.execute(
                sa.text("select state_type, name from flow_run where id = :id"), {"id": str(run_id)}
            ).one()
            assert stored.state_type == "COMPLETED" and stored.name == run.name
            assert (
                conn.scalar(
                    sa.text("select count(*) from artifact where flow_run_id = :id and key like 'catalog-%'"),
                    {"id": str(run_id)},
                )
                >= 2
            )
            # task runs reach the database through the server's event pipeline: a moment after the flow
            deadline = time.monotonic() + 30
            while True:
                names = set(
                    conn.scalars(sa.text("select name from task_run where flow_run_id = :id"), {"id": str(run_id)})
                )
                if f"catalog-{DEPARTMENT}" in names or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
                conn.rollback()
            assert f"catalog-{DEPARTMENT}" in names, names
    finally:
        prefect_db.dispose()

    # ... and the platform database the flow wrote is PostgreSQL as well
    engine = get_engine(platform_db)
    assert engine.dialect.name == "postgresql"
    with session_scope(engine) as session:
        logged = session.scalars(
            sa.select(m.RunLog.status).where(m.RunLog.stage == "catalog", m.RunLog.department_key == DEPARTMENT)
        ).all()
        registered = session.scalars(sa.select(m.Resource.key).join(m.Department).where(m.Department.key == DEPARTMENT))
        assert logged and set(logged) == {"completed"}
        assert set(registered) >= {"reservoir_levels", "water_abstraction_permits"}
