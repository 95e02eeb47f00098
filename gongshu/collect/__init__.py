"""数据归集: source connectors (csv, excel, sql, http) and the collection stage."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..catalog.model import Resource
from .base import DEFAULT_CHUNK_ROWS, Reading, SourceError


def open_source(
    resource: Resource,
    catalog_dir: Path,
    *,
    since: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    env: Mapping[str, str] | None = None,
) -> Reading:
    """Open the resource's source with the connector of its kind (imported only when used)."""
    source = resource.source
    if source is None:
        raise SourceError("SOURCE_CONFIG", f"resource '{resource.id}' declares no source")
    if source.kind == "csv":
        from .csvfile import read_csv as connector
    elif source.kind == "excel":
        from .excelfile import read_excel as connector
    elif source.kind == "sql":
        from .sqldb import read_sql as connector
    else:
        from .httpapi import read_http as connector
    return connector(source, catalog_dir, since=since, chunk_rows=chunk_rows, env=env)


__all__ = ["DEFAULT_CHUNK_ROWS", "Reading", "SourceError", "open_source"]
