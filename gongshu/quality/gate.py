"""The one quality-gate mechanism every stage uses: validate Great Expectations suites against
frames, and decide. A critical failure closes the gate; warnings are recorded and let it pass; a
gate that evaluated no expectation at all is closed too (GX reports an empty suite as a success).

The raw gate pairs suites with frames itself (:func:`evaluate`); the clean gate hands one suite and
its frames by scope (:func:`evaluate_scoped`: ``table`` for the loaded rows, ``rows`` for the
per-row status). GX's fingerprint of every frame is switched off (see :func:`_definition`), so a
whole batch of a million rows can be validated. The GX results are kept for Data Docs
(:mod:`gongshu.quality.docs`).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence
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
    results: list[dict[str, Any]] = field(default_factory=list)
    """GX's validation results as JSON-ready dicts, one per (suite, frame) validated, for Data Docs."""

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


def rule_meta(rule: str, field: str | None = None) -> dict[str, Any]:
    """The ``meta`` of an expectation generated for ``rule`` (on ``field``), by which a check names
    the rule it broke; the raw and publish gates write it, the clean gate's builder adds its scope."""
    return {"gongshu": {"generated": True, "rule": rule, "field": field}}


def _brief(check: Check) -> str:
    where = f" on {check.column}" if check.column else ""
    count = f" ({check.unexpected_count} rows)" if check.unexpected_count else ""
    return f"{check.rule}{where}{count}"


def _definition() -> Any:
    """One ephemeral GX context per process, with a pandas whole-dataframe batch definition.

    GX fingerprints every pandas frame below 1 GB with ``pd.util.hash_pandas_object``, only for a
    batch marker nobody reads: measured on 1M rows x 13 Arrow string columns, ~5.5 s in get_batch
    plus ~5.5 s again in validate, against 0.01 s without it (6 regex checks then take 0.5 s, 12
    not-null checks 0.06 s); the clean gate of 企业登记信息 (22 expectations, 1M rows x 15 columns)
    took 4.4 s with it and 2.0 s without. Its threshold is a module global read on every load;
    setting it to 0 turns the fingerprint off for the process. Should GX rename it, the gates would
    silently be slow again: hence the warning here and tests/quality/test_gate.py, which fails when
    a fingerprint is taken.
    """
    global _batch_definition
    if _batch_definition is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        from . import expectations  # noqa: F401 - importing it registers gongshu's expectation types with GX

        if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
            pandas_execution_engine.HASH_THRESHOLD = 0
        else:  # pragma: no cover - only with a GX that renamed it
            warnings.warn(
                "great_expectations' pandas HASH_THRESHOLD is gone: GX fingerprints every frame the gates "
                "validate again (seconds per million rows); find its new name in pandas_execution_engine.py",
                RuntimeWarning,
                stacklevel=2,
            )
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = ctx.data_sources.add_pandas("gongshu").add_dataframe_asset("frame")
        _batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    return _batch_definition


def _run(suite: ExpectationSuite, frame: pd.DataFrame) -> tuple[list[Check], dict[str, Any]]:
    """Every expectation of ``suite`` evaluated on ``frame``: one :class:`Check` each, and GX's result."""
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
    return checks, result.to_json_dict()


def validate(suite: ExpectationSuite, frame: pd.DataFrame) -> list[Check]:
    """Every expectation of ``suite`` evaluated on ``frame``, one :class:`Check` each."""
    return _run(suite, frame)[0]


def evaluate(gate: str, parts: Sequence[tuple[ExpectationSuite, pd.DataFrame]]) -> GateResult:
    """Validate each (suite, frame) pair and gather the checks into one gate result."""
    result = GateResult(gate=gate)
    for suite, frame in parts:
        checks, raw = _run(suite, frame)
        result.checks += checks
        result.results.append(raw)
    return result


def evaluate_scoped(gate: str, suite: ExpectationSuite, frames: Mapping[str, pd.DataFrame]) -> GateResult:
    """Validate each expectation of ``suite`` on the frame its ``meta.gongshu.scope`` names (``table``
    when it names none) and gather the checks into one gate result.

    The clean gate: ``frames`` is ``{"table": <rows to load>, "rows": <one _status per row received>}``.
    Raises ``ValueError`` naming the expectations whose scope has no frame: a check that cannot run
    must not be skipped quietly.
    """
    import great_expectations as gx

    from .generate import scope_of

    parts: dict[str, list[Any]] = {}
    for expectation in suite.expectations:
        parts.setdefault(scope_of(expectation.meta), []).append(expectation)
    homeless = [
        f"expectation {n} ({e.expectation_type}, scope {scope!r})"
        for n, e in enumerate(suite.expectations, start=1)
        if (scope := scope_of(e.meta)) not in frames
    ]
    if homeless:
        given = ", ".join(frames) or "none"
        raise ValueError(f"suite {suite.name}: no frame for " + "; ".join(homeless) + f" (frames given: {given})")
    result = GateResult(gate=gate)
    for scope, expectations in parts.items():
        part = gx.ExpectationSuite(name=suite.name, expectations=[e.configuration for e in expectations])
        checks, raw = _run(part, frames[scope])
        raw["meta"]["gongshu"] = {"scope": scope}
        result.checks += checks
        result.results.append(raw)
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
