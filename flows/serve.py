"""``gongshu serve`` (``make serve``): the platform as a service on one host. It starts Prefect's server
on loopback (SQLite under ``$GONGSHU_HOME/prefect``, telemetry off), creates the process work pool,
registers the deployments of ``prefect.yaml`` (``prefect deploy --all``), starts a worker and the
sharing API, prints their addresses, and stops all of it on Ctrl-C or SIGTERM, newest first. A child
that dies stops the rest. Each child's output goes to ``$GONGSHU_HOME/logs/<name>.log``.

Nothing here imports Prefect: the children are Prefect's own command line (docs/runbook.md)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gongshu.settings import configure_prefect_env, get_settings

from .deployments import WORK_POOL

REPO = Path(__file__).resolve().parents[1]
PREFECT = [sys.executable, "-m", "prefect", "--no-prompt"]
API_HEALTH = "/api/v1/health"


class ServeError(RuntimeError):
    """Something a person can act on: a port in use, a child that failed to start."""


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 4200  # Prefect's server and UI
    api_port: int = 8600  # the sharing API (gongshu api)
    server: bool = True  # False: use the server at $PREFECT_API_URL (a worker host)
    deploy: bool = True
    paused: bool = False  # schedules paused after deploying: runs only by hand or by trigger
    api: bool = True
    worker_limit: int = 2  # flow runs this host's worker runs at once
    start_timeout: float = 240.0  # a fresh Prefect database migrates on first start
    stop_timeout: float = 30.0  # per child, before SIGKILL (a worker waits for its runs this long)
    echo: Callable[[str], None] = field(default=lambda line: print(line, flush=True))


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path


class Supervisor:
    """Starts children in their own sessions (so a terminal's Ctrl-C reaches only us) and stops them in
    reverse order: SIGTERM to the child's process group, SIGKILL after ``stop_timeout``."""

    def __init__(self, env: dict[str, str], logs: Path, options: ServeOptions) -> None:
        self.env, self.logs, self.options = env, logs, options
        self.children: list[Child] = []
        self.stopping = threading.Event()

    def request_stop(self, signum: int, _frame: object = None) -> None:
        if not self.stopping.is_set():
            self.options.echo(f"\n{signal.Signals(signum).name}: stopping (again to hurry)")
            self.stopping.set()
        else:  # a second Ctrl-C: no more waiting for graceful exits
            self.options.stop_timeout = min(self.options.stop_timeout, 2.0)

    def _popen(self, name: str, argv: Sequence[str]) -> tuple[subprocess.Popen, Path]:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
            out.flush()
            proc = subprocess.Popen(
                list(argv),
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return proc, log

    def start(self, name: str, argv: Sequence[str]) -> Child:
        proc, log = self._popen(name, argv)
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def step(self, name: str, argv: Sequence[str], timeout: float) -> int:
        """Run a command to its end (stopped early on a stop request); its exit status."""
        proc, log = self._popen(name, argv)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if self.stopping.is_set() or time.monotonic() > deadline:
                _terminate(proc, 5.0)
                if self.stopping.is_set():
                    raise KeyboardInterrupt
                raise ServeError(f"{name} took longer than {timeout:.0f} s; see {log}")
            time.sleep(0.2)
        return proc.returncode

    def wait_healthy(self, child: Child | None, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stopping.is_set():
                raise KeyboardInterrupt
            if child is not None and child.proc.poll() is not None:
                raise ServeError(f"{child.name} exited with {child.proc.returncode}:\n{_tail(child.log)}")
            if healthy(url):
                return
            time.sleep(0.5)
        raise ServeError(f"{url} not healthy after {timeout:.0f} s" + (f"; see {child.log}" if child else ""))

    def watch(self) -> int:
        """Until a stop request (0) or a child's death (1)."""
        while not self.stopping.wait(1.0):
            for child in self.children:
                if child.proc.poll() is not None:
                    self.options.echo(f"{child.name} exited with {child.proc.returncode}: stopping the rest")
                    self.options.echo(_tail(child.log))
                    return 1
        return 0

    def stop_all(self) -> None:
        for child in reversed(self.children):
            if child.proc.poll() is None:
                self.options.echo(f"stopping {child.name} …")
            _terminate(child.proc, self.options.stop_timeout)
        self.children.clear()


def run_service(options: ServeOptions) -> int:
    """Start everything, wait for Ctrl-C/SIGTERM (or a child's death), stop everything; the exit status."""
    env = service_env(options)
    settings = get_settings()
    logs = settings.home.resolve() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    sup = Supervisor(env, logs, options)
    previous = {s: signal.signal(s, sup.request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        _start(sup, options, env)
        return sup.watch()
    except KeyboardInterrupt:
        return 0
    except ServeError as exc:
        options.echo(f"error: {exc}")
        return 1
    finally:
        sup.stop_all()
        for s, handler in previous.items():
            signal.signal(s, handler)
        options.echo("gongshu serve: stopped")


def service_env(options: ServeOptions) -> dict[str, str]:
    """The children's environment: Prefect's home under $GONGSHU_HOME, telemetry off, the API URL of
    our server, and $GONGSHU_* made absolute (flow runs start in the checkout, not in our folder)."""
    configure_prefect_env()
    settings = get_settings()
    env = dict(os.environ)
    env.update(
        {
            "GONGSHU_HOME": str(settings.home.resolve()),
            "GONGSHU_CATALOGS": str(settings.catalogs.resolve()),
            "GONGSHU_EXPECTATIONS": str(settings.expectations.resolve()),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    if options.server:
        env["PREFECT_API_URL"] = f"http://{options.host}:{options.port}/api"
    elif not env.get("PREFECT_API_URL"):
        raise ServeError("--no-server needs PREFECT_API_URL: the address of the Prefect server to work for")
    return env


def _start(sup: Supervisor, options: ServeOptions, env: dict[str, str]) -> None:
    api_url = env["PREFECT_API_URL"]
    if options.server:
        _check_port_free(options.host, options.port, "Prefect's server (--port)")
    if options.api:
        _check_port_free(options.host, options.api_port, "the sharing API (--api-port)")
    _start_server(sup, options, env)
    _ensure_work_pool(sup, options.echo)
    _register_deployments(sup, options)
    worker = _start_worker(sup, options)
    if options.api:
        api = sup.start(
            "api", [sys.executable, "-m", "flows.cli", "api", "--host", options.host, "--port", str(options.api_port)]
        )
        sup.wait_healthy(api, f"http://{options.host}:{options.api_port}{API_HEALTH}", options.start_timeout)
    if worker.proc.poll() is not None:
        raise ServeError(f"the worker exited with {worker.proc.returncode}:\n{_tail(worker.log)}")
    _print_running(sup, options, api_url)


def _start_server(sup: Supervisor, options: ServeOptions, env: dict[str, str]) -> None:
    """Prefect's server, healthy; with --no-server the one at $PREFECT_API_URL must answer."""
    api_url = env["PREFECT_API_URL"]
    if options.server:
        options.echo(f"starting Prefect's server on {api_url.removesuffix('/api')} (home {env['PREFECT_HOME']}) …")
        server = sup.start(
            "prefect-server",
            [*PREFECT, "server", "start", "--host", options.host, "--port", str(options.port), "--analytics-off"],
        )
        sup.wait_healthy(server, f"{api_url}/health", options.start_timeout)
    elif not healthy(f"{api_url}/health"):
        raise ServeError(f"no healthy Prefect server at {api_url} (PREFECT_API_URL)")


def _ensure_work_pool(sup: Supervisor, echo: Callable[[str], None]) -> None:
    """The process work pool the deployments run in, created if missing."""
    if sup.step("work-pool", [*PREFECT, "work-pool", "inspect", WORK_POOL], 120) != 0:
        if sup.step("work-pool", [*PREFECT, "work-pool", "create", WORK_POOL, "--type", "process"], 120) != 0:
            raise ServeError(f"could not create work pool {WORK_POOL}; see {sup.logs / 'work-pool.log'}")
        echo(f"created work pool {WORK_POOL} (process)")


def _register_deployments(sup: Supervisor, options: ServeOptions) -> None:
    """The deployments of prefect.yaml (unless --no-deploy), their schedules paused with --paused."""
    if options.deploy:
        options.echo("registering the deployments of prefect.yaml …")
        argv = [*PREFECT, "deploy", "--all", "--prefect-file", str(REPO / "prefect.yaml")]
        if sup.step("deploy", argv, 600) != 0:
            raise ServeError(f"prefect deploy --all failed:\n{_tail(sup.logs / 'deploy.log')}")
    if options.paused:
        if sup.step("deploy", [*PREFECT, "deployment", "schedule", "pause", "--all"], 120) != 0:
            raise ServeError(f"could not pause the schedules; see {sup.logs / 'deploy.log'}")
        options.echo("schedules paused (resume: prefect deployment schedule resume --all)")


def _start_worker(sup: Supervisor, options: ServeOptions) -> Child:
    """A worker of the pool, named for this host and process."""
    name = f"gongshu-{socket.gethostname()}-{os.getpid()}"
    return sup.start(
        "worker",
        [*PREFECT, "worker", "start", "--pool", WORK_POOL, "--limit", str(options.worker_limit), "--name", name],
    )


def _print_running(sup: Supervisor, options: ServeOptions, api_url: str) -> None:
    echo = options.echo
    echo("")
    echo("gongshu serve is running:")
    if options.server:
        echo(f"  Prefect UI      {api_url.removesuffix('/api')}")
    echo(f"  Prefect API     {api_url}")
    if options.api:
        base = f"http://{options.host}:{options.api_port}"
        echo(f"  sharing API     {base}/api/v1   (documentation {base}/docs)")
    echo(f"  worker          pool {WORK_POOL}, up to {options.worker_limit} flow runs at once")
    echo(f"  logs            {sup.logs}")
    echo("Ctrl-C (or SIGTERM) stops it all.")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # our own loopback URL
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _check_port_free(host: str, port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ServeError(
                f"{host}:{port} for {what} is taken ({exc.strerror}): stop what uses it, or pick another port"
            ) from None


def _terminate(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to the process group, SIGKILL after ``timeout``; then the same for descendants that had
    left the group (Prefect starts each flow run in a session of its own)."""
    if proc.poll() is not None:
        return
    strays = _descendants(proc.pid)
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait(10)
    for pid in strays:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + min(timeout, 10.0)
    while strays and time.monotonic() < deadline:
        strays = [pid for pid in strays if _alive(pid)]
        time.sleep(0.2)
    for pid in strays:
        _signal_group(pid, signal.SIGKILL)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:  # a zombie is gone for our purposes
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; elsewhere none)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(entry.parent.name)] = int(entry.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        nxt = [child for child, parent in parents.items() if parent in frontier]
        found += nxt
        frontier = nxt
    return found


def _tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in text[-lines:])
