"""The call log of the sharing API (``api_call_log``): one row per call, refused ones included, for
the audit trail and the scorecard.

A middleware (``gongshu.api.middleware``) opens a :class:`Call` when a request arrives;
authentication and the endpoint fill it in (who, which resource, which fields, how many rows, why
refused); the status and latency are taken when the response goes out. The row is then handed to a
single background writer that batches inserts, so that a call never waits on the log and the log
never holds the database's write lock once per call.

No record is ever dropped: the queue is unbounded, a database that is down or locked is retried
until it answers, and closing the writer (FastAPI's lifespan, when the server stops) drains what
is queued. Two cases go to the application log instead, as JSON, rather than block forever: a
record the database refuses as such (it cannot happen with the sanitising below, but a refusal
must not hold up the records behind it), and records still unstored when a closing writer's
database has not answered for ``close_timeout`` seconds. What uvicorn's own logs keep is redacted
by ``gongshu.api.accesslog``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import sqlalchemy as sa
from sqlalchemy import Engine

from ..store import models as m

logger = logging.getLogger(__name__)

STATE_KEY = "call"
_TABLE: sa.Table = m.ApiCallLog.__table__  # type: ignore[assignment]
_LENGTHS = {c.name: length for c in _TABLE.columns if (length := getattr(c.type, "length", None))}
_MAX_ERROR = 2000
_STOP = object()


# Personal numbers a caller may put in a path, a name or a free text. Deliberately broader than the
# publish gate's scanner (gongshu.open.pii, which looks for *valid* ID and mobile numbers): a log
# keeps nothing that looks like one, valid or not, so any run of 11 or more digits (mobile numbers,
# 15- and 18-digit ID numbers, bank cards) goes, and so do landline and spaced mobile numbers. No
# identifier of the API is that long (request ids stop at 2^31, 10 digits).
PERSONAL_NUMBER = re.compile(
    r"(?<![0-9])(?:[0-9]{11,}[Xx]?|0[0-9]{2,3}-[0-9]{7,8}|1[3-9][0-9][ -][0-9]{4}[ -][0-9]{4})(?![0-9])"
)
REDACTED = "***"
_QUERY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\[\]-]{0,40}")


def redact(text: str) -> str:
    """``text`` with every number that may be a person's ID or phone number replaced by ``***``."""
    return PERSONAL_NUMBER.sub(REDACTED, text)


def redacted_target(path: str, query: str | bytes | None) -> str:
    """A request's path and query string as a log may keep them: the path with personal numbers
    redacted (percent-encoded digits included), the query with every value replaced by ``***`` and
    only names that look like parameter names kept (``filter=***&limit=***``)."""
    shown = redact(quote(unquote(path), safe="/:@!$&'()*+,;=-._~"))
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    if query:
        names = [unquote(part.partition("=")[0]) for part in query.split("&") if part]
        shown += "?" + "&".join(f"{redact(n) if _QUERY_NAME.fullmatch(n) else REDACTED}={REDACTED}" for n in names[:20])
    return shown


def safe_text(value: str, limit: int | None = None) -> str:
    """``value`` storable and printable anywhere: no NUL (PostgreSQL refuses it), no lone surrogate
    (UTF-8 refuses it), at most ``limit`` characters."""
    text = value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text[:limit] if limit else text


@dataclass
class Call:
    """What one call did, filled in as it goes through the service."""

    method: str
    path: str
    called_at: dt.datetime
    key_id: str | None = None
    consumer: str | None = None
    provider: str | None = None
    resource: str | None = None
    fields: list[str] | None = None
    rows: int | None = None
    status: int = 500
    error: str | None = None
    client: str | None = None
    """The caller's address, for the rate limit of calls without a key; not stored."""

    def row(self, latency_ms: float) -> dict[str, Any]:
        """The record as stored: every text limited to its column and with personal numbers
        redacted (a path, a resource or field name, a refusal may carry what the caller sent)."""
        row = {
            "called_at": self.called_at,
            "key_id": self.key_id,
            "consumer_key": self.consumer,
            "method": self.method,
            "path": self.path,
            "provider_key": self.provider,
            "resource_key": self.resource,
            "fields": [redact(safe_text(f, 100)) for f in self.fields] if self.fields is not None else None,
            "rows": self.rows,
            "status": self.status,
            "latency_ms": round(latency_ms, 3),
            "error": self.error,
        }
        for name, value in row.items():
            if isinstance(value, str):
                row[name] = safe_text(redact(value), _LENGTHS.get(name, _MAX_ERROR))
        return row


class CallLogWriter:
    """One thread writing call records in batches, in the order they came."""

    def __init__(self, engine: Engine, *, batch_size: int = 500, max_retry_delay: float = 30.0):
        self._engine = engine
        self._batch_size = batch_size
        self._max_retry_delay = max_retry_delay
        self._queue: queue.Queue[Any] = queue.Queue()
        self._pending = 0
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None
        self._give_up_at: float | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="api-call-log", daemon=True)
            self._thread.start()

    def submit(self, row: dict[str, Any]) -> None:
        with self._done:
            self._pending += 1
        self._queue.put(row)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record submitted so far is stored; False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: self._pending == 0, timeout)

    def close(self, close_timeout: float = 60.0) -> None:
        """Store everything queued, then stop the thread."""
        if self._thread is not None:
            self._give_up_at = time.monotonic() + close_timeout
            self._queue.put(_STOP)
            self._thread.join()
            self._thread, self._give_up_at = None, None

    def _run(self) -> None:
        stopping = False
        while True:
            try:
                batch = [self._queue.get(block=not stopping)]
            except queue.Empty:
                return
            while len(batch) < self._batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [item for item in batch if item is not _STOP]
            stopping = stopping or len(rows) < len(batch)
            if rows:
                try:
                    self._store(rows)
                except Exception:  # a defect here must not end the thread: the calls behind would be lost
                    logger.exception("call records not stored: %s", "; ".join(_json(row) for row in rows))
                with self._done:
                    self._pending -= len(rows)
                    self._done.notify_all()

    def _store(self, rows: list[dict[str, Any]]) -> None:
        delay = 0.1
        while True:
            try:
                with self._engine.begin() as conn:
                    conn.execute(_TABLE.insert(), rows)
                return
            except sa.exc.OperationalError as exc:  # down, locked, connection lost: wait and retry
                if self._give_up_at is not None and time.monotonic() > self._give_up_at:
                    for row in rows:
                        logger.error("call record not stored (database unreachable at shutdown): %s", _json(row))
                    return
                logger.warning("the call log waits for the database (%d records queued): %s", len(rows), exc)
                time.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay)
            except sa.exc.StatementError:
                if len(rows) > 1:  # find the record refused; store the others
                    for row in rows:
                        self._store([row])
                    return
                logger.error("a call record was refused by the database: %s", _json(rows[0]), exc_info=True)
                return


def _json(row: dict[str, Any]) -> str:
    return json.dumps(row, default=str, ensure_ascii=False)
