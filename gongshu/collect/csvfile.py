"""CSV connector: a delimited text file read in bounded chunks with pyarrow's streaming reader.

At open time (``read_csv`` returns quickly) the file is hashed, its lines measured, its encoding
decided and checked on the first 4 MiB (see ``encoding.py``), its delimiter sniffed from the header
line when the catalog gives none, and its header parsed: duplicate names are an error, surrounding
whitespace and a BOM are stripped, an empty header cell is named ``column_<n>``.

A line longer than ``GONGSHU_MAX_LINE_BYTES`` is ``SOURCE_LINE_TOO_LONG``, raised as soon as the
hashing pass meets it, before any parsing: the file and line are named and memory stays bounded
(a 2 GiB file without line ends once took 11 GB before pyarrow failed without naming it). Lines
longer than pyarrow's usual block make the block larger for that file: pyarrow cannot read a record
longer than its block. A single value larger than ``GONGSHU_MAX_FIELD_BYTES`` is refused by the raw
gate (``gongshu.quality.raw``), which names its row and field.

Rows are read as ``chunks`` is iterated: every column as text, exactly as in the file (quotes
removed, inner ``""`` unescaped, whitespace kept); only an empty cell becomes ``None`` (``NULL``,
``NA``, ``无`` are values: the cleansing stage reports null tokens). Quoted values may hold line
breaks. Blank lines are skipped and not counted; ``_source_row`` numbers the data records from 1.

Problems found while reading are raised from the iterator after the whole file has been parsed, so
that one message lists them all: rows with the wrong number of fields (``SOURCE_RAGGED``, with
their physical line numbers in the file, found by a second pass with the stdlib ``csv`` module over
the file, as pyarrow does not know them when values may span lines), a file cut short
(``SOURCE_TRUNCATED``: the last row has too few fields and no line end, or a quoted value is still
open at the end of the file), bytes that do not decode (``SOURCE_ENCODING``, with the line and the
encoding to declare instead).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..catalog.model import CsvSource
from ..catalog.paths import resolve_source_path
from ..settings import get_settings
from .base import DEFAULT_CHUNK_ROWS, SOURCE_ROW, Reading, SourceError, existing_file, header_names
from .encoding import Encoding, decide, encoding_error, first_bad_bytes

HEAD_BYTES = 4 << 20
"""The start of the file that the encoding is decided and checked on (all of a smaller file)."""
HEADER_TEXT = 1 << 20
BLOCK = 8 << 20
ARROW_BLOCK = 4 << 20
"""pyarrow's read block: 1–4 MiB measured fastest (larger blocks fall out of the CPU caches)."""
MAX_LISTED = 20
DELIMITERS = (",", "\t", "|", ";")
_DELIM_NAMES = {",": "','", "\t": "tab", "|": "'|'", ";": "';'"}
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_SENTINEL = "\x00gongshu-end-of-file\x00"


