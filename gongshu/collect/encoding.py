"""Which text encoding a file is in, and where it stops being that encoding.

Files from departments come as UTF-8 (with or without a BOM), GBK or GB 18030. ``encoding: auto``
decides from the bytes: a UTF-8 BOM means UTF-8; bytes that decode strictly as UTF-8 mean UTF-8;
anything else is read as GB 18030 (a superset of GBK: a GBK file reads the same as GB 18030).
A declared encoding is checked against the start of the file, so that the common mistakes
(a GBK export declared ``utf-8``, a name outside GBK in a ``gbk`` file, a UTF-8 file declared
``gbk``) are reported when the file is opened, with the line and the declaration that would work.
Bytes that do not decode are always an error: text is never silently replaced.

Line numbers are physical lines (1-based): the count of ``\\n`` before the offending byte, plus 1.
The byte ``0x0A`` never occurs inside a multi-byte character of UTF-8, GBK or GB 18030, so counting
it in the raw bytes is exact.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from .base import SourceError

BOM_UTF8 = b"\xef\xbb\xbf"
BOM_UTF16 = (b"\xff\xfe", b"\xfe\xff")
BLOCK = 8 << 20

# catalog spelling -> (Python codec, pyarrow encoding, what people call it)
_CODECS = {
    "utf-8": ("utf-8", "utf8", "UTF-8"),
    "gbk": ("gbk", "gbk", "GBK"),
    "gb18030": ("gb18030", "gb18030", "GB 18030"),
}


@dataclass(frozen=True)
class Encoding:
    """The encoding a file is read with."""

    name: str
    """``utf-8``, ``gbk`` or ``gb18030`` (the catalog's spelling)."""
    bom: bool = False
    """The file starts with a UTF-8 byte order mark (skipped with the header line)."""
    detected: bool = False
    """Chosen by ``encoding: auto`` rather than declared."""

    @property
    def codec(self) -> str:
        """The Python codec (a BOM is valid UTF-8 and is skipped with the header line)."""
        return _CODECS[self.name][0]

    @property
    def arrow(self) -> str:
        """The name pyarrow's CSV reader takes."""
        return _CODECS[self.name][1]

    @property
    def label(self) -> str:
        return self.name + (" with BOM" if self.bom else "")


@dataclass(frozen=True)
class BadBytes:
    """Where a file first fails to decode."""

    offset: int
    """Byte offset of the first undecodable byte."""
    line: int
    """1-based physical line of that byte."""
    column: int
    """1-based byte position within the line."""
    data: bytes
    """The offending bytes, as the codec reported them."""
    line_bytes: bytes
    """The raw bytes of that line (a window of it for very long lines), to try other encodings on."""
    cut: bool = False
    """The bytes are the start of a character that the end of the file cuts off: a truncated file."""


def _window(data: bytes, rel: int, length: int, line: int, base: int, cut: bool = False) -> BadBytes:
    """BadBytes for ``data[rel]``, ``data`` starting at file offset ``base``."""
    start = data.rfind(b"\n", 0, rel) + 1
    end = data.find(b"\n", rel)
    end = len(data) if end < 0 else end
    return BadBytes(
        offset=base + rel,
        line=line,
        column=rel - start + 1,
        data=data[rel : rel + max(length, 1)],
        line_bytes=data[start:end],
        cut=cut,
    )


def bad_bytes_in(data: bytes, codec: str, *, final: bool) -> BadBytes | None:
    """The first undecodable bytes of ``data`` (the start of a file, all of it when ``final``), or None."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    try:
        decoder.decode(data, False)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return _window(data, exc.start, exc.end - exc.start, line, 0)
    pending = decoder.getstate()[0]
    if final and pending:
        at = len(data) - len(pending)
        return _window(data, at, len(pending), data.count(b"\n", 0, at) + 1, 0, cut=True)
    return None


def first_bad_bytes(path: Path, codec: str) -> BadBytes | None:
    """The first place the file does not decode with ``codec``; reads all of it when it decodes."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    lines = 0
    fed = 0
    with path.open("rb") as f:
        while True:
            block = f.read(BLOCK)
            pending = len(decoder.getstate()[0])
            at = None
            if block:
                try:
                    decoder.decode(block, False)
                except UnicodeDecodeError as exc:
                    # the error's positions count the bytes the decoder held back from the last block
                    at, length, cut = fed - pending + exc.start, exc.end - exc.start, False
                    lines += block.count(b"\n", 0, max(0, exc.start - pending))
            elif pending:  # the file ends inside a character
                at, length, cut = fed - pending, pending, True
            else:
                return None
            if at is not None:
                lo = max(0, at - 65536)
                f.seek(lo)
                window = f.read(at - lo + 4096)
                return _window(window, at - lo, length, lines + 1, lo, cut=cut)
            lines += block.count(b"\n")
            fed += len(block)


def _show(data: bytes) -> str:
    return " ".join(f"0x{b:02X}" for b in data[:4])


def _reads_as(line_bytes: bytes) -> tuple[str, str] | None:
    """(catalog encoding, the line as text) for the first encoding the line decodes with."""
    for name in ("gbk", "gb18030", "utf-8"):
        try:
            text = line_bytes.decode(_CODECS[name][0])
        except UnicodeDecodeError:
            continue
        return name, text
    return None


def _quote(text: str, limit: int = 60) -> str:
    text = text.rstrip("\r\n")
    return "'" + (text if len(text) <= limit else text[:limit] + "…") + "'"


def _outside_gbk(text: str) -> str:
    found: list[str] = []
    for ch in text:
        try:
            ch.encode("gbk")
        except UnicodeEncodeError:
            if ch not in found:
                found.append(ch)
    return "、".join(found[:5]) or "?"


def encoding_error(enc: Encoding, bad: BadBytes, location: str) -> SourceError:
    """The error for a file that stops decoding with ``enc``: where, and what to declare instead."""
    if bad.cut:
        return SourceError(
            "SOURCE_TRUNCATED",
            f"the file looks truncated at line {bad.line}: it ends in the middle of a character "
            f"({_show(bad.data)}); ask the department for the complete file",
            location=location,
            line=bad.line,
        )
    where = f"line {bad.line}, byte {bad.column} ({_show(bad.data)})"
    if enc.detected:
        head = f"the file is neither UTF-8 nor GBK/GB 18030 (encoding: auto) at {where}"
        if enc.name == "utf-8":
            head = f"the file started as UTF-8 (encoding: auto) but is not valid UTF-8 at {where}"
    else:
        head = f"the file is not valid {_CODECS[enc.name][2]} (declared encoding: {enc.name}) at {where}"
    guess = _reads_as(bad.line_bytes)
    if guess is None or guess[0] == enc.name:
        hint = "the line does not decode as UTF-8, GBK or GB 18030: ask the department to export the file as UTF-8"
    else:
        other, text = guess
        if enc.name == "utf-8":
            hint = f"it decodes as GBK/GB18030 (the line reads {_quote(text)}): declare encoding: {other} (or auto)"
        elif enc.name == "gbk" and other == "gb18030":
            hint = (
                f"the line holds characters that GBK does not have ({_outside_gbk(text)}) but GB 18030 does: "
                "declare encoding: gb18030 (or auto)"
            )
        elif other == "utf-8":
            hint = f"it decodes as UTF-8 (the line reads {_quote(text)}): declare encoding: utf-8 (or auto)"
        else:
            hint = f"it decodes as {_CODECS[other][2]} (the line reads {_quote(text)}): declare encoding: {other}"
    return SourceError("SOURCE_ENCODING", f"{head}; {hint}", location=location, line=bad.line)


def decide(declared: str, path: Path, head: bytes, *, whole: bool, later: bytes | None, location: str) -> Encoding:
    """The encoding to read the file at ``path`` with.

    ``head`` is the start of the file (``whole`` when it is all of it); ``later`` is a block further
    in holding the first non-ASCII bytes, cut at line ends, when the head is plain ASCII.
    Raises ``SOURCE_ENCODING`` when the bytes contradict the declaration.
    """
    if head.startswith(BOM_UTF16):
        raise SourceError(
            "SOURCE_ENCODING",
            "the file is UTF-16 (Excel's 'Unicode text'): save it as 'CSV UTF-8' and collect it again",
            location=location,
            line=1,
        )
    bom = head.startswith(BOM_UTF8)
    # the bytes that tell encodings apart: the head, or the first non-ASCII block after a plain-ASCII head
    sample, sample_final = (later, False) if later is not None and head.isascii() else (head, whole)
    not_utf8 = bad_bytes_in(sample, "utf-8", final=sample_final)
    utf8 = not_utf8 is None or not_utf8.cut  # a character cut by the end of the file: truncated UTF-8

    if declared == "auto":
        if bom or utf8:
            enc = Encoding("utf-8", bom=bom, detected=True)
        else:
            enc = Encoding("gb18030", detected=True)
    elif declared == "utf-8":
        enc = Encoding("utf-8", bom=bom)
    elif declared in _CODECS:
        if bom or (utf8 and not sample.isascii()):
            what = "starts with a UTF-8 byte order mark" if bom else "is UTF-8"
            raise SourceError(
                "SOURCE_ENCODING",
                f"the catalog declares encoding: {declared} but the file {what}: declare encoding: utf-8 (or auto)",
                location=location,
            )
        enc = Encoding(declared)
    else:
        raise SourceError("SOURCE_ENCODING", f"unknown encoding {declared!r}", location=location)

    bad = bad_bytes_in(head, enc.codec, final=whole)
    if bad is None and sample is not head and bad_bytes_in(sample, enc.codec, final=False) is not None:
        bad = first_bad_bytes(path, enc.codec)
    if bad is not None:
        raise encoding_error(enc, bad, location)
    return enc
