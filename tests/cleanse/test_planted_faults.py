"""Every planted fault of the sample departments is found exactly: for each resource, read with its
real connector, every code of the manifest flags exactly the planted source rows on the planted
field, nothing else is flagged anywhere, and the rejected and warned rows are the manifest's
quarantined and warnings figures. Duplicate primary keys carry no finding here (the stage merges
them later)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from stdnum.cn import ric, uscc

from gongshu.catalog import load_catalog
from gongshu.cleanse import standardise_table
from gongshu.collect import open_source
from gongshu.rules.identifiers import PILOT_CODES
from gongshu.store.ods import SOURCE_ROW

REPO = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]
RESOURCES = [
    (f"{loaded.catalog.department.id}/{res.id}", path, res)
    for path in sorted((REPO / "catalogs").glob("*.yaml"))
    for loaded in [load_catalog(path)]
    for res in loaded.catalog.resources
    if res.source is not None
]


def read_sample(key: str, path: Path, resource, port: int) -> pa.Table:
    """The resource's records as the collection stage receives them, one column per field name."""
    if resource.source.kind == "http":
        url = f"http://127.0.0.1:{port}{MANIFEST[key]['url_path']}"
        resource = resource.model_copy(update={"source": resource.source.model_copy(update={"url": url})})
    raw = pa.concat_tables(open_source(resource, path.parent).chunks)
    return pa.table({**{f.name: raw.column(f.column) for f in resource.fields}, SOURCE_ROW: raw.column(SOURCE_ROW)})


@pytest.mark.parametrize("key,path,resource", RESOURCES, ids=[r[0] for r in RESOURCES])
def test_planted_faults_are_found_exactly(key, path, resource, sample_api_port):
    entry = MANIFEST[key]
    table = read_sample(key, path, resource, sample_api_port)
    assert table.num_rows == entry["rows"]
    cleaned = standardise_table(resource, table)

    source_row = table.column(SOURCE_ROW).to_numpy()
    found: dict[tuple[str, str], set[int]] = defaultdict(set)
    for row, field, code in zip(
        *(cleaned.findings.column(c).to_pylist() for c in ("row", "field", "code")), strict=True
    ):
        found[(code, field)].add(int(source_row[row]))
    planted = {
        (code, fault["field"]): set(fault["rows"]) for code, fault in entry["faults"].items() if code != "PK_DUPLICATE"
    }
    assert planted, key
    for where in sorted(set(found) | set(planted)):
        assert found.get(where, set()) == planted.get(where, set()), (key, where)
    assert int(cleaned.rejected.sum()) == entry["expected"]["quarantined"]
    assert int(cleaned.warned.sum()) == entry["expected"]["warnings"]


def test_accepted_codes_agree_with_stdnum(sample_api_port):
    """Every USCC and ID number the standardisers accept is valid for python-stdnum (pilot codes
    aside), every one they reject for its check character is not, and every 15-digit number
    upgraded to 18 digits is a valid GB 11643 number."""
    checked = 0
    for key, path, resource in RESOURCES:
        fields = [f for f in resource.fields if f.kind in ("uscc", "id_card")]
        if not fields:
            continue
        table = read_sample(key, path, resource, sample_api_port)
        cleaned = standardise_table(resource, table)
        findings = cleaned.findings.to_pydict()
        for field in fields:
            rules = {
                row: code
                for row, f, code in zip(findings["row"], findings["field"], findings["code"], strict=True)
                if f == field.name
            }
            oracle = uscc.is_valid if field.kind == "uscc" else ric.is_valid
            for row, value in enumerate(cleaned.table.column(field.name).to_pylist()):
                if value is not None and value not in PILOT_CODES:
                    assert re.fullmatch(r"[0-9A-Z]{18}", value) and oracle(value), (key, field.name, row, value)
                    checked += 1
                if rules.get(row) in ("USCC_CHECKSUM", "ID_CARD_CHECKSUM"):
                    written = table.column(field.name)[row].as_py()
                    assert not oracle(written), (key, field.name, row, written)
    assert checked > 3000


def test_rejected_rows_are_exactly_those_with_a_reject_finding(sample_api_port):
    key, path, resource = next(r for r in RESOURCES if r[0] == "scjgj/enterprise_registry")
    cleaned = standardise_table(resource, read_sample(key, path, resource, sample_api_port))
    findings = cleaned.findings.to_pydict()
    rejected = {
        row for row, severity in zip(findings["row"], findings["severity"], strict=True) if severity == "reject"
    }
    warned = {
        row for row, severity in zip(findings["row"], findings["severity"], strict=True) if severity == "warn"
    } - rejected
    assert set(np.flatnonzero(cleaned.rejected).tolist()) == rejected
    assert set(np.flatnonzero(cleaned.warned).tolist()) == warned
