"""Requests to a department's JSON data service: the URL and token, GETs with retries, the body as JSON.

Timeouts, connection errors, 5xx and 429 are retried with exponential backoff (``Retry-After`` is
honoured when it is short); other 4xx are not. Each retry is written to the reading's notes.

An answer's body is read as it arrives and refused (``SOURCE_TOO_LARGE``) once it grows past
``GONGSHU_MAX_RESPONSE_BYTES``, so that an enormous or endless answer cannot exhaust memory.

The token, the URL's password and token-like query values never appear in a message or a note.
"""

from __future__ import annotations

import codecs
import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from gongshu.catalog.model import HttpSource

from ..settings import get_settings
from .base import SourceError, scrub

RETRIES = 3
"""Retries of one request after a timeout, a connection error, a 5xx or a 429 (so 4 attempts)."""
BACKOFF_SECONDS = 0.5
"""Wait before the first retry; doubled for each further retry (0.5 s, 1 s, 2 s)."""
RETRY_AFTER_MAX = 30.0
"""The longest ``Retry-After`` honoured; a server asking for more fails the read (transient)."""

_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key|sign", re.IGNORECASE)
_USER_AGENT = "gongshu-collect/1"


def safe_url(url: str | httpx.URL) -> str:
    """The URL without user and password, and with token-like query values hidden."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_KEY.search(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _SECRET_KEY.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def service_config(source: HttpSource, env: Mapping[str, str]) -> tuple[str, str | None]:
    if source.url:
        url = source.url.strip()
    elif source.url_env:
        url = env.get(source.url_env, "").strip()
        if not url:
            raise SourceError(
                "SOURCE_CONFIG", f"environment variable {source.url_env} is not set: it must hold the service URL"
            )
    else:
        raise SourceError("SOURCE_CONFIG", "the http source names neither url nor url_env")
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise SourceError(
            "SOURCE_CONFIG", f"the service URL must start with http:// or https://, not {scheme or 'nothing'}:"
        )
    token = None
    if source.token_env:
        token = env.get(source.token_env, "").strip()
        if not token:
            raise SourceError(
                "SOURCE_CONFIG",
                f"environment variable {source.token_env} is not set: it must hold the bearer token of the service",
                location=safe_url(url),
            )
    return url, token


class Fetcher:
    """GETs of one service URL with retries; every retry noted."""

    def __init__(self, source: HttpSource, url: str, token: str | None, *, retries: int, backoff: float) -> None:
        self.url = url
        self.safe = safe_url(url)
        self.token = token
        self.token_env = source.token_env
        parts = urlsplit(url)
        self.secrets = [v for v in (token, parts.password) if v]
        self.secrets += [v for k, v in parse_qsl(parts.query) if _SECRET_KEY.search(k) and v]
        self.params: dict[str, str | int] = dict(source.params or {})
        self.timeout = source.timeout
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.notes: list[str] = []
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(timeout=httpx.Timeout(source.timeout), headers=headers, follow_redirects=True)
        self.max_bytes = get_settings().max_response_bytes

    def close(self) -> None:
        self.client.close()

    def scrub(self, text: str) -> str:
        """``text`` without the token, the URL's password or token-like query values."""
        return scrub(text, self.secrets)

    def error(self, code: str, message: str, where: str, *, transient: bool = False) -> SourceError:
        return SourceError(code, self.scrub(message), transient=transient, location=where)

    def request_url(self, extra: Mapping[str, str | int]) -> httpx.URL:
        """The URL of one request: the source URL's own query, then ``params``, then the paging parameters.

        Built here because httpx replaces (rather than extends) a URL's query when given ``params=``."""
        return httpx.URL(self.url).copy_merge_params({**self.params, **extra})

    def where(self, extra: Mapping[str, str | int]) -> str:
        try:
            return safe_url(self.request_url(extra))
        except Exception:
            return self.safe

    def get(self, extra: Mapping[str, str | int], page: int) -> Any:
        """The JSON body of one page, after retries."""
        where = self.where(extra)
        what = f"page {page}" if extra else "the request"
        attempt = 0
        while True:
            retry_after: float | None = None
            status: int | None = None
            try:
                response = self._fetch(self.request_url(extra))
            except _TooLarge:
                raise self.error(
                    "SOURCE_TOO_LARGE",
                    f"{what} is larger than {self.max_bytes / (1 << 20):g} MiB (GONGSHU_MAX_RESPONSE_BYTES) and was "
                    "not read: ask the service for smaller pages (the source's paging size) or raise the limit",
                    where,
                ) from None
            except httpx.TimeoutException as exc:
                problem = f"a timeout ({type(exc).__name__}, limit {self.timeout:g} s)"
            except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
                raise self.error("SOURCE_CONFIG", f"cannot request the service: {exc}", where) from None
            except httpx.TransportError as exc:
                problem = f"a connection error ({type(exc).__name__}: {exc})"
            except httpx.HTTPError as exc:  # too many redirects, ...
                raise self.error("SOURCE_HTTP", f"{what} failed: {type(exc).__name__}: {exc}", where) from None
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return self._json(response, what, where)
                reason = f"HTTP {status} {response.reason_phrase}".strip()
                if status < 500 and status != 429:
                    raise self.error("SOURCE_HTTP", _http_message(what, reason, response, self.token_env), where)
                problem = reason
                retry_after = _retry_after(response.headers.get("Retry-After"))
                if retry_after is not None and retry_after > RETRY_AFTER_MAX:
                    raise self.error(
                        "SOURCE_HTTP",
                        f"{what} answered {reason} and asks to retry after {retry_after:g} s "
                        f"(more than {RETRY_AFTER_MAX:g} s): try the read again later",
                        where,
                        transient=True,
                    )
            if attempt >= self.retries:
                tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                if status is None:
                    raise self.error(
                        "SOURCE_UNREACHABLE", f"{what} failed after {tries}: {problem}", where, transient=True
                    )
                raise self.error("SOURCE_HTTP", f"{what} failed after {tries}: {problem}", where, transient=True)
            delay = self.backoff * 2**attempt if retry_after is None else retry_after
            attempt += 1
            self.notes.append(
                self.scrub(f"retry {attempt}/{self.retries} of {what} ({where}) after {problem}; waited {delay:g} s")
            )
            if delay > 0:
                time.sleep(delay)

    def _fetch(self, url: httpx.URL) -> httpx.Response:
        """GET ``url`` as ``client.get`` does, but hold at most ``max_bytes`` of its body (decoded): an
        enormous or endless answer is refused as it arrives, not read whole into memory first."""
        with self.client.stream("GET", url) as response:
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > self.max_bytes:
                    raise _TooLarge
            # the body is decoded already: the answer's own encoding and length headers no longer apply
            headers = [
                (k, v)
                for k, v in response.headers.multi_items()
                if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
            ]
            return httpx.Response(
                response.status_code,
                headers=headers,
                content=bytes(body),
                request=response.request,
                extensions=response.extensions,
            )

    def _json(self, response: httpx.Response, what: str, where: str) -> Any:
        encoding = response.charset_encoding or "utf-8"
        try:
            codecs.lookup(encoding)
        except LookupError:
            self.notes.append(f"{what}: unknown charset {encoding!r} in Content-Type, read as utf-8")
            encoding = "utf-8"
        try:
            text = response.content.decode(encoding)
        except UnicodeDecodeError as exc:
            raise self.error(
                "SOURCE_ENCODING", f"{what} is not valid {encoding}: {exc.reason} at byte {exc.start}", where
            ) from None
        try:
            return json.loads(text.removeprefix("\ufeff"))
        except json.JSONDecodeError as exc:
            kind = response.headers.get("Content-Type", "no content type")
            start = " ".join(text[:80].split())
            raise self.error(
                "SOURCE_MALFORMED",
                f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos}); "
                f"{kind}, beginning {start!r}",
                where,
            ) from None


class _TooLarge(Exception):
    """An answer's body grew past ``GONGSHU_MAX_RESPONSE_BYTES``."""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _http_message(what: str, reason: str, response: httpx.Response, token_env: str | None) -> str:
    message = f"{what} answered {reason}"
    detail = _service_message(response)
    if detail:
        message += f" ({detail})"
    if response.status_code in (401, 403):
        message += (
            f": check the token in ${token_env}" if token_env else ": the service wants credentials (set token_env)"
        )
    elif response.status_code == 404:
        message += ": check the URL"
    return message


def _service_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except Exception:
        return " ".join(response.text[:120].split())
    return service_says(body) if isinstance(body, dict) else ""


def service_says(body: dict[str, Any]) -> str:
    said = [f"{k}={body[k]!r}" for k in ("code", "msg", "message", "error") if body.get(k) not in (None, "")]
    return ", ".join(said)[:200]
