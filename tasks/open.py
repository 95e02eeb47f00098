"""Tasks of the open stage: one task run per resource that may open, one for all that are held
back, the table artifact `open-summary` (what was released and what was held back, and why), and the
portal rebuilt from the latest releases."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from gongshu.catalog.model import Resource
from gongshu.open.stage import STAGE, open_resource
from gongshu.runs import Outcome
from gongshu.settings import get_settings
from gongshu.store.db import get_engine

from .each import each_alone
from .naming import artifact_key
from .runlog import current_flow_run_id


@task(name="open-resource", task_run_name="open-{department}.{resource_id}", cache_policy=NO_CACHE)
def open_one(department: str, resource_id: str, resource: Resource, run_id: str) -> Outcome:
    return open_resource(
        get_engine(), department, resource, run_id, home=get_settings().home, flow_run_id=current_flow_run_id()
    )


@task(name="hold-back", task_run_name="open-held-back", cache_policy=NO_CACHE)
def hold_back(held: list[tuple[str, Resource]], run_id: str) -> list[Outcome]:
    """The resources their catalog entry does not let open (不予开放, L3/L4, ...), one outcome each:
    nothing is released, and a release made before they were held back is withdrawn. One task run
    for all of them, not one each: for most it is one lookup that finds nothing to withdraw. A
    resource that crashes fails alone."""
    engine, home = get_engine(), get_settings().home
    return each_alone(
        STAGE,
        held,
        lambda dept, resource: open_resource(engine, dept, resource, run_id, home=home),
        "holding back crashed",
    )


def _why(o: Outcome) -> str:
    """Held back and why, in the words of the outcome (the gate's names the column and the kind)."""
    if o.status == "completed":
        previous = o.details.get("previous_version")
        return f"new release (previous v{previous})" if previous else "first release"
    return o.error or o.reason or ""


@task(name="publish-open-artifacts", task_run_name="open-artifacts", cache_policy=NO_CACHE)
def publish_open_artifacts(outcomes: list[Outcome]) -> None:
    rows = [
        {
            "department": o.department,
            "resource": o.resource,
            "open type": o.details.get("open_type", "-"),
            "level": o.details.get("level", "-"),
            "status": o.status,
            "version": f"v{o.details['version']}" if o.details.get("version") else "-",
            "rows": o.rows_out if o.rows_out is not None else "-",
            "held back": o.details.get("held", "-") if o.status != "completed" else "-",
            "why": _why(o),
        }
        for o in outcomes
    ]
    released = sum(o.status == "completed" for o in outcomes)
    blocked = sum(o.details.get("held") == "gate" for o in outcomes)
    held = sum(o.status == "skipped" and "held" in o.details for o in outcomes)
    create_table_artifact(
        table=rows,
        key=artifact_key("open-summary"),
        description=(
            f"数据开放: {len(outcomes)} resources, {released} released, {held} held back, "
            f"{blocked} blocked by the publish gate"
        ),
    )


@task(name="build-portal", task_run_name="build-portal", cache_policy=NO_CACHE)
def build_portal_site(api_base: str | None = None) -> str:
    """Render the static portal (pages, DCAT) from the latest releases; returns its index page."""
    from gongshu.open.portal import build_portal

    settings = get_settings()
    return str(build_portal(get_engine(), settings.home, api_base=api_base or settings.api_base).index)
