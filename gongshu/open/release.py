"""A release of one resource made and put in place (the open stage, ``gongshu.open.stage``, decides
whether and when): its rows masked and passed through the publish gate, its files written into a
folder (CSV, JSON, XLSX when it fits, the field dictionary, metadata and checksums), and the folder
published in one transaction with its ``opn_`` table and its record."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..catalog.model import Resource
from ..catalog.vocab import LEVEL_LABELS
from ..rules.kinds import FIELD_KIND_LABELS
from ..store import models as m
from . import files, layout
from .masking import Masked, mask_frame
from .publish_gate import PublishCheck, check_release
from .table import replace_open_table

_sqlite_writer = threading.Lock()  # SQLite has one writer: releases in this process take turns


@dataclass
class Prepared:
    """A release made ready in memory: the masked rows as Arrow strings, and the gate's verdict."""

    rows: pa.Table
    masked: Masked
    check: PublishCheck


def prepare(resource: Resource, rows: pa.Table) -> Prepared:
    """Mask ``rows`` (strings, one column per field) and pass them through the publish gate."""
    frame = rows.to_pandas()
    frame.index = pd.RangeIndex(1, len(frame) + 1)  # row numbers as in the files and ``_row``
    masked = mask_frame(resource, frame)
    check = check_release(resource, masked.frame)
    released = pa.Table.from_pandas(masked.frame, preserve_index=False).replace_schema_metadata(None)
    released = released.cast(pa.schema([(name, pa.string()) for name in released.column_names]))
    return Prepared(rows=released, masked=masked, check=check)


def write_release(
    folder: Path, department: str, resource: Resource, prepared: Prepared, meta: dict[str, Any], *, csv_name: str
) -> dict[str, dict[str, Any]]:
    """Every file but the CSV (written already) into ``folder``; returns name -> {format, bytes, sha256}."""
    rows = prepared.rows
    numeric = [f.name for f in resource.fields if f.kind in files.NUMERIC_KINDS]
    written = {csv_name: "csv"}
    json_name = layout.data_file(department, resource.id, "json")
    files.write_json(folder / json_name, rows, numeric)
    written[json_name] = "json"
    if rows.num_rows <= files.XLSX_MAX_ROWS:
        xlsx_name = layout.data_file(department, resource.id, "xlsx")
        files.write_xlsx(folder / xlsx_name, rows, resource.name, numeric)
        written[xlsx_name] = "xlsx"
        meta["xlsx"] = None
    else:
        meta["xlsx"] = f"not made: {rows.num_rows:,} rows, more than the {files.XLSX_MAX_ROWS:,} a release puts in XLSX"
    files.write_dictionary(folder / layout.DICTIONARY, resource, prepared.masked.masks)
    written[layout.DICTIONARY] = "csv"
    listing = {name: _entry(folder / name, fmt) for name, fmt in written.items() if name != csv_name}
    listing = {csv_name: _entry(folder / csv_name, "csv", meta["content_hash"]), **listing}
    meta["fields"] = [_field_meta(resource, name, mask) for name, mask in prepared.masked.masks.items()]
    meta["dropped"] = [{"field": d.field, "reason": d.reason} for d in prepared.masked.dropped]
    meta["files"] = listing
    text = json.dumps(meta, ensure_ascii=False, indent=2, default=str) + "\n"
    (folder / layout.METADATA).write_text(text, encoding="utf-8")
    listing[layout.METADATA] = _entry(folder / layout.METADATA, "json")
    files.write_checksums(folder / layout.CHECKSUMS, {name: e["sha256"] for name, e in listing.items()})
    listing[layout.CHECKSUMS] = _entry(folder / layout.CHECKSUMS, "text")
    return listing


def publish(
    engine: Engine,
    department: str,
    resource: str,
    rows: pa.Table,
    record: m.OpenRelease,
    tmp: Path,
    final: Path,
    commit_with: Callable[[Session], None],
) -> None:
    """The ``opn_`` table, the record and whatever ``commit_with(session)`` adds (the run's record)
    in one transaction, the folder renamed into place last inside it: a failed rename rolls the
    transaction back, a failed commit removes the renamed folder."""
    renamed = False
    try:
        with _sqlite_writer if engine.dialect.name == "sqlite" else nullcontext(), engine.begin() as conn:
            replace_open_table(conn, department, resource, rows)
            with Session(bind=conn) as session:
                session.add(record)
                session.flush()
                commit_with(session)
                session.expunge(record)
            if final.exists():  # left by a release whose commit failed: no record names it
                shutil.rmtree(final)
            tmp.rename(final)
            renamed = True
    except BaseException:
        if renamed:
            shutil.rmtree(final, ignore_errors=True)
        raise


def _entry(path: Path, fmt: str, sha256: str | None = None) -> dict[str, Any]:
    return {"format": fmt, "bytes": path.stat().st_size, "sha256": sha256 or files.sha256_file(path)}


def resource_meta(resource: Resource, code: str | None) -> dict[str, Any]:
    return {
        "id": resource.id,
        "name": resource.name,
        "code": code,
        "summary": resource.summary,
        "category": resource.category,
        "format": resource.format,
        "update_cycle": resource.update_cycle,
        "level": resource.level,
        "level_label": LEVEL_LABELS[resource.level],
        "open_type": resource.open.type,
        "open_condition": resource.open.condition,
        "publish_date": resource.publish_date.isoformat() if resource.publish_date else None,
        "tags": list(resource.tags),
    }


def _field_meta(resource: Resource, name: str, mask: str) -> dict[str, Any]:
    f = resource.field(name)
    assert f is not None  # masking releases catalog fields only
    return {
        "name": f.name,
        "label": f.label,
        "kind": f.kind,
        "kind_label": FIELD_KIND_LABELS[f.kind],
        "unit": f.unit,
        "mask": mask,
        "mask_label": files.MASK_LABELS.get(mask, mask),
        "description": f.description,
    }
