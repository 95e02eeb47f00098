"""Prefect's console lines without -v: one line per failed flow or task, no traceback."""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    """Prefect's console format without the traceback: without -v a failed flow or task is one line
    (the run report and the Prefect UI keep the details). The record is left as it was, for the
    handler that sends it to Prefect's server."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self._inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def one_line_console_logs() -> None:
    """Strip tracebacks from Prefect's console handlers in this process (set up when the flows are
    imported)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if isinstance(handler, PrefectConsoleHandler) and not isinstance(handler.formatter, OneLineFormatter):
                handler.setFormatter(OneLineFormatter(handler.formatter))
