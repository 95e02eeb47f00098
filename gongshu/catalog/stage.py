"""The catalog stage (目录编制) as plain functions: the Prefect flow calls these through tasks, and
tests call them directly.

One file's errors never stop the others: each file is registered in its own transaction, and a
file that fails leaves its department's last good version in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from .. import clock
from ..rules.errors import file_name
from ..runs import Outcome
from ..store.db import session_scope
from .compiled import CompiledCatalog
from .issues import CatalogIssue
from .loader import LoadedCatalog
from .registry import register, registered

STAGE = "catalog"


@dataclass
class CompileResult:
    loaded: LoadedCatalog
    compiled: CompiledCatalog | None
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def department(self) -> str:
        return self.loaded.department_id or self.loaded.path.stem


def select(loaded: Sequence[LoadedCatalog], departments: Sequence[str] | None) -> list[LoadedCatalog]:
    """The files of the named departments (all when none is named). A file whose department id
    cannot be read is matched by its file name."""
    if not departments:
        return list(loaded)
    wanted = set(departments)
    return [item for item in loaded if (item.department_id or item.path.stem) in wanted]


def compile_catalog(loaded: LoadedCatalog, engine: Engine, run_id: str) -> CompileResult:
    """Register one validated file, or turn its errors into failed outcomes."""
    started = clock.now()
    result = CompileResult(loaded=loaded, compiled=None)
    dept = result.department
    if loaded.errors or loaded.catalog is None:
        result.outcomes = _failed_outcomes(loaded, dept, started)
        return result
    try:
        with session_scope(engine) as session:
            compiled = register(session, loaded, run_id=run_id)
    except Exception as exc:  # a database problem: this department fails, the others go on
        finished = clock.now()
        result.outcomes = [
            Outcome(
                stage=STAGE,
                department=dept,
                resource=None,
                status="failed",
                started_at=started,
                finished_at=finished,
                error=f"{loaded.path}: could not register the catalog: {type(exc).__name__}: {exc}",
            )
        ]
        return result
    finished = clock.now()
    warnings = [i for i in loaded.issues if i.severity == "warning"]
    result.compiled = compiled
    for cres in compiled.resources:
        res_warnings = [str(w) for w in warnings if w.resource == cres.resource.id]
        result.outcomes.append(
            Outcome(
                stage=STAGE,
                department=dept,
                resource=cres.resource.id,
                status="completed",
                started_at=started,
                finished_at=finished,
                details={
                    "code": cres.code,
                    "version": compiled.version,
                    "completeness": cres.completeness.score,
                    "missing_metadata": [f"{i.label} ({i.key})" for i in cres.completeness.missing],
                    **({"warnings": res_warnings} if res_warnings else {}),
                },
            )
        )
    return result


def _failed_outcomes(loaded: LoadedCatalog, dept: str, started: dt.datetime) -> list[Outcome]:
    """Failed outcomes for a file with errors: one per resource that has errors, skipped for the
    valid resources of that file (a file registers whole or not at all), and one for the
    department when an error belongs to no resource (syntax, department keys, ...)."""
    finished = clock.now()
    errors = loaded.errors
    by_resource: dict[str | None, list[CatalogIssue]] = {}
    for issue in errors:
        key = issue.resource if issue.resource and not issue.resource.startswith("#") else None
        by_resource.setdefault(key, []).append(issue)
    outcomes = []
    for rid in _resource_ids(loaded):
        if rid in by_resource:
            outcomes.append(_failed(dept, rid, by_resource.pop(rid), started, finished, loaded))
        elif None not in by_resource:
            outcomes.append(
                Outcome(
                    stage=STAGE,
                    department=dept,
                    resource=rid,
                    status="skipped",
                    started_at=started,
                    finished_at=finished,
                    reason=f"not registered: other entries of {loaded.path.name} have errors "
                    "(a catalog file is registered whole or not at all)",
                )
            )
    leftover = [issue for issues in by_resource.values() for issue in issues]
    if leftover:
        outcomes.insert(0, _failed(dept, None, leftover, started, finished, loaded))
    return outcomes


def _failed(
    dept: str,
    rid: str | None,
    issues: list[CatalogIssue],
    started: dt.datetime,
    finished: dt.datetime,
    loaded: LoadedCatalog,
) -> Outcome:
    """A failed entry (or file). Its details carry the issue codes (``error_kind``: the first,
    ``kinds``: all) and the source file's name as declared when it is missing, for the Chinese of
    the scorecard (``gongshu.rules.errors``), which never shows the English messages."""
    messages = [str(i) for i in issues]
    more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
    kinds = sorted({i.code for i in issues})
    declared = _source_path(loaded, rid) if "CATALOG_SOURCE_MISSING" in kinds else None
    return Outcome(
        stage=STAGE,
        department=dept,
        resource=rid,
        status="failed",
        started_at=started,
        finished_at=finished,
        error=messages[0] + more,
        details={
            "catalog_file": str(loaded.path),
            "errors": messages,
            "error_kind": issues[0].code,
            "kinds": kinds,
            **({"file": file_name(declared)} if declared else {}),
        },
    )


def _source_path(loaded: LoadedCatalog, rid: str | None) -> str | None:
    """The source path entry ``rid`` declares, as written."""
    tree = loaded.tree
    items = tree.get("resources") if isinstance(tree, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("id") == rid and isinstance(item.get("source"), dict):
            path = item["source"].get("path")
            return path if isinstance(path, str) else None
    return None


def _resource_ids(loaded: LoadedCatalog) -> list[str]:
    tree = loaded.tree
    items = tree.get("resources") if isinstance(tree, dict) else None
    if not isinstance(items, list):
        return []
    ids = [r.get("id") for r in items if isinstance(r, dict)]
    return list(dict.fromkeys(i for i in ids if isinstance(i, str)))


def write_exports(engine: Engine, out_dir: Path, departments: Sequence[str] | None = None) -> dict[str, Path]:
    """Export the registered catalog (JSON, the Excel 目录清单, DCAT JSON-LD) into ``out_dir``."""
    from .export import export_dcat, export_json, export_xlsx

    with session_scope(engine) as session:
        catalogs = registered(session, departments)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "catalog_json": export_json(catalogs, out_dir / "catalog.json"),
        "catalog_xlsx": export_xlsx(catalogs, out_dir / "catalog.xlsx"),
        "catalog_dcat": export_dcat(catalogs, out_dir / "catalog.dcat.jsonld"),
    }
