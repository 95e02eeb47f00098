"""The CLI's run summary, byte for byte: a run report with an outcome of every stage and every status
(and of each stage's details), printed with colours, against the text the summary printed before it
became a table of per-stage formatters (tests/flows/summary_expected.txt)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import typer

from flows.summary import print_summary
from gongshu.runs import Outcome, RunReport
from gongshu.settings import get_settings

EXPECTED = Path(__file__).with_name("summary_expected.txt")
T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=3)


def _o(stage: str, dept: str, resource: str | None, status: str = "completed", **kw: object) -> Outcome:
    if status == "failed":
        kw.setdefault("error", f"{stage} of {resource} broke")
    if status == "skipped":
        kw.setdefault("reason", "an earlier stage stopped it")
    return Outcome(stage, dept, resource, status, T0, T1, **kw)  # type: ignore[arg-type]


def _full_report() -> RunReport:
    """Every stage, every status, and the details each stage's part of the line reads."""
    report = RunReport(run_id="20261102T020000Z-abc123", started_at=T0, finished_at=T1)
    report.outcomes = [
        # 市场监管局: every stage, a mix of statuses
        _o("catalog", "scjgj", None, rows_out=12, details={"missing_metadata": ["更新周期", "联系人", "更新周期"]}),
        _o("collect", "scjgj", "licences", rows_in=1200, rows_out=1200),
        _o("collect", "scjgj", "inspections", "failed"),
        _o("collect", "scjgj", "fines", "skipped"),
        _o("cleanse", "scjgj", "licences", rows_in=1200, rows_out=1150,
           details={"rows_quarantined": 40, "rows_merged": 10, "completeness": 91.25, "gate": "passed"}),
        _o("cleanse", "scjgj", "inspections", "skipped"),
        _o("cleanse", "scjgj", "fines", rows_out=3000,
           details={"rows_quarantined": 0, "rows_merged": 1234, "completeness": 80.0}),
        _o("share", "scjgj", "licences", rows_out=1150, details={"grants": 1, "requests_overdue": 2}),
        _o("share", "scjgj", "fines", details={"grants": 2, "grants_revoked": 1}),
        _o("open", "scjgj", "licences", rows_out=1150),
        _o("open", "scjgj", "fines", "failed", rows_out=5),
        _o("scorecard", "scjgj", None,
           details={"period": "2026-10", "total": 86.54, "rank": 1, "red": True, "black": False}),
        # 气象局: all completed, no rows, a failed and an unranked scorecard
        _o("catalog", "qxj", None),
        _o("collect", "qxj", "rain"),
        _o("cleanse", "qxj", "rain"),
        _o("share", "qxj", "rain", details={"grants_revoked": 3}),
        _o("share", "qxj", "wind", details={"requests_overdue": 1}),
        _o("open", "qxj", "rain"),
        _o("scorecard", "qxj", None, details={"period": "2026-10", "total": None}),
        # a long department key: the column's width
        _o("collect", "wjw-long-key", "beds", "skipped"),
        _o("scorecard", "wjw-long-key", None, "failed"),
        _o("scorecard", "ry", None, "skipped"),
        _o("scorecard", "zz", None, details={"period": "2026-10", "total": 55.05, "rank": 9, "red": False, "black": True}),
        _o("share", "zz", "x", details={"grants": 1, "grants_revoked": 2, "requests_overdue": 3}),
        # the database line the CLI says once
        _o("open", "zz", "y", "failed", error="the platform database is not reachable"),
    ]  # fmt: skip
    report.outputs = {
        "catalog_json": "/out/catalog.json",
        "catalog_xlsx": "/out/catalog.xlsx",
        "catalog_dcat": "/out/catalog.dcat.jsonld",
        "expectations": "/out/expectations",
        "period": "2026-10",
        "feedback_scjgj": "/out/feedback/2026-10/scjgj.xlsx",
        "feedback_qxj": "/out/feedback/2026-10/qxj.xlsx",
        "feedback_zz": "/elsewhere/zz.xlsx",
        "portal": "/out/portal/index.html",
        "scorecard_site": "/out/scorecard/index.html",
        "scorecard_workbook": "/out/scorecard/2026-10.xlsx",
        "report": "/out/reports/r.json",
        "report_json": "/tmp/r.json",
        "database_error": "the platform database is not reachable",
        "something_new": "/out/new",
    }
    return report


def _small_report() -> RunReport:
    """No outcome at all, and one with no outputs beyond the run report."""
    report = RunReport(run_id="20261102T020000Z-def456", started_at=T0, finished_at=T1)
    report.outputs = {"report": "/out/reports/s.json"}
    return report


def _cleanse_without_gate() -> RunReport:
    report = RunReport(run_id="20261102T020000Z-0789ab", started_at=T0, finished_at=T1)
    report.outcomes = [_o("cleanse", "a", "r", rows_out=7), _o("collect", "a", "r", "failed", rows_out=7)]
    return report


CASES = {
    "full, demo": (_full_report, True),
    "full": (_full_report, False),
    "small": (_small_report, False),
    "small, demo": (_small_report, True),
    "cleanse without gate": (_cleanse_without_gate, False),
}


def render(capsys: pytest.CaptureFixture[str]) -> str:
    """Every case's stdout and stderr, with colours, the temporary home replaced by <home>."""
    settings = get_settings()
    chunks = []
    for name, (make, demo) in CASES.items():
        with typer.Context(typer.core.TyperCommand("gongshu"), color=True):
            print_summary(make(), demo=demo)
        out, err = capsys.readouterr()
        chunks.append(f"=== {name}: stdout\n{out}=== {name}: stderr\n{err}")
    text = "".join(chunks)
    for path, name in ((settings.prefect_home, "<prefect>"), (settings.home, "<home>")):
        text = text.replace(str(path.resolve()), name).replace(str(path), name)
    return text


def test_summary_prints_what_it_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert render(capsys) == EXPECTED.read_text(encoding="utf-8")
