"""Standardising a resource's records: every field by its kind, then what only the table knows.

:func:`standardise_column` runs the standardiser of the field's kind (:mod:`gongshu.rules.kinds`),
which rejects mojibake in any kind (``TEXT_MOJIBAKE``), once per distinct value where values
repeat. :func:`standardise_table` adds ``REQUIRED_MISSING`` for a required or primary-key field
left empty (an empty cell, a null token; not a value rejected for another reason) and gathers
every finding in long form, with the per-row rejected and warned masks the quarantine needs.
Duplicate primary keys are the stage's to merge, after this.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog.model import CatalogField, Resource
from ..rules.column import NONE, NULL_TOKEN
from ..rules.kinds import standardise
from ..rules.result import FINDINGS_SCHEMA, REJECT, REPAIR, WARN, Cleaned, CleanedTable
from ..rules.text import string_array

_SAMPLE = 4096
_SEVERITIES = np.array([REJECT, WARN, REPAIR], dtype=object)  # by rank: the order of findings within a cell


def _repetitive(values: pa.Array) -> bool:
    """Whether an evenly spread sample of the column repeats its values enough that standardising
    each distinct value once is cheaper than every row (enumerations, authorities, business scopes)."""
    if len(values) < 4 * _SAMPLE:
        return False
    sample = values.take(pa.array(np.linspace(0, len(values) - 1, _SAMPLE).astype(np.int64)))
    return pc.count_distinct(sample).as_py() < _SAMPLE // 8


def standardise_column(field: CatalogField, values: pa.Array | pa.ChunkedArray) -> Cleaned:
    """One column of raw text standardised by the field's kind (see the kind's module); mojibake in
    any kind is rejected (``TEXT_MOJIBAKE``)."""
    values = string_array(values)
    encoded = pc.dictionary_encode(values) if _repetitive(values) else None
    if encoded is None or len(encoded.dictionary) == 0:
        return standardise(field, values)
    once = standardise(field, encoded.dictionary)
    index = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)
    null = ~pc.is_valid(encoded.indices).to_numpy(zero_copy_only=False)

    def spread(per_value: np.ndarray) -> np.ndarray:
        per_row = per_value[index]
        per_row[null] = None
        return per_row

    same = pc.fill_null(pc.equal(once.values, encoded.dictionary), False)
    return Cleaned(
        values=values if pc.all(same).as_py() else once.values.take(encoded.indices),
        rejected=spread(once.rejected),
        repaired=spread(once.repaired),
        warned=spread(once.warned),
    )


def standardise_table(resource: Resource, table: pa.Table) -> CleanedTable:
    """Standardise every catalog field of ``table`` (one text column per field name; other
    columns such as ``_source_row`` are ignored) and gather the findings."""
    missing = [f.name for f in resource.fields if f.name not in table.column_names]
    if missing:
        raise ValueError(f"resource '{resource.id}': the table has no column for field(s) {', '.join(missing)}")
    n = table.num_rows
    columns: dict[str, pa.Array] = {}
    rejected, warned = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    rows, fields, found, ranks = [], [], [], []
    for position, field in enumerate(resource.fields):
        cleaned = standardise_column(field, table.column(field.name))
        flagged = [np.not_equal(per_row, NONE) for per_row in (cleaned.rejected, cleaned.warned, cleaned.repaired)]
        if field.required or field.name in resource.primary_key:
            empty = np.flatnonzero(~pc.is_valid(cleaned.values).to_numpy(zero_copy_only=False) & ~flagged[0])
            cleaned.rejected[empty] = "REQUIRED_MISSING"
            flagged[0][empty] = True
            token = empty[cleaned.repaired[empty] == NULL_TOKEN]
            cleaned.repaired[token] = None
            flagged[2][token] = False
        columns[field.name] = cleaned.values
        rejected |= flagged[0]
        warned |= flagged[1]
        per_rank = (cleaned.rejected, cleaned.warned, cleaned.repaired)
        for level, (per_row, where) in enumerate(zip(per_rank, flagged, strict=True)):
            at = np.flatnonzero(where)
            rows.append(at)
            fields.append(np.full(len(at), position))
            found.append(per_row[at])
            ranks.append(np.full(len(at), level))

    row, field_index, rank = np.concatenate(rows), np.concatenate(fields), np.concatenate(ranks)
    order = np.lexsort((rank, field_index, row))
    findings = pa.table(
        {
            "row": pa.array(row[order], pa.int64()),
            "field": pa.array(np.array([f.name for f in resource.fields], dtype=object)[field_index[order]]),
            "code": pa.array(np.concatenate(found)[order], pa.string()),
            "severity": pa.array(_SEVERITIES[rank[order]], pa.string()),
        },
        schema=FINDINGS_SCHEMA,
    )
    return CleanedTable(
        table=pa.table(columns, schema=pa.schema([(name, pa.string()) for name in columns])),
        findings=findings,
        rejected=rejected,
        warned=warned & ~rejected,
    )
