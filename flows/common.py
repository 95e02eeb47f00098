"""What every stage flow shares: run ids, run names, and ending Failed after all work is done.

Task runs are named for their stage, department and resource (``cleanse-scjgj.enterprise_registry``)
and carry no tags: Prefect 3 asks its server for a tag concurrency slot before every tagged task run,
limit or not (PrefectHQ/prefect#19367), and per-department tags made the whole pipeline of 100
departments 2.3x slower (bench/pipeline_overhead.py). Deployments carry the stage tags."""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import prefect
from prefect.runtime import flow_run
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings
from prefect.states import Completed, Failed, State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from gongshu.catalog.compiled import CompiledCatalog
from gongshu.catalog.model import Resource
from gongshu.catalog.registry import registered
from gongshu.runs import RunReport
from gongshu.settings import get_settings
from gongshu.store.db import get_engine, session_scope

from .shutdown import settle


@contextmanager
def local_runs() -> Iterator[None]:
    """Runs started in this process: against Prefect's temporary server (no PREFECT_API_URL), without
    flow-run heartbeats. A heartbeat lets a standing server mark a run whose process died as crashed;
    the temporary server dies with the process, so nothing would read them, and each flow run's end
    waits for its heartbeat thread's one-second sleep (7 flow runs in a pipeline). Against a standing
    server (`make serve`, PREFECT_API_URL) nothing changes. At the end, the temporary server is given
    the time to record the task runs before the process exits and stops it (flows/shutdown.py)."""
    if get_current_settings().api.url:
        yield
        return
    # started here, in the main thread, rather than lazily by whichever thread of Prefect's first asks;
    # Prefect's code asking for its temporary server then gets this one (and stops it at exit)
    _TiedServer().start()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
    settle(since)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if _PRCTL is not None:  # always: the child is started this way only where prctl exists
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != _PARENT[0]:  # the parent died before the line above
        os._exit(0)


class _TiedServer(SubprocessASGIServer):
    """Prefect's temporary server, but stopped by the kernel when the process that started it dies,
    ``kill -9`` included: Prefect stops it only at a clean exit (atexit), and a killed run left it
    running, orphaned, holding its port and its database. Linux's PR_SET_PDEATHSIG, set in the child
    before it execs uvicorn; elsewhere it is Prefect's server as it is.

    SubprocessASGIServer keeps one instance per port in ``_instances``; made first (port None), this one
    is what Prefect's clients get when they call ``SubprocessASGIServer()`` (as prefect_test_harness
    does with its own). Prefect offers no way to pass ``preexec_fn``, so ``_run_uvicorn_command`` is
    Prefect 3's own command with it added (prefect/server/api/server.py)."""

    def _run_uvicorn_command(self) -> subprocess.Popen:
        if _PRCTL is None or threading.current_thread() is not threading.main_thread():
            # the signal follows the thread that started the child: only the main thread lives as long
            return super()._run_uvicorn_command()
        _PARENT[0] = os.getpid()
        return subprocess.Popen(
            args=[
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(prefect.__module_path__.parent),
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env={
                **os.environ,
                "PREFECT_UI_ENABLED": "0",
                "PREFECT__SERVER_EPHEMERAL": "1",
                "PREFECT__SERVER_FINAL": "1",
                **get_current_settings().to_environment_variables(exclude_unset=True),
            },
            preexec_fn=_die_with_parent,
        )


def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up before any fork (the child must not load anything), or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PR_SET_PDEATHSIG = 1
_PRCTL = _prctl()
_PARENT = [0]


def task_runner(threads: int | None = None) -> TaskRunner[Any]:
    """A stage flow's task runner: ``threads`` task runs at once (default ``GONGSHU_TASK_THREADS``),
    read when the flows are imported (a worker's process imports them for each run)."""
    return ThreadPoolTaskRunner(max_workers=threads or get_settings().task_threads)


def run_name(stage: str) -> str:
    """'catalog scjgj,wjw 20261125T103000Z-3f9a1c': the stage, the departments, the run id."""
    params = flow_run.parameters or {}
    depts = params.get("departments")
    scope = ",".join(depts) if depts else "all"
    run_id = params.get("run_id") or ""
    return f"{stage} {scope} {run_id}".strip()


def finish(stage: str, report: RunReport) -> State:
    """Completed with the report, or Failed naming what failed (the report is the state's data)."""
    failed = report.failed
    if not failed:
        return Completed(data=report, message=f"{stage}: {len(report.outcomes)} outcomes, none failed")
    names = sorted({f"{o.stage}:{o.department}" + (f"/{o.resource}" if o.resource else "") for o in failed})
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return Failed(data=report, message=f"{stage}: {len(failed)} failed: {shown}. First error: {failed[0].error}")


def selected(
    stage: str, departments: list[str] | None, resources: list[str] | None
) -> tuple[list[CompiledCatalog], list[tuple[CompiledCatalog, Resource]]]:
    """The registered catalogs of ``departments`` (default: all) and their resources named in
    ``resources`` (``resource`` or ``dept.resource``; default: all)."""
    with session_scope(get_engine()) as session:
        catalogs = registered(session, departments)
    if not catalogs:
        raise ValueError(f"no registered catalog to {stage}: run the catalog stage first")
    jobs = [
        (c, r.resource)
        for c in catalogs
        for r in c.resources
        if not resources or r.resource.id in resources or f"{c.department.id}.{r.resource.id}" in resources
    ]
    return catalogs, jobs
