"""CSV connector: a delimited text file read in bounded chunks with pyarrow's streaming reader.

At open time (``read_csv`` returns quickly) the file is hashed, its lines measured, its encoding
decided and checked on the first 4 MiB (see ``encoding.py``), its delimiter sniffed from the header
line when the catalog gives none, and its header parsed: duplicate names are an error, surrounding
whitespace and a BOM are stripped, an empty header cell is named ``column_<n>``.

The pass over the bytes at open time (digest, line lengths, ``SOURCE_LINE_TOO_LONG``, pyarrow's
block) is ``csvscan.py``. A single value larger than ``GONGSHU_MAX_FIELD_BYTES`` is refused by the raw
gate (``gongshu.quality.raw``), which names its row and field.

Rows are read as ``chunks`` is iterated: every column as text, exactly as in the file (quotes
removed, inner ``""`` unescaped, whitespace kept); only an empty cell becomes ``None`` (``NULL``,
``NA``, ``无`` are values: the cleansing stage reports null tokens). Quoted values may hold line
breaks. Blank lines are skipped and not counted; ``_source_row`` numbers the data records from 1.

Problems found while reading (rows with the wrong number of fields, a file cut short, bytes that do
not decode) are raised from the iterator after the whole file has been parsed, so that one message
lists them all: see ``csvproblems.py``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..catalog.model import CsvSource
from ..catalog.paths import resolve_source_path
from ..settings import get_settings
from .base import DEFAULT_CHUNK_ROWS, SOURCE_ROW, Reading, SourceError, header_names
from .csvproblems import CsvProblems, InvalidRows, delimiter_name
from .csvscan import ARROW_BLOCK, arrow_block_size, scan_file
from .encoding import Encoding, decide

HEADER_TEXT = 1 << 20
DELIMITERS = (",", "\t", "|", ";")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


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
    scan = scan_file(path, source.path, settings.max_line_bytes)
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
        notes.append(f"detected delimiter {delimiter_name(delimiter)}")
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
        block_size=arrow_block_size(path, scan, enc),
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


@dataclass
class _CsvFile(CsvProblems):
    """An opened CSV file: what was found at open time, and its rows read as chunks."""

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

    def _reader(self, invalid: InvalidRows) -> pacsv.CSVStreamingReader:
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
        invalid = InvalidRows()
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
