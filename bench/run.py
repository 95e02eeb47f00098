"""Run every benchmark under bench/ one after another and print their figures (``make bench``).

Each benchmark measures itself against its own baseline in the same run (see its docstring); this
only runs them in turn, each in its own process, and prints how long each took. Sizes:

    .venv/bin/python bench/run.py            # the sizes each benchmark documents (1M rows: tens of minutes)
    .venv/bin/python bench/run.py --quick    # small sizes, a smoke run of every benchmark (3.5 min on 2 idle cores)
    .venv/bin/python bench/run.py collect_ods share_api   # only these

A benchmark that fails is reported and the others still run; the exit status says whether all passed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# name -> (arguments at full size, arguments of a quick run)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "catalog_compile": ([], ["--departments", "20"]),
    "collect_ods": ([], ["--rows", "100000"]),
    "cleanse_dwd": (["--skip-naive"], ["--rows", "100000", "--skip-naive"]),
    "open_release": ([], ["--rows", "100000"]),
    "share_api": ([], ["--seconds", "3", "--rows", "20000"]),
    "pipeline_overhead": (["--departments", "20"], ["--departments", "5", "--repeat", "1"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names_help = f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}"
    parser.add_argument("names", nargs="*", metavar="NAME", help=names_help)
    parser.add_argument("--quick", action="store_true", help="small sizes: check every benchmark runs")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; there are {', '.join(BENCHMARKS)}")
    failed: list[str] = []
    took: list[tuple[str, float, int]] = []
    for name in names:
        full, quick = BENCHMARKS[name]
        command = [sys.executable, str(BENCH / f"{name}.py"), *(quick if args.quick else full)]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command, cwd=BENCH.parent)
        took.append((name, time.perf_counter() - start, code))
        if code:
            failed.append(name)
    print("\n=== bench/run.py")
    for name, seconds, code in took:
        print(f"  {name:<20} {seconds:7.1f} s  {'ok' if code == 0 else f'FAILED (exit {code})'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
