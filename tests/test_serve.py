"""`gongshu serve` end to end: Prefect's server, the deployments of prefect.yaml, a worker and the sharing
API come up on free loopback ports; a deployment run completes with its artifacts; a collect run sets
off cleanse → share → open through the event triggers, for the same department; SIGTERM stops every
process it started. About 1.5-2 minutes (a fresh Prefect database, one process per flow run)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from flows.serve import _alive, _descendants, healthy

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 240
CHAIN = ("cleanse", "share", "open")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float, proc: subprocess.Popen, out: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gongshu serve exited with {proc.returncode} while waiting for {what}:\n{out.read_text()}")
        found = check()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"no {what} after {timeout} s:\n{out.read_text()}")


@pytest.fixture
def served(tmp_path: Path):
    """gongshu serve on free ports, schedules paused (only this test's runs); yields (proc, urls, output)."""
    port, api_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        GONGSHU_HOME=str(tmp_path / "home"),
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_WORKER_QUERY_SECONDS="2",  # pick runs up quickly (default 10 s)
    )
    out = tmp_path / "serve.out"
    argv = [sys.executable, "-m", "flows.cli", "serve", "--port", str(port), "--api-port", str(api_port), "--paused"]
    with out.open("wb") as sink:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
    urls = {"prefect": f"http://127.0.0.1:{port}/api", "api": f"http://127.0.0.1:{api_port}/api/v1"}
    try:
        yield proc, urls, out
    finally:
        if proc.poll() is None:
            for pid in _descendants(proc.pid):
                os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait(10)


def test_serve_runs_deployments_and_triggers_then_stops_on_sigterm(served):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    proc, urls, out = served
    started = time.monotonic()
    wait_for(
        "'gongshu serve is running'", lambda: "gongshu serve is running" in out.read_text(), START_TIMEOUT, proc, out
    )
    assert healthy(f"{urls['prefect']}/health") and healthy(f"{urls['api']}/health")
    assert "schedules paused" in out.read_text()
    up = time.monotonic() - started

    declared = {d["name"] for d in yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]}
    with temporary_settings(updates={PREFECT_API_URL: urls["prefect"]}), get_client(sync_client=True) as client:
        assert {d.name for d in client.read_deployments()} == declared
        automations = {a.name for a in client.read_automations()}
        assert {"cleanse after collect", "share after cleanse", "open after share"} <= automations

        run = run_deployment("catalog/catalog-nightly", timeout=120)
        assert run.state is not None and run.state.is_completed(), run.state
        artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
        catalog = {a.key: a for a in artifacts}
        assert {"catalog-resources", "catalog-changes"} <= set(catalog)
        rows = catalog["catalog-resources"].data
        rows = json.loads(rows) if isinstance(rows, str) else rows
        assert {"scjgj", "slj"} <= {r["department"] for r in rows}

        collect = run_deployment("collect/collect-nightly", parameters={"departments": ["slj"]}, timeout=120)
        assert collect.state is not None and collect.state.is_completed(), collect.state

        def chain_done():
            runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=list(CHAIN))))
            ended = {r.name.split()[0]: r for r in runs if r.state is not None and r.state.is_final()}
            return ended if set(ended) == set(CHAIN) else None

        ended = wait_for("cleanse, share and open runs set off by the collect run", chain_done, 150, proc, out)
        for stage, flow_run in ended.items():
            assert flow_run.state.is_completed(), (stage, flow_run.state)
            assert flow_run.parameters.get("departments") == ["slj"], stage  # passed on by the triggers
            assert flow_run.deployment_id is not None
    ran = time.monotonic() - started - up

    children = _descendants(proc.pid)
    assert len(children) >= 3  # server, worker, api (and their own children)
    stopping = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(90) == 0, out.read_text()
    text = out.read_text()
    assert "SIGTERM: stopping" in text and "gongshu serve: stopped" in text
    assert [pid for pid in children if _alive(pid)] == []
    assert not healthy(f"{urls['prefect']}/health") and not healthy(f"{urls['api']}/health")
    print(f"serve up in {up:.1f} s, runs {ran:.1f} s, stopped in {time.monotonic() - stopping:.1f} s")
