"""The clean gate's suite files: written from the catalog, loaded safely for the gate.

Suites are plain JSON files, ``<out_dir>/<department>/<resource>.clean.json``, written with sorted
keys and no time stamps or random ids, so regenerating an unchanged catalog changes no byte. What a
suite checks is :mod:`gongshu.quality.generate`'s. Every generated expectation carries
``meta.gongshu.generated = true``; an expectation without the flag is hand-written and is kept, in
its order, after the generated ones.

A suite naming a custom expectation class that is not imported where it is loaded comes back from GX
with that expectation silently dropped, and an empty suite validates as success: :func:`load_suite`
imports gongshu's expectations and refuses unknown types and empty suites.

``great_expectations`` is imported inside the functions that need it (the import takes seconds);
writing suites does not need it at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..catalog.model import Catalog
from .generate import NOTE, SCOPES, STAGE, scope_of, suite_document

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite

_NOTE_PREFIX = NOTE.split(":", 1)[0]
"""Notes starting so were written by this module (perhaps an older wording), not by a person."""


class SuiteError(ValueError):
    """A suite file that must not be used by a gate; the message names the file and every problem."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        super().__init__(f"{self.path}: " + "; ".join(problems))


def suite_path(out_dir: str | Path, department_id: str, resource_id: str) -> Path:
    return Path(out_dir) / department_id / f"{resource_id}.{STAGE}.json"


def is_generated(expectation: Any) -> bool:
    meta = expectation.get("meta") if isinstance(expectation, dict) else None
    gongshu = meta.get("gongshu") if isinstance(meta, dict) else None
    return isinstance(gongshu, dict) and gongshu.get("generated") is True


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


Status = Literal["created", "updated", "unchanged", "removed", "left", "failed"]


@dataclass(frozen=True)
class SuiteFile:
    """What ``write_suites`` did with one suite file."""

    path: Path
    resource: str
    status: Status
    """``left``: a suite of a resource no longer in the catalog, kept for its hand-written
    expectations; ``failed``: an existing file that could not be read, left untouched."""
    generated: int
    """Generated expectations written (for ``removed``/``left``: found in the file)."""
    hand_written: int
    """Hand-written expectations kept (or found, in a file that was removed or left)."""
    message: str = ""

    @property
    def changed(self) -> bool:
        return self.status in ("created", "updated", "removed")

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def _read(path: Path) -> tuple[str, dict[str, Any]] | None:
    """An existing suite file as text and dict; None when absent. A broken file is an error, never
    overwritten: it may hold hand-written expectations."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SuiteError(path, [f"not valid JSON ({exc}); fix or delete the file, then regenerate"]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("expectations", []), list):
        raise SuiteError(path, ["not a Great Expectations suite (an object with an 'expectations' list)"])
    return text, data


def _merge(generated: dict[str, Any], existing: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    """The generated suite plus what a person added to the existing file: expectations without the
    generated flag (in their order), suite notes, and suite meta other than ``gongshu``."""
    if existing is None:
        return generated, 0
    hand = [e for e in existing.get("expectations", []) if not is_generated(e)]
    doc = dict(generated)
    doc["expectations"] = generated["expectations"] + hand
    meta = existing.get("meta")
    if isinstance(meta, dict):
        extra = {k: v for k, v in meta.items() if k not in ("gongshu", "great_expectations_version")}
        doc["meta"] = {**extra, **generated["meta"]}
    notes = existing.get("notes")
    if notes is not None and not (isinstance(notes, str) and notes.startswith(_NOTE_PREFIX)):
        doc["notes"] = notes
    return doc, len(hand)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_suites(catalog: Catalog, out_dir: str | Path) -> list[SuiteFile]:
    """(Re)generate the clean suite of every resource of ``catalog`` under ``out_dir/<department>/``.

    Hand-written expectations in existing files are kept. Suite files of resources no longer in the
    catalog are deleted when they hold only generated expectations, and left (status ``left``, with
    a message) when a person added something to them. An existing file that is not a readable suite
    is never overwritten: its resource gets status ``failed`` with the reason, and the other
    resources are still written. Results: the catalog's resources by id, then stale files by name.
    """
    dept = catalog.department.id
    results: list[SuiteFile] = []
    for resource in sorted(catalog.resources, key=lambda r: r.id):
        path = suite_path(out_dir, dept, resource.id)
        try:
            existing = _read(path)
        except SuiteError as exc:
            results.append(SuiteFile(path, resource.id, "failed", 0, 0, str(exc)))
            continue
        doc, hand = _merge(suite_document(dept, resource), existing[1] if existing else None)
        text = dumps(doc)
        generated = len(doc["expectations"]) - hand
        status: Status = "unchanged"
        if existing is None or existing[0] != text:
            status = "created" if existing is None else "updated"
            _write(path, text)
        results.append(SuiteFile(path, resource.id, status, generated, hand))

    folder = Path(out_dir) / dept
    current = {r.id for r in catalog.resources}
    suffix = f".{STAGE}.json"
    for path in sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []:
        resource_id = path.name[: -len(suffix)]
        if resource_id in current:
            continue
        try:
            _, data = _read(path) or ("", {})
        except SuiteError as exc:
            message = f"resource '{resource_id}' is no longer in catalog '{dept}'; its suite was left: {exc}"
            results.append(SuiteFile(path, resource_id, "left", 0, 0, message))
            continue
        expectations = data.get("expectations", [])
        generated = sum(1 for e in expectations if is_generated(e))
        hand = len(expectations) - generated
        ours = generated > 0 or isinstance((data.get("meta") or {}).get("gongshu"), dict)
        if hand == 0 and ours:
            path.unlink()
            results.append(SuiteFile(path, resource_id, "removed", generated, 0))
        else:
            message = (
                f"resource '{resource_id}' is no longer in catalog '{dept}', but its suite has "
                f"{hand} hand-written expectation(s): move them or delete {path.name} yourself"
            )
            results.append(SuiteFile(path, resource_id, "left", generated, hand, message))
    return results


def _suite_data(path: Path) -> dict[str, Any]:
    """A suite file's JSON, refused when it is missing, not JSON or has no expectations."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SuiteError(path, ["no such suite file; run the catalog stage to generate it"]) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SuiteError(path, [f"not valid JSON ({exc})"]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SuiteError(path, ["not a Great Expectations suite (an object with an 'expectations' list)"])
    if not data["expectations"]:
        raise SuiteError(path, ["the suite has no expectations: a gate that checks nothing must not pass"])
    return data


