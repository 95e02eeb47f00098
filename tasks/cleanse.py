"""Tasks of the cleansing stage: one task run per resource, one per department's feedback
workbook, and the gate results as table artifacts in the Prefect UI."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from gongshu.catalog.model import Catalog, Resource
from gongshu.cleanse.feedback_data import write_department_feedback
from gongshu.cleanse.stage import cleanse_resource
from gongshu.runs import Outcome
from gongshu.settings import get_settings
from gongshu.store.db import get_engine, session_scope

from .naming import artifact_key


@task(name="cleanse-resource", task_run_name="cleanse-{department}.{resource_id}", cache_policy=NO_CACHE)
def cleanse_one(department: str, resource_id: str, resource: Resource, run_id: str) -> Outcome:
    settings = get_settings()
    outcome = cleanse_resource(
        get_engine(), department, resource, run_id, expectations_dir=settings.expectations, results_home=settings.home
    )
    if "gate" in outcome.details:
        _gate_artifact(department, resource, outcome)
    return outcome


def _gate_artifact(department: str, resource: Resource, outcome: Outcome) -> None:
    d = outcome.details
    checks = d.get("gate", {}).get("checks", [])
    rows = [
        {
            "rule": c["rule"],
            "column": c.get("column") or "-",
            "severity": c["severity"],
            "result": "passed" if c["success"] else "FAILED",
            "unexpected rows": c.get("unexpected_count") if c.get("unexpected_count") is not None else "-",
        }
        for c in checks
    ]
    passed = d["gate"].get("passed")
    create_table_artifact(
        table=rows,
        key=artifact_key(f"clean-gate-{department}-{resource.id}"),
        description=(
            f"清洗质量门禁 {resource.name} ({department}.{resource.id}): {'通过' if passed else '未通过'}; "
            f"{outcome.rows_in or 0} in, {outcome.rows_out or 0} loaded, {d.get('rows_quarantined', 0)} quarantined, "
            f"{d.get('rows_merged', 0)} merged"
        ),
    )


@task(name="write-feedback", task_run_name="feedback-{department}", cache_policy=NO_CACHE)
def write_feedback_one(department: str, catalog: Catalog, period: str) -> str:
    with session_scope() as session:
        return str(write_department_feedback(session, catalog, period, get_settings().home))


@task(name="publish-cleanse-artifact", task_run_name="cleanse-artifact", cache_policy=NO_CACHE)
def publish_cleanse_artifact(outcomes: list[Outcome]) -> None:
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
