"""Benchmark: cleansing a large enterprise registry from the ODS into the DWD, clean gate included, on SQLite.

Setup (timed apart, not compared): samples/generate.py --large writes the registry CSV (~6.5 % of
the rows carry a rejecting fault, ~1 % repeat an earlier row's primary key, more carry repairable
ones; its manifest holds the true counts), collect_resource stores it as one batch in the ODS of a
fresh SQLite platform database, and write_suites writes the clean gate's suite (in the gongshu
process, before its timer). Each measurement then gets its own copy of that database file, so each
starts from the same ODS, and runs in its own process, so that its peak memory (RSS) is its own:

  floor    the least any implementation must do, by hand: read the batch with sqlite3, check USCC and
           ID check characters with numpy, parse dates per distinct value, convert amounts, check
           phones with regexes, split valid from invalid, keep the latest row per primary key, and
           sqlite3.executemany INSERT OR REPLACE into a DWD table with the same key and the same
           lineage columns, in one transaction. It reads and writes in slices of 100,000 rows (only
           one slice is Python objects at a time). No Great Expectations, no issue bookkeeping.
  gongshu  cleanse_resource: standardise_table, the split, the clean gate (GX), the DWD upsert,
           the issues, the gate results and the batch record.
  naive    the obvious way: python-stdnum per row, pd.to_datetime(format="mixed"), pandas string
           ops, DataFrame.to_sql.

and prints seconds, rows/s, peak RSS, the ratios, the gate's share of gongshu's time, each
approach's row accounting against the manifest, and the time per phase of each (gongshu's by
timing the functions cleanse_batch calls: read_batch, standardise_table, evaluate_scoped, upsert,
the issues, the commit; the gate's share is evaluate_scoped's time over the whole call). Imports, and the
one-off import of Great Expectations and creation of its context (paid once per process by a
pipeline, not per resource), are outside the timings; the GX warm-up is printed on its own line.

    .venv/bin/python bench/cleanse_dwd.py [--rows 1000000] [--keep DIR] [--skip-naive] [--repeat N]

The timings vary from run to run on a shared machine (10-30 % here): --repeat N keeps the fastest of N.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPARTMENT, RESOURCE = "scjgj", "enterprise_registry"
ODS_TABLE = f"ods_{DEPARTMENT}__{RESOURCE}"
DWD_TABLE = f"dwd_{DEPARTMENT}__{RESOURCE}"
MANIFEST_KEY = f"{DEPARTMENT}/{RESOURCE}"
TARGETS = {"floor": 2.0, "naive": 5.0, "gate": 0.30}

# The registry as the hand-written baselines know it (the parent checks it against the catalog).
FIELDS = {
    "uscc": "uscc",
    "company_name": "text",
    "enterprise_type": "enum",
    "legal_rep": "person_name",
    "legal_rep_id": "id_card",
    "phone": "phone",
    "email": "email",
    "capital": "amount",
    "founded": "date",
    "approved": "date",
    "status": "enum",
    "authority": "text",
    "address": "address",
    "scope": "text",
    "region": "region_code",
}
REQUIRED = ("uscc", "company_name", "founded", "status", "region")
PRIMARY_KEY = "uscc"
ENTERPRISE_TYPES = (
    "有限责任公司（自然人投资或控股）",
    "有限责任公司（自然人独资）",
    "有限责任公司（非自然人投资或控股的法人独资）",
    "股份有限公司（非上市、自然人投资或控股）",
    "股份有限公司（上市、自然人投资或控股）",
    "个人独资企业",
    "有限合伙企业",
    "有限责任公司分公司（自然人投资或控股）",
)
STATUS_VALUES = ("存续", "在业", "注销", "吊销", "迁出")
STATUS_ALIASES = {
    "存续（在营、开业、在册）": "存续",
    "在营": "存续",
    "开业": "存续",
    "已注销": "注销",
    "吊销，未注销": "吊销",
}
PILOT_CODES = ("91350100M0001TGQXM", "91350211M0000XUF46")  # legal pilot USCCs whose check character does not compute
NULL_TOKENS = ("无", "/", "—", "——", "-", "--", "NULL", "null", "Null", "空", "N/A", "n/a", "NA", "暂无")
CODE_LIKE = ("uscc", "legal_rep_id", "phone", "email", "capital", "founded", "approved", "region")
FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
AMOUNT = r"^(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<unit>万元人民币|万元|元)?$"
DATE_FORMS = r"^(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))$"
PRAGMAS = ("PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-131072")  # what gongshu's engine sets (WAL is in the file)


# ---- the measured children ----------------------------------------------------------------------


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dwd_ddl(name: str) -> str:
    types = {"amount": "NUMERIC", "date": "DATE"}
    cols = [
        f'"{f}" {types.get(kind, "TEXT")}' + (" NOT NULL PRIMARY KEY" if f == PRIMARY_KEY else "")
        for f, kind in FIELDS.items()
    ]
    cols += ['"_batch_id" VARCHAR(40) NOT NULL', '"_source_row" BIGINT NOT NULL', '"_loaded_at" DATETIME NOT NULL']
    return f'CREATE TABLE "{name}" ({", ".join(cols)})'


def _count(db: str, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    finally:
        con.close()


def child_floor(db: str, batch_id: str) -> dict:
    """The floor: sqlite3 + pyarrow compute + numpy + executemany."""
    import datetime as dt
    import re

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    # gongshu's vectorised check characters: gongshu.rules imports no other gongshu package, so the
    # floor takes none of their imports
    from gongshu.rules.checkdigits import id_card_valid, uscc_valid

    null = pa.scalar(None, pa.string())
    tokens = pa.array(NULL_TOKENS)
    today = dt.date.today()
    today_int = today.year * 10000 + today.month * 100 + today.day
    id_check = np.frombuffer(b"10X98765432", dtype=np.uint8)
    id_weights = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)

    def np_mask(values: pa.Array) -> np.ndarray:
        return pc.fill_null(values, False).to_numpy(zero_copy_only=False)

    def tidy(values: pa.Array, code_like: bool) -> pa.Array:
        """Trimmed; full-width forms folded (only rows with non-ASCII text go through Python); empty
        cells and null tokens as null."""
        if code_like:
            odd = np_mask(pc.match_substring_regex(values, r"[^\x00-\x7F]"))
            if odd.any():
                fixed = [v.translate(FULLWIDTH) for v in pc.filter(values, pa.array(odd)).to_pylist()]
                values = pc.replace_with_mask(values, pa.array(odd), pa.array(fixed, pa.string()))
        values = pc.utf8_trim_whitespace(values)
        empty = pc.or_(pc.equal(values, ""), pc.is_in(values, value_set=tokens))
        return pc.if_else(pc.fill_null(empty, False), null, values)

    def valid_ymd(ymd: np.ndarray) -> np.ndarray:
        y, m, d = ymd // 10000, ymd // 100 % 100, ymd % 100
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        dim = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 0, 12)] + (leap & (m == 2))
        return (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim) & (ymd >= 19000101) & (ymd <= today_int)

    date_forms = re.compile(DATE_FORMS)

    def parse_date(text: str) -> str | None:
        match = date_forms.match(text)
        if not match:
            return None
        y, m, d = (match[1], match[2], match[3]) if match[2] else (match[1], match[4], match[5])
        try:
            day = dt.date(int(y), int(m), int(d))
        except ValueError:
            return None
        return day.isoformat() if 1900 <= day.year <= 2100 else None

    def per_distinct(values: pa.Array, decide: Callable[[str], str | None]) -> pa.Array:
        encoded = pc.dictionary_encode(values)
        answers = pa.array([decide(v) for v in encoded.dictionary.to_pylist()], pa.string())
        return pc.take(answers, encoded.indices)

    started = time.perf_counter()
    con = sqlite3.connect(db)
    for pragma in PRAGMAS:
        con.execute(pragma)
    names = list(FIELDS)
    selected = ", ".join(f'"{c}"' for c in ["_source_row", *names])
    cursor = con.execute(
        f'SELECT {selected} FROM "{ODS_TABLE}" WHERE "_batch_id" = ? ORDER BY "_source_row"', (batch_id,)
    )
    chunks: list[list[pa.Array]] = []
    while rows := cursor.fetchmany(100_000):  # in chunks: the Python tuples of one chunk at a time
        chunks.append([pa.array(col) for col in zip(*rows, strict=True)])
    del rows
    n = sum(len(chunk[0]) for chunk in chunks)
    source_row = pa.concat_arrays([chunk[0] for chunk in chunks]) if chunks else pa.array([], pa.int64())
    raw = {
        name: pa.concat_arrays([pc.cast(chunk[k], pa.string()) for chunk in chunks])
        if chunks
        else pa.array([], pa.string())
        for k, name in enumerate(names, start=1)
    }
    del chunks
    read = time.perf_counter() - started

    out: dict[str, pa.Array] = {}
    rejected = np.zeros(n, dtype=bool)
    for name, kind in FIELDS.items():
        values = tidy(raw[name], name in CODE_LIKE)
        present = np_mask(pc.is_valid(values))
        bad = np.zeros(n, dtype=bool)
        if kind == "uscc":
            values = pc.utf8_upper(values)
            bad = present & ~(uscc_valid(values) | np_mask(pc.is_in(values, value_set=pa.array(PILOT_CODES))))
        elif kind == "id_card":
            values = pc.utf8_upper(values)
            is18 = np_mask(pc.match_substring_regex(values, r"^[0-9]{17}[0-9X]$"))
            ok18 = id_card_valid(values)
            birth = np.zeros(n, dtype=np.int64)
            shaped = pc.filter(values, pa.array(is18))
            birth[is18] = pc.cast(pc.utf8_slice_codeunits(shaped, 6, 14), pa.int64()).to_numpy()
            ok18 &= valid_ymd(birth)
            is15 = np_mask(pc.match_substring_regex(values, r"^[0-9]{15}$"))
            ok15 = np.zeros(n, dtype=bool)
            if is15.any():  # 15-digit numbers (born 19xx): widened to 18 digits with their check character
                old = pc.filter(values, pa.array(is15))
                ymd = pc.cast(pc.utf8_slice_codeunits(old, 6, 12), pa.int64()).to_numpy() + 19000000
                ok15[is15] = valid_ymd(ymd)
                first17 = pc.binary_join_element_wise(
                    pc.utf8_slice_codeunits(old, 0, 6), "19", pc.utf8_slice_codeunits(old, 6, 15), ""
                )
                digits = np.frombuffer("".join(first17.to_pylist()).encode(), np.uint8).reshape(-1, 17) - 48
                checks = id_check[(digits.astype(np.int64) @ id_weights) % 11].tobytes().decode()
                wide = pc.binary_join_element_wise(first17, pa.array(list(checks)), "")
                values = pc.replace_with_mask(values, pa.array(is15), wide)
            bad = present & ~(ok18 | ok15)
        elif kind == "phone":
            s = pc.replace_substring_regex(values, r"^\+86[- ]?", "+")
            s = pc.replace_substring_regex(s, r"[ ()\-]", "")
            s = pc.replace_substring_regex(s, r"^\+1", "1")
            s = pc.replace_substring_regex(s, r"^\+", "0")
            s = pc.replace_substring_regex(s, r"^(0[12][0-9]|0[3-9][0-9]{2})([0-9]{7,8})$", r"\1-\2")
            s = pc.replace_substring_regex(s, r"^([48]00)([0-9]{3})([0-9]{4})$", r"\1-\2-\3")
            ok = pc.match_substring_regex(s, r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}|[48]00-[0-9]{3}-[0-9]{4})$")
            values, bad = s, present & ~np_mask(ok)
        elif kind == "email":
            bad = present & ~np_mask(pc.match_substring_regex(values, EMAIL))
        elif kind == "amount":
            parts = pc.extract_regex(pc.replace_substring(values, ",", ""), AMOUNT)
            number = pc.cast(pc.struct_field(parts, "num"), pa.float64())
            yuan = pc.equal(pc.struct_field(parts, "unit"), "元")
            values = pc.if_else(pc.fill_null(yuan, False), pc.divide(number, 10000.0), number)
            bad = present & ~np_mask(pc.is_valid(parts))
        elif kind == "date":
            parsed = per_distinct(values, parse_date)
            values, bad = parsed, present & ~np_mask(pc.is_valid(parsed))
        elif name == "status":
            mapping = {**{v: v for v in STATUS_VALUES}, **STATUS_ALIASES}
            parsed = per_distinct(values, mapping.get)
            values, bad = parsed, present & ~np_mask(pc.is_valid(parsed))
        elif kind == "enum":
            bad = present & ~np_mask(pc.is_in(values, value_set=pa.array(ENTERPRISE_TYPES)))
        elif kind == "region_code":
            bad = present & ~np_mask(pc.match_substring_regex(values, r"^[0-9]{6}$"))
        if name in REQUIRED:
            bad |= ~present
        rejected |= bad
        out[name] = values

    standardised = time.perf_counter() - started - read
    valid = np.flatnonzero(~rejected)
    earlier = pd.Series(out[PRIMARY_KEY].take(pa.array(valid)).to_pylist()).duplicated(keep="last").to_numpy()
    keep = pa.array(valid[~earlier])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    written = pa.table({**{name: out[name] for name in names}, "_source_row": source_row}).take(keep)
    placeholders = ", ".join("?" * (len(names) + 1))
    quoted = ", ".join(f'"{c}"' for c in [*names, "_source_row", "_batch_id", "_loaded_at"])
    sql = f"INSERT OR REPLACE INTO \"{DWD_TABLE}\" ({quoted}) VALUES ({placeholders}, '{batch_id}', '{stamp}')"
    split = time.perf_counter() - started - read - standardised
    con.execute(_dwd_ddl(DWD_TABLE))
    with con:  # one transaction; the rows go in slices so that only one slice is Python objects at a time
        for batch in written.to_batches(max_chunksize=100_000):
            con.executemany(sql, zip(*(col.to_pylist() for col in batch.columns), strict=True))
    con.close()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "rows_in": n,
        "loaded": len(keep),
        "quarantined": int(rejected.sum()),
        "merged": int(earlier.sum()),
        "dwd_rows": _count(db, DWD_TABLE),
        "phases": {
            "read ODS": read,
            "standardise": standardised,
            "split + de-duplicate": split,
            "INSERT OR REPLACE (executemany) + commit": seconds - read - standardised - split,
        },
    }


def child_naive(db: str, batch_id: str) -> dict:
    """The naive way: pandas read_sql, python-stdnum per row, pd.to_datetime(format="mixed"), to_sql."""
    import datetime as dt

    import pandas as pd
    from stdnum.cn import ric, uscc

    names = list(FIELDS)
    today = pd.Timestamp(dt.date.today())
    low = pd.Timestamp("1900-01-01")
    high = pd.Timestamp("2100-12-31")

    def id_ok(v: str) -> bool:
        return ric.calc_check_digit(v) == v[17]  # stdnum takes the whole number and ignores its last character

    started = time.perf_counter()
    con = sqlite3.connect(db)
    for pragma in PRAGMAS:
        con.execute(pragma)
    cols = ", ".join(f'"{c}"' for c in ["_source_row", *names])
    df = pd.read_sql_query(
        f'SELECT {cols} FROM "{ODS_TABLE}" WHERE "_batch_id" = ? ORDER BY "_source_row"', con, params=(batch_id,)
    )
    n = len(df)
    read = time.perf_counter() - started
    rejected = pd.Series(False, index=df.index)
    for name, kind in FIELDS.items():
        s = df[name]
        if name in CODE_LIKE:
            s = s.str.translate(FULLWIDTH)
        s = s.str.strip()
        s = s.where(~(s.isin(NULL_TOKENS) | (s == "")), None)
        present = s.notna()
        bad = pd.Series(False, index=df.index)
        if kind == "uscc":
            s = s.str.upper()
            ok = s.map(uscc.is_valid, na_action="ignore").fillna(False).astype(bool) | s.isin(PILOT_CODES)
            bad = present & ~ok
        elif kind == "id_card":
            s = s.str.upper()
            is18 = s.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False).astype(bool)
            is15 = s.str.fullmatch(r"[0-9]{15}").fillna(False).astype(bool)
            birth = pd.to_datetime(s.where(is18).str.slice(6, 14), format="%Y%m%d", errors="coerce")
            ok18 = is18 & s.where(is18).map(id_ok, na_action="ignore").fillna(False).astype(bool)
            ok18 &= birth.between(low, today)
            old = s.where(is15)
            birth15 = pd.to_datetime("19" + old.str.slice(6, 12), format="%Y%m%d", errors="coerce")
            first17 = old.str.slice(0, 6) + "19" + old.str.slice(6, 15)
            wide = first17 + first17.map(lambda v: ric.calc_check_digit(v + "0"), na_action="ignore")
            ok15 = is15 & birth15.between(low, today)
            s = s.where(~is15, wide)
            bad = present & ~(ok18 | ok15)
        elif kind == "phone":
            s = s.str.replace(r"^\+86[- ]?", "+", regex=True).str.replace(r"[ ()\-]", "", regex=True)
            s = s.str.replace(r"^\+1", "1", regex=True).str.replace(r"^\+", "0", regex=True)
            s = s.str.replace(r"^(0[12][0-9]|0[3-9][0-9]{2})([0-9]{7,8})$", r"\1-\2", regex=True)
            s = s.str.replace(r"^([48]00)([0-9]{3})([0-9]{4})$", r"\1-\2-\3", regex=True)
            ok = s.str.fullmatch(r"1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}|[48]00-[0-9]{3}-[0-9]{4}")
            bad = present & ~ok.fillna(False).astype(bool)
        elif kind == "email":
            bad = present & ~s.str.fullmatch(EMAIL.strip("^$")).fillna(False).astype(bool)
        elif kind == "amount":
            parts = s.str.replace(",", "").str.extract(AMOUNT)
            number = pd.to_numeric(parts["num"], errors="coerce")
            s = number.where(parts["unit"] != "元", number / 10000)
            bad = present & number.isna()
        elif kind == "date":
            text = s.str.replace("年", "-").str.replace("月", "-").str.replace("日", "")
            day = pd.to_datetime(text, format="mixed", errors="coerce")
            day = day.where(day.between(low, high))
            s = day.dt.strftime("%Y-%m-%d")
            bad = present & day.isna()
        elif name == "status":
            s = s.replace(STATUS_ALIASES)
            bad = present & ~s.isin(STATUS_VALUES)
        elif kind == "enum":
            bad = present & ~s.isin(ENTERPRISE_TYPES)
        elif kind == "region_code":
            bad = present & ~s.str.fullmatch(r"[0-9]{6}").fillna(False).astype(bool)
        if name in REQUIRED:
            bad |= ~present
        rejected |= bad
        df[name] = s
    good = df[~rejected.to_numpy()]
    loaded = good.drop_duplicates(PRIMARY_KEY, keep="last")
    merged = len(good) - len(loaded)
    loaded = loaded[names].assign(
        _batch_id=batch_id,
        _source_row=loaded["_source_row"],
        _loaded_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
    )
    standardised = time.perf_counter() - started - read
    con.execute(_dwd_ddl(DWD_TABLE))
    con.commit()
    loaded.to_sql(DWD_TABLE, con, if_exists="append", index=False)
    con.commit()
    con.close()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "rows_in": n,
        "loaded": len(loaded),
        "quarantined": int(rejected.sum()),
        "merged": merged,
        "dwd_rows": _count(db, DWD_TABLE),
        "phases": {
            "read ODS (read_sql_query)": read,
            "standardise + split + de-duplicate": standardised,
            "to_sql + commit": seconds - read - standardised,
        },
    }


def child_gongshu(db: str, folder: str) -> dict:
    """cleanse_resource on the copy, with a timer around the gate and the stage's other phases."""
    import functools
    import importlib

    from gongshu.catalog import load_catalog
    from gongshu.quality.suites import write_suites
    from gongshu.store.db import dispose_engines, get_engine

    engine = get_engine(f"sqlite:///{db}")
    catalog = load_catalog(Path(folder) / "scjgj.yaml").catalog
    write_suites(catalog, Path(folder) / "expectations")  # setup, untimed: the suite the clean gate needs
    resource = catalog.resource(RESOURCE)
    warm = time.perf_counter()
    from gongshu.quality import gate

    gate._definition()  # importing Great Expectations and making its context: once per process, reported apart
    warm = time.perf_counter() - warm
    from gongshu.cleanse.stage import cleanse_resource

    # Each phase is timed by wrapping the function the stage calls for it (a module attribute looked up
    # at call time). Whatever is not wrapped (building the gate's pandas frames, the commit, ...) is "other".
    phases = {
        "read ODS (ods.read_batch)": ("gongshu.store.ods", "read_batch"),
        "standardise (standardise_table)": ("gongshu.cleanse.batch", "standardise_table"),
        "split + de-duplicate (split)": ("gongshu.cleanse.batch", "split"),
        "gate (gate.evaluate_scoped)": ("gongshu.quality.gate", "evaluate_scoped"),
        "issues: keys (issues.record_keys)": ("gongshu.cleanse.issues", "record_keys"),
        "issues: found (issues.found)": ("gongshu.cleanse.issues", "found"),
        "upsert DWD (dwd.upsert)": ("gongshu.store.dwd", "upsert"),
        "issues: sync (issues.sync)": ("gongshu.cleanse.issues", "sync"),
        "gate results (gate.record)": ("gongshu.quality.gate", "record"),
        "load suite (load_suite)": ("gongshu.cleanse.stage", "load_suite"),
    }
    spent = dict.fromkeys(phases, 0.0)

    def timed(label: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t

        return wrapper

    for label, (module, attr) in phases.items():
        mod = importlib.import_module(module)
        if not hasattr(mod, attr):  # a moved function would silently time as zero: fail instead
            raise SystemExit(f"bench/cleanse_dwd.py: {module}.{attr} is gone; point '{label}' at its new place")
        setattr(mod, attr, timed(label, getattr(mod, attr)))
    commit = "commit (dialect.do_commit)"
    spent[commit] = 0.0
    engine.dialect.do_commit = timed(commit, engine.dialect.do_commit)  # this engine's commits, the DWD one included

    started = time.perf_counter()
    out = cleanse_resource(engine, DEPARTMENT, resource, "bench", expectations_dir=Path(folder) / "expectations")
    seconds = time.perf_counter() - started
    dispose_engines()
    details = out.details or {}
    result = {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "warmup": warm,
        "status": out.status,
        "error": out.error,
        "reason": out.reason,
        "rows_in": out.rows_in,
        "loaded": out.rows_out,
        "quarantined": details.get("rows_quarantined"),
        "merged": details.get("rows_merged"),
        "warned": details.get("rows_warned"),
        "rules": details.get("rules"),
        "gate": {k: v for k, v in (details.get("gate") or {}).items() if k != "checks"},
        "issues": details.get("issues"),
        "gate_seconds": spent["gate (gate.evaluate_scoped)"],
        "phases": spent,
    }
    try:
        result["dwd_rows"] = _count(db, DWD_TABLE)
    except sqlite3.OperationalError:
        result["dwd_rows"] = None
    return result


def child_setup(db: str, folder: str) -> dict:
    """Collect the CSV into the ODS of a fresh platform database (one batch). (The gongshu child
    writes the suite before its timer, so that a reused ODS never meets a stale suite.)"""
    import sqlalchemy as sa

    from gongshu.catalog import load_catalog
    from gongshu.collect.stage import collect_resource
    from gongshu.store import models as m
    from gongshu.store.db import dispose_engines, get_engine, session_scope

    started = time.perf_counter()
    resource = load_catalog(Path(folder) / "scjgj.yaml").catalog.resource(RESOURCE)
    engine = get_engine(f"sqlite:///{db}")
    out = collect_resource(engine, DEPARTMENT, resource, "bench-setup", catalog_dir=Path(folder))
    if out.status != "completed":
        raise SystemExit(f"collect failed: {out.error or out.reason}")
    with session_scope(engine) as session:
        batches = session.scalars(sa.select(m.CollectBatch.id)).all()
    dispose_engines()
    con = sqlite3.connect(db)  # fold the WAL into the file so that a plain copy of the file is the whole database
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    [batch_id] = batches
    return {
        "seconds": time.perf_counter() - started,
        "rows": out.rows_out,
        "batch_id": batch_id,
        "fields": {f.name: f.kind for f in resource.fields},
        "required": [f.name for f in resource.fields if f.required],
        "primary_key": list(resource.primary_key),
    }


def child_agreement(folder: str) -> dict:
    """The check characters of every USCC and ID number of the input, by gongshu's vectorised code
    and by python-stdnum one value at a time (its check-digit functions: ``ric.is_valid`` also
    checks the county code against the birth date, which is not a check character)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    from stdnum.cn import ric, uscc

    from gongshu.rules.checkdigits import id_card_valid, uscc_valid
    from gongshu.rules.patterns import ID_CARD as ID_SHAPE
    from gongshu.rules.patterns import USCC as USCC_SHAPE

    table = pacsv.read_csv(
        Path(folder) / "enterprise_registry.csv",
        convert_options=pacsv.ConvertOptions(
            include_columns=["统一社会信用代码", "法定代表人身份证号码"], column_types={}, strings_can_be_null=True
        ),
        read_options=pacsv.ReadOptions(use_threads=True),
    )
    out = {}
    for column, shape, vectorised, scalar in (
        ("统一社会信用代码", USCC_SHAPE, uscc_valid, lambda v: uscc.calc_check_digit(v[:17]) == v[17]),
        ("法定代表人身份证号码", ID_SHAPE, id_card_valid, lambda v: ric.calc_check_digit(v) == v[17]),
    ):
        values = pc.utf8_upper(pc.utf8_trim_whitespace(table.column(column).cast(pa.string()))).combine_chunks()
        shaped = pc.fill_null(pc.match_substring_regex(values, shape), False).to_numpy(zero_copy_only=False)
        ours = vectorised(values)
        texts = values.to_pylist()
        theirs = np.array([bool(s) and scalar(t) for s, t in zip(shaped, texts, strict=True)])
        out[column] = {"compared": int(shaped.sum()), "disagree": int((ours != theirs).sum())}
    return out


CHILDREN = {
    "agreement": child_agreement,
    "setup": child_setup,
    "floor": child_floor,
    "naive": child_naive,
    "gongshu": child_gongshu,
}


# ---- the parent ---------------------------------------------------------------------------------


def run(name: str, *args: str) -> dict:
    """Run one child in its own process; it prints its figures (and its own peak RSS) as JSON."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", name, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        if name == "setup":
            raise SystemExit(f"benchmark step {name} failed:\n{out.stderr[-5000:]}")
        return {"failed": out.stderr[-5000:] or out.stdout[-5000:], "seconds": float("inf")}
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_input(folder: Path, rows: int) -> dict:
    """The registry CSV (UTF-8), its manifest, and a catalog folder whose registry reads it."""
    subprocess.run(
        [sys.executable, "samples/generate.py", "--large", str(rows), "--out", str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    text = (ROOT / "catalogs" / "scjgj.yaml").read_text(encoding="utf-8")
    old = "path: ../samples/scjgj/enterprise_registry.csv"
    assert old in text, "the sample catalog's source lines changed: update bench/cleanse_dwd.py"
    (folder / "scjgj.yaml").write_text(text.replace(old, "path: enterprise_registry.csv"), encoding="utf-8")
    for other in ("admin_license.csv", "food_business_license.txt"):  # the catalog names them too
        (folder / other).write_bytes((ROOT / "samples" / "scjgj" / other).read_bytes())
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def copy_db(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="make (or reuse) the input and the collected ODS in this folder")
    ap.add_argument("--skip-naive", action="store_true", help="leave out the naive baseline (about a minute per 1M)")
    ap.add_argument("--repeat", type=int, default=1, help="run each measurement N times and keep the fastest")
    ap.add_argument(
        "--only", choices=["floor", "naive", "gongshu"], action="append", help="run only this measurement (repeatable)"
    )
    args = ap.parse_args()
    wanted = args.only or ["floor", "gongshu", *([] if args.skip_naive else ["naive"])]

    with tempfile.TemporaryDirectory(prefix="cleanse_dwd_") as tmp:
        folder = args.keep or Path(tmp) / "input"
        folder.mkdir(parents=True, exist_ok=True)
        ods_db = folder / "ods.db"
        setup_file = folder / "setup.json"
        manifest_file = folder / "manifest.json"
        manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else None
        if manifest is None or manifest["resources"][MANIFEST_KEY]["rows"] != args.rows:
            for stale in (ods_db, setup_file):
                stale.unlink(missing_ok=True)
            started = time.perf_counter()
            manifest = make_input(folder, args.rows)
            csv_mb = (folder / "enterprise_registry.csv").stat().st_size / 1e6
            made = time.perf_counter() - started
            print(f"setup: input {args.rows:,} rows, {csv_mb:.0f} MB UTF-8 (made in {made:.0f} s)")
        setup = json.loads(setup_file.read_text(encoding="utf-8")) if setup_file.exists() and ods_db.exists() else None
        if setup is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{ods_db}{suffix}").unlink(missing_ok=True)
            setup = run("setup", str(ods_db), str(folder))
            setup_file.write_text(json.dumps(setup), encoding="utf-8")
            print(
                f"setup: collect_resource into a fresh SQLite ODS: {setup['seconds']:.1f} s "
                f"({setup['rows']:,} rows, batch {setup['batch_id']}, {ods_db.stat().st_size / 1e6:.0f} MB database)"
            )
        else:
            print(f"setup: reusing the ODS in {ods_db} (batch {setup['batch_id']})")
        if (
            setup["fields"] != FIELDS
            or set(setup["required"]) != set(REQUIRED)
            or setup["primary_key"] != [PRIMARY_KEY]
        ):
            raise SystemExit("catalogs/scjgj.yaml's registry changed: update FIELDS/REQUIRED in bench/cleanse_dwd.py")
        expected = manifest["resources"][MANIFEST_KEY]["expected"]

        results: dict[str, dict] = {}
        for name in wanted:
            runs = []
            for _ in range(args.repeat):
                work = Path(tmp) / f"{name}.db"
                copy_db(ods_db, work)
                os.sync()  # the copy's writeback must not compete with the measurement
                extra = [setup["batch_id"]] if name != "gongshu" else [str(folder)]
                runs.append(run(name, str(work), *extra))
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{work}{suffix}").unlink(missing_ok=True)
            results[name] = min(runs, key=lambda fig: fig["seconds"])
            results[name]["runs"] = [fig["seconds"] for fig in runs]

        agreement = run("agreement", str(folder))

    report(args.rows, results, expected)
    print("\ncheck characters, every row of the input: gongshu's vectorised code against python-stdnum per value")
    if "failed" in agreement:
        print(f"  the comparison failed; its process said:\n{agreement['failed']}")
        return
    for column, fig in agreement.items():
        print(f"  {column:<12} {fig['compared']:>10,} well-formed values compared, {fig['disagree']} disagreements")


def report(rows: int, results: dict[str, dict], expected: dict) -> None:
    for name, fig in list(results.items()):
        if "failed" in fig:
            print(f"{name}: the measurement failed; its process said:\n{fig['failed']}")
            del results[name]
    floor, ours, naive = results.get("floor"), results.get("gongshu"), results.get("naive")
    if ours and ours.get("status") != "completed":
        print(f"gongshu: cleanse_resource {ours.get('status')}: {ours.get('error') or ours.get('reason')}")
    if ours:
        print(f"one-off per process: import Great Expectations + context {ours['warmup']:.1f} s (not in the figures)")
    print(f"\ncleansing {rows:,} registry rows, ODS -> DWD on SQLite (each in its own process, own copy of the ODS)")
    print(
        f"  {'':<36} {'seconds':>8} {'rows/s':>10} {'peak MB':>8} {'x floor':>8} {'naive/this':>11} {'gate share':>11}"
    )
    labels = {
        "floor": "floor: numpy + executemany",
        "gongshu": "gongshu: cleanse_resource",
        "naive": "naive: stdnum + pandas + to_sql",
    }
    for name in ("floor", "gongshu", "naive"):
        fig = results.get(name)
        if not fig:
            continue
        ratio = f"{fig['seconds'] / floor['seconds']:.2f}" if floor else "-"
        speedup = f"{naive['seconds'] / fig['seconds']:.1f}" if naive else "-"
        share = f"{fig['gate_seconds'] / fig['seconds']:.0%}" if "gate_seconds" in fig else "-"
        print(
            f"  {labels[name]:<36} {fig['seconds']:8.2f} {fig['rows_in'] / fig['seconds']:10,.0f} "
            f"{fig['peak_mb']:8.0f} {ratio:>8} {speedup:>11} {share:>11}"
        )
    if any(len(fig["runs"]) > 1 for fig in results.values()):
        for name, fig in results.items():
            print(f"  {labels[name]:<36} fastest of: " + ", ".join(f"{t:.2f}" for t in fig["runs"]) + " s")
    if ours:
        print(
            "  gate share = time inside gongshu.quality.gate.evaluate_scoped (wrapped with a timer in the gongshu "
            "process)\n  / the whole cleanse_resource call; building the gate's pandas frames is not counted in it"
        )

    print("\ntargets (as measured in this run; nothing is tuned to meet them)")

    def verdict(text: str, figure: str, met: bool) -> None:
        print(f"  {text:<44} {figure:>8}  {'met' if met else 'MISSED'}")

    if ours and floor:
        r = ours["seconds"] / floor["seconds"]
        verdict(f"gongshu at most {TARGETS['floor']:g}x the floor's time", f"{r:.2f}x", r <= TARGETS["floor"])
    if ours and naive:
        r = naive["seconds"] / ours["seconds"]
        verdict(f"gongshu at least {TARGETS['naive']:g}x faster than naive", f"{r:.1f}x", r >= TARGETS["naive"])
    elif ours:
        print(f"  gongshu at least {TARGETS['naive']:g}x faster than naive: not measured (--skip-naive)")
    if ours:
        r = ours["gate_seconds"] / ours["seconds"]
        verdict(f"the gate at most {TARGETS['gate']:.0%} of the stage's time", f"{r:.1%}", r <= TARGETS["gate"])

    print("\nrow accounting (rows in = loaded + quarantined + merged) against the manifest's true counts")
    print(
        f"  {'manifest':<36} in {expected['rows_in']:>9,}  loaded {expected['loaded']:>9,}  "
        f"quarantined {expected['quarantined']:>7,}  merged {expected['merged']:>6,}"
    )
    for name in ("floor", "gongshu", "naive"):
        fig = results.get(name)
        if not fig or fig.get("loaded") is None:
            continue
        total = fig["loaded"] + (fig["quarantined"] or 0) + (fig["merged"] or 0)
        adds = "adds up" if total == fig["rows_in"] else f"DOES NOT add up ({total:,})"
        exact = (fig["loaded"], fig["quarantined"], fig["merged"]) == (
            expected["loaded"],
            expected["quarantined"],
            expected["merged"],
        )
        print(
            f"  {labels[name]:<36} in {fig['rows_in']:>9,}  loaded {fig['loaded']:>9,}  "
            f"quarantined {fig['quarantined']:>7,}  merged {fig['merged']:>6,}  {adds}; "
            f"{'= manifest' if exact else '!= manifest'}; DWD table holds {fig['dwd_rows']:,}"
        )
    if ours and ours.get("gate"):
        gate = ours["gate"]
        print(
            f"  gongshu gate: passed {gate.get('passed')}, {gate.get('evaluated')} checks, "
            f"failed {gate.get('failed_checks')}, warnings {gate.get('warnings', [])}"
        )
    if ours and ours.get("issues"):
        print(f"  gongshu issues: {ours['issues']}")

    if ours:
        print("\ngongshu's time per phase (each a wrapped function the stage calls; 'other' is the rest)")
        counted = 0.0
        for label, seconds in ours["phases"].items():
            counted += seconds
            print(f"  {label:<44} {seconds:7.2f} s  {seconds / ours['seconds']:6.1%}")
        other = ours["seconds"] - counted
        print(f"  {'other (loaded table, gate frames, ...)':<44} {other:7.2f} s  {other / ours['seconds']:6.1%}")
    for name in ("floor", "naive"):
        fig = results.get(name)
        if fig:
            print(f"\n{labels[name]}: time per phase")
            for label, seconds in fig["phases"].items():
                print(f"  {label:<44} {seconds:7.2f} s  {seconds / fig['seconds']:6.1%}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:])))
    else:
        main()
