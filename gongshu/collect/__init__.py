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
        from .csvfile import read_csv

        return read_csv(source, catalog_dir, since=since, chunk_rows=chunk_rows, env=env)
    if source.kind == "excel":
        from .excelfile import read_excel

        return read_excel(source, catalog_dir, since=since, chunk_rows=chunk_rows, env=env)
    if source.kind == "sql":
        from .sqldb import read_sql

        return read_sql(source, catalog_dir, since=since, chunk_rows=chunk_rows, env=env)
    from .httpapi import read_http

    return read_http(source, catalog_dir, since=since, chunk_rows=chunk_rows, env=env)


__all__ = ["DEFAULT_CHUNK_ROWS", "Reading", "SourceError", "open_source"]
