"""Gate-failure notifications: when a quality gate closes (raw at collection, clean at cleansing,
publish at opening), a JSON document is POSTed to a configured webhook (``GONGSHU_NOTIFY_WEBHOOK_URL``).

The payload (``"version": 1``; ``docs/operations.md``)::

    {"event": "gate_failed", "version": 1, "department": "scjgj", "resource": "enterprise_registry",
     "stage": "cleanse", "gate": "clean", "failed_checks": ["INVALID_RATIO (20 rows)"],
     "error": "clean gate failed for batch …", "run_id": "20261125T103000Z-3f9a1c", "flow_run_id": null,
     "at": "2026-11-25T10:31:02+00:00", "text": "【公数】scjgj.enterprise_registry 数据治理清洗闸门未通过：… / …"}

``text`` is one line in Chinese and English, ready to relay to a chat robot.

Notifying never fails a stage: every error is logged as a warning and :func:`notify_gate_failure`
returns False. Connection errors, timeouts, 408, 429 and 5xx answers are tried again after each of
``retry_delays``; other answers are not. The URL is never logged whole (webhook URLs carry tokens).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..runs import Outcome

log = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
STAGE_GATES = {"collect": "raw", "cleanse": "clean", "open": "publish"}
"""The gate each stage checks."""
_STAGE_ZH = {"collect": "数据归集", "cleanse": "数据治理", "open": "数据开放"}
_GATE_ZH = {"raw": "原始数据闸门", "clean": "清洗闸门", "publish": "发布闸门"}
RETRY_DELAYS = (0.5, 1.5)
_RETRY_STATUS = {408, 429}
_TEXT_CHECKS = 5
_MAX_ERROR = 2000


@dataclass(frozen=True)
class GateFailure:
    """A closed quality gate of one resource in one run."""

    department: str
    resource: str | None
    stage: str
    gate: str
    failed_checks: tuple[str, ...]
    error: str
    at: dt.datetime
    run_id: str | None = None
    flow_run_id: str | None = None

    @classmethod
    def from_outcome(
        cls, outcome: Outcome, *, run_id: str | None = None, flow_run_id: str | None = None
    ) -> GateFailure:
        """The failure a stage outcome reports in ``details["gate"]`` (a gate summary whose ``passed``
        is false). Raises ``ValueError`` for an outcome that is not a gate failure (see
        :func:`is_gate_failure`)."""
        if not is_gate_failure(outcome):
            raise ValueError(
                f"{outcome.stage} of {outcome.department}.{outcome.resource} is not a gate failure "
                f"(status {outcome.status}, gate {outcome.details.get('gate')!r})"
            )
        summary = outcome.details["gate"]
        checks = [str(c) for c in summary.get("failed_checks") or ()]
        if not checks and summary.get("error"):
            checks = [str(summary["error"])]  # a gate that evaluated nothing
        return cls(
            department=outcome.department,
            resource=outcome.resource,
            stage=outcome.stage,
            gate=STAGE_GATES.get(outcome.stage, outcome.stage),
            failed_checks=tuple(checks),
            error=(outcome.error or "")[:_MAX_ERROR],
            at=outcome.finished_at,
            run_id=run_id,
            flow_run_id=flow_run_id,
        )

    @property
    def where(self) -> str:
        return f"{self.department}.{self.resource}" if self.resource else self.department

    def text(self) -> str:
        """One line, Chinese then English."""
        shown = list(self.failed_checks[:_TEXT_CHECKS])
        more = len(self.failed_checks) - len(shown)
        zh_checks = "；".join(shown) + (f" 等 {len(self.failed_checks)} 项" if more else "")
        en_checks = "; ".join(shown) + (f" and {more} more" if more else "")
        stage_zh = _STAGE_ZH.get(self.stage, self.stage)
        gate_zh = _GATE_ZH.get(self.gate, f"{self.gate} 闸门")
        run = f" (run {self.run_id})" if self.run_id else ""
        return (
            f"【公数】{self.where} {stage_zh}{gate_zh}未通过：{zh_checks or '无明细'}。"
            f" / gongshu: {self.gate} gate failed at {self.stage} for {self.where}: {en_checks or 'no detail'}{run}"
        )

    def payload(self) -> dict[str, Any]:
        return {
            "event": "gate_failed",
            "version": PAYLOAD_VERSION,
            "department": self.department,
            "resource": self.resource,
            "stage": self.stage,
            "gate": self.gate,
            "failed_checks": list(self.failed_checks),
            "error": self.error,
            "run_id": self.run_id,
            "flow_run_id": self.flow_run_id,
            "at": self.at.isoformat(),
            "text": self.text(),
        }


def is_gate_failure(outcome: Outcome) -> bool:
    """A failed outcome whose details carry a gate summary that did not pass (collect, cleanse and
    open put it in ``details["gate"]``). Failures for other reasons (a source that cannot be read, a
    missing suite) are not gate failures."""
    summary = outcome.details.get("gate") if isinstance(outcome.details, dict) else None
    return outcome.status == "failed" and isinstance(summary, dict) and summary.get("passed") is False


def gate_failures(
    outcomes: Iterable[Outcome], *, run_id: str | None = None, flow_run_id: str | None = None
) -> list[GateFailure]:
    return [GateFailure.from_outcome(o, run_id=run_id, flow_run_id=flow_run_id) for o in outcomes if is_gate_failure(o)]


def notify_gate_failure(
    event: GateFailure,
    *,
    webhook_url: str | None,
    timeout: float = 5.0,
    retry_delays: Sequence[float] = RETRY_DELAYS,
) -> bool:
    """POST ``event`` to ``webhook_url``; True once a 2xx answer came. Never raises: without a URL it
    returns False quietly, on failure it logs a warning and returns False."""
    if not webhook_url:
        return False
    try:
        body = json.dumps(event.payload(), ensure_ascii=False, default=str).encode("utf-8")
        return _post(webhook_url, body, timeout, retry_delays, event.where)
    except Exception as exc:  # a notification must never fail a stage
        log.warning("gate-failure notification for %s not sent: %s: %s", event.where, type(exc).__name__, exc)
        return False


def notify_gate_failures(
    outcomes: Iterable[Outcome],
    *,
    webhook_url: str | None,
    run_id: str | None = None,
    flow_run_id: str | None = None,
    timeout: float = 5.0,
    retry_delays: Sequence[float] = RETRY_DELAYS,
) -> int:
    """Notify each gate failure among ``outcomes`` (one POST each); returns how many were delivered.
    After the first that could not be delivered the rest are not tried (the receiver is down: a
    stage should not wait on it once per resource), and a warning says how many were dropped."""
    if not webhook_url:
        return 0
    try:
        events = gate_failures(outcomes, run_id=run_id, flow_run_id=flow_run_id)
    except Exception as exc:
        log.warning("gate-failure notifications not sent: %s: %s", type(exc).__name__, exc)
        return 0
    delivered = 0
    for n, event in enumerate(events):
        if not notify_gate_failure(event, webhook_url=webhook_url, timeout=timeout, retry_delays=retry_delays):
            left = len(events) - n - 1
            if left:
                log.warning("%d further gate-failure notification(s) not sent: the webhook is failing", left)
            break
        delivered += 1
    return delivered


def _post(url: str, body: bytes, timeout: float, delays: Sequence[float], what: str) -> bool:
    host = _host(url)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "gongshu-notify/1",
        "X-Gongshu-Event": "gate_failed",
    }
    attempts = len(delays) + 1
    problem, tries = "", 0
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for attempt in range(attempts):
            if attempt:
                time.sleep(delays[attempt - 1])
            tries += 1
            try:
                response = client.post(url, content=body, headers=headers)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                log.warning("gate-failure notification for %s not sent: bad webhook URL (%s)", what, exc)
                return False
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if response.is_success:
                return True
            problem = f"HTTP {response.status_code}"
            if response.status_code < 500 and response.status_code not in _RETRY_STATUS:
                break
    log.warning(
        "gate-failure notification for %s not delivered to %s after %d attempt(s): %s", what, host, tries, problem
    )
    return False


def _host(url: str) -> str:
    """The URL without its path and query (which may carry a token)."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "(unparsable URL)"
