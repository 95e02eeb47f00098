"""What the CLI prints after a run: a line per department, every failure, and where outputs are.

A department's line has a part per stage, written by that stage's formatter (``STAGE_PARTS``; a
stage without one gets its counts and the rows it moved)."""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import typer

from gongshu.runs import Outcome, RunReport
from gongshu.scorecard.charts import score
from gongshu.settings import Settings, get_settings

OUTPUT_LABELS = {
    "catalog_json": "catalog (JSON)",
    "catalog_xlsx": "目录清单 (Excel)",
    "catalog_dcat": "catalog (DCAT JSON-LD)",
    "expectations": "expectation suites",
    "report": "run report",
    "report_json": "run report (copy)",
    "portal": "open-data portal",
    "scorecard_site": "考核晾晒 site",
    "scorecard_workbook": "考核晾晒 workbook (Excel)",
}
"""How "where to look" names an output of the run report; another output shows its own key."""


def print_summary(report: RunReport, demo: bool = False) -> None:
    typer.echo(f"\nrun {report.run_id}: {report.status}")
    _print_departments(report.outcomes)
    _print_failures(report)
    _print_where_to_look(report, get_settings(), demo=demo)


def _print_departments(outcomes: list[Outcome]) -> None:
    """A line per department (red if anything of it failed): a part per stage, its completeness, and
    below it the metadata its catalog lacks."""
    by_dept: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_dept[o.department].append(o)
    width = max((len(d) for d in by_dept), default=10)
    for dept in sorted(by_dept):
        outs = by_dept[dept]
        parts = []
        for stage in dict.fromkeys(o.stage for o in outs):
            part = STAGE_PARTS.get(stage, _moved_part)
            parts.append(part(stage, [o for o in outs if o.stage == stage]))
        scores = [o.details["completeness"] for o in outs if "completeness" in o.details]
        if scores:
            parts.append(f"completeness {sum(scores) / len(scores):.1f}")
        typer.secho(
            f"  {dept:<{width}}  " + "  ".join(parts),
            fg=typer.colors.RED if any(o.status == "failed" for o in outs) else None,
        )
        missing = Counter(item for o in outs for item in o.details.get("missing_metadata", []))
        if missing:
            shown = ", ".join(f"{item} ×{n}" for item, n in missing.most_common(4))
            typer.echo(f"  {'':<{width}}  missing metadata: {shown}")


def _print_failures(report: RunReport) -> None:
    for o in report.failed:
        if o.error == report.outputs.get("database_error"):
            continue  # the CLI says it once
        where = f"{o.department}/{o.resource}" if o.resource else o.department
        typer.secho(f"  FAILED {o.stage} {where}: {o.error}", fg=typer.colors.RED, err=True)


def _print_where_to_look(report: RunReport, settings: Settings, *, demo: bool) -> None:
    typer.echo("\nwhere to look:")
    rows = [("platform database", settings.database_url)]
    rows += [
        (OUTPUT_LABELS.get(k, k), v)
        for k, v in report.outputs.items()
        if k not in ("period", "scorecard_status") and not k.startswith("feedback_")
    ]
    feedback = sorted(v for k, v in report.outputs.items() if k.startswith("feedback_"))
    ranked = _ranked_feedback(report, settings) if demo else None
    if ranked:  # the demo: the 反馈表 of the month its scorecard ranks, not of the month it runs in
        rows.append(("反馈表 (feedback workbooks)", ranked))
    elif feedback:
        folders = sorted({str(Path(v).parent) for v in feedback})
        rows.append(("反馈表 (feedback workbooks)", f"{', '.join(folders)}/ ({len(feedback)} departments)"))
    if any(o.stage == "cleanse" and "gate" in o.details for o in report.outcomes):
        rows.append(("quality gate Data Docs", "run: .venv/bin/gongshu quality docs"))
    rows.append(("Prefect home (flow runs)", str(settings.prefect_home)))
    for label, value in rows:
        typer.echo(f"  {pad(label, 26)} {value}")
    if demo:
        typer.echo(
            "\nbrowse the flow runs and artifacts in the Prefect UI:\n"
            f"  PREFECT_HOME={settings.prefect_home} .venv/bin/prefect server start  # then open http://127.0.0.1:4200"
        )


