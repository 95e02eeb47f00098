"""Benchmark: validating and registering many department catalogs.

Makes N synthetic departments × R resources × F fields (catalog format v1), then times
  baseline   PyYAML's C loader parsing the files (what any YAML tool pays),
  validate   gongshu's load + validation with line numbers (ruamel round-trip + pydantic + rules),
  register   registering every department into a fresh SQLite database (codes, fields, versions),
  recompile  registering again with nothing changed (the daily case),
and prints each figure with its ratio to the baseline measured in the same run.

    .venv/bin/python bench/catalog_compile.py [--departments 100] [--resources 20] [--fields 12]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gongshu.catalog import validate_files  # noqa: E402
from gongshu.catalog.registry import register  # noqa: E402
from gongshu.store.db import dispose_engines, get_engine, session_scope  # noqa: E402

KINDS = ["text", "uscc", "date", "amount", "enum", "phone", "person_name", "address", "integer", "id_card"]


def make_catalog(i: int, resources: int, fields: int) -> str:
    lines = [
        "department:",
        f"  id: dept{i:03d}",
        f"  name: 台州市第{i}局",
        "resources:",
    ]
    for r in range(resources):
        lines += [
            f"  - id: res{r:03d}",
            f"    name: 资源{r}",
            "    summary: 基准测试用资源",
            "    category: 法人",
            "    format: 数据库",
            "    update_cycle: 每日",
            "    share: {type: 有条件共享, condition: 用于执法, method: 接口}",
            "    open: {type: 有条件开放, condition: 依申请}",
            "    level: L2",
            "    primary_key: [f00]",
            "    fields:",
        ]
        for f in range(fields):
            kind = KINDS[f % len(KINDS)]
            extra = ", values: [存续, 注销]" if kind == "enum" else ", unit: 万元" if kind == "amount" else ""
            lines.append(
                f"      - {{name: f{f:02d}, label: 信息项{f}, kind: {kind}{extra}, required: {str(f == 0).lower()}}}"
            )
    return "\n".join(lines) + "\n"


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--departments", type=int, default=100)
    ap.add_argument("--resources", type=int, default=20)
    ap.add_argument("--fields", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "catalogs"
        folder.mkdir()
        for i in range(args.departments):
            (folder / f"dept{i:03d}.yaml").write_text(make_catalog(i, args.resources, args.fields), encoding="utf-8")
        files = sorted(folder.glob("*.yaml"))
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        baseline = timed(lambda: [yaml.load(f.read_text(encoding="utf-8"), Loader=loader) for f in files], args.repeat)
        loaded = validate_files(files)
        assert all(item.ok for item in loaded), [str(e) for item in loaded for e in item.errors][:5]
        validate = timed(lambda: validate_files(files), args.repeat)

        engine = get_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")

        def register_all() -> None:
            for item in loaded:
                with session_scope(engine) as session:
                    register(session, item)

        start = time.perf_counter()
        register_all()
        first = time.perf_counter() - start
        again = timed(register_all, args.repeat)
        dispose_engines()

    n_res = args.departments * args.resources
    print(
        f"catalogs: {args.departments} departments × {args.resources} resources × {args.fields} fields "
        f"({n_res} resources), median of {args.repeat}"
    )
    rows = [
        ("baseline: PyYAML C loader", baseline),
        ("validate (positions + rules)", validate),
        ("register, first time", first),
        ("register, unchanged", again),
    ]
    for label, seconds in rows:
        print(
            f"  {label:<30} {seconds:8.3f} s  {n_res / seconds:9.0f} resources/s  ×{seconds / baseline:6.1f} baseline"
        )


if __name__ == "__main__":
    main()
