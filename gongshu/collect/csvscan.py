"""The open-time pass over a CSV file's bytes: its digest, head and longest line, and pyarrow's block.

A line longer than ``GONGSHU_MAX_LINE_BYTES`` is ``SOURCE_LINE_TOO_LONG``, raised as soon as the
hashing pass meets it, before any parsing: the file and line are named and memory stays bounded
(a 2 GiB file without line ends once took 11 GB before pyarrow failed without naming it). Lines
longer than pyarrow's usual block make the block larger for that file: pyarrow cannot read a record
longer than its block; and no block may end inside a CR LF (see :func:`arrow_block_size`).
"""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import SourceError, existing_file
from .encoding import Encoding

HEAD_BYTES = 4 << 20
"""The start of the file that the encoding is decided and checked on (all of a smaller file)."""
BLOCK = 8 << 20
ARROW_BLOCK = 4 << 20
"""pyarrow's read block: 1–4 MiB measured fastest (larger blocks fall out of the CPU caches)."""


@dataclass
class Scan:
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


def scan_file(path: Path, written: str, max_line: int) -> Scan:
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
            f"line {line} of {written} is longer than {mib(max_line)} (GONGSHU_MAX_LINE_BYTES) and was not "
            "read: a CSV line holds one record, so the file probably lacks its line ends or is not a CSV "
            "export; ask the department for a proper CSV file, or raise the limit if such records are real",
            location=location,
            line=line,
        )
    return Scan(
        size=size,
        digest="sha256:" + sha.hexdigest(),
        head=head,
        whole=size == len(head),
        later=later,
        longest_line=lines.longest,
        has_cr=has_cr,
    )


def arrow_block_size(path: Path, scan: Scan, enc: Encoding) -> int:
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


def mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n} bytes"
