"""One resource too large for one process: its batch standardised in row-range chunks on a Dask
cluster (prefect-dask, a LocalCluster of two worker processes here; ``dask worker`` processes on
other hosts in production), gathered, and cleansed once. The result must be exactly the ordinary
single-process cleanse of the same rows: same DWD table, same quarantine, same accounting, same
issues."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import sqlalchemy as sa

from gongshu.catalog import load_catalog
from gongshu.cleanse.chunks import row_ranges, standardise_in_chunks
from gongshu.cleanse.table import standardise_table
from gongshu.settings import get_settings, reset_settings
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope
from gongshu.store.dwd import LOADED_AT, dwd_table_name
from gongshu.store.ods import BATCH_ID

from .conftest import REPO, database_url, fresh_database

DEPARTMENT, RESOURCE = "scjgj", "enterprise_registry"
ROWS = 50_000
CHUNK_ROWS = 10_000


def _generate_module():
    spec = importlib.util.spec_from_file_location("gongshu_samples_generate", REPO / "samples" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def large_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog folder whose enterprise registry reads a generated CSV of ROWS rows (planted faults
    and duplicate keys included, samples/generate.py --large)."""
    folder = tmp_path_factory.mktemp("large")
    _generate_module().generate_large(folder, ROWS)
    text = (REPO / "catalogs" / "scjgj.yaml").read_text(encoding="utf-8")
    old = "path: ../samples/scjgj/"
    assert f"{old}enterprise_registry.csv" in text, "the sample catalog's source lines changed: update this test"
    (folder / "scjgj.yaml").write_text(text.replace(old, "path: "), encoding="utf-8")
    for other in ("admin_license.csv", "food_business_license.txt"):  # the catalog names them too
        (folder / other).write_bytes((REPO / "samples" / "scjgj" / other).read_bytes())
    return folder


def registry(folder: Path):
    loaded = load_catalog(folder / "scjgj.yaml")
    assert loaded.catalog is not None, [str(i) for i in loaded.issues]
    return loaded.catalog.resource(RESOURCE)


def test_chunks_put_back_together_are_the_whole_table(large_source):
    """The core of it, without services: standardising chunk by chunk (uneven last chunk, faults on
    chunk edges) gives the very table, findings and row masks of standardising the whole."""
    resource = registry(large_source)
    header = [f.source_column or f.label or f.name for f in resource.fields]
    raw = pacsv.read_csv(
        large_source / "enterprise_registry.csv",
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True),
    ).rename_columns([f.name for f in resource.fields])
    whole = standardise_table(resource, raw)
    parts = standardise_in_chunks(resource, raw, chunk_rows=7_001)
    assert parts.table.equals(whole.table)
    assert parts.findings.equals(whole.findings)
    assert np.array_equal(parts.rejected, whole.rejected) and np.array_equal(parts.warned, whole.warned)
    assert whole.rejected.any() and whole.findings.num_rows > 0  # the planted faults are there to be split
    assert row_ranges(ROWS, 7_001)[-1] == (49_007, ROWS) and row_ranges(0, 10) == []


def dwd_rows(url: str) -> list[tuple]:
    engine = get_engine(url)
    with engine.connect() as conn:
        table = sa.Table(dwd_table_name(DEPARTMENT, RESOURCE), sa.MetaData(), autoload_with=conn)
        columns = [c for c in table.columns if c.name not in (BATCH_ID, LOADED_AT)]  # the load's, not the data's
        return [tuple(r) for r in conn.execute(sa.select(*columns).order_by(*table.primary_key.columns))]


def issues(url: str) -> set[tuple]:
    t = m.QualityIssue
    with session_scope(get_engine(url)) as session:
        return set(
            session.execute(sa.select(t.record_key, t.field, t.code, t.severity, t.status, t.original, t.source_row))
        )


@pytest.mark.postgres
def test_chunked_flow_on_two_dask_workers_equals_the_single_process_cleanse(
    prefect_api, pg_base_url, large_source, monkeypatch
):
    from prefect_dask import DaskTaskRunner

    from flows.catalog import catalog_flow
    from flows.chunked import cleanse_chunked_flow
    from gongshu.cleanse.stage import cleanse_resource
    from gongshu.collect.stage import collect_resource

    resource = registry(large_source)
    with (
        fresh_database(pg_base_url, "gongshu_chunked") as chunked_db,
        fresh_database(pg_base_url, "gongshu_one") as one_db,
    ):
        chunked_url, one_url = database_url(pg_base_url, chunked_db), database_url(pg_base_url, one_db)

        # the same rows collected into two platform databases
        for url in (chunked_url, one_url):
            collected = collect_resource(get_engine(url), DEPARTMENT, resource, "collect", catalog_dir=large_source)
            assert collected.status == "completed" and collected.rows_out == ROWS, collected.error

        # chunked: a flow run on the PostgreSQL-backed server, chunks on a LocalCluster of two processes
        monkeypatch.setenv("GONGSHU_DB_URL", chunked_url)
        reset_settings()
        assert catalog_flow(catalogs=str(large_source), departments=[DEPARTMENT], return_state=True).is_completed()
        runner = DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={"n_workers": 2, "processes": True, "threads_per_worker": 1, "dashboard_address": None},
        )
        state = cleanse_chunked_flow.with_options(task_runner=runner)(
            department=DEPARTMENT, resource=RESOURCE, chunk_rows=CHUNK_ROWS, return_state=True
        )
        assert state.is_completed(), state.message
        [chunked] = state.result().outcomes

        # single process: the ordinary stage on the other database, same suite
        one = cleanse_resource(
            get_engine(one_url), DEPARTMENT, resource, "one", expectations_dir=get_settings().expectations
        )

        assert chunked.status == one.status == "completed", (chunked.error, one.error)
        assert chunked.details["gate"]["passed"] and one.details["gate"]["passed"]
        accounting = ("rows_quarantined", "rows_merged", "rows_warned", "rules")
        assert (chunked.rows_in, chunked.rows_out) == (one.rows_in, one.rows_out) == (ROWS, one.rows_out)
        assert {k: chunked.details[k] for k in accounting} == {k: one.details[k] for k in accounting}
        assert (
            chunked.rows_in == chunked.rows_out + chunked.details["rows_quarantined"] + chunked.details["rows_merged"]
        )
        assert chunked.details["rows_quarantined"] > 0 and chunked.details["rows_merged"] > 0

        loaded = dwd_rows(chunked_url)
        assert len(loaded) == one.rows_out
        assert loaded == dwd_rows(one_url)
        assert issues(chunked_url) == issues(one_url)

        # the chunks ran as separate task runs in two worker processes, neither of them this one
        chunks = chunked.details["chunks"]
        assert [c["rows"] for c in chunks] == [CHUNK_ROWS] * (ROWS // CHUNK_ROWS)
        pids = {c["pid"] for c in chunks}
        assert len(pids) >= 2 and os.getpid() not in pids, chunks

        with session_scope(get_engine(chunked_url)) as session:
            logged = session.scalars(
                sa.select(m.RunLog.details).where(m.RunLog.stage == "cleanse", m.RunLog.resource_key == RESOURCE)
            ).all()
        assert len(logged) == 1 and len(logged[0]["chunks"]) == len(chunks)
