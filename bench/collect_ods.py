"""Benchmark: collecting a large GBK CSV (enterprise-registry shape) into the ODS.

Each measurement runs in its own process so that its peak memory is its own:
  baseline (sqlite)   pyarrow reads the file (GBK, all columns text) + sqlite3.executemany into a
                      plain table in one transaction: the floor of what collection must do
  gongshu (sqlite)    collect_resource: the connector, the raw gate (GX), the ODS table with batch
                      id, collection time and source row, the batch record
  baseline (postgres) the same pyarrow read + a plain COPY of the same rows
  gongshu (postgres)  collect_resource with PostgreSQL as the platform database (COPY)
and prints rows/s, peak memory (RSS) and the ratio to the baseline of the same database. The one-off
import of Great Expectations and creation of its context (a few seconds, paid once per process by
a pipeline, not per resource) is measured apart and printed on its own line.

    .venv/bin/python bench/collect_ods.py [--rows 1000000] [--no-postgres] [--keep DIR]

The input is made by samples/generate.py --large and converted to GBK (about 10 s for 1M rows).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("GONGSHU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

BASELINE = r"""
import json, sys, time, sqlite3, io
import pyarrow as pa, pyarrow.csv as pacsv
path, target = sys.argv[1], sys.argv[2]
start = time.perf_counter()
head = open(path, encoding="gbk").readline().rstrip("\n").split(",")
table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="gbk"),
                       convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in head}))
if target.startswith("postgresql"):
    import psycopg, secrets
    schema = "bench_" + secrets.token_hex(3)
    with psycopg.connect(target.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        cols = ", ".join(f'"{c}" text' for c in head)
        conn.execute(f"CREATE TABLE {schema}.plain ({cols})")
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        with conn.cursor().copy(f"COPY {schema}.plain FROM STDIN (FORMAT csv)") as cp:
            cp.write(buf.getvalue())
        conn.commit()
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
else:
    db = sqlite3.connect(target)
    db.execute("CREATE TABLE plain (" + ", ".join(f'"{c}" TEXT' for c in head) + ")")
    rows = zip(*(col.to_pylist() for col in table.columns))
    with db:
        db.executemany("INSERT INTO plain VALUES (" + ",".join("?" * len(head)) + ")", rows)
    db.close()
import resource
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": table.num_rows, "seconds": time.perf_counter() - start, "peak_mb": peak}))
"""

GONGSHU = r"""
import json, os, secrets, sys, time
from pathlib import Path
import sqlalchemy as sa
folder, url = Path(sys.argv[1]), sys.argv[2]
schema = None
if url.startswith("postgresql"):  # a schema of its own, dropped afterwards
    schema = "bench_" + secrets.token_hex(3)
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = f"{url}?options=-csearch_path%3D{schema}"
from gongshu.catalog import load_catalog
from gongshu.collect.stage import collect_resource
from gongshu.store.db import dispose_engines, get_engine
engine = get_engine(url)
resource = load_catalog(folder / "scjgj.yaml").catalog.resource("enterprise_registry")
warm = time.perf_counter()
from gongshu.quality import gate
gate._definition()  # importing Great Expectations and making its context: once per process, reported apart
warm = time.perf_counter() - warm
start = time.perf_counter()
out = collect_resource(engine, "scjgj", resource, "bench", catalog_dir=folder)
seconds = time.perf_counter() - start
assert out.status == "completed", out.error or out.reason
dispose_engines()
if schema:
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
import resource
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": out.rows_out, "seconds": seconds, "peak_mb": peak, "warmup": warm}))
"""


def run(code: str, *args: str) -> dict:
    """Run ``code`` in a child process; it prints its figures and its own peak RSS (MB) as JSON."""
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_input(folder: Path, rows: int) -> Path:
    utf8 = folder / "utf8"
    subprocess.run(
        [sys.executable, "samples/generate.py", "--large", str(rows), "--out", str(utf8)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [source] = sorted(utf8.glob("*.csv"))
    target = folder / "enterprise_registry.csv"
    with source.open(encoding="utf-8") as src, target.open("w", encoding="gbk", newline="") as dst:
        for line in src:
            dst.write(line)
    source.unlink()
    text = (ROOT / "catalogs" / "scjgj.yaml").read_text(encoding="utf-8")
    old = "path: ../samples/scjgj/enterprise_registry.csv\n      encoding: utf-8"
    assert old in text, "the sample catalog's source lines changed: update bench/collect_ods.py"
    text = text.replace(old, "path: enterprise_registry.csv\n      encoding: gbk")
    (folder / "scjgj.yaml").write_text(text, encoding="utf-8")
    for other in ("admin_license.csv", "food_business_license.txt"):  # the catalog names them too
        (folder / other).write_bytes((ROOT / "samples" / "scjgj" / other).read_bytes())
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--keep", type=Path, help="reuse/keep the input in this folder")
    ap.add_argument(
        "--no-baseline",
        action="store_true",
        help="only gongshu (for the 10M-row memory check: the baseline reads the whole file into memory)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path = folder / "enterprise_registry.csv"
        if not csv_path.exists():
            started = time.perf_counter()
            make_input(folder, args.rows)
            print(
                f"input: {args.rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB GBK "
                f"(made in {time.perf_counter() - started:.0f} s)"
            )
        results = []
        targets = [("sqlite", f"sqlite:///{Path(tmp) / 'gongshu.db'}", str(Path(tmp) / "baseline.db"), "executemany")]
        if not args.no_postgres:
            targets.append(("postgres", PG_URL, PG_URL, "COPY"))
        for db, url, baseline_target, how in targets:
            ours = run(GONGSHU, str(folder), url)
            if args.no_baseline:
                results.append((db, "gongshu collect", ours, None))
                continue
            base = run(BASELINE, str(csv_path), baseline_target)
            results += [(db, f"baseline: pyarrow + {how}", base, base), (db, "gongshu collect", ours, base)]
    warm = max(fig.get("warmup", 0) for _, _, fig, _ in results)
    print(f"  one-off per process: import Great Expectations + context {warm:.1f} s (not in the figures below)")
    for db, label, fig, ref in results:
        print(
            f"  {db:<9} {label:<34} {fig['seconds']:7.2f} s  {fig['rows'] / fig['seconds']:9,.0f} rows/s  "
            f"peak {fig['peak_mb']:6.0f} MB" + (f"  ×{fig['seconds'] / ref['seconds']:.2f} baseline" if ref else "")
        )


if __name__ == "__main__":
    main()
