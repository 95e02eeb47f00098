"""The one quality-gate mechanism every stage uses: validate Great Expectations suites against
frames, and decide. A critical failure closes the gate; warnings are recorded and let it pass; a
gate that evaluated no expectation at all is closed too (GX reports an empty suite as a success).

GX hashes every frame it validates, so callers hand it only the columns a suite checks (for the
raw gate: the header, and one small frame of per-row flags), never a whole batch of text.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from sqlalchemy.orm import Session

_lock = threading.Lock()
_batch_definition: Any = None


@dataclass(frozen=True)
class Check:
    rule: str
    """Stable code from the expectation's ``meta.gongshu.rule`` (else the expectation type)."""
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "expectation": self.expectation,
            "column": self.column,
            "severity": self.severity,
            "success": self.success,
            "unexpected_count": self.unexpected_count,
            "observed": self.observed,
        }


@dataclass
class GateResult:
    gate: str
    checks: list[Check] = field(default_factory=list)

    @property
    def evaluated(self) -> int:
        return len(self.checks)

    @property
    def failed(self) -> list[Check]:
        """Critical checks that failed: each one closes the gate."""
        return [c for c in self.checks if not c.success and c.severity == "critical"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if not c.success and c.severity != "critical"]

    @property
    def passed(self) -> bool:
        return self.evaluated > 0 and not self.failed

    def summary(self) -> dict[str, Any]:
        """The gate as the run report shows it."""
        out: dict[str, Any] = {
            "passed": self.passed,
            "evaluated": self.evaluated,
            "failed_checks": [_brief(c) for c in self.failed],
        }
        if self.warnings:
            out["warnings"] = [_brief(c) for c in self.warnings]
        if self.evaluated == 0:
            out["error"] = "the gate evaluated no expectation"
        return out


def _brief(check: Check) -> str:
    where = f" on {check.column}" if check.column else ""
    count = f" ({check.unexpected_count} rows)" if check.unexpected_count else ""
    return f"{check.rule}{where}{count}"


def _definition() -> Any:
    """One ephemeral GX context per process, with a pandas whole-dataframe batch definition."""
    global _batch_definition
    if _batch_definition is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = ctx.data_sources.add_pandas("gongshu").add_dataframe_asset("frame")
        _batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    return _batch_definition


def validate(suite: ExpectationSuite, frame: pd.DataFrame) -> list[Check]:
    """Every expectation of ``suite`` evaluated on ``frame``, one :class:`Check` each."""
    with _lock:  # GX's context is not made for concurrent use; tasks may run in threads
        batch = _definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format="SUMMARY")
    checks = []
    for item in result.results:
        cfg = item.expectation_config
        meta = (cfg.meta or {}).get("gongshu", {}) if cfg.meta else {}
        res = item.result or {}
        observed = {k: _plain(v) for k, v in res.items() if k in ("observed_value", "partial_unexpected_list")}
        checks.append(
            Check(
                rule=meta.get("rule") or cfg.type,
                expectation=cfg.type,
                column=cfg.kwargs.get("column"),
                severity=str(getattr(cfg.severity, "value", cfg.severity) or "critical"),
                success=bool(item.success),
                unexpected_count=res.get("unexpected_count"),
                observed=observed,
                description=cfg.description,
            )
        )
    return checks


def evaluate(gate: str, parts: Sequence[tuple[ExpectationSuite, pd.DataFrame]]) -> GateResult:
    """Validate each (suite, frame) pair and gather the checks into one gate result."""
    result = GateResult(gate=gate)
    for suite, frame in parts:
        result.checks += validate(suite, frame)
    return result


def record(
    session: Session,
    result: GateResult,
    *,
    run_id: str,
    department: str,
    resource: str,
    batch_id: str | None = None,
) -> None:
    """Write one ``quality_result`` row per check."""
    from ..store.models import QualityResult

    for check in result.checks:
        session.add(
            QualityResult(
                run_id=run_id,
                department_key=department,
                resource_key=resource,
                gate=result.gate,
                batch_id=batch_id,
                rule=check.rule,
                expectation=check.expectation,
                column=check.column,
                severity=check.severity,
                success=check.success,
                unexpected_count=check.unexpected_count,
                observed=check.observed,
            )
        )


def _plain(value: Any) -> Any:
    """JSON-safe values (GX returns numpy scalars and sets)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value][:20]
    if hasattr(value, "item"):
        return value.item()
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)
