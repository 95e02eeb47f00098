"""Standardising one batch in row-range chunks, each anywhere (another process, another host), and
putting the pieces back together so that the result is exactly what :func:`standardise_table`
gives for the whole batch.

Standardising is row by row (each value is judged on its own; a column's distinct values are only
a shortcut), so a chunk's result depends on its rows alone. What needs the whole batch — merging
duplicate primary keys, the clean gate, the issues, the DWD load — stays with the caller (the
cleansing stage, :func:`gongshu.cleanse.stage.cleanse_resource`), which takes the function built
here as its ``standardise``. Who runs the chunks is the caller's choice (``run``): a Prefect flow
sends them to a Dask cluster (``flows/chunked.py``); by default they run here, one after another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from ..catalog.model import Resource
from ..rules.result import FINDINGS_SCHEMA, CleanedTable
from .table import standardise_table

DEFAULT_CHUNK_ROWS = 200_000
RunChunks = Callable[[Resource, list[pa.Table]], Sequence[CleanedTable]]
"""Standardises each chunk (with :func:`standardise_table`) and returns the results in chunk order."""


def row_ranges(rows: int, chunk_rows: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges of at most ``chunk_rows`` rows covering ``rows`` rows (none for 0)."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    return [(start, min(start + chunk_rows, rows)) for start in range(0, rows, chunk_rows)]


def run_here(resource: Resource, chunks: list[pa.Table]) -> list[CleanedTable]:
    return [standardise_table(resource, chunk) for chunk in chunks]


def combine(parts: Sequence[CleanedTable], starts: Sequence[int]) -> CleanedTable:
    """The chunks' results as one: tables and row masks end to end, each finding's ``row`` moved by
    its chunk's first row (so the findings stay sorted by row, then field order)."""
    if len(parts) != len(starts):
        raise ValueError(f"{len(parts)} results for {len(starts)} chunks")
    if not parts:
        raise ValueError("nothing to combine: no chunk")
    findings = []
    for part, start in zip(parts, starts, strict=True):
        f = part.findings
        findings.append(f.set_column(0, "row", pa.array(f.column("row").to_numpy() + start, pa.int64())))
    return CleanedTable(
        table=pa.concat_tables([p.table for p in parts]).combine_chunks(),  # one chunk per column, as for the whole
        findings=pa.concat_tables(findings).cast(FINDINGS_SCHEMA),
        rejected=np.concatenate([p.rejected for p in parts]),
        warned=np.concatenate([p.warned for p in parts]),
    )


def standardise_in_chunks(
    resource: Resource, table: pa.Table, chunk_rows: int = DEFAULT_CHUNK_ROWS, run: RunChunks = run_here
) -> CleanedTable:
    """:func:`standardise_table` of ``table``, computed chunk by chunk by ``run``."""
    ranges = row_ranges(table.num_rows, chunk_rows) or [(0, 0)]
    chunks = [table.slice(start, stop - start) for start, stop in ranges]
    parts = list(run(resource, chunks))
    return combine(parts, [start for start, _ in ranges])


def chunked(
    chunk_rows: int = DEFAULT_CHUNK_ROWS, run: RunChunks = run_here
) -> Callable[[Resource, pa.Table], CleanedTable]:
    """A ``standardise`` for :func:`gongshu.cleanse.stage.cleanse_resource` working in chunks."""

    def standardise(resource: Resource, table: pa.Table) -> CleanedTable:
        return standardise_in_chunks(resource, table, chunk_rows, run)

    return standardise
