"""The publish gate: the last look at a release, after masking and before any file is written.

It goes through the one gate mechanism (:func:`gongshu.quality.gate.evaluate`), so its checks are
``quality_result`` rows like every other gate's, with stable rule codes (records of
:data:`gongshu.rules.codes.RULES`, which gives their severity):

  OPEN_L4      no released column is a field of level L4 (the field's own, else the resource's)
  PII_ID_CARD  no released column holds a valid, unmasked 18-character ID number
  PII_MOBILE   no released column holds an unmasked mobile number

The scan itself is :func:`gongshu.open.pii.scan_column` on every released column, free text
included: vectorised, and a column per core. Great Expectations then judges small frames of what was found (one row per
released column with its level; one row holding, per column, the rows with a number of each kind),
never the release itself: GX over a million rows of text costs seconds and would copy unmasked
numbers into ``quality_result`` as its sample of unexpected values. One expectation per column and
kind, so that a failure names the column; a release of no column still evaluates OPEN_L4, so the
gate never passes by checking nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..catalog.model import Resource
from ..quality import gate
from ..rules.codes import RULES
from .files import columns_in_threads
from .pii import Finding, PiiKind, scan_column

GATE = "publish"
KIND_RULES: dict[PiiKind, str] = {"id_card": "PII_ID_CARD", "mobile": "PII_MOBILE"}
KIND_TEXT: dict[PiiKind, str] = {"id_card": "ID number", "mobile": "mobile number"}
_LEVEL = "level"
_COLUMN = "column"


def level_of(resource: Resource, column: str) -> str:
    """A released column's level: its field's own, else the resource's (``uncatalogued`` for a
    column that is no field of the catalog, which masking never lets through)."""
    f = resource.field(column)
    return (f.level or resource.level) if f is not None else "uncatalogued"


@dataclass
class PublishCheck:
    """The gate's result, and the scan's findings it was judged on (masked samples only)."""

    result: gate.GateResult
    findings: list[Finding]
    l4_columns: list[str]

    @property
    def passed(self) -> bool:
        return self.result.passed

    def problems(self, resource: Resource) -> list[str]:
        """One sentence per failure, naming the column (with its catalog label) and what it holds."""
        out = []
        for column in self.l4_columns:
            out.append(f"column '{column}'{_label(resource, column)} is of level L4, which is never opened")
        for f in self.findings:
            rows = ", ".join(str(r) for r in f.rows)
            out.append(
                f"column '{f.column}'{_label(resource, f.column)} holds an unmasked {KIND_TEXT[f.kind]} "
                f"in {f.count} row(s) (rows {rows}; e.g. {f.sample})"
            )
        if self.result.evaluated == 0:
            out.append("the publish gate evaluated no expectation")
        return out


def _label(resource: Resource, column: str) -> str:
    f = resource.field(column)
    return f" ({f.label})" if f is not None and f.label else ""


def check_release(resource: Resource, frame: pd.DataFrame) -> PublishCheck:
    """Scan every column of the masked ``frame`` and judge it (see the module docstring)."""
    import great_expectations as gx
    from great_expectations import expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    columns = [str(c) for c in frame.columns]
    levels = [level_of(resource, c) for c in columns]
    scanned = columns_in_threads(lambda k: scan_column(columns[k], frame.iloc[:, k]), len(columns))
    findings = [f for found in scanned for f in found]
    fields_suite = gx.ExpectationSuite(
        name=f"{resource.id}.{GATE}.fields",
        expectations=[
            gxe.ExpectColumnValuesToNotBeInSet(
                column=_LEVEL,
                value_set=["L4"],
                severity=FailureSeverity(RULES["OPEN_L4"].gate),
                meta=gate.rule_meta("OPEN_L4"),
            )
        ],
    )
    fields_frame = pd.DataFrame(
        {_COLUMN: pd.Series(columns, dtype="object"), _LEVEL: pd.Series(levels, dtype="object")}
    )
    parts = [(fields_suite, fields_frame)]
    for kind, rule in KIND_RULES.items():
        if not columns:
            break
        counts = dict.fromkeys(columns, 0)
        for f in findings:
            if f.kind == kind:
                counts[f.column] += f.count
        suite = gx.ExpectationSuite(
            name=f"{resource.id}.{GATE}.{kind}",
            expectations=[
                gxe.ExpectColumnMaxToBeBetween(
                    column=c,
                    min_value=0,
                    max_value=0,
                    severity=FailureSeverity(RULES[rule].gate),
                    meta=gate.rule_meta(rule, c),
                )
                for c in columns
            ],
        )
        parts.append((suite, pd.DataFrame({c: [n] for c, n in counts.items()})))
    result = gate.evaluate(GATE, parts)
    l4 = [c for c, level in zip(columns, levels, strict=True) if level == "L4"]
    return PublishCheck(result=result, findings=findings, l4_columns=l4)
