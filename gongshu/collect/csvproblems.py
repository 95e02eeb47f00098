"""What went wrong reading a CSV file, found and worded so that one message lists it all.

Problems are raised from the iterator after the whole file has been parsed: rows with the wrong
number of fields (``SOURCE_RAGGED``, with their physical line numbers in the file, found by a second
pass with the stdlib ``csv`` module over the file, as pyarrow does not know them when values may span
lines), a file cut short (``SOURCE_TRUNCATED``: the last row has too few fields and no line end, or a
quoted value is still open at the end of the file), a value over ``GONGSHU_MAX_FIELD_BYTES`` or a
quote never closed (``SOURCE_VALUE_TOO_LARGE``), bytes that do not decode (``SOURCE_ENCODING``, with
the line and the encoding to declare instead).
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from .base import SourceError
from .csvscan import mib
from .encoding import Encoding, encoding_error, first_bad_bytes

MAX_LISTED = 20
_DELIM_NAMES = {",": "','", "\t": "tab", "|": "'|'", ";": "';'"}
_SENTINEL = "\x00gongshu-end-of-file\x00"


def delimiter_name(delimiter: str) -> str:
    """The delimiter as a message names it: ``','``, ``tab``…"""
    return _DELIM_NAMES.get(delimiter, repr(delimiter))


class InvalidRows:
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


class CsvProblems:
    """The problems of the CSV reader it is mixed into, which holds the file's facts below."""

    path: Path
    location: str
    enc: Encoding
    delimiter: str
    columns: list[str]
    block_size: int
    max_field_bytes: int

    def _failure(self, exc: BaseException) -> SourceError:
        """The error for pyarrow giving up: undecodable bytes, a value never closed, or its message."""
        bad = first_bad_bytes(self.path, self.enc.codec)
        if bad is not None:
            return encoding_error(self.enc, bad, self.location)
        diag = self._diagnose()
        if diag.oversized_line is not None:
            return self._oversized_error(diag.oversized_line)
        if diag.open_quote_line is not None or diag.ragged_count:
            return self._ragged_error(diag, InvalidRows())
        if "straddl" in str(exc):
            return SourceError(
                "SOURCE_RECORD_TOO_LARGE",
                f"a record is larger than {mib(self.block_size)}, more than is read at once: its quoted values "
                "hold so many line breaks that the lines are short but the record is not; ask the department "
                "for a file without such values",
                location=self.location,
            )
        return SourceError(
            "SOURCE_PARSE",
            f"the file could not be read as CSV (delimiter {delimiter_name(self.delimiter)}): {exc}",
            location=self.location,
        )

    def _check_end(self, invalid: InvalidRows, last: pa.RecordBatch | None) -> None:
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
            f"the record at line {line} holds a value longer than {mib(self.max_field_bytes)} "
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

    def _ragged_error(self, diag: _Diagnosis, invalid: InvalidRows) -> SourceError:
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
        delim = delimiter_name(self.delimiter)
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
