"""HTTP sources: a department's JSON data service (数据接口), read page by page with httpx.

Each response body is JSON; ``records`` is the dotted path to the list of records in it (absent: the
body is the list). Paging is ``none`` (one request), ``page`` (``page_param`` from ``start``) or
``offset`` (``offset_param`` from 0), both with ``size_param``. Reading stops at a page with fewer
than ``size`` records, or when the ``total`` next to the records has been read. A server that
ignores the paging parameters (the same records twice) is an error, not an endless loop, and the
number of pages is capped.

The requests (retries, the size bound on an answer, secrets kept out of messages) are
``httpfetch.py``; the records in an answer and their values as text, ``httprecords.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from gongshu.catalog.model import HttpSource

from .base import DEFAULT_CHUNK_ROWS, ClosingChunks, Reading
from .httpfetch import BACKOFF_SECONDS, RETRIES, Fetcher, service_config
from .httprecords import Page, add_columns, page_records, records_table

MAX_PAGES = 10_000
"""More pages than this is taken for a server that never stops paging."""


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
    url, token = service_config(source, env)
    fetcher = Fetcher(
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
        add_columns(columns, first, 1, notes=None)
    reading = Reading(columns=columns, chunks=iter(()), notes=notes, description=_describe(source, fetcher))
    chunks = _chunks(first, pages, columns, notes, chunk_rows)
    reading.chunks = ClosingChunks(chunks, lambda exhausted: fetcher.close())
    return reading


def _pages(source: HttpSource, fetcher: Fetcher, max_pages: int) -> Iterator[Page]:
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
        records, total = page_records(
            body, source.records, f"page {number}" if extra else "the response", fetcher, where
        )
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
        yield Page(number, where, records, read + 1)
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


def _chunks(
    first: Page | None, pages: Iterator[Page], columns: list[str], notes: list[str], chunk_rows: int
) -> Iterator[pa.Table]:
    if first is None:
        return
    buffer: list[dict[str, Any]] = []
    next_row = 1
    page: Page | None = first
    while page is not None:
        if page is not first:
            add_columns(columns, page, page.number, notes)
        for record in page.records:
            buffer.append(record)
            if len(buffer) >= chunk_rows:
                yield records_table(columns, buffer, next_row)
                next_row += len(buffer)
                buffer = []
        page = next(pages, None)
    if buffer:
        yield records_table(columns, buffer, next_row)


def _describe(source: HttpSource, fetcher: Fetcher) -> str:
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
