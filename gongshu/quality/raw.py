"""The raw gate's suites, derived from the catalog at run time: the catalog's columns are present
(extra columns are a warning), the row count is within the catalog's bounds, the text decoded
(no U+FFFD replacement characters or their GBK rendering 锟斤拷), no value holds a NUL byte, and no
value is larger than ``GONGSHU_MAX_FIELD_BYTES``.

A NUL byte or an oversized value refuses the whole batch (critical, whatever ``max_invalid_ratio``
says) rather than quarantining the row: both mean the extract itself is broken (a binary or
fixed-width dump, a file with no line ends, a BLOB in a text column), PostgreSQL cannot store a NUL
at all, and a value of many megabytes is no record a department meant to publish. Refusing keeps the
ODS, the DWD and the high-water mark as they were, and the error names the source, row and field, so
the department fixes the source and the next collection takes the batch whole.

The header suite is validated on an empty frame with the source's columns; the rows suite on a
frame of small columns per record (``_source_row`` and one flag per check), so that GX never hashes
a whole batch of text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog.model import Resource
from ..rules.codes import RULES
from ..store.ods import SOURCE_ROW
from .gate import rule_meta

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.expectations.metadata_types import FailureSeverity

UNDECODABLE = "_undecodable"
NUL_BYTE = "_nul_byte"
TOO_LARGE = "_too_large"
LISTED = 10
"""Faulty values named in an error; the rest are counted."""
# U+FFFD, and what UTF-8 bytes of U+FFFD look like when decoded as GBK
MANGLED = ("\ufffd", "锟斤拷")


def _severity(rule: str, twin: bool = False) -> FailureSeverity:
    """The rule's gate severity (:data:`gongshu.rules.codes.RULES`); ``twin``: its warning twin."""
    from great_expectations.expectations.metadata_types import FailureSeverity

    return FailureSeverity.WARNING if twin else FailureSeverity(RULES[rule].gate)


def header_suite(department: str, resource: Resource) -> ExpectationSuite:
    import great_expectations as gx
    from great_expectations import expectations as gxe

    columns = [f.column for f in resource.fields]
    return gx.ExpectationSuite(
        name=f"{department}.{resource.id}.raw.header",
        expectations=[
            gxe.ExpectTableColumnsToMatchSet(
                column_set=columns,
                exact_match=False,
                severity=_severity("COLUMNS_MISSING"),
                meta=rule_meta("COLUMNS_MISSING"),
            ),
            gxe.ExpectTableColumnsToMatchSet(
                column_set=columns,
                exact_match=True,
                severity=_severity("COLUMNS_EXTRA"),
                meta=rule_meta("COLUMNS_EXTRA"),
            ),
        ],
    )


def rows_suite(department: str, resource: Resource, incremental: bool = False) -> ExpectationSuite:
    """``incremental``: a batch of rows past a high-water mark, to which ``min_rows`` does not apply."""
    import great_expectations as gx
    from great_expectations import expectations as gxe

    q = resource.quality
    return gx.ExpectationSuite(
        name=f"{department}.{resource.id}.raw.rows",
        expectations=[
            gxe.ExpectTableRowCountToBeBetween(
                min_value=0 if incremental else q.min_rows,
                max_value=q.max_rows,
                severity=_severity("ROW_COUNT"),
                meta=rule_meta("ROW_COUNT"),
            ),
            # a few mangled rows are quarantined by cleansing; more than the catalog tolerates stop the batch
            gxe.ExpectColumnValuesToBeInSet(
                column=UNDECODABLE,
                value_set=[False],
                mostly=1 - q.max_invalid_ratio,
                severity=_severity("TEXT_UNDECODABLE"),
                meta=rule_meta("TEXT_UNDECODABLE"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column=UNDECODABLE,
                value_set=[False],
                severity=_severity("TEXT_UNDECODABLE", twin=True),
                meta=rule_meta("TEXT_UNDECODABLE"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column=NUL_BYTE, value_set=[False], severity=_severity("TEXT_NUL_BYTE"), meta=rule_meta("TEXT_NUL_BYTE")
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column=TOO_LARGE,
                value_set=[False],
                severity=_severity("VALUE_TOO_LARGE"),
                meta=rule_meta("VALUE_TOO_LARGE"),
            ),
        ],
    )


def header_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="object") for c in columns})


