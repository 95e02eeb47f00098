"""What `gongshu demo` adds around the pipeline: the sample departments' HTTP API (气象局's sources
are served by samples/api_server.py on 127.0.0.1:8765, the address their catalog declares) while it
runs, and after it the sharing demo (API keys, share requests of every kind, example calls) and where
the open data went (the portal's page, the CKAN-style API)."""

from __future__ import annotations

import importlib.util
import shlex
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from gongshu.catalog.registry import registered
from gongshu.clock import SHANGHAI
from gongshu.runs import RunReport
from gongshu.settings import get_settings
from gongshu.share.demo import API, KEYS_FILE, DemoRequest, ShareDemo, seed_share_demo, write_keys_file
from gongshu.store.db import session_scope

from .summary import display_width, pad

if TYPE_CHECKING:
    from prefect.states import State

SAMPLE_API = ("127.0.0.1", 8765)


@contextmanager
def sample_api(samples_dir: Path):
    """Serve the samples' JSON while the demo runs; say so plainly if the port is taken."""
    script = samples_dir / "api_server.py"
    if not script.is_file():
        yield None
        return
    spec = importlib.util.spec_from_file_location("gongshu_sample_api", script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        server = module.serve(SAMPLE_API[0], SAMPLE_API[1], samples_dir)
        threading.Thread(target=server.serve_forever, name="sample-api", daemon=True).start()
    except OSError as exc:
        raise RuntimeError(
            f"cannot serve the sample API on {SAMPLE_API[0]}:{SAMPLE_API[1]} ({exc}); "
            "stop what uses that port, or run the other stages with --department"
        ) from exc
    try:
        yield f"http://{SAMPLE_API[0]}:{SAMPLE_API[1]}"
    finally:
        server.shutdown()
        server.server_close()


def share_demo(report: RunReport | None = None) -> ShareDemo | None:
    """After the demo's pipeline: API keys for the sample departments (in ``$GONGSHU_HOME/demo-keys.json``),
    share requests of every kind between them, and how to call the sharing API with those keys; then
    what was opened (:func:`print_open_demo`)."""
    settings = get_settings()
    with session_scope() as session:
        catalogs = registered(session)
        if not catalogs:
            typer.secho("\n数据共享: no department is registered, so no keys or requests were made", fg="yellow")
            return None
        demo = seed_share_demo(session, catalogs, response_days=settings.share_response_days)
    demo.keys_file = write_keys_file(settings.home / KEYS_FILE, demo.keys)
    print_share_demo(demo, report)
    if report is not None:
        print_open_demo(report)
    return demo


def print_open_demo(report: RunReport) -> None:
    """What the open stage released and held back, the portal's page and the open-data API, in a few lines."""
    opened = [o for o in report.outcomes if o.stage == "open" and o.resource]
    if not opened:
        return
    released = [o for o in opened if o.status == "completed" or o.reason and o.reason.startswith("unchanged")]
    public = sum(o.details.get("release") == "无条件开放" for o in released)
    held = sum(o.status == "skipped" and "held" in o.details for o in opened)
    blocked = [o for o in opened if o.status == "failed"]
    typer.echo(
        f"\n数据开放 (open data): {len(released)} datasets published ({public} 无条件开放 for anyone, "
        f"{len(released) - public} 有条件开放 on application), {held} held back, {len(blocked)} blocked by the gate"
    )
    portal = report.outputs.get("portal")
    if portal:
        typer.echo(f"  portal  {_shown(Path(portal))}  (static files: open it in a browser)")
    typer.echo(f"  API     {API}/api/3/action/package_list  (CKAN-style; serve it with .venv/bin/gongshu api)")


def print_share_demo(demo: ShareDemo, report: RunReport | None = None) -> None:
    served = {
        (o.department, o.resource)
        for o in (report.outcomes if report else [])
        if o.stage == "share" and o.status == "completed"
    }
    keys_file = _shown(demo.keys_file) if demo.keys_file else KEYS_FILE
    typer.echo(
        f"\n数据共享 (sharing): API keys of {len(demo.departments)} departments and an admin key in {keys_file}"
        " (owner-only, printed nowhere)"
    )
    items = [r for r in demo.requests if r.problem is None]
    if any(r.reused for r in items):
        typer.echo("  (requests an earlier demo made are shown again, not made twice)")
    width = max((display_width(_label(r)) for r in items), default=0)
    for r in demo.requests:
        sc = r.scenario
        if r.problem:
            typer.secho(f"  {sc.consumer} → {sc.provider}/{sc.resource}: not played ({r.problem})", fg="yellow")
            continue
        typer.echo(f"  {pad(_label(r), width)}  {pad(r.share_type or '', 10)}  {_outcome(r)}")
    typer.echo(
        "try the sharing API (the admin key manages requests and reads no data):\n"
        "  .venv/bin/gongshu api   # in another terminal: http://127.0.0.1:8600, OpenAPI at /docs\n"
        "  key() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"departments\"][sys.argv[2]])'"
        f' {shlex.quote(keys_file)} "$1"; }}'
    )
    examples = []
    for r in items:
        sc = r.scenario
        if r.status == "approved":
            note = f"the {len(sc.fields)} granted fields only"
            if report is not None and (sc.provider, sc.resource) not in served:
                note += " (no data yet: the share stage did not serve it in this run)"
        elif r.status == "rejected":
            note = "403: no grant (every call, refused ones too, is logged)"
        elif r.status == "refused":
            note = "403: 不予共享 is never served"
        else:
            url = f"{API}/api/v1/requests/{r.id}/approve"
            examples.append(
                (f"  curl -X POST -H \"X-API-Key: $(key {sc.provider})\" '{url}'", f"{sc.provider} decides #{r.id}")
            )
            continue
        url = f"{API}/api/v1/data/{sc.provider}/{sc.resource}?limit=5"
        examples.append((f"  curl -H \"X-API-Key: $(key {sc.consumer})\" '{url}'", note))
    cmd_width = max((len(c) for c, _ in examples), default=0)
    for cmd, note in examples:
        typer.echo(f"{cmd:<{cmd_width}}  # {note}")


def _label(r: DemoRequest) -> str:
    sc = r.scenario
    return f"#{r.id} {sc.consumer} → {sc.provider}/{sc.resource} {r.resource_name}"


def _outcome(r: DemoRequest) -> str:
    provider = r.scenario.provider
    if r.status == "approved":
        return f"approved by {provider}" if r.scenario.decision else f"approved at once ({r.reason})"
    if r.status == "rejected":
        return f"rejected by {provider}: {r.reason}"
    if r.status == "refused":
        return f"refused: {r.reason}"
    if r.status == "pending" and r.due_at is not None:
        return f"pending: {provider}'s key alone may decide it, by {r.due_at.astimezone(SHANGHAI):%Y-%m-%d}"
    return r.status or "?"


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def score_month_in_progress(departments: list[str] | None = None) -> RunReport | None:
    """The demo's second scorecard run: the month in progress, 暂定 (provisional, not stored), on
    sample data; its report, or None if it could not run (the demo goes on)."""
    from gongshu.clock import current_period
    from gongshu.runs import new_run_id

    from .scorecard import scorecard_flow

    state = cast(
        "State[RunReport]",
        scorecard_flow(
            period=current_period(), departments=departments, run_id=new_run_id(), sample=True, return_state=True
        ),
    )
    report = state.result(raise_on_failure=False)
    return report if isinstance(report, RunReport) else None


def _columns(played: list, current: RunReport | None) -> list[tuple[str, str, dict[str, float | None]]]:
    """(period, 正式 第N版 / 暂定, totals) of each month the table shows: the played months as their
    latest stored version says, then the month in progress."""
    from gongshu.scorecard import store
    from gongshu.store.db import get_engine

    columns = []
    for p in played:
        card = store.load(get_engine(), p.period)
        if card is None:
            columns.append((p.period, "未发布", dict(p.totals)))
            continue
        columns.append((p.period, f"正式v{card.version}", {d.department: d.total for d in card.departments}))
    if current is not None:
        totals = {o.department: o.details.get("total") for o in current.outcomes if o.stage == "scorecard"}
        if totals:
            columns.append((str(current.outputs.get("period")), "暂定", totals))
    return columns


def print_history(played: list, note: str | None = None, current: RunReport | None = None) -> None:
    """The demo's history (flows/demo_history.py): what each past month played and each department's
    total month by month, labelled as sample data; each month says whether it is final (正式, its
    version) or, for the month in progress (``current``), 暂定."""
    if note:
        typer.secho(f"\n演示历史 (demo history): {note}", fg="yellow")
    if not played:
        return
    typer.echo(
        f"\n演示历史 (demo history, 示例数据 sample data, not a real assessment): {len(played)} months played "
        "as of their own dates, so the scorecard's trends come from real runs"
    )
    for p in played:
        if not p.run_ids:
            typer.echo(f"  {p.period}  played earlier in this home")
            continue
        extra = [f"resubmitted by {', '.join(p.resubmitted)}"] if p.resubmitted else []
        extra += [f"missing {', '.join(p.missing)}"] if p.missing else []
        extra += [f"{len(p.failed)} stage(s) failed"] if p.failed else []
        typer.echo(f"  {p.period}  run {p.played_at.astimezone(SHANGHAI):%m-%d %H:%M}  {'; '.join(extra)}")
    columns = _columns(played, current)
    departments = sorted({d for _, _, totals in columns for d in totals})
    width = max((display_width(d) for d in departments), default=0)
    typer.echo("  " + pad("总分", width) + "".join(f"  {period:>7}" for period, _, _ in columns))
    typer.echo("  " + pad("", width) + "".join(f"  {pad('', 7 - display_width(s))}{s}" for _, s, _ in columns))
    for d in departments:
        totals = [t.get(d) for _, _, t in columns]
        cells = "".join(f"  {t:7.1f}" if t is not None else f"  {'—':>7}" for t in totals)
        known = [v for _, s, t in columns if s != "暂定" and (v := t.get(d)) is not None]
        change = known[-1] - known[0] if len(known) > 1 else 0.0
        arrow = "  ↑" if change >= 1 else "  ↓" if change <= -1 else ("  →" if len(known) > 1 else "")
        typer.echo(f"  {pad(d, width)}{cells}{arrow}")
    if columns and columns[-1][1] == "暂定":
        typer.echo(
            f"  正式 = issued (final) month and its version; 暂定 = {columns[-1][0]}, the month in progress: "
            "provisional, not stored, issued after the month ends"
        )
    if current is not None and current.outputs.get("scorecard_site"):
        typer.echo(f"  暂定 {current.outputs.get('period')} site: {_shown(Path(current.outputs['scorecard_site']))}")
