"""A small JSON API serving the http-source samples, page by page, like a department's data service.

    python samples/api_server.py [--port 8765] [--host 127.0.0.1] [--root DIR]

``GET /<dept>/<resource>?page=1&page_size=100`` answers with the records of
``<root>/<dept>/<resource>.json`` (a JSON list), 1-based pages::

    {"code": 0, "msg": "ok", "data": {"total": N, "page": p, "page_size": s, "records": [...]}}

A page past the end has no records. Unknown paths answer 404, bad parameters 400, both with a
non-zero ``code``. ``GET /`` lists the endpoints. Standard library only; in tests use
``serve(host, 0, root)`` and run ``serve_forever`` in a thread.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
MAX_PAGE_SIZE = 1000
_PATH = re.compile(r"^/([a-z][a-z0-9_]*)/([a-z][a-z0-9_]*)/?$")


class SampleApiServer(ThreadingHTTPServer):
    daemon_threads = True
    verbose = False

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        super().__init__(address, SampleApiHandler)
        self.root = Path(root)

    def records(self, dept: str, resource: str) -> list[Any] | None:
        path = self.root / dept / f"{resource}.json"
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def endpoints(self) -> list[str]:
        return sorted(f"/{p.parent.name}/{p.stem}" for p in self.root.glob("*/*.json"))


class SampleApiHandler(BaseHTTPRequestHandler):
    server: SampleApiServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path in ("", "/"):
            self._send(HTTPStatus.OK, {"code": 0, "msg": "ok", "data": {"endpoints": self.server.endpoints()}})
            return
        match = _PATH.match(url.path)
        records = self.server.records(*match.groups()) if match else None
        if records is None:
            self._send(HTTPStatus.NOT_FOUND, {"code": 404, "msg": f"no such resource: {url.path}", "data": None})
            return
        query = parse_qs(url.query)
        try:
            page = int(query.get("page", ["1"])[0])
            size = int(query.get("page_size", ["100"])[0])
        except ValueError:
            page = size = 0
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            message = f"page must be >= 1 and page_size between 1 and {MAX_PAGE_SIZE}"
            self._send(HTTPStatus.BAD_REQUEST, {"code": 400, "msg": message, "data": None})
            return
        chunk = records[(page - 1) * size : page * size]
        data = {"total": len(records), "page": page, "page_size": size, "records": chunk}
        self._send(HTTPStatus.OK, {"code": 0, "msg": "ok", "data": data})

    def _send(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


def serve(host: str = "127.0.0.1", port: int = 8765, root: Path | str = HERE, verbose: bool = False) -> SampleApiServer:
    """A bound server (port 0 picks a free one: see ``server.server_address``); call ``serve_forever``."""
    server = SampleApiServer((host, port), Path(root))
    server.verbose = verbose
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--root", type=Path, default=HERE, help="folder of <dept>/<resource>.json files")
    args = parser.parse_args(argv)
    server = serve(args.host, args.port, args.root, verbose=True)
    host, port = server.server_address[:2]
    print(f"serving {', '.join(server.endpoints())} on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