def undecodable(chunk: pa.Table, columns: list[str]) -> pa.ChunkedArray:
    """Per row: does any of ``columns`` hold text that was not decoded right?"""
    flags = pa.chunked_array([pa.array(np.zeros(chunk.num_rows, dtype=bool))])
    pattern = "|".join(MANGLED)
    for name in columns:
        column = chunk.column(name)
        if not any(_holds(part, _MANGLED_BYTES) for part in column.chunks):
            continue  # the regex row by row only where the column's bytes hold a mangled sequence
        hit = pc.fill_null(pc.match_substring_regex(column, pattern), False)
        flags = pc.or_(flags, hit)
    return flags


_MANGLED_BYTES = tuple(m.encode("utf-8") for m in MANGLED)


def _holds(array: pa.Array, needles: tuple[bytes, ...]) -> bool:
    """Whether the bytes behind a string array hold any of ``needles`` (bytes outside a slice may
    say yes; the caller then looks row by row)."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return True
    data = array.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return any(needle in raw for needle in needles)


@dataclass(frozen=True)
class ValueFault:
    """A value the raw gate refuses: where it is, never what it holds (it may be personal data)."""

    row: int
    """The record's ``_source_row``."""
    field: str
    kind: str
    """``nul`` (holds a NUL byte) or ``size`` (larger than the limit)."""
    size: int
    """The value's length in bytes (UTF-8)."""


@dataclass
class ValueChecks:
    nul: pa.ChunkedArray
    """Per row: does any field hold a NUL byte?"""
    too_large: pa.ChunkedArray
    """Per row: is any field larger than the limit?"""
    faults: list[ValueFault]
    """The first few faulty values of the chunk (at most ``LISTED`` of each kind), in row order."""


def value_checks(chunk: pa.Table, fields: Sequence[str], max_bytes: int) -> ValueChecks:
    """Per row of ``chunk``: a NUL byte in any of ``fields``, a value of more than ``max_bytes``.

    Each column is first looked at whole (its bytes for a NUL, its longest value), which is cheap;
    only a column with a fault is checked row by row."""
    rows = chunk.num_rows
    clean = pa.chunked_array([pa.array(np.zeros(rows, dtype=bool))])
    nul, large = clean, clean
    faults: list[ValueFault] = []
    source_rows = chunk.column(SOURCE_ROW)
    for name in fields:
        column = chunk.column(name)
        sizes = pc.binary_length(column)
        hits = {}
        if any(_holds_nul(part) for part in column.chunks):
            hits["nul"] = pc.fill_null(pc.match_substring(column, "\x00"), False)
            nul = pc.or_(nul, hits["nul"])
        if (pc.max(sizes).as_py() or 0) > max_bytes:
            hits["size"] = pc.fill_null(pc.greater(sizes, max_bytes), False)
            large = pc.or_(large, hits["size"])
        for kind, hit in hits.items():
            if pc.any(hit).as_py():
                at = pc.indices_nonzero(hit).slice(0, LISTED)
                faults += [
                    ValueFault(row=r, field=name, kind=kind, size=n)
                    for r, n in zip(source_rows.take(at).to_pylist(), sizes.take(at).to_pylist(), strict=True)
                ]
    faults.sort(key=lambda f: (f.row, f.field))
    return ValueChecks(nul=nul, too_large=large, faults=faults)


def _holds_nul(array: pa.Array) -> bool:
    """Whether the bytes behind a string array hold a NUL (bytes outside a slice may say yes)."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return True
    data = array.buffers()[2]
    return data is not None and not np.frombuffer(data, dtype=np.uint8).all()


def rows_frame(source_rows: list[pa.ChunkedArray], flags: Mapping[str, list[pa.ChunkedArray]]) -> pd.DataFrame:
    """The rows suite's frame: ``_source_row`` and each per-row flag column (``UNDECODABLE``, ...)."""
    rows = pa.chunked_array([c for arr in source_rows for c in arr.chunks], pa.int64())
    frame = {SOURCE_ROW: rows.to_numpy()}
    for name, parts in flags.items():
        flag = pa.chunked_array([c for arr in parts for c in arr.chunks], pa.bool_())
        frame[name] = flag.to_numpy(zero_copy_only=False)
    return pd.DataFrame(frame)
