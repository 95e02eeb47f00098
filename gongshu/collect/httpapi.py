"""HTTP sources: a department's JSON data service (数据接口), read page by page with httpx.

Each response body is JSON; ``records`` is the dotted path to the list of records in it (absent: the
body is the list). Paging is ``none`` (one request), ``page`` (``page_param`` from ``start``) or
``offset`` (``offset_param`` from 0), both with ``size_param``. Reading stops at a page with fewer
than ``size`` records, or when the ``total`` next to the records has been read. A server that
ignores the paging parameters (the same records twice) is an error, not an endless loop, and the
number of pages is capped.

An answer's body is read as it arrives and refused (``SOURCE_TOO_LARGE``) once it grows past
``GONGSHU_MAX_RESPONSE_BYTES``, so that an enormous or endless answer cannot exhaust memory.

Timeouts, connection errors, 5xx and 429 are retried with exponential backoff (``Retry-After`` is
honoured when it is short); other 4xx are not. Each retry is written to the reading's notes.

Records are JSON objects. The columns are the keys in order of first appearance; a key first seen
on a later page is added (and noted), and a missing key is ``None``. Values become text: strings as
they are, numbers as JSON writes them (floats by ``repr``), booleans ``true``/``false``, null
``None``, nested objects and arrays as compact JSON.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pyarrow as pa

from gongshu.catalog.model import HttpSource

from ..settings import get_settings
from .base import DEFAULT_CHUNK_ROWS, SOURCE_ROW, ClosingChunks, Reading, SourceError

RETRIES = 3
"""Retries of one request after a timeout, a connection error, a 5xx or a 429 (so 4 attempts)."""
BACKOFF_SECONDS = 0.5
"""Wait before the first retry; doubled for each further retry (0.5 s, 1 s, 2 s)."""
RETRY_AFTER_MAX = 30.0
"""The longest ``Retry-After`` honoured; a server asking for more fails the read (transient)."""
MAX_PAGES = 10_000
"""More pages than this is taken for a server that never stops paging."""

_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key|sign", re.IGNORECASE)
_USER_AGENT = "gongshu-collect/1"


def read_http(
    source: HttpSource,
    catalog_dir: Path,
    *,
    since: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    env: Mapping[str, str] | None = None,
    retries: int | None = None,
    backoff: float | None = None,
    max_pages: int | None = None,
) -> Reading:
    """Open an HTTP source: fetch the first page (for the columns) and read the rest as chunks are taken."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    env = os.environ if env is None else env
    url, token = _config(source, env)
    fetcher = _Fetcher(
        source,
        url,
        token,
        retries=RETRIES if retries is None else retries,
        backoff=BACKOFF_SECONDS if backoff is None else backoff,
    )
    notes = fetcher.notes
    if since is not None:
        notes.append(f"since={since!r} ignored: http sources are read in full")
    pages = _pages(source, fetcher, MAX_PAGES if max_pages is None else max_pages)
    try:
        first = next(pages, None)
    except BaseException:
        fetcher.close()
        raise
    columns: list[str] = []
    if first is not None:
        _add_columns(columns, first, 1, notes=None)
    reading = Reading(columns=columns, chunks=iter(()), notes=notes, description=_describe(source, fetcher))
    chunks = _chunks(first, pages, columns, notes, chunk_rows)
    reading.chunks = ClosingChunks(chunks, lambda exhausted: fetcher.close())
    return reading


def render_json_value(value: Any) -> str | None:
    """A JSON value of a record as text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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


# --------------------------------------------------------------------------------------------------
# configuration and requests


def _config(source: HttpSource, env: Mapping[str, str]) -> tuple[str, str | None]:
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


class _Fetcher:
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
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def error(self, code: str, message: str, where: str, *, transient: bool = False) -> SourceError:
        return SourceError(code, self.scrub(message), transient=transient, location=where)

    def request_url(self, extra: Mapping[str, str | int]) -> httpx.URL:
        """The URL of one request: the source URL's own query, then ``params``, then the paging parameters.

        Built here because httpx replaces (rather than extends) a URL's query when given ``params=``."""
        return httpx.URL(self.url).copy_merge_params({**self.params, **extra})

    def where(self, extra: Mapping[str, str | int]) -> str:
        try:
            return safe_url(self.request_url(extra))
        except Exception:  # noqa: BLE001
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
    except Exception:  # noqa: BLE001
        return " ".join(response.text[:120].split())
    return _service_says(body) if isinstance(body, dict) else ""


def _service_says(body: dict[str, Any]) -> str:
    said = [f"{k}={body[k]!r}" for k in ("code", "msg", "message", "error") if body.get(k) not in (None, "")]
    return ", ".join(said)[:200]


# --------------------------------------------------------------------------------------------------
# pages and records


@dataclass
class _Page:
    number: int
    where: str
    records: list[Any]
    first_row: int


