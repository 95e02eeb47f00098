"""Validate a set of catalog files: structure, vocabularies and rules, within and across files."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .loader import LoadedCatalog, internal_issue, load_catalog
from .rules import check_catalog, check_catalogs

CATALOG_SUFFIXES = (".yaml", ".yml")


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Catalog files named by ``paths``: files as given, folders expanded to their *.yaml files.

    A path that does not exist is kept, so that loading it reports 'no such file'.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.iterdir() if f.suffix in CATALOG_SUFFIXES and f.is_file())
        else:
            found.append(p)
    return found


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Parsing builds hundreds of thousands of small containers and no reference cycles; Python's
    cyclic collector scanning them took 70% of validation time (bench/catalog_compile.py)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_files(files: Sequence[Path]) -> list[LoadedCatalog]:
    """Load every file and attach all issues. A file with errors never stops the others."""
    with _gc_paused():
        loaded = [load_catalog(f) for f in files]
    for item in loaded:
        if isinstance(item.tree, dict):
            try:
                item.issues += check_catalog(item)
            except Exception as exc:  # one file must never stop the others
                item.issues.append(internal_issue(item.path, exc))
    for issue in check_catalogs(loaded):
        owner = next(item for item in loaded if item.path == issue.file)
        owner.issues.append(issue)
    for item in loaded:
        item.issues.sort(key=lambda i: (i.line or 0, i.column or 0))
    return loaded


def validate_paths(paths: Iterable[str | Path]) -> list[LoadedCatalog]:
    return validate_files(discover(paths))
