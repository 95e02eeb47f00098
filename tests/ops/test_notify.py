"""Gate-failure notifications against a real HTTP receiver on loopback: the payload, retries of
transient answers, no retry of a refusal, and a receiver that is down or slow never raising."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gongshu.ops.notify import GateFailure, gate_failures, is_gate_failure, notify_gate_failure, notify_gate_failures
from gongshu.quality.gate import Check, GateResult
from gongshu.runs import Outcome

T0 = dt.datetime(2026, 11, 25, 2, 30, tzinfo=dt.UTC)
FAST = (0.01, 0.01)


class Receiver:
    """Records each POST (path, headers, JSON body) and answers with the next scripted status
    (200 once the script is used up), after ``delay`` seconds."""

    def __init__(self, statuses: list[int] | None = None, delay: float = 0.0) -> None:
        self.statuses = list(statuses or [])
        self.delay = delay
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the client gave up waiting (the slow receiver)
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/gongshu?token=secret-token"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cleanse_failure() -> Outcome:
    gate = GateResult(
        "clean",
        [
            Check("INVALID_RATIO", "expect_column_values_to_be_in_set", "_status", "critical", False, 20),
            Check("USCC_CHECKSUM", "expect_uscc", "uscc", "warning", False, 3),
            Check("ROW_COUNT", "expect_table_row_count_to_be_between", None, "critical", True),
        ],
    )
    return Outcome(
        "cleanse",
        "scjgj",
        "enterprise_registry",
        "failed",
        T0,
        T0 + dt.timedelta(seconds=4),
        rows_in=1000,
        error="clean gate failed for batch b1: 20 of 1000 rows (2.0%) were quarantined",
        details={"gate": {**gate.summary(), "checks": [c.to_dict() for c in gate.checks]}},
    )


def test_a_failed_gate_becomes_one_event_and_other_outcomes_none():
    failed = cleanse_failure()
    empty = Outcome(
        "collect",
        "qxj",
        "weather",
        "failed",
        T0,
        T0,
        error="no expectation",
        details={"gate": GateResult("raw").summary()},
    )
    unreadable = Outcome("collect", "qxj", "weather", "failed", T0, T0, error="source unreachable", details={})
    passed = Outcome("cleanse", "rsj", "x", "failed", T0, T0, error="upsert failed", details={"gate": {"passed": True}})
    done = Outcome("open", "rsj", "x", "completed", T0, T0, details={"gate": {"passed": True, "failed_checks": []}})

    assert [is_gate_failure(o) for o in (failed, empty, unreadable, passed, done)] == [True, True, False, False, False]
    event = GateFailure.from_outcome(failed, run_id="run-1")
    assert (event.stage, event.gate, event.failed_checks) == (
        "cleanse",
        "clean",
        ("INVALID_RATIO on _status (20 rows)",),
    )
    assert GateFailure.from_outcome(empty).failed_checks == ("the gate evaluated no expectation",)
    assert GateFailure.from_outcome(empty).gate == "raw"
    assert [e.resource for e in gate_failures([failed, unreadable, empty, done])] == ["enterprise_registry", "weather"]
    with pytest.raises(ValueError, match="not a gate failure"):
        GateFailure.from_outcome(unreadable)


def test_the_receiver_gets_the_payload(receiver):
    event = GateFailure.from_outcome(cleanse_failure(), run_id="20261125T103000Z-3f9a1c", flow_run_id="fr-1")

    assert notify_gate_failure(event, webhook_url=receiver.url) is True

    [request] = receiver.requests
    assert request["path"] == "/hooks/gongshu?token=secret-token"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert request["headers"]["X-Gongshu-Event"] == "gate_failed"
    body = request["body"]
    text = body.pop("text")
    assert body == {
        "event": "gate_failed",
        "version": 1,
        "department": "scjgj",
        "resource": "enterprise_registry",
        "stage": "cleanse",
        "gate": "clean",
        "failed_checks": ["INVALID_RATIO on _status (20 rows)"],
        "error": "clean gate failed for batch b1: 20 of 1000 rows (2.0%) were quarantined",
        "run_id": "20261125T103000Z-3f9a1c",
        "flow_run_id": "fr-1",
        "at": "2026-11-25T02:30:04+00:00",
    }
    assert text.startswith("【公数】scjgj.enterprise_registry 数据治理清洗闸门未通过：INVALID_RATIO")
    assert "clean gate failed at cleanse for scjgj.enterprise_registry" in text
    assert "run 20261125T103000Z-3f9a1c" in text


def test_transient_answers_are_tried_again():
    event = GateFailure.from_outcome(cleanse_failure())
    with Receiver([500, 503]) as receiver:
        assert notify_gate_failure(event, webhook_url=receiver.url, retry_delays=FAST) is True
    assert len(receiver.requests) == 3
    assert receiver.requests[0]["body"] == receiver.requests[2]["body"]


def test_a_receiver_that_keeps_failing_or_refuses_gives_false_and_a_warning(caplog):
    event = GateFailure.from_outcome(cleanse_failure())
    with Receiver([500, 502, 500, 500]) as receiver, caplog.at_level(logging.WARNING, "gongshu.ops.notify"):
        assert notify_gate_failure(event, webhook_url=receiver.url, retry_delays=FAST) is False
    assert len(receiver.requests) == 3
    assert "after 3 attempt(s): HTTP 500" in caplog.text
    assert "secret-token" not in caplog.text and "/hooks" not in caplog.text  # the URL's token is not logged

    with Receiver([400]) as refusing:
        assert notify_gate_failure(event, webhook_url=refusing.url, retry_delays=FAST) is False
    assert len(refusing.requests) == 1  # a refusal is not tried again


def test_an_unreachable_slow_or_bad_webhook_returns_false_without_raising(caplog):
    event = GateFailure.from_outcome(cleanse_failure())
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, "gongshu.ops.notify"):
        assert notify_gate_failure(event, webhook_url=f"http://127.0.0.1:{closed_port()}/hook") is False
    assert time.monotonic() - started < 4  # default retry delays 0.5 s + 1.5 s
    assert "ConnectError" in caplog.text

    with Receiver(delay=1.0) as slow:
        started = time.monotonic()
        assert notify_gate_failure(event, webhook_url=slow.url, timeout=0.2, retry_delays=FAST) is False
        assert time.monotonic() - started < 2
        assert len(slow.requests) == 3

    assert notify_gate_failure(event, webhook_url="ftp://127.0.0.1/hook") is False
    assert notify_gate_failure(event, webhook_url="not a url") is False
    assert notify_gate_failure(event, webhook_url=None) is False
    assert notify_gate_failure(event, webhook_url="") is False


def test_a_stage_notifies_each_gate_failure_and_stops_when_the_receiver_is_down(receiver, caplog):
    other = cleanse_failure()
    other.resource = "annual_report"
    outcomes = [cleanse_failure(), Outcome("cleanse", "scjgj", "x", "completed", T0, T0), other]

    assert notify_gate_failures(outcomes, webhook_url=receiver.url, run_id="run-2") == 2
    assert [r["body"]["resource"] for r in receiver.requests] == ["enterprise_registry", "annual_report"]
    assert {r["body"]["run_id"] for r in receiver.requests} == {"run-2"}
    assert notify_gate_failures(outcomes, webhook_url=None) == 0

    down = f"http://127.0.0.1:{closed_port()}/hook"
    with caplog.at_level(logging.WARNING, "gongshu.ops.notify"):
        assert notify_gate_failures(outcomes, webhook_url=down, retry_delays=FAST) == 0
    assert "1 further gate-failure notification(s) not sent" in caplog.text
