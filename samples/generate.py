"""Write the sample sources of the demo departments (catalogs/*.yaml) and their manifest.

    python samples/generate.py [--out DIR] [--seed N]
    python samples/generate.py --large 1000000 --out samples/large [--chunk-rows 100000]

The first form writes every resource's source under ``DIR/<department>/`` (default: this folder)
and ``DIR/manifest.json``, which lists each planted fault by code with the source record numbers
that carry it, and the figures the cleansing stage must report. The same seed always writes the
same bytes. The second form writes an enterprise_registry-shaped CSV of N rows with the same fault
mix (counts only in its manifest), streaming in chunks, for benchmarks.

Importable too (``generate``, ``generate_large``); it does not rely on ``samples`` being a package.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # imported by file path (tests, benchmarks)
    sys.path.insert(0, str(HERE))

from samplegen.build import build  # noqa: E402
from samplegen.catalog import load_catalogs  # noqa: E402
from samplegen.depts import SPECS  # noqa: E402
from samplegen.large import DEFAULT_CHUNK_ROWS, write_large  # noqa: E402
from samplegen.world import World  # noqa: E402

DEFAULT_SEED = 20261125
CATALOGS = HERE.parent / "catalogs"
MANIFEST = "manifest.json"


def dump_manifest(manifest: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def generate(out: Path | str = HERE, seed: int = DEFAULT_SEED, catalogs: Path | str = CATALOGS) -> dict[str, Any]:
    """Write every sample source and the manifest under ``out``; return the manifest."""
    out = Path(out)
    resources = load_catalogs(Path(catalogs))
    world = World(seed)
    for spec in SPECS:  # databases are rebuilt from nothing; several resources may share one
        if spec.writer.kind == "sql":
            (out / spec.path).unlink(missing_ok=True)
    manifest: dict[str, Any] = {"seed": seed, "resources": {}}
    for spec in SPECS:
        table, entry = build(spec, resources[spec.key], world, seed)
        path = out / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        spec.writer.write(path, table)
        manifest["resources"][spec.key] = entry
    dump_manifest(manifest, out / MANIFEST)
    return manifest


def generate_large(
    out: Path | str,
    rows: int,
    seed: int = DEFAULT_SEED,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    catalogs: Path | str = CATALOGS,
) -> dict[str, Any]:
    """Write ``out/enterprise_registry.csv`` with ``rows`` rows and ``out/manifest.json``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    resource = load_catalogs(Path(catalogs))["scjgj/enterprise_registry"]
    manifest = write_large(out, resource, rows, seed, chunk_rows)
    dump_manifest(manifest, out / MANIFEST)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, help="output folder (default: the samples folder; samples/large with --large)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--large", type=int, metavar="N", help="write an enterprise_registry CSV of N rows")
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS)
    parser.add_argument("--catalogs", type=Path, default=CATALOGS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.large:
        out = args.out or HERE / "large"
        manifest = generate_large(out, args.large, args.seed, args.chunk_rows, args.catalogs)
        expected = manifest["resources"]["scjgj/enterprise_registry"]["expected"]
        print(f"{out / 'enterprise_registry.csv'}: {args.large:,} rows, {expected}")
    else:
        out = args.out or HERE
        manifest = generate(out, args.seed, args.catalogs)
        for key, entry in manifest["resources"].items():
            print(f"{key:40s} {entry['source']:45s} {entry['rows']:6d} rows  {entry['expected']}")
    print(f"written in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
