"""Great Expectations Data Docs of the quality gates: the latest results of every resource and gate
as GX's static HTML site, for engineers (departments get the feedback workbooks and the scorecard).

The gates validate in an in-memory GX context, so a pipeline run writes nothing GX-specific.
:func:`save_results` keeps the latest GX validation results of each (department, resource, gate)
as JSON under ``<home>/quality/results/``; :func:`build_data_docs` rebuilds a GX file context under
``<home>/quality/gx`` from them and renders the site. Each suite shown is rebuilt from the
expectations its results carry, so the page shows what was checked, even if the suite file changed
since. Only the latest results are kept: GX's Data Docs slow down with many validations (GX #11542,
#5378), and older runs are in ``quality_result``.

GX's page templates load jQuery, Bootstrap, bootstrap-table, Vega and Font Awesome from public CDNs
and a logo from GX's S3 bucket (with the data context's id in its address): on the government network
without internet the pages stay blank, and where the internet is reachable every view tells a third
party the platform exists. GX 1.x has no setting for where its pages take their assets from (the
addresses are written into its Jinja templates), so :func:`build_data_docs` rewrites the pages it
built: every asset comes from the copies in ``gongshu/vendor`` (copied into the site under
``static/vendor``), the logo from GX's own copy in the site's ``static/images``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .. import clock
from ..vendor import VENDOR
from .gate import GateResult

QUALITY = "quality"

log = logging.getLogger(__name__)

ASSETS = {
    # the address a GX 1.x Data Docs template loads → the vendored file (gongshu/vendor/README.md)
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome-free/css/all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "forevolve-bootstrap-dark/dist/css/bootstrap-prefers-dark.min.css"
    ),
}
GX_WEB_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
"""GX's logos (``logo-long.png?d=<data context id>`` and ``full_logo_dark.png``): shown from GX's own
``static/images/logo-long.png`` instead."""
DATA_DOCS_VENDOR = sorted({local.split("/")[0] for local in ASSETS.values()})
"""The vendored packages the Data Docs use, copied into the site with their licences."""

_ASSET_TAG = re.compile(r"<(script|link|img)\b[^>]*>", re.IGNORECASE)
_ASSET_ATTR = re.compile(r"""\b(src|href)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE)
_SRI_ATTR = re.compile(r"""\s+(integrity|crossorigin)(\s*=\s*(["']).*?\3)?""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(["']?)((?:https?:)?//[^)'"]*)\1\s*\)""", re.IGNORECASE)
_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


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
    make_offline(index.parent)
    return index


def make_offline(site: Path) -> None:
    """Make the Data Docs ``site`` load nothing from outside the machine: copy the vendored assets into
    ``static/vendor``, point every page's scripts, stylesheets and images at them, and drop (with a
    warning) any outside asset gongshu has no copy of, such as one a newer GX adds."""
    for name in DATA_DOCS_VENDOR:
        shutil.copytree(VENDOR / name, site / "static" / "vendor" / name, dirs_exist_ok=True)
    shutil.copy2(VENDOR / "README.md", site / "static" / "vendor" / "README.md")
    for path in sorted(site.rglob("*")):
        if path.suffix in (".html", ".css") and path.is_file():
            root = "../" * len(path.parent.relative_to(site).parts)
            text = path.read_text(encoding="utf-8")
            offline = _offline(text, root, path.relative_to(site), html=path.suffix == ".html")
            if offline != text:
                path.write_text(offline, encoding="utf-8")


def _local(url: str, root: str) -> str | None:
    """The site-relative address (from a page ``root`` away from the site's top) of the local copy
    of ``url``, or None."""
    if url in ASSETS:
        return f"{root}static/vendor/{ASSETS[url]}"
    if url.startswith(GX_WEB_ASSETS):
        return f"{root}static/images/logo-long.png"
    return None


def _offline(text: str, root: str, page: Path, html: bool) -> str:
    # A regular expression over GX's own, regular markup rather than an HTML parser: a parser would
    # rewrite the whole page; only the asset addresses change here.
    def tag(match: re.Match[str]) -> str:
        markup = match.group(0)
        attr = _ASSET_ATTR.search(markup)
        if attr is None or not _EXTERNAL.match(attr.group(3)):
            return markup
        local = _local(attr.group(3).strip(), root)
        if local is None:
            log.warning("Data Docs %s: dropped %s, which has no local copy (gongshu/vendor)", page, attr.group(3))
            return f"<!-- gongshu: a {match.group(1)} from outside the machine dropped -->"
        markup = markup[: attr.start(3)] + local + markup[attr.end(3) :]
        # the local copy is the very file the integrity hash names (tests/quality/test_docs_offline.py);
        # a cross-origin request for a file:// page would be refused
        return _SRI_ATTR.sub("", markup)

    def css_url(match: re.Match[str]) -> str:
        local = _local(match.group(2).strip(), root)
        if local is None:
            log.warning("Data Docs %s: dropped %s, which has no local copy (gongshu/vendor)", page, match.group(2))
            return "none"
        return f"url('{local}')"

    if html:
        text = _ASSET_TAG.sub(tag, text)
    return _CSS_URL.sub(css_url, text)
