"""Write the sample sources of the demo departments (catalogs/*.yaml) and their manifest.

    python samples/generate.py [--out DIR] [--seed N]
    python samples/generate.py --large 1000000 --out samples/large [--chunk-rows 100000]
    python samples/generate.py --history 2026-08..2026-10 --out DIR [--department scjgj ...]

The first form writes every resource's source under ``DIR/<department>/`` (default: this folder)
and ``DIR/manifest.json``, which lists each planted fault by code with the source record numbers
that carry it, and the figures the cleansing stage must report. The same seed always writes the
same bytes. The second form writes an enterprise_registry-shaped CSV of N rows with the same fault
mix (counts only in its manifest), streaming in chunks, for benchmarks. The third writes the demo's
history (see ``samplegen/history.py``): each period's sources under ``DIR/<period>/<department>/``
with the period's fault mix, the corrected resubmissions under ``DIR/<period>/resubmitted/``, a
manifest in each, and ``DIR/history.json``, the departments' courses.

Importable too (``generate``, ``generate_large``, ``generate_history``); it does not rely on ``samples``
being a package.
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

from samplegen.build import Spec, Variant, build  # noqa: E402
from samplegen.catalog import Resource, load_catalogs  # noqa: E402
from samplegen.depts import SPECS  # noqa: E402
from samplegen.history import RESUBMITTED, course, parse_periods  # noqa: E402
from samplegen.large import DEFAULT_CHUNK_ROWS, write_large  # noqa: E402
from samplegen.world import World  # noqa: E402

DEFAULT_SEED = 20261125
CATALOGS = HERE.parent / "catalogs"
MANIFEST = "manifest.json"


def dump_manifest(manifest: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _write(
    out: Path,
    specs: list[Spec],
    resources: dict[str, Resource],
    world: World,
    seed: int,
    variants: dict[str, Variant] | None = None,
) -> dict[str, Any]:
    """Write the sources of ``specs`` under ``out``; their manifest entries by resource key."""
    for spec in specs:  # databases are rebuilt from nothing; several resources may share one
        if spec.writer.kind == "sql":
            (out / spec.path).unlink(missing_ok=True)
    entries = {}
    for spec in specs:
        variant = variants[spec.key] if variants is not None else None
        table, entry = build(spec, resources[spec.key], world, seed, variant)
        path = out / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        spec.writer.write(path, table)
        entries[spec.key] = entry
    return entries


def generate(out: Path | str = HERE, seed: int = DEFAULT_SEED, catalogs: Path | str = CATALOGS) -> dict[str, Any]:
    """Write every sample source and the manifest under ``out``; return the manifest."""
    out = Path(out)
    resources = load_catalogs(Path(catalogs))
    manifest: dict[str, Any] = {"seed": seed, "resources": _write(out, list(SPECS), resources, World(seed), seed)}
    dump_manifest(manifest, out / MANIFEST)
    return manifest


def generate_history(
    out: Path | str,
    periods: list[str] | str,
    seed: int = DEFAULT_SEED,
    catalogs: Path | str = CATALOGS,
    departments: list[str] | None = None,
) -> dict[str, Any]:
    """Write each period's sources of the sample departments (all, or ``departments``) under
    ``out/<period>/``, the corrected resubmissions under ``out/<period>/resubmitted/``, a manifest in
    each and ``out/history.json``; return the history (``history.json``'s content)."""
    out = Path(out)
    periods = parse_periods(periods) if isinstance(periods, str) else list(periods)
    resources = load_catalogs(Path(catalogs))
    known = sorted({s.department for s in SPECS})
    chosen = sorted(set(departments or known))
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise ValueError(f"no sample department {', '.join(unknown)}; known: {', '.join(known)}")
    world = World(seed)
    history: dict[str, Any] = {
        "seed": seed,
        "periods": periods,
        "departments": {d: {"trend": course(d).trend} for d in chosen},
        "resubmitted": {},
    }
    for step, period in enumerate(periods):
        specs = [s for s in SPECS if s.department in chosen and s.resource not in course(s.department).missing_at(step)]
        missing = sorted(s.key for s in SPECS if s.department in chosen and s not in specs)
        variants = {s.key: Variant(period, course(s.department).scale_at(step)) for s in specs}
        manifest = {
            "seed": seed,
            "period": period,
            "step": step,
            "missing": missing,
            "resources": _write(out / period, specs, resources, world, seed, variants),
        }
        dump_manifest(manifest, out / period / MANIFEST)
        fixing = [s for s in specs if course(s.department).corrected_at(step) > 0]
        history["resubmitted"][period] = sorted({s.department for s in fixing})
        if fixing:
            variants = {
                s.key: Variant(period, course(s.department).scale_at(step), course(s.department).corrected_at(step))
                for s in fixing
            }
            folder = out / period / RESUBMITTED
            entries = _write(folder, fixing, resources, world, seed, variants)
            dump_manifest({"seed": seed, "period": period, "step": step, "resources": entries}, folder / MANIFEST)
    dump_manifest(history, out / "history.json")
    return history


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
    parser.add_argument(
        "--history", metavar="PERIODS", help="write the demo's history, e.g. 2026-08..2026-10 (needs --out)"
    )
    parser.add_argument("--department", action="append", help="with --history: only this department (repeatable)")
    parser.add_argument("--catalogs", type=Path, default=CATALOGS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.history:
        if args.out is None:
            parser.error("--history needs --out DIR (the committed samples are the current period)")
        try:
            history = generate_history(args.out, args.history, args.seed, args.catalogs, args.department)
        except ValueError as exc:
            parser.error(str(exc))
        for period in history["periods"]:
            manifest = json.loads((args.out / period / MANIFEST).read_text(encoding="utf-8"))
            for key, entry in manifest["resources"].items():
                print(f"{period} {key:40s} {entry['rows']:6d} rows  {entry['expected']}")
            for key in manifest["missing"]:
                print(f"{period} {key:40s} missing")
            print(f"{period} resubmitted: {', '.join(history['resubmitted'][period]) or '-'}")
    elif args.large:
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
