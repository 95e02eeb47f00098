"""Text as departments write it: full-width forms, ideographic spaces, stray whitespace, null
tokens and mojibake, handled for a whole column at once.

Full-width forms are folded on the UTF-8 bytes of the Arrow buffers with numpy, not per value in
Python: a full-width form (U+FF01..FF5E) is three bytes ``EF BC xx`` / ``EF BD xx`` whose half-width
character follows from ``xx``, and U+3000 is ``E3 80 80``. Code-like kinds (codes, phones, numbers,
dates, e-mail) fold every full-width form; text, names, addresses and enumerations fold only the
digits and Latin letters, because Chinese text keeps its full-width punctuation (the standards
write ``有限责任公司（自然人投资或控股）``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL_TOKENS = frozenset({"无", "/", "—", "——", "-", "--", "NULL", "null", "Null", "空", "N/A", "n/a", "NA", "暂无"})
"""What departments write where they have no value."""

_CONTINUATION = "\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"  # UTF-8 continuation bytes read as Latin-1 / cp1252
MOJIBAKE = (
    "\ufffd|锟斤拷"  # undecodable bytes replaced (and the GBK reading of a replaced pair)
    f"|[\u00c2-\u00df][{_CONTINUATION}]"  # a 2-byte UTF-8 character read as Latin-1/cp1252: Ã© Ã¤
    f"|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}"  # a 3-byte one (every Chinese character): ä¸­ â€™
)
"""UTF-8 text that was decoded with the wrong codec somewhere before it reached us."""
_MOJIBAKE_BYTES = (b"\xef\xbf\xbd", "锟".encode(), b"\xc3")  # every match contains one of these

_BLOCK = 1 << 18
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20]] = True


def string_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous ``pa.string()`` array (chunks combined, no slice offset)."""
    if isinstance(values, pa.ChunkedArray):
        values = (
            values.chunk(0)
            if values.num_chunks == 1
            else pa.concat_arrays(values.chunks or [pa.array([], values.type)])
        )
    if values.type != pa.string():
        values = pc.cast(values, pa.string())
    if values.offset:
        values = pa.concat_arrays([values])
    return values


def utf8_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (starting at 0) and the UTF-8 bytes of a ``pa.string()`` array without slice offset."""
    if len(values) == 0 or values.buffers()[2] is None:
        return np.zeros(len(values) + 1, dtype=np.int32), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[: len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return offsets - offsets[0], data


def ascii_matrix(values: pa.Array, rows: np.ndarray, width: int) -> np.ndarray:
    """The values of the selected rows (each ``width`` ASCII characters long, as a regex has made
    sure) as an (n, width) byte matrix."""
    return utf8_buffers(pc.filter(values, pa.array(rows)))[1].reshape(-1, width)


def digits_value(digits: np.ndarray) -> np.ndarray:
    """An (n, k) matrix of ASCII digits as the integers they write."""
    return (digits.astype(np.int64) - ord("0")) @ (10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64))


def _rebuild(values: pa.Array, offsets: np.ndarray, data: np.ndarray) -> pa.Array:
    """``values`` with new bytes and offsets, its nulls kept."""
    return pa.Array.from_buffers(
        values.type,
        len(values),
        [values.buffers()[0], pa.py_buffer(offsets), pa.py_buffer(data)],
        null_count=values.null_count,
    )


def _find(data: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Positions of the bytes where ``test`` holds, scanned a block at a time: a full-size boolean
    temporary of a text column costs more than the comparison itself."""
    found = [np.flatnonzero(test(data[start : start + _BLOCK])) + start for start in range(0, len(data), _BLOCK)]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _sequence(data: np.ndarray, encoded: bytes) -> np.ndarray:
    """Positions where the bytes ``encoded`` start."""
    at = _find(data, lambda block: block == encoded[0])
    at = at[at + len(encoded) <= len(data)]
    for k, byte in enumerate(encoded[1:], 1):
        at = at[data[at + k] == byte]
    return at


def _delete(offsets: np.ndarray, data: np.ndarray, drop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bytes without the (sorted) positions ``drop``, and the offsets moved back accordingly."""
    return (offsets - np.searchsorted(drop, offsets)).astype(offsets.dtype), np.delete(data, drop)


def normalise(values: pa.Array | pa.ChunkedArray, *, code_like: bool, collapse: bool) -> tuple[pa.Array, np.ndarray]:
    """Half-width forms of full-width characters, U+3000 as a space, whitespace runs inside a value
    as one space (``collapse``), and the value trimmed. Also per row: whether a full-width form or
    U+3000 was replaced (the FULLWIDTH repair; plain whitespace is tidied silently)."""
    values = string_array(values)
    offsets, data = utf8_buffers(values)
    changed = np.zeros(len(values), dtype=bool)
    edited = False

    lead = _find(data, lambda block: block == 0xEF)  # EF BC 81 .. EF BD 9E: U+FF01 .. U+FF5E
    lead = lead[lead + 2 < len(data)]
    lead = lead[(data[lead + 1] == 0xBC) | (data[lead + 1] == 0xBD)]
    half = (((data[lead + 1].astype(np.int32) & 0x3F) << 6) | (data[lead + 2] & 0x3F)) + 0xF000 - 0xFEE0
    fold = (half >= 0x21) & (half <= 0x7E)
    if not code_like:  # digits and Latin letters only
        fold &= ((half >= 0x30) & (half <= 0x39)) | (((half | 0x20) >= 0x61) & ((half | 0x20) <= 0x7A))
    space = _sequence(data, "\u3000".encode())
    at = np.concatenate([lead[fold], space])
    if len(at):
        data = data.copy()
        data[at] = np.concatenate([half[fold], np.full(len(space), 0x20)]).astype(np.uint8)
        changed[np.searchsorted(offsets, at, side="right") - 1] = True
        offsets, data = _delete(offsets, data, np.sort(np.concatenate([at + 1, at + 2])))
        edited = True

    if collapse:
        white = _find(data, lambda block: block <= 0x20)
        white = white[_WHITESPACE[data[white]]]
        if len(white):
            if not edited:
                data = data.copy()
            data[white] = 0x20
            start = np.searchsorted(offsets, white)
            first = offsets[np.minimum(start, len(offsets) - 1)] == white
            drop = white[1:][(white[1:] - 1 == white[:-1]) & ~first[1:]]
            offsets, data = _delete(offsets, data, drop)
            edited = True
    if edited:
        values = _rebuild(values, offsets, data)
    return pc.utf8_trim_whitespace(values), changed


def null_tokens(values: pa.Array) -> np.ndarray:
    """Per row (trimmed values): the cell holds a null token such as 无, —, NULL."""
    return pc.fill_null(pc.is_in(values, pa.array(sorted(NULL_TOKENS), values.type)), False).to_numpy(
        zero_copy_only=False
    )


def mojibake(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per row: the text holds mojibake (see :data:`MOJIBAKE`). Columns without any of the byte
    sequences a match needs (nearly all) are answered without running the regex."""
    values = string_array(values)
    data = utf8_buffers(values)[1]
    if not any(len(_sequence(data, marker)) for marker in _MOJIBAKE_BYTES):
        return np.zeros(len(values), dtype=bool)
    return pc.fill_null(pc.match_substring_regex(values, MOJIBAKE), False).to_numpy(zero_copy_only=False)
