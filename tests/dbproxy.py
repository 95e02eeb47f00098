"""A TCP proxy on loopback between a test and the real PostgreSQL, to play a database that freezes or
stops without touching the machine's server: ``forward`` passes bytes both ways, ``freeze()`` keeps
every connection open but passes nothing more (new connections are accepted and never answered, as a
frozen server or network path does), ``close()`` drops every connection and stops listening (a
stopped server)."""

from __future__ import annotations

import selectors
import socket
import threading


class TcpProxy:
    def __init__(self, target: tuple[str, int], *, frozen: bool = False) -> None:
        self.target = target
        self.frozen = threading.Event()
        if frozen:
            self.frozen.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="tcp-proxy", daemon=True)
        self._thread.start()

    def url(self, base_url: str) -> str:
        """``base_url`` (a PostgreSQL URL on 127.0.0.1:5432) pointed at the proxy."""
        return base_url.replace(f"{self.target[0]}:{self.target[1]}", f"127.0.0.1:{self.port}")

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.05):
                    sock = key.fileobj
                    if sock is self._listener:
                        self._accept(sel)
                    elif not self.frozen.is_set():
                        self._pass(sel, sock)
                if self.frozen.is_set():  # stop reading: the bytes stay where they are
                    for sock in list(self._pairs):
                        try:
                            sel.unregister(sock)
                        except KeyError:
                            pass
        finally:
            sel.close()
            for sock in [self._listener, *self._pairs, *self._held]:
                sock.close()

    def _accept(self, sel: selectors.BaseSelector) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        if self.frozen.is_set():
            self._held.append(client)  # accepted, never answered
            return
        upstream = socket.create_connection(self.target)
        for a, b in ((client, upstream), (upstream, client)):
            a.setblocking(True)
            self._pairs[a] = b
            sel.register(a, selectors.EVENT_READ)

    def _pass(self, sel: selectors.BaseSelector, sock: socket.socket) -> None:
        other = self._pairs.get(sock)
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if data and other is not None:
            try:
                other.sendall(data)
                return
            except OSError:
                pass
        for s in (sock, other):
            if s is not None and s in self._pairs:
                sel.unregister(s)
                self._pairs.pop(s, None)
                s.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
