"""gongshu's own Great Expectations: GB 32100 and GB 11643 check characters, a whole column at a time.

Built-in expectations can check a code's form (a regex) but not its check character, and GX's own
per-value Python would take tens of seconds per million rows. These are ``ColumnMapExpectation``s on
custom column map metrics whose pandas implementation hands the column to
:mod:`gongshu.rules.checkdigits` as one Arrow array (zero-copy for pandas' Arrow-backed strings):
~0.3 s per million codes, measured through GX.

GX knows an expectation type only once its class has been imported. A suite naming
``expect_column_values_to_be_valid_uscc`` loaded in a process that never imported this module comes
back with that expectation silently dropped (and an empty suite validates as success), so every
place gongshu builds suites imports this module: ``load_suite`` and ``build_suite``, the gate and
the Data Docs.

Nulls are left alone (GX filters them out of map metrics): "required" is the not-null check's business.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

from ..rules.checkdigits import id_card_valid, uscc_valid
from ..rules.identifiers import PILOT_CODES, birth_date_valid

_PILOT_CODES = pa.array(sorted(PILOT_CODES))
_LIBRARY_METADATA = {"maturity": "production", "tags": ["gongshu"], "contributors": ["gongshu"]}


def _arrow(column: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column as Arrow text, without a Python object per value (Arrow-backed columns are not copied)."""
    values = pa.array(column, from_pandas=True)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = pc.cast(values, pa.string())
    return values


def _id_card_accepted(values: pa.Array | pa.ChunkedArray, today: dt.date | None = None) -> np.ndarray:
    """Per value: an 18-character 公民身份号码 with the right check character and a real birth date
    (characters 7-14) from 1900-01-01 to today, as the cleansing stage requires."""
    ok = id_card_valid(values)
    if ok.any():
        shaped = pc.filter(values, pa.array(ok))  # all digits where the birth date is
        ymd = pc.cast(pc.utf8_slice_codeunits(shaped, 6, 14), pa.int64()).to_numpy(zero_copy_only=False)
        ok[ok] = birth_date_valid(ymd // 10000, ymd // 100 % 100, ymd % 100, today or dt.date.today())
    return ok


def _uscc_accepted(values: pa.Array | pa.ChunkedArray, allow_pilot_codes: bool) -> np.ndarray:
    """Per value: a USCC with the right check character, or (when allowed) a listed pilot code."""
    ok = uscc_valid(values)
    if allow_pilot_codes:
        ok |= pc.fill_null(pc.is_in(values, value_set=_PILOT_CODES), False).to_numpy(zero_copy_only=False)
    return ok


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.gongshu_valid_uscc"
    condition_value_keys = ("allow_pilot_codes",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, allow_pilot_codes: bool = True, **kwargs: Any) -> pd.Series:
        return pd.Series(_uscc_accepted(_arrow(column), allow_pilot_codes), index=column.index)


class ColumnValuesValidIdCard(ColumnMapMetricProvider):
    condition_metric_name = "column_values.gongshu_valid_id_card"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return pd.Series(_id_card_accepted(_arrow(column)), index=column.index)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """统一社会信用代码: 18 characters of the GB 32100 alphabet whose check character is right.

    ``allow_pilot_codes`` (default true) also accepts the legal pilot codes of
    :data:`gongshu.rules.identifiers.PILOT_CODES`, whose check character does not compute (the cleansing
    stage keeps their rows with a ``USCC_PILOT`` warning); set it false to flag them.
    """

    allow_pilot_codes: bool = True

    map_metric = "column_values.gongshu_valid_uscc"
    success_keys = ("allow_pilot_codes", "mostly")
    args_keys = ("column", "allow_pilot_codes")
    library_metadata: ClassVar[dict[str, Any]] = _LIBRARY_METADATA


class ExpectColumnValuesToBeValidIdCard(ColumnMapExpectation):
    """公民身份号码: 17 digits and a check character (GB 11643), with a real birth date from
    1900-01-01 to today."""

    map_metric = "column_values.gongshu_valid_id_card"
    success_keys = ("mostly",)
    args_keys = ("column",)
    library_metadata: ClassVar[dict[str, Any]] = _LIBRARY_METADATA
