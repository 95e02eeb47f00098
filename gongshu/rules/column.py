"""What every standardiser does around its own rule: tidy the text first (:func:`prepare`), decide
per distinct value where that is cheaper than per row (:func:`per_distinct`), and give back one
:class:`~gongshu.rules.result.Cleaned` with the same precedence everywhere (:meth:`Prepared.cleaned`).

Precedence per cell: a rejection empties the value and drops any repair (the department must fix
the value itself); otherwise the standardiser's own repair (PHONE_FORMAT, AMOUNT_UNIT, ...) wins over
FULLWIDTH, which is reported only when folding full-width forms was all it took; NULL_TOKEN marks
a token read as empty. Trimming, case and trailing zeros are tidied without a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .result import Cleaned
from .text import normalise, null_tokens

NONE: Any = None
"""None for numpy's element-wise comparisons of code arrays (its type stubs take no None)."""

FULLWIDTH = "FULLWIDTH"
NULL_TOKEN = "NULL_TOKEN"


def codes(n: int) -> np.ndarray:
    """A per-row code array with no code yet."""
    return np.full(n, None, dtype=object)


def mask(values: pa.Array) -> np.ndarray:
    """A boolean pyarrow result as numpy, null read as False."""
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False)


@dataclass
class Prepared:
    """A column with its text tidied: trimmed, full-width forms folded, empty cells and null tokens
    as None."""

    values: pa.Array
    fullwidth: np.ndarray
    """Per row: a full-width form or U+3000 was replaced."""
    null_token: np.ndarray
    """Per row: the cell held a null token (now None)."""

    def cleaned(
        self,
        values: pa.Array,
        rejected: np.ndarray | None = None,
        repaired: np.ndarray | None = None,
        warned: np.ndarray | None = None,
    ) -> Cleaned:
        """The standardiser's result with the shared precedence applied (module docstring)."""
        n = len(values)
        rejected = codes(n) if rejected is None else rejected
        repaired = codes(n) if repaired is None else repaired.copy()
        warned = codes(n) if warned is None else warned
        wide = np.flatnonzero(self.fullwidth)
        repaired[wide[np.equal(repaired[wide], NONE)]] = FULLWIDTH
        repaired[self.null_token] = NULL_TOKEN
        bad = np.not_equal(rejected, NONE)
        if bad.any():
            repaired[bad] = None
            warned = warned.copy()
            warned[bad] = None
            values = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), values)
        return Cleaned(values=values, rejected=rejected, repaired=repaired, warned=warned)


def prepare(values: pa.Array | pa.ChunkedArray, *, code_like: bool, collapse: bool = False) -> Prepared:
    """Tidy a raw column (see :func:`gongshu.rules.text.normalise`) and read empty cells and null
    tokens as None."""
    text, fullwidth = normalise(values, code_like=code_like, collapse=collapse)
    token = null_tokens(text)
    empty = mask(pc.equal(text, "")) | token
    if empty.any():
        text = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), text)
        fullwidth = fullwidth & ~empty
    return Prepared(values=text, fullwidth=fullwidth, null_token=token)


def per_distinct(
    values: pa.Array,
    decide: Callable[[str], Sequence[str | None]],
    width: int,
    rows: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Apply ``decide`` once per distinct non-null value and spread its ``width`` answers (text or
    None) back to the rows as object arrays; None for null rows. A column of a million rows holds
    far fewer distinct dates, amounts or enumeration spellings. With ``rows`` (boolean), only those
    rows are decided (the others answer None): the values a vectorised fast path did not settle."""
    if rows is not None:
        settled = per_distinct(pc.filter(values, pa.array(rows)), decide, width)
        out = [codes(len(values)) for _ in range(width)]
        for column, part in zip(out, settled, strict=True):
            column[rows] = part
        return out
    encoded = pc.dictionary_encode(values)
    answers = [decide(text) for text in encoded.dictionary.to_pylist()]
    if not answers:
        return [codes(len(values)) for _ in range(width)]
    null = ~mask(pc.is_valid(encoded.indices))
    index = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)
    out = []
    for k in range(width):
        table = np.empty(len(answers), dtype=object)
        table[:] = [a[k] for a in answers]
        column = table[index]
        column[null] = None
        out.append(column)
    return out


def replace_rows(values: pa.Array, rows: np.ndarray, replacement: pa.Array | np.ndarray) -> pa.Array:
    """``values`` with the rows in the boolean ``rows`` replaced by ``replacement`` (text or None,
    one per selected row)."""
    if not rows.any():
        return values
    return pc.replace_with_mask(values, pa.array(rows), pa.array(replacement, pa.string()))
