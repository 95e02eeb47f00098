"""The API's ASGI middleware: :class:`CallLogMiddleware` (a ``gongshu.share.calllog.Call`` for every
request, its row written when the response is over) and :class:`ConcurrencyGate` (at most so many
requests inside the application at once).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

import anyio

from .. import clock
from ..share.calllog import PERSONAL_NUMBER, STATE_KEY, Call, CallLogWriter, redacted_target


class CallLogMiddleware:
    """ASGI middleware: a :class:`Call` in ``scope["state"]`` for every HTTP request, its row
    submitted to the writer when the response is over (or the endpoint crashed)."""

    def __init__(self, app: Any, writer: CallLogWriter):
        self.app = app
        self.writer = writer

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        raw = scope.get("raw_path")
        # the path as received (percent-encoded): never the query string, which may carry filter
        # values such as an ID number; a personal number in the path itself (percent-encoded or
        # not) is redacted
        path = raw.decode("latin-1") if raw else scope["path"]
        if PERSONAL_NUMBER.search(unquote(path)):
            path = redacted_target(path, None)
        client = scope.get("client")
        call = Call(method=scope["method"], path=path, called_at=clock.now(), client=client[0] if client else None)
        scope.setdefault("state", {})[STATE_KEY] = call
        responded = False

        async def send_and_note(message: dict) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                call.status, responded = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except BaseException as exc:
            if not responded:
                call.status = 500
                call.error = call.error or (
                    f"internal error: {type(exc).__name__}" if isinstance(exc, Exception) else "the call was cancelled"
                )
            raise
        finally:
            self.writer.submit(call.row((time.perf_counter() - started) * 1000))


class ConcurrencyGate:
    """Lets at most ``limit`` requests into the application at once; the others wait in the event
    loop, holding neither a worker thread nor a database connection.

    Without it, the sync endpoints deadlocked under load (measured: 55 concurrent requests, the
    pool's 15 connections plus anyio's 40 threads): a request holds its session's connection across
    thread hops, so once every thread was blocked waiting for a connection, the requests holding
    connections could not get a thread to finish and release them, until the pool's 30 s timeout
    answered 500. With fewer requests inside than connections in the pool, no one waits for a
    connection. It sits inside the call-log middleware, so a call's latency includes its wait."""

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit
        self._gate: anyio.Semaphore | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._gate is None:  # made inside the running event loop
            self._gate = anyio.Semaphore(self.limit)
        gate = self._gate
        await gate.acquire()
        released = False

        async def send_and_release(message: dict) -> None:
            # A response has started: its work is done (every endpoint returns a finished body, and
            # its session is closed), only bytes remain to send. A file download streams for as
            # long as the client takes to read it: it must not hold a place meanwhile.
            nonlocal released
            if message["type"] == "http.response.start" and not released:
                released = True
                gate.release()
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            if not released:
                gate.release()