def read_csv(
    source: CsvSource,
    catalog_dir: Path,
    *,
    since: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    env: Mapping[str, str] | None = None,
) -> Reading:
    """Open a CSV source: header, encoding and delimiter now; rows as ``chunks`` is iterated."""
    del since, env  # a file has no watermark and no secrets
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    path = resolve_source_path(catalog_dir, source.path)
    location = str(path)
    settings = get_settings()
    scan = _scan(path, source.path, settings.max_line_bytes)
    if scan.size == 0:
        raise SourceError("SOURCE_EMPTY", f"the file {source.path} is empty (0 bytes)", location=location)

    enc = decide(source.encoding, path, scan.head, whole=scan.whole, later=scan.later, location=location)
    notes: list[str] = []
    if enc.detected:
        notes.append(f"detected encoding {enc.name}" + (" (BOM)" if enc.bom else ""))

    text_bytes = scan.head[:HEADER_TEXT]
    text = codecs.getincrementaldecoder(enc.codec)("strict").decode(
        text_bytes, scan.whole and len(text_bytes) == len(scan.head)
    )
    delimiter = source.delimiter
    if delimiter is None:
        delimiter = _sniff(text)
        notes.append(f"detected delimiter {_DELIM_NAMES.get(delimiter, repr(delimiter))}")
    header = _header(text, delimiter, complete=scan.whole and len(text_bytes) == len(scan.head))
    if header is None:
        raise SourceError(
            "SOURCE_EMPTY", f"the file {source.path} has no header line (only blank lines)", location=location
        )
    columns = _column_names(header.fields, location, header.lines, notes)

    file = _CsvFile(
        path=path,
        location=location,
        enc=enc,
        delimiter=delimiter,
        columns=columns,
        skip_lines=header.lines,
        block_size=_block_size(path, scan, enc),
        max_field_bytes=settings.max_field_bytes,
    )
    chunks = file.chunks(chunk_rows) if header.has_data else iter(())
    return Reading(
        columns=columns,
        chunks=chunks,
        notes=notes,
        digest=scan.digest,
        description=f"csv {source.path} ({enc.label})",
    )


# --- open time ---------------------------------------------------------------------------------


@dataclass
class _Scan:
    size: int
    digest: str
    head: bytes
    whole: bool
    later: bytes | None
    longest_line: int = 0
    """The longest line's length in bytes if it is longer than ``LONG_LINE``, else 0."""
    has_cr: bool = False
    """Whether the file holds a carriage return anywhere."""


MAX_ARROW_BLOCK = 256 << 20
LONG_LINE = ARROW_BLOCK // 4
"""Lines up to this long are only counted as short; longer ones are measured exactly."""


