"""Operations: retention (:mod:`.prune`) and gate-failure notifications (:mod:`.notify`).
Prefect's own flow runs are pruned by ``tasks/prune_prefect.py`` (the core never imports Prefect)."""

from .notify import GateFailure, gate_failures, is_gate_failure, notify_gate_failure, notify_gate_failures
from .prune import (
    HISTORY_MINIMUM,
    SCOPES,
    PrunePlan,
    PruneResult,
    RetentionError,
    apply_prune,
    is_pruned,
    parse_duration,
    plan_prune,
)

__all__ = [
    "HISTORY_MINIMUM",
    "SCOPES",
    "GateFailure",
    "PrunePlan",
    "PruneResult",
    "RetentionError",
    "apply_prune",
    "gate_failures",
    "is_gate_failure",
    "is_pruned",
    "notify_gate_failure",
    "notify_gate_failures",
    "parse_duration",
    "plan_prune",
]
