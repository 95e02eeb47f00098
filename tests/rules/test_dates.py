"""Dates as departments write them: every accepted form standardised, impossible and implausible
dates rejected with the rule that caught them, and the sample departments' planted date faults
found exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from gongshu.catalog import load_catalog
from gongshu.collect import open_source
from gongshu.rules.dates import standardise

REPO = Path(__file__).resolve().parents[2]

CASES = [
    ("2020-01-02", "2020-01-02", None, None),
    ("2020/1/2", "2020-01-02", None, "DATE_MIXED_FORMAT"),
    ("20200102", "2020-01-02", None, "DATE_MIXED_FORMAT"),
    ("2020年1月2日", "2020-01-02", None, "DATE_MIXED_FORMAT"),
    ("2020.1.2", "2020-01-02", None, "DATE_MIXED_FORMAT"),
    (" 2020-01-02 ", "2020-01-02", None, None),  # trimming alone is no finding
    ("２０２０－０１－０２", "2020-01-02", None, "FULLWIDTH"),
    ("２０２０/1/2", "2020-01-02", None, "DATE_MIXED_FORMAT"),
    ("43832", "2020-01-02", None, "DATE_MIXED_FORMAT"),  # Excel serial number
    ("2021-02-30", None, "DATE_INVALID", None),
    ("2023-13-05", None, "DATE_INVALID", None),
    ("20210230", None, "DATE_INVALID", None),
    ("1850-01-01", None, "DATE_IMPLAUSIBLE", None),
    ("2101-01-01", None, "DATE_IMPLAUSIBLE", None),
    ("2045-06-30", "2045-06-30", None, None),  # a licence valid for decades is plausible
    ("明天", None, "DATE_FORMAT", None),
    ("无", None, None, "NULL_TOKEN"),
    ("", None, None, None),
    (None, None, None, None),
]


def test_each_written_form():
    got = standardise(pa.array([c[0] for c in CASES], pa.string()), "date")
    assert got.values.to_pylist() == [c[1] for c in CASES]
    assert got.rejected.tolist() == [c[2] for c in CASES]
    assert got.repaired.tolist() == [c[3] for c in CASES]
    assert got.warned.tolist() == [None] * len(CASES)


def test_datetimes_keep_their_time():
    got = standardise(
        pa.array(
            [
                "2024-03-01 08:05:09",
                "2024/3/1 8:05",
                "2024-03-01T08:05:09",
                "45352.5",
                "2024年3月1日 8时5分",
                "20240301080509",
            ]
        ),
        "datetime",
    )
    assert got.values.to_pylist() == [
        "2024-03-01 08:05:09",
        "2024-03-01 08:05:00",
        "2024-03-01 08:05:09",
        "2024-03-01 12:00:00",
        "2024-03-01 08:05:00",
        "2024-03-01 08:05:09",
    ]
    assert got.repaired.tolist() == [None] + ["DATE_MIXED_FORMAT"] * 5


def test_repeated_values_are_parsed_once_and_mapped_to_every_row():
    column = pa.chunked_array([pa.array(["2020/1/2", None] * 50_000), pa.array(["2021-02-30"] * 10)])
    got = standardise(column, "date")
    assert got.values.to_pylist()[:4] == ["2020-01-02", None, "2020-01-02", None]
    assert (got.rejected == "DATE_INVALID").sum() == 10


def sample_date_columns():
    manifest = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]
    for path in sorted((REPO / "catalogs").glob("*.yaml")):
        catalog = load_catalog(path).catalog
        for res in catalog.resources:
            fields = [f for f in res.fields if f.kind in ("date", "datetime")]
            if not fields or res.source is None:
                continue
            key = f"{catalog.department.id}/{res.id}"
            if res.source.kind == "http":
                records = json.loads((REPO / "samples" / manifest[key]["source"]).read_text(encoding="utf-8"))
                columns = {
                    f.name: [None if r.get(f.column) is None else str(r[f.column]) for r in records] for f in fields
                }
            else:
                chunks = list(open_source(res, path.parent).chunks)
                columns = {f.name: [v for c in chunks for v in c.column(f.column).to_pylist()] for f in fields}
            for f in fields:
                yield key, f, columns[f.name], manifest[key]["faults"]


@pytest.mark.parametrize(
    "key,field,values,faults", list(sample_date_columns()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_planted_date_faults_are_found_exactly(key, field, values, faults):
    got = standardise(pa.array(values, pa.string()), field.kind)

    def rows(code: str) -> set[int]:
        planted = faults.get(code, {})
        return set(planted.get("rows", [])) if planted.get("field") == field.name else set()

    rejected = {i + 1 for i, code in enumerate(got.rejected) if code}
    assert rejected == rows("DATE_INVALID"), key
    repaired = {i + 1 for i, code in enumerate(got.repaired) if code == "DATE_MIXED_FORMAT"}
    assert rows("DATE_MIXED_FORMAT") <= repaired, key
