"""Department runs spread over workers, as across several hosts: a process work pool on the
PostgreSQL-backed Prefect server, a deployment of the pipeline, and two ``prefect worker start``
processes (each taking one run at a time, each with its own environment as a host would have)
working two departments' runs at the same time against one PostgreSQL platform database."""

from __future__ import annotations

import secrets
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.settings import get_settings
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

from .conftest import BIN, REPO, log_tail, quiet_env, stop

pytestmark = pytest.mark.postgres
DEPARTMENTS = ("slj", "jtysj")  # small CSV sources: the runs are short, the overlap is the point
STAGES = ["collect", "cleanse"]
WORKERS = ("gongshu-worker-a", "gongshu-worker-b")
RUN_TIMEOUT = 150


def wait_for(what: str, check, seconds: float, logs: list[Path]):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {seconds:.0f} s:\n" + "\n".join(f"{p.name}:\n{log_tail(p)}" for p in logs))
        time.sleep(0.5)


def test_two_workers_take_department_runs_at_the_same_time(prefect_api, platform_db, tmp_path):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments import run_deployment
    from prefect.workers.process import ProcessWorker

    from flows.catalog import catalog_flow

    settings = get_settings()
    # the catalog stage once, here: departments registered, suites written for the workers' runs
    assert catalog_flow(departments=list(DEPARTMENTS), return_state=True).is_completed()

    pool = f"gongshu-scale-{secrets.token_hex(3)}"
    with get_client(sync_client=True) as client:
        client.create_work_pool(
            WorkPoolCreate(name=pool, type="process", base_job_template=ProcessWorker.get_default_base_job_template())
        )
    deployment_id = flow.from_source(source=str(REPO), entrypoint="flows/pipeline.py:pipeline_flow").deploy(
        name="departments",
        work_pool_name=pool,
        parameters={"stages": STAGES},
        build=False,
        push=False,
        print_next_steps=False,
    )

    workers: list[subprocess.Popen] = []
    logs = [tmp_path / f"{name}.log" for name in WORKERS]
    try:
        for name, log in zip(WORKERS, logs, strict=True):
            env = quiet_env(
                PREFECT_API_URL=prefect_api.api_url,
                PREFECT_HOME=str(tmp_path / f"prefect-{name}"),
                PREFECT_WORKER_QUERY_SECONDS="1",
                PREFECT_WORKER_HEARTBEAT_SECONDS="5",
                GONGSHU_HOME=str(settings.home),  # shared storage in a real installation (the runbook)
                GONGSHU_DB_URL=platform_db,
                GONGSHU_CATALOGS=str(settings.catalogs),
                GONGSHU_EXPECTATIONS=str(settings.expectations),
            )
            with log.open("wb") as out:
                workers.append(
                    subprocess.Popen(
                        [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--name", name, "--limit", "1"],
                        env=env,
                        cwd=tmp_path,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )

        def online() -> bool:
            with get_client(sync_client=True) as client:
                seen = {w.name for w in client.read_workers_for_work_pool(pool)}
            return set(WORKERS) <= seen

        wait_for("both workers polling the pool", online, 90, logs)

        runs = [
            run_deployment(deployment_id, parameters={"departments": [d]}, timeout=0, as_subflow=False)
            for d in DEPARTMENTS
        ]
        ids = [r.id for r in runs]

        def finished():
            with get_client(sync_client=True) as client:
                current = [client.read_flow_run(i) for i in ids]
            return current if all(r.state and r.state.is_final() for r in current) else None

        done = wait_for("the department runs to finish", finished, RUN_TIMEOUT, logs)
    finally:
        codes = [stop(w) for w in workers]

    for run in done:
        assert run.state.is_completed(), f"{run.name}: {run.state.message}\n" + "\n".join(log_tail(p) for p in logs)
    # each worker took one department's run (the worker gives the run its name as a label) ...
    by_worker = {run.labels.get("prefect.worker.name") for run in done}
    assert by_worker == set(WORKERS), by_worker
    assert len({run.infrastructure_pid for run in done}) == len(done)  # separate processes
    # ... and they ran at the same time
    starts, ends = [r.start_time for r in done], [r.end_time for r in done]
    assert max(starts) < min(ends), f"no overlap: started {starts}, ended {ends}"
    # the workers stopped cleanly on SIGTERM (exit 0, no SIGKILL needed)
    assert codes == [0, 0], codes

    with session_scope(get_engine(platform_db)) as session:
        logged = session.execute(
            sa.select(m.RunLog.department_key, m.RunLog.stage, m.RunLog.status).where(m.RunLog.stage.in_(STAGES))
        ).all()
    for dept in DEPARTMENTS:
        for stage in STAGES:
            statuses = {s for d, st, s in logged if d == dept and st == stage}
            assert statuses == {"completed"}, (dept, stage, statuses)
