"""Build one resource's sample: clean rows, duplicates, planted faults, and its manifest entry.

Steps, all driven by one ``random.Random`` per resource:

1. the resource's ``make`` writes clean rows (canonical values) keyed by catalog field name;
2. ``PK_DUPLICATE``: some clean rows are repeated later in the source with the same key (and, when
   the spec says how, updated values), the later row being the one that counts;
3. rejecting faults go to distinct rows (at most one a row), never to a duplicate or its original;
4. warnings go to other clean rows, one a row;
5. repairable faults go to cells of rows that will be loaded, never to an original that a
   duplicate replaces, and never to a cell that already has a fault.

So the expected figures are exact: rows in = loaded + quarantined + merged.

A :class:`Variant` (the history mode, ``history.py``) keeps the clean rows of the base seed and
places duplicates and faults from a stream of its own, with the rejecting faults, warnings and
duplicates scaled, and optionally a share of the rejecting faults and warnings corrected (those
cells hold their clean value: a department's resubmission after the feedback workbook).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from stdnum.cn import ric, uscc

from .catalog import Resource
from .faults import PK_DUPLICATE, REJECTING, REPAIRABLE, WARNING, Fault, accepts, check_fits, mutate
from .world import World
from .writers import Table, render


class Writer(Protocol):
    kind: str
    medium: str

    def write(self, path: Any, table: Table) -> None: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass
class Context:
    rng: random.Random
    world: World
    resource: Resource


Row = dict[str, Any]


@dataclass(frozen=True)
class Spec:
    """How to make one resource's sample source."""

    department: str
    resource: str
    path: str
    """The source file, relative to the samples folder."""
    writer: Writer
    rows: int
    """Clean rows before duplicates are added."""
    make: Callable[[Context, int], list[Row]]
    faults: tuple[Fault, ...]
    update: Callable[[Context, Row], Row] | None = None
    """How a duplicate differs from its original (a later update); an exact copy when absent."""
    order: Callable[[Row], Any] | None = None
    """The sort key of the source order, when the source is sorted (e.g. by its watermark)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """More manifest keys for this resource."""

    @property
    def key(self) -> str:
        return f"{self.department}/{self.resource}"


def _check_clean(rows: list[Row], res: Resource) -> None:
    """Fail loudly if ``make`` wrote something that is not a clean value of its catalog field."""
    names = [f.name for f in res.fields]
    for i, row in enumerate(rows, start=1):
        if list(row) != names:
            raise ValueError(f"{res.key} row {i}: fields {list(row)} differ from the catalog {names}")
        for f in res.fields:
            value = row[f.name]
            if value is None or value == "":
                if f.required:
                    raise ValueError(f"{res.key} row {i}: required {f.name} is empty")
            elif f.kind == "enum" and value not in f.values:
                raise ValueError(f"{res.key} row {i}: {f.name}={value!r} is not in the catalog's values")
            elif f.kind == "uscc" and not uscc.is_valid(value):
                raise ValueError(f"{res.key} row {i}: {f.name}={value!r} fails GB 32100")
            elif f.kind == "id_card" and not ric.is_valid(value):
                raise ValueError(f"{res.key} row {i}: {f.name}={value!r} fails GB 11643")


@dataclass(frozen=True)
class Variant:
    """One period's take on a resource: its own placement of faults, more or fewer of them."""

    name: str
    """Seeds the placement (e.g. the period, ``2026-09``)."""
    scale: float = 1.0
    """Multiplies the counts of rejecting faults, warnings and duplicates (capped by what fits)."""
    corrected: float = 0.0
    """Share of each rejecting fault's and warning's rows whose cell is corrected (clean again)."""


SCALED = (*REJECTING, *WARNING, PK_DUPLICATE)


def _planned(fault: Fault, rows: int, variant: Variant | None) -> int:
    if variant is None or fault.code not in SCALED:
        return fault.planned(rows)
    base = fault.count if fault.count is not None else fault.rate * rows
    return max(0, round(base * variant.scale))


def _pick(rng: random.Random, candidates: list[int], count: int, what: str, cap: bool = False) -> list[int]:
    if cap:
        count = min(count, len(candidates))
    if len(candidates) < count:
        raise ValueError(f"{what}: {count} rows wanted, only {len(candidates)} can take it")
    return sorted(rng.sample(candidates, count))


