"""The server's own logs (uvicorn's): its access log keeps a request's path and the names of its query,
never the query's values nor a personal number in the path; its error log's messages and tracebacks
are redacted (``gongshu.share.calllog.redact``). :func:`redact_server_logs` attaches both filters.
"""

from __future__ import annotations

import logging
import traceback

from ..share.calllog import redact, redacted_target


class AccessLogFilter(logging.Filter):
    """Rewrites uvicorn's access-log records (``uvicorn.access``: client, method, path with the query
    string, HTTP version, status) so that the query's values and any personal number in the path
    never reach the log. Attached to the logger rather than a handler, it holds whatever handlers
    uvicorn's log configuration (or an operator's) puts there."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, _, query = args[2].partition("?")
            record.args = (*args[:2], redacted_target(path, query), *args[3:])
        else:  # not the shape uvicorn logs: keep the line, redacted as text
            record.msg, record.args = redact(record.getMessage()), None
        return True


class RedactingFilter(logging.Filter):
    """Redacts personal numbers from a record's message and traceback (``uvicorn.error`` logs the
    traceback of an exception that reached it, whose message may hold a database error's
    parameters, i.e. what a caller sent)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info))).rstrip("\n")
            record.exc_info = None
        record.msg, record.args = redact(record.getMessage()), None
        return True


def redact_server_logs() -> None:
    """Attach :class:`AccessLogFilter` to uvicorn's access logger and :class:`RedactingFilter` to its
    error logger (once each)."""
    for name, kind in (("uvicorn.access", AccessLogFilter), ("uvicorn.error", RedactingFilter)):
        log = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in log.filters):
            log.addFilter(kind())