def _ranked_feedback(report: RunReport, settings: Settings) -> str | None:
    """The folder of the 反馈表 of the month the scorecard ranks, if any was written for it."""
    period = report.outputs.get("period")
    folder = settings.home / "feedback" / str(period)
    files = sorted(folder.glob("*.xlsx")) if period and folder.is_dir() else []
    if not files:
        return None
    return f"{folder}/ ({len(files)} departments; {period}, the month the scorecard ranks)"


def _counts(stage: str, mine: list[Outcome]) -> str:
    """'collect 3/4 (1 failed)': the stage's completed outcomes of all, then the failed and skipped."""
    ok = sum(o.status == "completed" for o in mine)
    text = f"{stage} {ok}/{len(mine)}"
    failed = sum(o.status == "failed" for o in mine)
    skipped = sum(o.status == "skipped" for o in mine)
    if failed:
        text += f" ({failed} failed)"
    if skipped:
        text += f" ({skipped} skipped)"
    return text


def _rows(mine: list[Outcome]) -> list[int]:
    return [o.rows_out for o in mine if o.rows_out is not None]


def _catalog_part(stage: str, mine: list[Outcome]) -> str:
    """The counts alone (a catalog's rows are its resources, not data)."""
    return _counts(stage, mine)


def _moved_part(stage: str, mine: list[Outcome]) -> str:
    """'collect 4/4 12,000 rows': the counts and the rows the stage wrote, if it says."""
    rows = _rows(mine)
    return _counts(stage, mine) + (f" {sum(rows):,} rows" if rows else "")


def _cleanse_part(stage: str, mine: list[Outcome]) -> str:
    """'cleanse 4/4 11,000 loaded, 40 quarantined, 10 merged'."""
    rows = _rows(mine)
    if not rows:
        return _counts(stage, mine)
    quarantined = sum(o.details.get("rows_quarantined", 0) for o in mine)
    merged = sum(o.details.get("rows_merged", 0) for o in mine)
    return _counts(stage, mine) + f" {sum(rows):,} loaded, {quarantined:,} quarantined, {merged:,} merged"


def _share_part(stage: str, mine: list[Outcome]) -> str:
    """'share 2/2 3 grants, 1 grant(s) withdrawn, 2 request(s) overdue' (only what is not zero)."""
    grants = sum(o.details.get("grants", 0) for o in mine)
    withdrawn = sum(o.details.get("grants_revoked", 0) for o in mine)
    overdue = sum(o.details.get("requests_overdue", 0) for o in mine)
    bits = [f"{grants} grant{'s' if grants != 1 else ''}"] if grants else []
    bits += [f"{withdrawn} grant(s) withdrawn"] if withdrawn else []
    bits += [f"{overdue} request(s) overdue"] if overdue else []
    return _counts(stage, mine) + (f" {', '.join(bits)}" if bits else "")


def _scorecard_part(stage: str, mine: list[Outcome]) -> str:
    """'scorecard 2026-10 rank 3, 86.5 红榜', or 'scorecard 2026-10 unranked' (one outcome a department)."""
    o = mine[0]
    d = o.details
    if o.status != "completed":
        return f"{stage} {o.status}"
    if d.get("total") is None:
        return f"{stage} {d.get('period', '')} unranked" + (" (provisional)" if d.get("provisional") else "")
    marks = "".join(f" {m}" for m, on in (("红榜", d.get("red")), ("黑榜", d.get("black"))) if on)
    status = (
        " (provisional)" if d.get("provisional") else (f" (version {d['version']})" if d.get("version", 1) > 1 else "")
    )
    return f"{stage} {d.get('period', '')} rank {d['rank']}, {score(d['total'])}{marks}{status}"


STAGE_PARTS: dict[str, Callable[[str, list[Outcome]], str]] = {
    "catalog": _catalog_part,
    "cleanse": _cleanse_part,
    "share": _share_part,
    "scorecard": _scorecard_part,
}
"""A stage's part of a department's line; a stage not named here: :func:`_moved_part`."""


def display_width(text: str) -> int:
    """Columns the text takes in a terminal, where a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """Left-align in a terminal (CJK characters take two columns)."""
    return text + " " * max(width - display_width(text), 0)