def _pages(source: HttpSource, fetcher: _Fetcher, max_pages: int) -> Iterator[_Page]:
    paging = source.paging
    size = paging.size
    seen: dict[str, int] = {}
    read = 0
    number = 0
    while True:
        number += 1
        if paging.kind == "none":
            extra: dict[str, str | int] = {}
        elif paging.kind == "page":
            extra = {paging.page_param: paging.start + number - 1, paging.size_param: size}
        else:
            extra = {paging.offset_param: (number - 1) * size, paging.size_param: size}
        if number > max_pages:
            raise fetcher.error(
                "SOURCE_PAGING",
                f"stopped after {max_pages} pages ({read} records): the service never returned a short page",
                fetcher.where(extra),
            )
        body = fetcher.get(extra, number)
        where = fetcher.where(extra)
        records, total = _records(body, source.records, f"page {number}" if extra else "the response", fetcher, where)
        if paging.kind != "none" and records:
            digest = hashlib.sha1(
                json.dumps(records, sort_keys=True, ensure_ascii=False).encode("utf-8"), usedforsecurity=False
            ).hexdigest()
            if digest in seen:
                param = paging.page_param if paging.kind == "page" else paging.offset_param
                raise fetcher.error(
                    "SOURCE_PAGING",
                    f"page {number} holds the same records as page {seen[digest]}: the service seems to ignore "
                    f"the {param!r}/{paging.size_param!r} parameters (check paging in the catalog)",
                    where,
                )
            seen[digest] = number
        yield _Page(number, where, records, read + 1)
        read += len(records)
        if paging.kind == "none" or not records:
            if total is not None and read < total:
                fetcher.notes.append(f"the service reported total={total} but returned {read} records")
            return
        if total is not None and read >= total:
            return
        if len(records) < size:
            if total is not None:
                fetcher.notes.append(
                    f"page {number} returned {len(records)} records (< page size {size}) and reading stopped, "
                    f"but the service reported total={total} and {read} were read"
                )
            return


def _records(body: Any, path: str | None, what: str, fetcher: _Fetcher, where: str) -> tuple[list[Any], int | None]:
    if not path:
        if isinstance(body, list):
            return body, None
        keys = f" with keys {', '.join(map(str, body))}" if isinstance(body, dict) else ""
        raise fetcher.error(
            "SOURCE_MALFORMED",
            f"{what} is a JSON {_json_type(body)}{keys}, not a list of records: "
            f"set records: to the path of the list in the catalog",
            where,
        )
    parts = path.split(".")
    current: Any = body
    parent: Any = None
    for i, part in enumerate(parts):
        if not isinstance(current, dict) or part not in current:
            at = ".".join(parts[:i]) or "the body"
            found = (
                f"{at} has the keys {', '.join(map(str, current)) or '(none)'}"
                if isinstance(current, dict)
                else f"{at} is a JSON {_json_type(current)}"
            )
            said = _service_says(body) if isinstance(body, dict) else ""
            raise fetcher.error(
                "SOURCE_MALFORMED",
                f"{what} has no {path}: {found}" + (f" (the service says {said})" if said else ""),
                where,
            )
        parent, current = current, current[part]
    if current is None:
        current = []
    if not isinstance(current, list):
        raise fetcher.error(
            "SOURCE_MALFORMED", f"{path} in {what} is a JSON {_json_type(current)}, not a list of records", where
        )
    total = parent.get("total") if isinstance(parent, dict) else None
    if isinstance(total, str) and total.strip().isdigit():
        total = int(total)
    if not isinstance(total, int) or isinstance(total, bool):
        total = None
    return current, total


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(type(value), "number")


def _add_columns(columns: list[str], page: _Page, fetched_page: int, notes: list[str] | None) -> None:
    known = set(columns)
    new: list[str] = []
    for offset, record in enumerate(page.records):
        if not isinstance(record, dict):
            raise SourceError(
                "SOURCE_MALFORMED",
                f"record {page.first_row + offset} (page {fetched_page}) is a JSON {_json_type(record)}, not an object",
                location=page.where,
            )
        for key in record:
            if key not in known:
                if key == SOURCE_ROW:
                    raise SourceError(
                        "SOURCE_MALFORMED",
                        f"record {page.first_row + offset} has a field named {SOURCE_ROW}, which gongshu reserves",
                        location=page.where,
                    )
                known.add(key)
                columns.append(key)
                new.append(f"{key} (record {page.first_row + offset})")
    if notes is not None and new:
        notes.append(f"page {fetched_page} brought new column(s) not on the first page: {', '.join(new)}")


def _chunks(
    first: _Page | None, pages: Iterator[_Page], columns: list[str], notes: list[str], chunk_rows: int
) -> Iterator[pa.Table]:
    if first is None:
        return
    buffer: list[dict[str, Any]] = []
    next_row = 1
    page: _Page | None = first
    while page is not None:
        if page is not first:
            _add_columns(columns, page, page.number, notes)
        for record in page.records:
            buffer.append(record)
            if len(buffer) >= chunk_rows:
                yield _table(columns, buffer, next_row)
                next_row += len(buffer)
                buffer = []
        page = next(pages, None)
    if buffer:
        yield _table(columns, buffer, next_row)


def _table(columns: list[str], records: list[dict[str, Any]], first_row: int) -> pa.Table:
    arrays = {name: pa.array([render_json_value(r.get(name)) for r in records], type=pa.string()) for name in columns}
    arrays[SOURCE_ROW] = pa.array(range(first_row, first_row + len(records)), type=pa.int64())
    return pa.table(arrays)


def _describe(source: HttpSource, fetcher: _Fetcher) -> str:
    paging = source.paging
    if paging.kind == "page":
        how = f"{paging.kind} paging ({paging.page_param} from {paging.start}, {paging.size_param}={paging.size})"
    elif paging.kind == "offset":
        how = f"offset paging ({paging.offset_param}, {paging.size_param}={paging.size})"
    else:
        how = "one request"
    origin = f"${source.url_env} ({fetcher.safe})" if not source.url and source.url_env else fetcher.safe
    text = f"http GET {origin}, {how}, records at {source.records or 'the body'}"
    if source.token_env:
        text += f", bearer token from ${source.token_env}"
    return text
