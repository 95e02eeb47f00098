"""Benchmark: releasing a large enterprise registry for opening (mask, publish gate, CSV and JSON)
against pandas writing the same rows, unmasked, with ``DataFrame.to_csv``.

Setup (timed apart, not compared): samples/generate.py --large writes the registry CSV; it is read
as text (one string column per catalog field, named by field) and stored as an Arrow IPC file.
Each measurement then runs in its own process, so that its peak memory (RSS) is its own, and
starts by loading that file (not timed; the same for both):

  baseline  ``frame.to_csv(path, index=False)`` of the unmasked frame (pandas' own writer; no BOM,
            no masking, no gate, no JSON): the least a "just dump it" release would cost.
  gongshu   :func:`gongshu.open.release.prepare` (mask every field by the catalog, drop L4 fields,
            scan every released column for ID and mobile numbers, judge it through the publish
            gate's GX suites), then the release folder as ``open_resource`` writes it: CSV with a
            BOM, its SHA-256 (the content hash), JSON, the data dictionary, release.json and
            SHA256SUMS. Above 200,000 rows no XLSX is made, as in a real release. The database
            side (the ``opn_`` table, the record) is not in it: it is a load like any other.

It prints seconds, rows/s and peak RSS of each, the ratio gongshu/baseline, the time per phase and
the gate's verdict. The one-off import of Great Expectations and its context (paid once per
process) is outside the timings and printed on its own line.

    .venv/bin/python bench/open_release.py [--rows 1000000] [--keep DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPARTMENT, RESOURCE = "scjgj", "enterprise_registry"


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _registry():
    from gongshu.catalog import load_catalog

    loaded = load_catalog(ROOT / "catalogs" / f"{DEPARTMENT}.yaml")
    assert loaded.catalog is not None, [str(i) for i in loaded.issues]
    return loaded.catalog.resource(RESOURCE)


def child_setup(csv_path: str, arrow_path: str) -> dict:
    """The generated CSV as text columns named by field, into an Arrow IPC file."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    resource = _registry()
    started = time.perf_counter()
    columns = {f.column: f.name for f in resource.fields}
    table = pacsv.read_csv(
        csv_path,
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()), include_columns=list(columns), strings_can_be_null=False
        ),
    )
    table = table.rename_columns([columns[c] for c in table.column_names])
    with pa.OSFile(arrow_path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return {"seconds": time.perf_counter() - started, "rows": table.num_rows, "columns": table.num_columns}


def _load(arrow_path: str):
    import pyarrow as pa

    with pa.memory_map(arrow_path) as source:
        return pa.ipc.open_file(source).read_all()


def child_baseline(arrow_path: str, out: str) -> dict:
    table = _load(arrow_path)
    frame = table.to_pandas()
    started = time.perf_counter()
    frame.to_csv(Path(out) / "baseline.csv", index=False)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(frame), "peak_mb": _peak_mb()}


def child_gongshu(arrow_path: str, out: str) -> dict:
    import pandas as pd

    from gongshu.open import files, layout
    from gongshu.open.publish_gate import check_release
    from gongshu.open.release import prepare, write_release

    resource = _registry()
    table = _load(arrow_path)
    warm = time.perf_counter()
    check_release(resource, pd.DataFrame({"x": ["warm-up"]}))  # import GX, build its context
    warmup = time.perf_counter() - warm

    folder = Path(out) / "release"
    folder.mkdir()
    phases: dict[str, float] = {}
    for name in ("write_json", "write_xlsx"):  # timed inside write_release
        setattr(files, name, _timed(getattr(files, name), phases, name.removeprefix("write_").upper()))
    started = time.perf_counter()
    prepared = prepare(resource, table)
    phases["mask + gate (prepare)"] = time.perf_counter() - started
    gate_seconds = _time_gate(resource, prepared)
    mark = time.perf_counter()
    csv_name = layout.data_file(DEPARTMENT, RESOURCE, "csv")
    files.write_csv(folder / csv_name, prepared.rows)
    content_hash = files.sha256_file(folder / csv_name)
    phases["CSV + content hash"] = time.perf_counter() - mark
    mark = time.perf_counter()
    meta = {"version": 1, "rows": prepared.rows.num_rows, "content_hash": content_hash}
    listing = write_release(folder, DEPARTMENT, resource, prepared, meta, csv_name=csv_name)
    phases["dictionary, release.json, SHA256SUMS"] = (
        time.perf_counter() - mark - phases.get("JSON", 0) - phases.get("XLSX", 0)
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": prepared.rows.num_rows,
        "peak_mb": _peak_mb(),
        "warmup": warmup,
        "phases": phases,
        "gate_seconds": gate_seconds,
        "gate": prepared.check.result.summary(),
        "findings": [f"{f.column}: {f.count} {f.kind}" for f in prepared.check.findings],
        "files": {name: entry["bytes"] for name, entry in listing.items()},
        "dropped": [d.field for d in prepared.masked.dropped],
    }


