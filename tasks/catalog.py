"""Tasks of the catalog stage: load and validate, register one department, export, generate suites,
and publish the department's artifacts to the Prefect UI."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from gongshu.catalog import LoadedCatalog, validate_files
from gongshu.catalog.compiled import CompiledCatalog
from gongshu.catalog.stage import CompileResult, compile_catalog, write_exports
from gongshu.catalog.versions import render_markdown
from gongshu.quality.suites import write_suites
from gongshu.store.db import get_engine

from .naming import artifact_key


@task(name="validate-catalogs", task_run_name="validate-catalogs", cache_policy=NO_CACHE)
def validate_catalogs(files: list[Path]) -> list[LoadedCatalog]:
    return validate_files(files)


@task(name="register-department", task_run_name="register-{department}", cache_policy=NO_CACHE)
def register_department(loaded: LoadedCatalog, department: str, run_id: str) -> CompileResult:
    return compile_catalog(loaded, get_engine(), run_id)


@task(name="export-catalog", task_run_name="export-catalog", cache_policy=NO_CACHE)
def export_catalog(out_dir: Path, departments: list[str] | None = None) -> dict[str, Path]:
    return write_exports(get_engine(), out_dir, departments)


@task(name="generate-suites", task_run_name="suites-{department}", cache_policy=NO_CACHE)
def generate_suites(compiled: CompiledCatalog, department: str, out_dir: Path) -> list:
    return write_suites(compiled.catalog, out_dir)


@task(name="publish-catalog-artifacts", task_run_name="artifacts-{department}", cache_policy=NO_CACHE)
def publish_artifacts(compiled: CompiledCatalog, department: str) -> None:
    rows = [
        {
            "code": r.code,
            "resource": r.resource.id,
            "name": r.resource.name,
            "category": r.resource.category,
            "share": r.resource.share.type,
            "open": r.resource.open.type,
            "level": r.resource.level,
            "update_cycle": r.resource.update_cycle,
            "completeness": r.completeness.score,
            "missing metadata": r.completeness.explain() or "-",
        }
        for r in compiled.resources
    ]
    dept = compiled.department
    create_table_artifact(
        table=rows,
        key=artifact_key("catalog", dept.id),
        description=f"{dept.name} ({dept.id}): {len(rows)} resources, completeness {compiled.completeness}",
    )
    create_markdown_artifact(
        markdown=render_markdown(dept.id, compiled.version, compiled.diff),
        key=artifact_key("catalog-diff", dept.id),
        description=f"catalog version {compiled.version} of {dept.id}",
    )
