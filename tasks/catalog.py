"""Tasks of the catalog stage: load and validate, compile one department (register it and write its
expectation suites), export, and publish the stage's artifacts to the Prefect UI.

The artifacts are two for the whole run, not two per department: ``catalog-resources`` (a row per
resource: code, attributes, completeness, what metadata is missing) and ``catalog-changes`` (the
diff of every department whose catalog got a new version). With a hundred departments, per-department
artifacts were two hundred entries to page through in the flow run, and each is a round trip to
Prefect's server (bench/pipeline_overhead.py)."""

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


@task(name="compile-department", task_run_name="catalog-{department}", cache_policy=NO_CACHE)
def compile_department(loaded: LoadedCatalog, department: str, run_id: str, suites_dir: Path) -> CompileResult:
    """Register the department's catalog, then regenerate its expectation suites (when it registered)."""
    result = compile_catalog(loaded, get_engine(), run_id)
    if result.compiled is not None:
        write_suites(result.compiled.catalog, suites_dir)
    return result


@task(name="export-catalog", task_run_name="export-catalog", cache_policy=NO_CACHE)
def export_catalog(out_dir: Path, departments: list[str] | None = None) -> dict[str, Path]:
    return write_exports(get_engine(), out_dir, departments)


@task(name="publish-catalog-artifacts", task_run_name="catalog-artifacts", cache_policy=NO_CACHE)
def publish_artifacts(compiled: list[CompiledCatalog]) -> None:
    rows = [
        {
            "department": c.department.id,
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
        for c in compiled
        for r in c.resources
    ]
    incomplete = sum(1 for row in rows if row["missing metadata"] != "-")
    create_table_artifact(
        table=rows,
        key=artifact_key("catalog-resources"),
        description=(
            f"信息资源目录: {len(compiled)} department(s), {len(rows)} resources, {incomplete} missing metadata; "
            + ", ".join(f"{c.department.id} {c.completeness}" for c in compiled[:20])
            + (" …" if len(compiled) > 20 else "")
        ),
    )
    changed = [c for c in compiled if c.new_version]
    create_markdown_artifact(
        markdown=(
            "\n".join(render_markdown(c.department.id, c.version, c.diff) for c in changed)
            if changed
            else "No department's catalog changed in this run.\n"
        ),
        key=artifact_key("catalog-changes"),
        description=(
            f"new catalog versions: {', '.join(f'{c.department.id} v{c.version}' for c in changed[:20])}"
            + (f" and {len(changed) - 20} more" if len(changed) > 20 else "")
            if changed
            else "no catalog changed"
        ),
    )