def _timed(fn, phases: dict[str, float], label: str):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[label] = phases.get(label, 0.0) + time.perf_counter() - started

    return wrapper


def _time_gate(resource, prepared) -> float:
    """The gate alone (scan + GX) once more on the masked frame: its share of ``prepare``."""
    from gongshu.open.publish_gate import check_release

    started = time.perf_counter()
    check_release(resource, prepared.masked.frame)
    return time.perf_counter() - started


ORDER = ("mask + gate (prepare)", "CSV + content hash", "JSON", "XLSX", "dictionary, release.json, SHA256SUMS")
CHILDREN = {"setup": child_setup, "baseline": child_baseline, "gongshu": child_gongshu}


def run(name: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", name, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark step {name} failed:\n{out.stderr[-5000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="make (or reuse) the input in this folder")
    ap.add_argument("--repeat", type=int, default=1, help="run each measurement N times and keep the fastest")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="open_release_") as tmp:
        folder = args.keep or Path(tmp) / "input"
        folder.mkdir(parents=True, exist_ok=True)
        csv_path, arrow_path = folder / "enterprise_registry.csv", folder / "registry.arrow"
        stamp = folder / "rows.txt"
        if not (arrow_path.exists() and stamp.exists() and stamp.read_text() == str(args.rows)):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "samples/generate.py", "--large", str(args.rows), "--out", str(folder)],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            made = time.perf_counter() - started
            setup = run("setup", str(csv_path), str(arrow_path))
            stamp.write_text(str(args.rows))
            print(
                f"setup: {setup['rows']:,} rows x {setup['columns']} text columns generated in {made:.0f} s, "
                f"read into Arrow in {setup['seconds']:.1f} s ({csv_path.stat().st_size / 1e6:.0f} MB CSV)"
            )
        else:
            print(f"setup: reusing {arrow_path}")

        results = {}
        for name in ("baseline", "gongshu"):
            runs = []
            for k in range(args.repeat):
                out = Path(tmp) / f"{name}-{k}"
                out.mkdir()
                runs.append(run(name, str(arrow_path), str(out)))
            results[name] = min(runs, key=lambda fig: fig["seconds"])
            results[name]["runs"] = [fig["seconds"] for fig in runs]
    report(args.rows, results)


def report(rows: int, results: dict[str, dict]) -> None:
    base, ours = results["baseline"], results["gongshu"]
    print(f"one-off per process: import Great Expectations + context {ours['warmup']:.1f} s (not in the figures)")
    print(f"\nreleasing {rows:,} registry rows (each measurement in its own process)")
    print(f"  {'':<44} {'seconds':>8} {'rows/s':>10} {'peak MB':>8} {'x baseline':>11}")
    labels = {
        "baseline": "baseline: DataFrame.to_csv, unmasked",
        "gongshu": "gongshu: mask + gate + CSV + JSON + sums" + (" + XLSX" if "XLSX" in ours["phases"] else ""),
    }
    for name, fig in (("baseline", base), ("gongshu", ours)):
        print(
            f"  {labels[name]:<44} {fig['seconds']:8.2f} {fig['rows'] / fig['seconds']:10,.0f} "
            f"{fig['peak_mb']:8.0f} {fig['seconds'] / base['seconds']:11.2f}"
        )
        if len(fig["runs"]) > 1:
            print(f"  {'':<44} fastest of: " + ", ".join(f"{t:.2f}" for t in fig["runs"]) + " s")
    print("\ngongshu's time per phase")
    for label, seconds in sorted(ours["phases"].items(), key=lambda kv: list(ORDER).index(kv[0])):
        print(f"  {label:<44} {seconds:7.2f} s  {seconds / ours['seconds']:6.1%}")
    print(
        f"  of which the publish gate (scan + GX), timed again alone {ours['gate_seconds']:7.2f} s  "
        f"{ours['gate_seconds'] / ours['seconds']:6.1%}"
    )
    gate = ours["gate"]
    print(
        f"\npublish gate: passed {gate['passed']}, {gate['evaluated']} checks, failed {gate['failed_checks']}; "
        f"findings {ours['findings'] or 'none'}"
    )
    print(f"dropped fields: {', '.join(ours['dropped']) or 'none'}")
    print("files: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in ours["files"].items()))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:])))
    else:
        main()