class _LineLengths:
    """Line lengths of a file fed block by block, without splitting it into lines.

    Reading a file line by line (or with the csv module) holds a whole line in memory, which is what
    a file without line ends must not do. Instead, from the start of each line the last line end
    within ``LONG_LINE`` bytes is looked for (``bytes.rfind``, which runs at memory speed): ordinary
    lines are skipped ``LONG_LINE`` bytes at a time, and only longer lines are measured. A line that
    grows past ``limit`` stops the scan at once. Line ends are ``\n`` and ``\r``, as for pyarrow.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.base = 0  # file offset of the block being fed
        self.start = 0  # file offset where the current line starts
        self.longest = 0
        self.too_long: int | None = None
        """File offset of the start of the first line longer than ``limit``."""

    @staticmethod
    def _last_end(block: bytes, lo: int, hi: int) -> int:
        return max(block.rfind(b"\n", lo, hi), block.rfind(b"\r", lo, hi))

    @staticmethod
    def _first_end(block: bytes, lo: int) -> int:
        ends = [at for at in (block.find(b"\n", lo), block.find(b"\r", lo)) if at >= 0]
        return min(ends, default=-1)

    def feed(self, block: bytes) -> None:
        n, base = len(block), self.base
        i = 0
        while self.too_long is None:
            window_end = self.start + LONG_LINE - base + 1  # a short line ends before this (block position)
            if window_end > i:
                j = self._last_end(block, i, min(window_end, n))
                if j >= 0:
                    self.start, i = base + j + 1, j + 1
                    continue
                if window_end >= n:
                    break  # the line goes on into the next block, still short so far
            k = self._first_end(block, max(i, window_end))
            if k < 0:
                if base + n - self.start > self.limit:
                    self.too_long = self.start
                break
            self._ended(base + k - self.start)
            self.start, i = base + k + 1, k + 1
        self.base += n

    def finish(self) -> None:
        if self.too_long is None and self.base > self.start:
            self._ended(self.base - self.start)

    def _ended(self, length: int) -> None:
        if length > self.longest and length > LONG_LINE:
            self.longest = length
        if length > self.limit and self.too_long is None:
            self.too_long = self.start


def _scan(path: Path, written: str, max_line: int) -> _Scan:
    """One pass over the file: its digest, its head, the first non-ASCII block after an ASCII head,
    and its longest line (stopping at a line longer than ``max_line``, which is an error)."""
    location = existing_file(path, written)
    sha = hashlib.sha256()
    lines = _LineLengths(max_line)
    size = 0
    later = None
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
            sha.update(head)
            lines.feed(head)
            has_cr = b"\r" in head
            size = len(head)
            ascii_so_far = head.isascii()
            while lines.too_long is None and (block := f.read(BLOCK)):
                sha.update(block)
                lines.feed(block)
                has_cr = has_cr or b"\r" in block
                size += len(block)
                if ascii_so_far and not block.isascii():
                    later, ascii_so_far = block, False
            lines.finish()
            if lines.too_long is not None:
                line = _line_at(f, lines.too_long)
    except OSError as exc:
        raise SourceError("SOURCE_UNREADABLE", f"cannot read {written}: {exc.strerror}", location=location) from exc
    if lines.too_long is not None:
        raise SourceError(
            "SOURCE_LINE_TOO_LONG",
            f"line {line} of {written} is longer than {_mib(max_line)} (GONGSHU_MAX_LINE_BYTES) and was not "
            "read: a CSV line holds one record, so the file probably lacks its line ends or is not a CSV "
            "export; ask the department for a proper CSV file, or raise the limit if such records are real",
            location=location,
            line=line,
        )
    return _Scan(
        size=size,
        digest="sha256:" + sha.hexdigest(),
        head=head,
        whole=size == len(head),
        later=later,
        longest_line=lines.longest,
        has_cr=has_cr,
    )


def _block_size(path: Path, scan: _Scan, enc: Encoding) -> int:
    """pyarrow's read block for this file: larger than its longest line (pyarrow cannot read a record
    longer than its block), and with no block ending between the CR and the LF of a CR LF.

    pyarrow (26, apache/arrow#51368) drops the LF of a CR LF inside a quoted value when a block ends
    right after the CR: the value silently loses a byte. Whether a CR LF is inside quotes is only known
    once parsed, so no block may end inside any CR LF. Block sizes a few bytes apart are tried, then
    larger ones (fewer block ends), all in one more pass over the file, which only a file holding a CR
    gets. pyarrow cuts blocks from the UTF-8 text it reads, so a GBK file's CR LFs are placed where
    they fall once the file is transcoded, as pyarrow does it (Python's codec, errors replaced).
    """
    block = max(ARROW_BLOCK, 2 * scan.longest_line + 1)
    limit = scan.size * (1 if enc.codec == "utf-8" else 2)  # UTF-8 of GBK text is at most 1.5 times longer
    if not scan.has_cr or limit <= block:
        return block
    candidates = [c for base in (block, 4 * block, 16 * block) for c in range(base, base + 32 * 97, 97)]
    candidates = [c for c in candidates if c <= MAX_ARROW_BLOCK]
    ends = [np.arange(c - 1, limit, c, dtype=np.int64) for c in candidates]
    owner = np.repeat(np.arange(len(candidates)), [len(e) for e in ends])
    ends_at = np.concatenate(ends)
    split = np.zeros(len(candidates), dtype=bool)
    for crs in _crlf_offsets(path, enc):
        if crs.size:
            split[owner[np.isin(ends_at, crs)]] = True
    free = np.flatnonzero(~split)
    return candidates[free[0]] if free.size else block


def _crlf_offsets(path: Path, enc: Encoding) -> Iterator[np.ndarray]:
    """The offsets of the CR of every CR LF in the UTF-8 text pyarrow reads, a block at a time."""
    decoder = None if enc.codec == "utf-8" else codecs.getincrementaldecoder(enc.codec)("replace")
    offset = 0
    last_cr = False
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            data = block if decoder is None else decoder.decode(block).encode("utf-8")
            if not data:
                continue
            arr = np.frombuffer(data, dtype=np.uint8)
            at = np.flatnonzero((arr[:-1] == 13) & (arr[1:] == 10)) + offset
            if last_cr and arr[0] == 10:
                at = np.concatenate([[offset - 1], at])
            yield at
            last_cr = bool(arr[-1] == 13)
            offset += len(data)


def _line_at(f: io.BufferedReader, offset: int) -> int:
    """The 1-based line number of the byte at ``offset`` (the file read again up to there, in blocks)."""
    f.seek(0)
    newlines = carriage = 0
    left = offset
    while left > 0 and (block := f.read(min(BLOCK, left))):
        newlines += block.count(b"\n")
        carriage += block.count(b"\r")
        left -= len(block)
    return (newlines or carriage) + 1


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n} bytes"


def _sniff(text: str) -> str:
    """The delimiter of the header line: the candidate found most often outside quotes (``,`` if none)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    bare = _QUOTED.sub("", first)
    counts = {d: bare.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier candidate
    return best if counts[best] else ","


@dataclass
class _Header:
    fields: list[str]
    lines: int
    """Physical lines up to and including the header record (blank lines before it included)."""
    has_data: bool


def _header(text: str, delimiter: str, *, complete: bool) -> _Header | None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    for row in reader:
        if not any(cell.strip(" \t\ufeff") for cell in row):
            continue
        lines = reader.line_num
        has_data = not complete or any(any(cell for cell in rest) for rest in reader)
        return _Header(fields=row, lines=lines, has_data=has_data)
    return None


def _column_names(raw: list[str], location: str, line: int, notes: list[str]) -> list[str]:
    return header_names(raw, label=str, notes=notes, location=location, line=line)


# --- reading -----------------------------------------------------------------------------------


class _InvalidRows:
    """pyarrow's invalid-row handler: skip the row, remember how many and the first few."""

    def __init__(self) -> None:
        self.count = 0
        self.samples: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def __call__(self, row: pacsv.InvalidRow) -> str:
        with self._lock:
            self.count += 1
            if len(self.samples) < MAX_LISTED:
                self.samples.append((row.actual_columns, row.text))
        return "skip"


@dataclass
class _CsvFile:
    path: Path
    location: str
    enc: Encoding
    delimiter: str
    columns: list[str]
    skip_lines: int
    block_size: int = ARROW_BLOCK
    max_field_bytes: int = 4 << 20
    _internal: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self._internal = [f"f{i}" for i in range(len(self.columns))]

    def _reader(self, invalid: _InvalidRows) -> pacsv.CSVStreamingReader:
        return pacsv.open_csv(
            str(self.path),
            read_options=pacsv.ReadOptions(
                encoding=self.enc.arrow,
                block_size=self.block_size,
                column_names=self._internal,
                skip_rows=self.skip_lines,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.delimiter,
                newlines_in_values=True,
                invalid_row_handler=invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(self._internal, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )

    def chunks(self, chunk_rows: int) -> Iterator[pa.Table]:
        invalid = _InvalidRows()
        try:
            reader = self._reader(invalid)
        except (pa.ArrowException, UnicodeDecodeError) as exc:
            raise self._failure(exc) from exc
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        next_row = 1
        last: pa.RecordBatch | None = None
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowException, UnicodeDecodeError) as exc:
                    raise self._failure(exc) from exc
                if batch.num_rows == 0:
                    continue
                last = batch
                pending.append(batch)
                pending_rows += batch.num_rows
                while pending_rows >= chunk_rows:
                    table = pa.Table.from_batches(pending)
                    yield self._chunk(table.slice(0, chunk_rows), next_row)
                    next_row += chunk_rows
                    rest = table.slice(chunk_rows)
                    pending, pending_rows = rest.to_batches(), rest.num_rows
        finally:
            reader.close()
        self._check_end(invalid, last)
        if pending_rows:
            yield self._chunk(pa.Table.from_batches(pending), next_row)

    def _chunk(self, table: pa.Table, first_row: int) -> pa.Table:
        rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
        return table.rename_columns(self.columns).append_column(SOURCE_ROW, pa.array(rows))

    # --- problems ---

    def _failure(self, exc: BaseException) -> SourceError:
        """The error for pyarrow giving up: undecodable bytes, a value never closed, or its message."""
        bad = first_bad_bytes(self.path, self.enc.codec)
        if bad is not None:
            return encoding_error(self.enc, bad, self.location)
        diag = self._diagnose()
        if diag.oversized_line is not None:
            return self._oversized_error(diag.oversized_line)
        if diag.open_quote_line is not None or diag.ragged_count:
            return self._ragged_error(diag, _InvalidRows())
        if "straddl" in str(exc):
            return SourceError(
                "SOURCE_RECORD_TOO_LARGE",
                f"a record is larger than {_mib(self.block_size)}, more than is read at once: its quoted values "
                "hold so many line breaks that the lines are short but the record is not; ask the department "
                "for a file without such values",
                location=self.location,
            )
        return SourceError(
            "SOURCE_PARSE",
            f"the file could not be read as CSV (delimiter {_DELIM_NAMES.get(self.delimiter, repr(self.delimiter))}): "
            f"{exc}",
            location=self.location,
        )

    def _check_end(self, invalid: _InvalidRows, last: pa.RecordBatch | None) -> None:
        if invalid.count:
            diag = self._diagnose()
            if diag.oversized_line is not None:
                raise self._oversized_error(diag.oversized_line)
            raise self._ragged_error(diag, invalid)
        if last is not None and self._ends_in_open_quote(last.column(last.num_columns - 1)[-1].as_py()):
            diag = self._diagnose()
            if diag.oversized_line is not None:
                raise self._oversized_error(diag.oversized_line)
            if diag.open_quote_line is not None:
                raise self._ragged_error(diag, invalid)

    def _oversized_error(self, line: int) -> SourceError:
        return SourceError(
            "SOURCE_VALUE_TOO_LARGE",
            f"the record at line {line} holds a value longer than {_mib(self.max_field_bytes)} "
            "(GONGSHU_MAX_FIELD_BYTES), or a quote opened there is never closed; shorten the value "
            "or close the quote at the source",
            location=self.location,
            line=line,
        )

    def _ends_in_open_quote(self, value: str | None) -> bool:
        """Whether the file's last bytes are a quoted value never closed: ``"`` + the last value.

        pyarrow reads a quote left open at the end of the file as a value running to the end, so the
        last value of the last row tells where to look; the stdlib pass confirms it.
        """
        if value is None:
            expect = b'"'
        else:
            expect = b'"' + value.replace('"', '""').encode(self.enc.codec)
        size = self.path.stat().st_size
        n = min(size, len(expect) + 1)
        with self.path.open("rb") as f:
            f.seek(size - n)
            tail = f.read(n)
        if not tail.endswith(expect):
            return False
        before = tail[: len(tail) - len(expect)]
        # an empty value: '"' right after a delimiter or a line end (not the closing quote of '""')
        return value is not None or before in (b"", b"\n", b"\r", self.delimiter.encode())

    def _diagnose(self) -> _Diagnosis:
        """Read the file again with the stdlib csv module, counting physical lines."""
        diag = _Diagnosis()
        ncols = len(self.columns)
        # The csv module holds a whole record in memory: bound its values by the field limit (a value of
        # N characters has at least N bytes, so one over the limit in characters is over it in bytes).
        # The limit is the module's, shared by threads; they all set it from the same setting.
        csv.field_size_limit(self.max_field_bytes)
        with self.path.open(encoding=self.enc.codec, newline="", errors="replace") as f:
            final = [""]

            def lines() -> Iterator[str]:
                for line in f:
                    final[0] = line
                    yield line
                yield _SENTINEL

            reader = csv.reader(lines(), delimiter=self.delimiter, strict=False)
            header_seen = False
            end = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    diag.oversized_line = end + 1
                    break
                start, end = end + 1, reader.line_num
                if row == [_SENTINEL]:
                    break
                if row and row[-1].endswith(_SENTINEL):
                    diag.open_quote_line = start
                    row[-1] = row[-1][: -len(_SENTINEL)]
                if not header_seen:
                    header_seen = any(cell.strip(" \t\ufeff") for cell in row)
                    continue
                if not row:
                    continue
                diag.last = (start, len(row))
                diag.records += 1
                if len(row) != ncols:
                    diag.ragged_count += 1
                    if len(diag.ragged) < MAX_LISTED:
                        diag.ragged.append((start, len(row)))
                if diag.open_quote_line is not None:
                    break
        diag.ends_with_newline = final[0].endswith(("\n", "\r"))
        return diag

    def _ragged_error(self, diag: _Diagnosis, invalid: _InvalidRows) -> SourceError:
        ncols = len(self.columns)
        ragged = list(diag.ragged)
        count = diag.ragged_count
        truncated = None
        if diag.open_quote_line is not None:
            line = diag.open_quote_line
            truncated = (
                line,
                f"the file looks truncated at line {line}: a quoted value opened there is never closed "
                "(the file ends inside it)",
            )
        elif diag.last is not None and diag.last[1] < ncols and not diag.ends_with_newline:
            line, fields = diag.last
            truncated = (
                line,
                f"the file looks truncated at line {line}: its last row has {fields} of {ncols} fields and no line end",
            )
        if truncated is not None:
            # the cut row is reported as the truncation, not among the ragged rows
            if ragged and diag.last is not None and ragged[-1][0] == diag.last[0]:
                ragged.pop()
                count -= 1
        listed = ", ".join(f"line {ln} ({k} fields, expected {ncols})" for ln, k in ragged)
        if count > len(ragged):
            listed += f" and {count - len(ragged)} more"
        what = f"{count} row{'s have' if count != 1 else ' has'} the wrong number of fields: {listed}"
        delim = _DELIM_NAMES.get(self.delimiter, repr(self.delimiter))
        hint = f"; a value holding the delimiter ({delim}) or a line break must be in double quotes"
        if count > 1 and count == diag.records and all(k == ragged[0][1] for _, k in ragged):
            hint = (
                f"; every row has {ragged[0][1]} fields but the header has {ncols}: "
                f"check the header line and the delimiter ({delim})"
            )
        if truncated is not None:
            line, msg = truncated
            message = msg + "; ask the department for the complete file"
            if count:
                message += f". Besides, {what}"
            return SourceError("SOURCE_TRUNCATED", message, location=self.location, line=line)
        if count:
            return SourceError("SOURCE_RAGGED", what + hint, location=self.location, line=ragged[0][0])
        # pyarrow and the csv module disagree on where records end: show pyarrow's rows
        shown = ", ".join(f"{text[:60]!r} ({k} fields, expected {ncols})" for k, text in invalid.samples)
        more = f" and {invalid.count - len(invalid.samples)} more" if invalid.count > len(invalid.samples) else ""
        return SourceError(
            "SOURCE_RAGGED",
            f"{invalid.count} rows have the wrong number of fields: {shown}{more}{hint}",
            location=self.location,
        )


@dataclass
class _Diagnosis:
    ragged: list[tuple[int, int]] = field(default_factory=list)
    """(line, fields) of the first rows with the wrong number of fields."""
    ragged_count: int = 0
    open_quote_line: int | None = None
    """The line where a quoted value still open at the end of the file starts."""
    last: tuple[int, int] | None = None
    """(line, fields) of the last record."""
    ends_with_newline: bool = True
    records: int = 0
    oversized_line: int | None = None
    """The line where a record starts that holds a value longer than the field limit (or a quote never
    closed that runs on past it)."""
