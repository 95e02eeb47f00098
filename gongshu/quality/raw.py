"""The raw gate's suites, derived from the catalog at run time: the catalog's columns are present
(extra columns are a warning), the row count is within the catalog's bounds, and the text decoded
(no U+FFFD replacement characters or their GBK rendering 锟斤拷).

The header suite is validated on an empty frame with the source's columns; the rows suite on a
frame of two small columns per record (``_source_row``, ``_undecodable``), so that GX never hashes a
whole batch of text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog.model import Resource
from ..store.ods import SOURCE_ROW

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

UNDECODABLE = "_undecodable"
# U+FFFD, and what UTF-8 bytes of U+FFFD look like when decoded as GBK
MANGLED = ("\ufffd", "锟斤拷")


def _meta(rule: str, field: str | None = None) -> dict:
    return {"gongshu": {"generated": True, "rule": rule, "field": field}}


def header_suite(department: str, resource: Resource) -> ExpectationSuite:
    import great_expectations as gx
    from great_expectations import expectations as gxe

    columns = [f.column for f in resource.fields]
    return gx.ExpectationSuite(
        name=f"{department}.{resource.id}.raw.header",
        expectations=[
            gxe.ExpectTableColumnsToMatchSet(
                column_set=columns, exact_match=False, severity="critical", meta=_meta("COLUMNS_MISSING")
            ),
            gxe.ExpectTableColumnsToMatchSet(
                column_set=columns, exact_match=True, severity="warning", meta=_meta("COLUMNS_EXTRA")
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
                severity="critical",
                meta=_meta("ROW_COUNT"),
            ),
            # a few mangled rows are quarantined by cleansing; more than the catalog tolerates stop the batch
            gxe.ExpectColumnValuesToBeInSet(
                column=UNDECODABLE,
                value_set=[False],
                mostly=1 - q.max_invalid_ratio,
                severity="critical",
                meta=_meta("TEXT_UNDECODABLE"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column=UNDECODABLE, value_set=[False], severity="warning", meta=_meta("TEXT_UNDECODABLE")
            ),
        ],
    )


def header_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="object") for c in columns})


def undecodable(chunk: pa.Table, columns: list[str]) -> pa.ChunkedArray:
    """Per row: does any of ``columns`` hold text that was not decoded right?"""
    flags = pa.chunked_array([pa.array([False] * chunk.num_rows, pa.bool_())])
    pattern = "|".join(MANGLED)
    for name in columns:
        hit = pc.fill_null(pc.match_substring_regex(chunk.column(name), pattern), False)
        flags = pc.or_(flags, hit)
    return flags


def rows_frame(source_rows: list[pa.ChunkedArray], flags: list[pa.ChunkedArray]) -> pd.DataFrame:
    rows = pa.chunked_array([c for arr in source_rows for c in arr.chunks], pa.int64())
    bad = pa.chunked_array([c for arr in flags for c in arr.chunks], pa.bool_())
    return pd.DataFrame({SOURCE_ROW: rows.to_numpy(), UNDECODABLE: bad.to_numpy(zero_copy_only=False)})