def _problem(n: int, item: Any) -> str | None:
    """What is wrong with the ``n``-th expectation of a suite for GX, or None."""
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.expectations.registry import get_expectation_impl

    type_ = item.get("type") if isinstance(item, dict) else None
    where = f"expectation {n}" + (f" ({type_})" if isinstance(type_, str) else "")
    if not isinstance(type_, str):
        return f"{where} has no 'type'"
    try:
        get_expectation_impl(type_)
    except ExpectationNotFoundError:
        return (
            f"{where}: '{type_}' is not a known Great Expectations expectation "
            "(GX would drop it silently; use a built-in one or one of gongshu.quality.expectations)"
        )
    scope = scope_of(item.get("meta"))
    if scope not in SCOPES:
        return f"{where}: meta.gongshu.scope {scope!r} is not one of {', '.join(SCOPES)}"
    try:
        ExpectationConfiguration(**item).to_domain_obj()
    except Exception as exc:  # GX raises pydantic, TypeError, its own errors: all mean "dropped"
        detail = " ".join(str(exc).split())
        return f"{where} is not a valid configuration: {detail}"
    return None


def load_suite(path: str | Path) -> ExpectationSuite:
    """Load a suite file for a gate, refusing one that would check nothing or less than it says.

    Raises :class:`SuiteError` naming the file when the suite has no expectations, names an
    expectation type GX does not know (it would be dropped silently), has an expectation GX cannot
    build from its configuration (also dropped silently), or scopes one to a frame no gate has.
    gongshu's own expectation types are imported first, so they are known.
    """
    path = Path(path)
    data = _suite_data(path)
    raw = data["expectations"]

    import great_expectations as gx

    from . import expectations  # noqa: F401 - importing it registers gongshu's expectation types with GX

    problems = [p for n, item in enumerate(raw, start=1) if (p := _problem(n, item)) is not None]
    if problems:
        raise SuiteError(path, problems)

    suite = gx.ExpectationSuite(**data)
    if len(suite.expectations) != len(raw):  # pragma: no cover - the checks above should catch it
        raise SuiteError(path, [f"GX loaded {len(suite.expectations)} of {len(raw)} expectations"])
    return suite
