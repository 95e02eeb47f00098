"""What every source connector gives the collection stage, and how it fails.

A connector turns one resource's ``source`` into a :class:`Reading`: the column names it found and
an iterator of chunks. A chunk is a ``pyarrow.Table`` whose columns are the source columns, every
value as text exactly as received (``None`` for an empty cell or SQL NULL), plus ``_source_row``:
the 1-based position of the record in the source (header, title and 合计 rows not counted). Chunks
are bounded (``chunk_rows``) so that memory stays flat however large the source is.

A connector raises :class:`SourceError` with a sentence a person can act on (the file or URL, the
line or row, the column) and says whether trying again may help (``transient``).
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pyarrow as pa

from ..rules.errors import file_name
from ..store.ods import SOURCE_ROW

if TYPE_CHECKING:
    from ..catalog.model import Resource

T = TypeVar("T")
DEFAULT_CHUNK_ROWS = 50_000  # small enough to overlap reading with writing, large enough for fast bulk calls


class SourceError(Exception):
    """A source that cannot be read. ``code`` is stable (e.g. ``SOURCE_NOT_FOUND``)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        transient: bool = False,
        location: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.transient = transient
        self.location = location
        """The file or URL (never with credentials)."""
        self.line = line

    def __str__(self) -> str:
        where = self.location or ""
        if where and self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Reading:
    """An open source: its columns, its chunks, and what was noticed while reading."""

    columns: list[str]
    chunks: Iterator[pa.Table]
    notes: list[str] = field(default_factory=list)
    """Things worth recording, e.g. 'detected encoding gb18030', 'ignored 1 合计 row at row 312'."""
    digest: str | None = None
    """A digest of the whole source known before reading (a file's bytes), if the connector has one."""
    high_water: str | None = None
    """For incremental sources: the largest watermark value read, set once the chunks are consumed."""
    description: str = ""
    """What was read, for logs: 'csv samples/scjgj/enterprise_registry.csv (utf-8)'."""


class Connector(Protocol):
    def __call__(
        self,
        source: object,
        catalog_dir: Path,
        *,
        since: str | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        env: Mapping[str, str] | None = None,
    ) -> Reading: ...


def existing_file(path: Path, written: str) -> str:
    """The file a catalog names, or a SOURCE_NOT_FOUND error saying the path as written and as resolved."""
    location = str(path)
    if not path.exists():
        raise SourceError(
            "SOURCE_NOT_FOUND",
            f"file not found: {written} (resolved to {path}); check the path in the catalog, "
            "which is relative to the catalog file",
            location=location,
        )
    if not path.is_file():
        raise SourceError("SOURCE_NOT_FOUND", f"{written} (resolved to {path}) is not a file", location=location)
    return location


def source_rows(first_row: int, count: int) -> pa.Array:
    """The ``_source_row`` column of a chunk of ``count`` records starting at record ``first_row``."""
    return pa.array(range(first_row, first_row + count), type=pa.int64())


def text_table(columns: list[str], rows: list[list[str | None]], first_row: int) -> pa.Table:
    """A chunk from row lists: every column as text, plus the source row numbers."""
    arrays = {name: pa.array([r[i] for r in rows], type=pa.string()) for i, name in enumerate(columns)}
    arrays[SOURCE_ROW] = source_rows(first_row, len(rows))
    return pa.table(arrays)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every one of ``secrets`` (a password, a token) replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


_DONE = object()


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Produce ``items`` in a background thread, at most ``depth`` ahead of the consumer.

    Parsing a source (pyarrow, database drivers) and writing a batch (sqlite3, COPY) both release
    the GIL, so reading the next chunk while the last one is stored overlaps them; the bound keeps
    memory flat. An exception in the producer is raised in the consumer, at the item it replaced.
    If the consumer stops early, the producer stops at its next item.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put((_DONE, None))
        except BaseException as exc:  # handed to the consumer
            buffer.put((_DONE, exc))

    worker = threading.Thread(target=produce, name="gongshu-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = buffer.get()
            if exc is not None:
                raise exc
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        close = getattr(items, "close", None)
        worker.join(timeout=5)
        if close is not None and not worker.is_alive():
            close()


class ClosingChunks(Iterator[pa.Table]):
    """Chunks that release what produced them (a connection, an HTTP client) when exhausted, on error,
    on ``close()`` or when dropped; ``release`` is told whether the chunks were read to the end."""

    def __init__(self, chunks: Iterator[pa.Table], release: Callable[[bool], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[bool], None] | None = release

    def __iter__(self) -> ClosingChunks:
        return self

    def __next__(self) -> pa.Table:
        if self._release is None:
            raise StopIteration
        try:
            return next(self._chunks)
        except StopIteration:
            self._close(exhausted=True)
            raise
        except BaseException:
            self._close(exhausted=False)
            raise

    def close(self) -> None:
        self._close(exhausted=False)

    def _close(self, exhausted: bool) -> None:
        release, self._release = self._release, None
        if release is not None:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
            release(exhausted)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # nothing to report to at garbage collection
            pass


def header_names(
    cells: Sequence[str],
    *,
    label: Callable[[int], str],
    notes: list[str],
    location: str | None,
    line: int | None,
    where: str = "the header",
) -> list[str]:
    """Column names from header cells: trimmed (and BOM-free), an empty cell named ``column_<label>``
    (noted), and a name used twice refused, naming the columns by ``label`` (1, 2, … or A, B, …)."""
    names, unnamed = [], []
    for i, cell in enumerate(cells, start=1):
        name = (cell or "").strip().lstrip("\ufeff").strip()
        if not name:
            name = f"column_{label(i)}"
            unnamed.append(name)
        names.append(name)
    if unnamed:
        notes.append(f"header cells without a name: called {', '.join(unnamed)}")
    dupes = [n for n, k in Counter(names).items() if k > 1]
    if dupes:
        listed = "; ".join(
            f"{n} (columns {', '.join(label(i) for i, m in enumerate(names, start=1) if m == n)})" for n in dupes
        )
        raise SourceError(
            "SOURCE_HEADER",
            f"{where} names a column more than once: {listed}; give every column its own name",
            location=location,
            line=line,
        )
    return names


def failure(resource: Resource, kind: str, **params: list[str]) -> dict[str, Any]:
    """What a failed outcome records for the department's Chinese (``gongshu.rules.errors``): the
    error kind, the source file's name as the catalog declares it (never a resolved path), and
    ``params`` such as the labels of the fields concerned or the gate checks that failed."""
    path = getattr(resource.source, "path", None)
    return {"error_kind": kind, **({"file": file_name(path)} if path else {}), **params}
