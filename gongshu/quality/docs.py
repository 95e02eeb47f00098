"""Great Expectations Data Docs of the quality gates: the latest results of every resource and gate
as GX's static HTML site, for engineers (departments get the feedback workbooks and the scorecard).

The gates validate in an in-memory GX context, so a pipeline run writes nothing GX-specific.
:func:`save_results` keeps the latest GX validation results of each (department, resource, gate)
as JSON under ``<home>/quality/results/``; :func:`build_data_docs` rebuilds a GX file context under
``<home>/quality/gx`` from them and renders the site. Each suite shown is rebuilt from the
expectations its results carry, so the page shows what was checked, even if the suite file changed
since. Only the latest results are kept: GX's Data Docs slow down with many validations (GX #11542,
#5378), and older runs are in ``quality_result``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .. import clock
from .gate import GateResult

QUALITY = "quality"


class DocsError(RuntimeError):
    """Data Docs cannot be built; the message says why and what to do."""


def results_dir(home: Path) -> Path:
    return Path(home) / QUALITY / "results"


def save_results(home: Path, department: str, resource: str, result: GateResult) -> None:
    """Keep ``result``'s GX validation results as the latest of this resource and gate (replacing
    the previous ones), at ``<home>/quality/results/<department>/<resource>.<gate>.json``.

    ``passed`` is the gate's decision, which GX's pages do not show: they mark a validation failed
    when any expectation failed, a warning included. A gate that evaluated nothing has no results
    to show; saving it still replaces the previous ones."""
    document = {
        "department": department,
        "resource": resource,
        "gate": result.gate,
        "saved_at": clock.now().isoformat(timespec="seconds"),
        "passed": result.passed,
        "results": result.results,
    }
    path = results_dir(home) / department / f"{resource}.{result.gate}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _saved(home: Path) -> list[dict[str, Any]]:
    folder = results_dir(home)
    documents = []
    for path in sorted(folder.glob("*/*.json")) if folder.is_dir() else []:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DocsError(f"{path}: not valid JSON ({exc}); delete it and run the stage again") from exc
        if document.get("results"):
            documents.append(document)
    if not documents:
        raise DocsError(
            f"no quality gate results saved under {folder}: run the pipeline (gongshu run) first, "
            "then build the Data Docs"
        )
    return documents


def _suite(name: str, validations: list[dict[str, Any]]) -> Any:
    """The suite as validated: every expectation the validations of ``name`` evaluated, once each."""
    import great_expectations as gx

    expectations, seen = [], set()
    for validation in validations:
        for item in validation["results"]:
            config = dict(item["expectation_config"])
            config["kwargs"] = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
            key = json.dumps(config, sort_keys=True)
            if key not in seen:
                seen.add(key)
                expectations.append(config)
    return gx.ExpectationSuite(name=name, expectations=expectations)


def build_data_docs(home: Path) -> Path:
    """Build the Data Docs of the saved gate results and return the site's ``index.html``.

    The GX project under ``<home>/quality/gx`` is derived and rebuilt from scratch every time.
    Raises :class:`DocsError` when there is nothing to show.
    """
    documents = _saved(home)

    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from . import expectations  # noqa: F401 - the suites may use gongshu's expectation types

    root = Path(home) / QUALITY
    shutil.rmtree(root / "gx", ignore_errors=True)
    context = gx.get_context(mode="file", project_root_dir=root)

    by_suite: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        for validation in document["results"]:
            by_suite.setdefault(validation["suite_name"], []).append(validation)
    for name, validations in sorted(by_suite.items()):
        context.suites.add(_suite(name, validations))

    for document in documents:
        run_id = RunIdentifier(run_name=document["gate"], run_time=dt.datetime.fromisoformat(document["saved_at"]))
        for validation in document["results"]:
            scope = (validation.get("meta") or {}).get("gongshu", {}).get("scope")
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=validation["suite_name"]),
                run_id=run_id,
                batch_identifier=f"{document['gate']}-{scope or 'frame'}",
            )
            result = expectationSuiteValidationResultSchema.load(validation)
            result.meta.update(run_id=run_id, validation_time=run_id.run_time)  # shown on its page
            context.validation_results_store.set(key, result)

    context.build_data_docs()
    index = root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    if not index.is_file():  # pragma: no cover - GX moved its default site
        raise DocsError(f"Great Expectations built no {index}; its sites: {context.get_docs_sites_urls()}")
    return index
