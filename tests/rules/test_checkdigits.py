"""The vectorised check characters agree with python-stdnum on every value: the sample
departments' codes (with their planted faults) and a large seeded mix of valid and invalid codes."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pyarrow as pa
from stdnum.cn import ric, uscc

from gongshu.catalog import load_catalog
from gongshu.collect import open_source
from gongshu.rules.checkdigits import USCC_ALPHABET, id_card_valid, uscc_valid
from gongshu.rules.patterns import ID_CARD as ID_SHAPE
from gongshu.rules.patterns import USCC as USCC_SHAPE

REPO = Path(__file__).resolve().parents[2]


def stdnum_uscc(value: str | None) -> bool:
    return bool(value and re.fullmatch(USCC_SHAPE, value)) and uscc.calc_check_digit(value[:17]) == value[17]


def stdnum_id(value: str | None) -> bool:
    # stdnum's calc_check_digit takes the whole number and ignores its last character
    return bool(value and re.fullmatch(ID_SHAPE, value)) and ric.calc_check_digit(value) == value[17]


def sample_columns(kind: str) -> dict[str, list[str | None]]:
    """Every value of every field of ``kind`` in the file, Excel and SQLite samples."""
    out = {}
    for path in sorted((REPO / "catalogs").glob("*.yaml")):
        catalog = load_catalog(path).catalog
        for res in catalog.resources:
            if res.source is None or res.source.kind == "http":
                continue
            fields = [f for f in res.fields if f.kind == kind]
            if not fields:
                continue
            reading = open_source(res, path.parent)
            chunks = list(reading.chunks)
            for f in fields:
                out[f"{catalog.department.id}/{res.id}.{f.name}"] = [
                    v for c in chunks for v in c.column(f.column).to_pylist()
                ]
    return out


def test_sample_codes_agree_with_stdnum_and_the_manifest():
    manifest = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]
    checked = 0
    for kind, ours, oracle, fault in (
        ("uscc", uscc_valid, stdnum_uscc, "USCC_CHECKSUM"),
        ("id_card", id_card_valid, stdnum_id, "ID_CARD_CHECKSUM"),
    ):
        columns = sample_columns(kind)
        assert columns, kind
        for key, values in columns.items():
            got = ours(pa.array(values, pa.string())).tolist()
            assert got == [oracle(v) for v in values], key
            checked += len(values)
            resource, field = key.split(".")
            planted = manifest[resource]["faults"].get(fault)
            if planted and planted["field"] == field:
                for row in planted["rows"]:
                    assert got[row - 1] is False, (key, row)
    assert checked > 3000


def test_a_large_seeded_mix_agrees_with_stdnum():
    rng = random.Random(20261125)
    codes, ids = [], []
    for _ in range(20_000):
        body = (
            "".join(rng.choice("0123456789") for _ in range(2))
            + "".join(rng.choice("0123456789") for _ in range(6))
            + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        )
        check = uscc.calc_check_digit(body) if rng.random() < 0.5 else rng.choice(USCC_ALPHABET)
        codes.append(body + check)
        digits = "".join(rng.choice("0123456789") for _ in range(17))
        ids.append(digits + (ric.calc_check_digit(digits + "0") if rng.random() < 0.5 else rng.choice("0123456789X")))
    codes += [None, "", "91110108551385082q", "9111010855138508２Q", "91110108551385082QQ"]
    ids += [None, "", "34052419800101001x", "3405241980010100", "34052419800101001X "]
    assert uscc_valid(pa.array(codes, pa.string())).tolist() == [stdnum_uscc(v) for v in codes]
    assert id_card_valid(pa.array(ids, pa.string())).tolist() == [stdnum_id(v) for v in ids]
    # chunked, sliced and large_string inputs read the same bytes
    sliced = pa.chunked_array([pa.array(codes[:7000]), pa.array(codes[7000:])]).slice(3)
    assert uscc_valid(sliced).tolist() == [stdnum_uscc(v) for v in codes[3:]]
    assert id_card_valid(pa.array(ids, pa.large_string())).tolist() == [stdnum_id(v) for v in ids]
