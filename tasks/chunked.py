"""Tasks of the chunked cleansing (``flows/chunked.py``): one resource too large for one process is
standardised in row-range chunks, one task run per chunk on the flow's task runner (a Dask
cluster), then cleansed as one batch where the flow runs: duplicates merged across chunks, one
clean gate, one DWD load, the same issues and run log as the ordinary cleanse.

Chunks are coarse on purpose (``DEFAULT_CHUNK_ROWS``, 200,000 rows): every task run is a record
Prefect's server writes, and a flow of thousands of small tasks stalls it."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from gongshu.catalog.model import Resource
from gongshu.cleanse.chunks import chunked
from gongshu.cleanse.stage import cleanse_resource
from gongshu.cleanse.table import standardise_table
from gongshu.rules.result import CleanedTable
from gongshu.runs import Outcome
from gongshu.settings import get_settings
from gongshu.store.db import get_engine

from .runlog import current_flow_run_id


@dataclass
class ChunkResult:
    cleaned: CleanedTable
    rows: int
    host: str
    pid: int
    seconds: float


@task(
    name="standardise-chunk",
    task_run_name="standardise-{department}.{resource_id}-{index}",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def standardise_chunk(
    department: str, resource_id: str, index: int, resource: Resource, chunk: pa.Table
) -> ChunkResult:
    """Standardise one chunk wherever the task runner puts it; say where that was (host, process)."""
    started = time.perf_counter()
    cleaned = standardise_table(resource, chunk)
    return ChunkResult(cleaned, chunk.num_rows, socket.gethostname(), os.getpid(), time.perf_counter() - started)


@task(
    name="cleanse-resource-chunked", task_run_name="cleanse-{department}.{resource_id}-chunked", cache_policy=NO_CACHE
)
def cleanse_one_chunked(department: str, resource_id: str, resource: Resource, run_id: str, chunk_rows: int) -> Outcome:
    """The cleansing stage for one resource, its standardising sent out in chunks (call it, don't
    submit it: the chunks are submitted from here to the flow's task runner)."""
    placed: list[dict[str, Any]] = []

    def run(res: Resource, chunks: list[pa.Table]) -> list[CleanedTable]:
        futures = [standardise_chunk.submit(department, resource_id, i, res, c) for i, c in enumerate(chunks)]
        results = [f.result() for f in futures]
        batch = sum(p["chunk"] == 0 for p in placed)  # an incremental resource may have several batches pending
        placed.extend(
            {"batch": batch, "chunk": i, "rows": r.rows, "host": r.host, "pid": r.pid, "seconds": round(r.seconds, 3)}
            for i, r in enumerate(results)
        )
        return [r.cleaned for r in results]

    settings = get_settings()
    outcome = cleanse_resource(
        get_engine(),
        department,
        resource,
        run_id,
        expectations_dir=settings.expectations,
        results_home=settings.home,
        standardise=chunked(chunk_rows, run),
        flow_run_id=current_flow_run_id(),
    )
    if placed:
        outcome.details["chunks"] = placed
        outcome.logged = False  # the flow's log_outcomes replaces the row with the chunks added
    return outcome
