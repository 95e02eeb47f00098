"""Tasks of the sharing stage: one task run per department, then the table artifacts `share-summary`
(what the sharing API serves) and `share-overdue` (requests the providers have not answered in time)."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from gongshu import clock
from gongshu.catalog.model import Resource
from gongshu.clock import SHANGHAI
from gongshu.runs import Outcome
from gongshu.share.stage import STAGE, overdue_requests, share_resource
from gongshu.store.db import get_engine, session_scope

from .each import each_alone
from .naming import artifact_key


@task(name="share-department", task_run_name="share-{department}", cache_policy=NO_CACHE)
def share_department(department: str, resources: list[Resource], run_id: str) -> list[Outcome]:
    """The department's resources one after another, one outcome each; a resource that crashes fails
    alone. One task run per department, not per resource: a resource's sharing is a few database
    statements (milliseconds), less than a task run costs; the `share-summary` artifact has a row
    per resource."""
    engine = get_engine()
    return each_alone(
        STAGE,
        [(department, r) for r in resources],
        lambda dept, resource: share_resource(engine, dept, resource, run_id),
        "sharing crashed",
    )


@task(name="publish-share-artifacts", task_run_name="share-artifacts", cache_policy=NO_CACHE)
def publish_share_artifacts(outcomes: list[Outcome], departments: list[str] | None = None) -> int:
    """Publish both artifacts; returns how many requests are overdue (of ``departments`` as providers)."""
    rows = [
        {
            "department": o.department,
            "resource": o.resource,
            "share type": o.details.get("share_type", "-"),
            "status": o.status,
            "DWD rows": o.details.get("dwd_rows", "-"),
            "grants": o.details.get("grants", "-"),
            "consumers": ", ".join(o.details.get("consumers", [])) or "-",
            "pending": o.details.get("requests_pending", "-"),
            "withdrawn": o.details.get("grants_revoked", "-"),
            "why": o.error or o.reason or ("newly shared" if o.details.get("newly_shared") else ""),
        }
        for o in outcomes
    ]
    served = sum(o.status == "completed" for o in outcomes)
    withdrawn = sum(o.details.get("grants_revoked", 0) for o in outcomes)
    failed = sum(o.status == "failed" for o in outcomes)
    create_table_artifact(
        table=rows,
        key=artifact_key("share-summary"),
        description=(
            f"数据共享: {len(outcomes)} resources, {served} served by the sharing API, "
            f"{withdrawn} grant(s) withdrawn, {failed} failed"
        ),
    )

    now = clock.now()
    with session_scope() as session:
        overdue = overdue_requests(session, now, providers=departments)
    create_table_artifact(
        table=[
            {
                "request": r.id,
                "consumer": r.consumer,
                "provider": r.provider,
                "resource": r.resource,
                "requested": f"{r.requested_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
                "due": f"{r.due_at.astimezone(SHANGHAI):%Y-%m-%d}",
                "working days overdue": r.working_days_overdue,
                "days overdue": r.days_overdue,
            }
            for r in overdue
        ],
        key=artifact_key("share-overdue"),
        description=(
            f"逾期未答复的共享申请: {len(overdue)} request(s) past due on {now.astimezone(SHANGHAI):%Y-%m-%d}"
            if overdue
            else f"逾期未答复的共享申请: none on {now.astimezone(SHANGHAI):%Y-%m-%d}"
        ),
    )
    return len(overdue)