def build(
    spec: Spec, res: Resource, world: World, seed: int, variant: Variant | None = None
) -> tuple[Table, dict[str, Any]]:
    rng = random.Random(f"{seed}/{spec.key}")
    ctx = Context(rng, world, res)
    clean = spec.make(ctx, spec.rows)
    if variant is not None:  # the same records, the faults placed anew
        rng = ctx.rng = random.Random(f"{seed}/{variant.name}/{spec.key}")
    cap = variant is not None
    keys = [tuple(row[k] for k in res.primary_key) for row in clean]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{spec.key}: the clean rows repeat a primary key")
    for fault in spec.faults:
        if fault.code != PK_DUPLICATE:
            check_fits(fault, res.field(fault.field))
    by_code = {f.code: f for f in spec.faults}

    # 2. duplicates, placed after their originals
    dup_fault = by_code.get(PK_DUPLICATE)
    originals = (
        _pick(rng, list(range(len(clean))), _planned(dup_fault, len(clean), variant), spec.key, cap)
        if dup_fault
        else []
    )
    placed: list[tuple[float, Row, int | None]] = [(float(i), row, None) for i, row in enumerate(clean)]
    for o in originals:
        copy = spec.update(ctx, dict(clean[o])) if spec.update else dict(clean[o])
        placed.append((rng.uniform(o + 0.5, len(clean)), copy, o))
    placed.sort(key=lambda p: p[0])
    if spec.order:
        placed.sort(key=lambda p: spec.order(p[1]))
    rows = [p[1] for p in placed]
    position = {id(p[1]): n for n, p in enumerate(placed, start=1)}
    dup_of = {position[id(p[1])]: position[id(clean[p[2]])] for p in placed if p[2] is not None}
    if any(dup <= orig for dup, orig in dup_of.items()):
        raise ValueError(f"{spec.key}: a duplicate sorts before its original")
    _check_clean(rows, res)

    # 3.-5. faults: record number -> {field: fault}
    n = len(rows)
    replaced = set(dup_of.values())
    planted: dict[int, dict[str, Fault]] = {}
    rows_of: dict[str, list[int]] = {}
    free = [r for r in range(1, n + 1) if r not in dup_of and r not in replaced]
    for klass in (REJECTING, WARNING, REPAIRABLE):
        for fault in (f for f in spec.faults if f.code in klass):
            f = res.field(fault.field)
            if klass is REPAIRABLE:  # any loaded row; the cell must be free
                pool = [r for r in range(1, n + 1) if r not in replaced and f.name not in planted.get(r, {})]
                pool = [r for r in pool if not any(x.code in REJECTING for x in planted.get(r, {}).values())]
            else:  # one rejecting fault or warning a row
                pool = [r for r in free if r not in planted]
            pool = [r for r in pool if accepts(fault.code, f, rows[r - 1][f.name])]
            chosen = _pick(rng, pool, _planned(fault, len(clean), variant), f"{spec.key} {fault.code}", cap)
            for r in chosen:
                planted.setdefault(r, {})[f.name] = fault
            rows_of[fault.code] = chosen

    corrected = _corrections(spec, seed, variant, rows_of)

    # render, then put the faults in (a corrected cell is mutated too, then set back: the same draws)
    medium = spec.writer.medium
    out: list[Row] = []
    occurrences: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        raw = {f.name: render(row[f.name], f.kind, medium) for f in res.fields}
        for name, fault in planted.get(number, {}).items():
            i = occurrences[fault.code] = occurrences.get(fault.code, -1) + 1
            raw[name] = mutate(fault, res.field(name), row[name], medium, rng, i)
            if (number, fault.code) in corrected:
                raw[name] = render(row[name], res.field(name).kind, medium)
        out.append(raw)

    left = {code: [r for r in chosen if (r, code) not in corrected] for code, chosen in rows_of.items()}
    return Table(res, out), _entry(spec, res, n, left, dup_of)


def _corrections(spec: Spec, seed: int, variant: Variant | None, rows_of: dict[str, list[int]]) -> set[tuple[int, str]]:
    """(record number, code) of the rejecting faults and warnings a resubmission corrects."""
    if variant is None or variant.corrected <= 0:
        return set()
    rng = random.Random(f"{seed}/{variant.name}/corrected/{spec.key}")
    out = set()
    for code, chosen in rows_of.items():
        if code in REJECTING or code in WARNING:
            out.update((r, code) for r in rng.sample(chosen, round(len(chosen) * min(variant.corrected, 1.0))))
    return out


def _entry(spec: Spec, res: Resource, n: int, rows_of: dict[str, list[int]], dup_of: dict[int, int]) -> dict[str, Any]:
    faults: dict[str, Any] = {}
    for fault in spec.faults:
        if fault.code == PK_DUPLICATE:
            dups = sorted(dup_of)
            faults[PK_DUPLICATE] = {
                "count": len(dups),
                "field": ",".join(res.primary_key),
                "rows": dups,
                "of": [dup_of[d] for d in dups],
            }
        else:
            chosen = rows_of[fault.code]
            faults[fault.code] = {"count": len(chosen), "field": fault.field, "rows": chosen}
    quarantined = sum(faults[c]["count"] for c in faults if c in REJECTING)
    merged = len(dup_of)
    return {
        "source": spec.path,
        "kind": spec.writer.kind,
        **spec.writer.describe(),
        **spec.extra,
        "rows": n,
        "primary_key": list(res.primary_key),
        "faults": faults,
        "expected": {
            "rows_in": n,
            "quarantined": quarantined,
            "merged": merged,
            "loaded": n - quarantined - merged,
            "warnings": sum(faults[c]["count"] for c in faults if c in WARNING),
        },
    }
