"""What standardising gives back: per column (:class:`Cleaned`) and per table (:class:`CleanedTable`).

Every finding carries a stable rule code (``gongshu.rules.codes.RULES``) and one of three
severities:

  ``reject``  the value is wrong and the row is quarantined (``USCC_CHECKSUM``, ``DATE_INVALID``, ...);
  ``warn``    the row is kept and flagged (``USCC_PILOT``, ``ID_CARD_LEGACY15``);
  ``repair``  the value was written another way and was standardised (``DATE_MIXED_FORMAT``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa

Severity = Literal["reject", "warn", "repair"]
REJECT: Severity = "reject"
WARN: Severity = "warn"
REPAIR: Severity = "repair"

FINDINGS_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),  # position of the row in the table that was standardised (0-based)
        ("field", pa.string()),  # catalog field name
        ("code", pa.string()),  # rule code
        ("severity", pa.string()),  # reject | warn | repair
    ]
)


@dataclass
class Cleaned:
    """One column standardised. The code arrays are numpy object arrays, one entry per row: a rule
    code or None. A row has at most one code in each of them."""

    values: pa.Array
    """Standardised text (``pa.string()``): None where the value was empty, a null token, or rejected."""
    rejected: np.ndarray
    repaired: np.ndarray
    warned: np.ndarray


@dataclass
class CleanedTable:
    """A table standardised field by field, with every finding in long form."""

    table: pa.Table
    """The standardised columns by field name, in catalog order, all ``pa.string()``."""
    findings: pa.Table
    """One row per finding, schema :data:`FINDINGS_SCHEMA`, sorted by row then catalog field order."""
    rejected: np.ndarray
    """Per row (bool): at least one ``reject`` finding, so the row is quarantined."""
    warned: np.ndarray
    """Per row (bool): at least one ``warn`` finding (and no rejection)."""
