"""Tasks of the cleansing stage: one task run per resource, one per department's feedback
workbook, and the results as two table artifacts for the Prefect UI: the summary and the clean
gate's checks that did not pass (one table for the run, not one per resource: with hundreds of
resources the per-resource tables were pages of "passed" and a round trip to the server each)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from gongshu.catalog.model import Catalog, Resource
from gongshu.cleanse.deadlines import FixDeadlines
from gongshu.cleanse.feedback_data import write_department_feedback
from gongshu.cleanse.feedback_state import behind
from gongshu.cleanse.stage import cleanse_resource
from gongshu.runs import Outcome
from gongshu.scorecard.stage import configured
from gongshu.settings import get_settings
from gongshu.store.db import get_engine, session_scope

from .naming import artifact_key
from .runlog import current_flow_run_id


@task(name="cleanse-resource", task_run_name="cleanse-{department}.{resource_id}", cache_policy=NO_CACHE)
def cleanse_one(department: str, resource_id: str, resource: Resource, run_id: str) -> Outcome:
    settings = get_settings()
    return cleanse_resource(
        get_engine(),
        department,
        resource,
        run_id,
        expectations_dir=settings.expectations,
        results_home=settings.home,
        flow_run_id=current_flow_run_id(),
    )


@task(name="write-feedback", task_run_name="feedback-{department}", cache_policy=NO_CACHE)
def write_feedback_one(department: str, catalog: Catalog, period: str, behind: str | None = None) -> str:
    """``behind``: why the department's workbook is written again although nothing of it was
    cleansed in this run (a run killed while writing it), for the log."""
    if behind:
        get_run_logger().warning("feedback workbook of %s written again: %s", department, behind)
    with session_scope() as session:
        return str(write_department_feedback(session, catalog, period, get_settings().home, fix_deadlines()))


def fix_deadlines() -> FixDeadlines:
    """The 整改期限 rule the scorecard's 问题整改率 judges by: ``issue_fix_days`` working days of the
    holiday calendar, from ``settings.scorecard_config`` as the scorecard reads it."""
    config = configured(get_settings().scorecard_config)
    return FixDeadlines(config.work_calendar(), config.issue_fix_days)


def feedback_behind(departments: list[str]) -> dict[str, str]:
    """Of ``departments``, those whose feedback workbook is behind their quality issues, with why."""
    with session_scope() as session:
        return behind(session, get_settings().home, departments)


def _gate_rows(outcomes: list[Outcome]) -> list[dict]:
    """A row per clean-gate check that did not pass, resource by resource (the passed ones are the
    summary's ``gate: passed``)."""
    return [
        {
            "department": o.department,
            "resource": o.resource,
            "gate": "passed" if o.details["gate"].get("passed") else "FAILED",
            "rule": c["rule"],
            "column": c.get("column") or "-",
            "severity": c["severity"],
            "unexpected rows": c.get("unexpected_count") if c.get("unexpected_count") is not None else "-",
        }
        for o in outcomes
        if "gate" in o.details
        for c in o.details["gate"].get("checks", [])
        if not c["success"]
    ]


@task(name="publish-cleanse-artifacts", task_run_name="cleanse-artifacts", cache_policy=NO_CACHE)
def publish_cleanse_artifacts(outcomes: list[Outcome]) -> None:
    """``cleanse-summary`` (a row per resource) and ``clean-gate`` (a row per check that did not pass)."""
    rows = [
        {
            "department": o.department,
            "resource": o.resource,
            "status": o.status,
            "rows in": o.rows_in if o.rows_in is not None else "-",
            "loaded": o.rows_out if o.rows_out is not None else "-",
            "quarantined": o.details.get("rows_quarantined", "-"),
            "merged": o.details.get("rows_merged", "-"),
            "gate": "passed" if o.details.get("gate", {}).get("passed") else ("failed" if "gate" in o.details else "-"),
            "open issues": o.details.get("issues", {}).get("open", "-"),
            "why": o.error or o.reason or "",
        }
        for o in outcomes
    ]
    failed = sum(o.status == "failed" for o in outcomes)
    create_table_artifact(
        table=rows,
        key=artifact_key("cleanse-summary"),
        description=f"数据治理: {len(outcomes)} resources, {failed} failed",
    )
    gated = [o for o in outcomes if "gate" in o.details]
    stopped = sum(not o.details["gate"].get("passed") for o in gated)
    checks = _gate_rows(outcomes)
    create_table_artifact(
        table=checks,
        key=artifact_key("clean-gate"),
        description=(
            f"清洗质量门禁: {len(gated)} resources checked, {stopped} stopped by the gate, "
            f"{len(checks)} check(s) not passed"
        ),
    )
