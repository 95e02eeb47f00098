"""Fixtures of the collection tests: a MariaDB front database and a loopback HTTP server.

MariaDB tests skip when the server is absent (and fail with ``GONGSHU_REQUIRE_SERVICES=1``); each test
creates uniquely named tables through ``mariadb.table()``, dropped after the test.

``http_server`` is a real HTTP server on a free loopback port whose answers the test sets per path:
``route(path, answer)`` with ``answer(hit, n) -> (status, headers, body)`` (``n``: 0-based count of
requests to that path so far), or one of the ready-made behaviours (``paged``, ``flaky``, ``slow``,
...). Every request is recorded in ``hits[path]``.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import service_unavailable

MARIADB_URL = os.environ.get("GONGSHU_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


# --------------------------------------------------------------------------------------------------
# MariaDB


@dataclass
class MariaDb:
    url: str
    engine: Any
    created: list[str] = field(default_factory=list)

    def table(self, stem: str = "t") -> str:
        """A fresh table name (created by the test), dropped after the test."""
        name = f"gs_{stem}_{secrets.token_hex(4)}"
        self.created.append(name)
        return name

    def execute(self, *statements: str, **params: Any) -> None:
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement), params)

    def drop_all(self) -> None:
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            for name in self.created:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS `{name}`"))


@pytest.fixture(scope="session")
def mariadb_base_url() -> str:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    shown = make_url(MARIADB_URL).render_as_string(hide_password=True)
    try:
        engine = sa.create_engine(MARIADB_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:
        service_unavailable(f"MariaDB at {shown}", exc)
    return MARIADB_URL


@pytest.fixture
def mariadb(mariadb_base_url: str) -> Iterator[MariaDb]:
    import sqlalchemy as sa

    engine = sa.create_engine(mariadb_base_url)
    db = MariaDb(mariadb_base_url, engine)
    yield db
    db.drop_all()
    engine.dispose()


# --------------------------------------------------------------------------------------------------
# a loopback HTTP server

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Hit:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Responder = Callable[[Hit, int], Answer]


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, payload


def _dig(path: str | None, records: list[Any], total: int | None) -> Any:
    """``records`` placed at the dotted ``path`` (with ``total`` next to them), or the list itself."""
    if not path:
        return records
    *parents, last = path.split(".")
    inner: dict[str, Any] = {last: records}
    if total is not None:
        inner["total"] = total
    for part in reversed(parents):
        inner = {part: inner}
    return {"code": 0, "msg": "ok", **inner}


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Responder] = {}
        self.hits: dict[str, list[Hit]] = defaultdict(list)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                hit = Hit(url.path, dict(parse_qsl(url.query)), {k.lower(): v for k, v in self.headers.items()})
                with owner._lock:
                    n = len(owner.hits[url.path])
                    owner.hits[url.path].append(hit)
                responder = owner.routes.get(url.path)
                if responder is None:
                    status, headers, body = json_answer({"code": 404, "msg": "no route"}, 404)
                else:
                    status, headers, body = responder(hit, n)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout tests)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, responder: Responder) -> str:
        self.routes[path] = responder
        return self.url(path)

    # ready-made behaviours -------------------------------------------------------------------------

    def paged(
        self,
        path: str,
        records: list[Any],
        *,
        style: str = "page",
        records_path: str | None = "data.records",
        with_total: bool = True,
        page_param: str = "page",
        size_param: str = "page_size",
        offset_param: str = "offset",
        start: int = 1,
    ) -> str:
        """Records served page by page (``style`` page or offset), like a department's data service."""

        def answer(hit: Hit, n: int) -> Answer:
            size = int(hit.query.get(size_param, "10"))
            if style == "page":
                first = (int(hit.query.get(page_param, str(start))) - start) * size
            else:
                first = int(hit.query.get(offset_param, "0"))
            chunk = records[first : first + size]
            total = len(records) if with_total else None
            return json_answer(_dig(records_path, chunk, total))

        return self.route(path, answer)

    def ignoring_paging(self, path: str, records: list[Any], *, records_path: str | None = "data.records") -> str:
        """Every request gets the same records, whatever the paging parameters."""
        return self.route(path, lambda hit, n: json_answer(_dig(records_path, records, None)))

    def endless(self, path: str, *, page_size: int = 10) -> str:
        """A full page of new records on every request (no total): paging never ends by itself."""

        def answer(hit: Hit, n: int) -> Answer:
            return json_answer({"data": {"records": [{"id": n * page_size + i} for i in range(page_size)]}})

        return self.route(path, answer)

    def flaky(
        self, path: str, then: Responder, *, failures: int = 2, status: int = 503, retry_after: str | None = None
    ) -> str:
        """``failures`` answers of ``status`` (with ``Retry-After`` if given), then ``then``."""

        def answer(hit: Hit, n: int) -> Answer:
            if n < failures:
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                return json_answer({"code": status, "msg": "service busy"}, status, headers)
            return then(hit, n - failures)

        return self.route(path, answer)

    def slow(self, path: str, seconds: float, then: Responder) -> str:
        def answer(hit: Hit, n: int) -> Answer:
            time.sleep(seconds)
            return then(hit, n)

        return self.route(path, answer)

    def raw(self, path: str, body: bytes, *, status: int = 200, content_type: str = "application/json") -> str:
        return self.route(path, lambda hit, n: (status, {"Content-Type": content_type}, body))

    def bearer(self, path: str, token: str, then: Responder) -> str:
        """401 unless the request carries ``Authorization: Bearer <token>``."""

        def answer(hit: Hit, n: int) -> Answer:
            if hit.headers.get("authorization") != f"Bearer {token}":
                return json_answer({"code": 401, "msg": "invalid token"}, 401)
            return then(hit, n)

        return self.route(path, answer)


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(timeout=5)


@pytest.fixture
def records() -> list[dict[str, Any]]:
    """25 records of a data service: Chinese text, numbers, booleans, nulls, a nested object."""
    return [
        {
            "id": i,
            "name": f"站点{i:02d}",
            "temp": 20.5 + i / 10,
            "ok": i % 2 == 0,
            "note": None if i % 5 == 0 else f"备注{i}",
            "extra": {"级别": "蓝色", "n": [i, i + 1]},
        }
        for i in range(1, 26)
    ]
