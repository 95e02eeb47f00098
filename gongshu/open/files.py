"""The files of a release folder (names from :mod:`gongshu.open.layout`), written from the masked rows
as an Arrow table of strings.

  CSV   UTF-8 with a BOM (Excel in China opens it without an import dialog), header = field names,
        every value quoted, a null as an empty field; Arrow's CSV writer, no Python per row.
  JSON  an array of objects ``{"field": value}`` in the CSV's order; numbers of the numeric kinds
        as JSON numbers, everything else as strings, null as null. Values are quoted by Arrow kernels;
        only those holding a quote, a backslash or a control character are encoded by orjson, and
        the rows are written from the string buffers a slice at a time.
  XLSX  one sheet (openpyxl ``write_only``) when the rows are at most :data:`XLSX_MAX_ROWS`.
        openpyxl spends Python on every cell: 100,000 registry rows x 14 columns took 13 s
        (bench/open_release.py --rows 100000; lxml installed saved 7 %), so the limit is the
        release's time (~27 s at the limit), not Excel's 1,048,575 data rows. Larger releases are
        CSV and JSON only, and ``release.json`` says why.
  data-dictionary.csv   one row per released field, headers in Chinese for the departments and the
        public (字段名, 中文名称, 类型, 单位, 脱敏方式, 说明).
  SHA256SUMS   ``sha256sum -c`` format, covering every other file of the folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..catalog.model import Resource
from ..catalog.vocab import Mask
from ..rules.kinds import FIELD_KIND_LABELS, KINDS

T = TypeVar("T")
BOM = b"\xef\xbb\xbf"
XLSX_MAX_ROWS = 200_000
"""Rows up to which a release also gets an XLSX file (see the module docstring)."""
NUMERIC_KINDS = frozenset(kind.name for kind in KINDS.values() if kind.stored in ("integer", "decimal"))
DICTIONARY_HEADER = ("字段名", "中文名称", "类型", "单位", "脱敏方式", "说明")
MASK_LABELS: dict[str, str] = {
    "none": "不脱敏",
    "name": "姓名脱敏（保留姓氏）",
    "id_card": "证件号脱敏（保留前6位和后4位）",
    "phone": "电话脱敏（手机保留前3位和后4位，固话保留前4位和后2位）",
    "landline": "固话脱敏（保留前4位和后2位）",
    "address": "地址脱敏（保留至区县）",
    "email": "邮箱脱敏（保留首字符和域名）",
    "bank_card": "银行卡号脱敏（保留前4位和后4位）",
    "hash": "哈希（HMAC-SHA256）",
}
_SLICE = 100_000
_JSON_NUMBER = r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$"
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
_ILLEGAL_XLSX = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def columns_in_threads(work: Callable[[int], T], count: int) -> list[T]:
    """``work(k)`` for each column k, on as many threads as there are cores: Arrow kernels release
    the GIL, and each works on one column at a time."""
    if count <= 1:
        return [work(k) for k in range(count)]
    with ThreadPoolExecutor(max_workers=min(count, os.cpu_count() or 1)) as pool:
        return list(pool.map(work, range(count)))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_csv(path: Path, table: pa.Table) -> None:
    with path.open("wb") as f:
        f.write(BOM)
        pacsv.write_csv(table, f, pacsv.WriteOptions(quoting_style="needed"))


def _column_json(batch: pa.RecordBatch, names: list[str], numeric: set[str], k: int) -> tuple[pa.Array, str]:
    """:func:`_json_values` of the batch's ``k``-th column."""
    return _json_values(batch.column(k), names[k] in numeric)


def _json_values(values: pa.Array, numeric: bool) -> tuple[pa.Array, str]:
    """Each value as JSON text, and the quote to put around it: a number as it is (numeric kinds), a
    string quoted, null as null. A column of plain strings without nulls (the usual case) is given
    back as it is, to be quoted by the row's separators: no copy of it."""
    escape = pc.fill_null(pc.match_substring_regex(values, _NEEDS_ESCAPE), False)
    needs_escape = pc.any(escape).as_py() or False
    number = pc.fill_null(pc.match_substring_regex(values, _JSON_NUMBER), False) if numeric else None
    if values.null_count == 0 and not needs_escape:
        if number is None or not pc.any(number).as_py():
            return values, '"'
        if pc.all(number).as_py():
            return values, ""
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    if needs_escape:
        odd = pc.filter(values, escape).to_pylist()
        quoted = pc.replace_with_mask(quoted, escape, pa.array([orjson.dumps(v).decode() for v in odd], pa.string()))
    if number is not None:
        quoted = pc.if_else(number, values, quoted)
    return pc.fill_null(quoted, "null"), ""


def _buffer(values: pa.Array) -> memoryview:
    """The concatenated bytes of a string array without nulls: its data buffer between the offsets."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    return memoryview(values.buffers()[2])[offsets[0] : offsets[-1]]


def write_json(path: Path, table: pa.Table, numeric: Iterable[str] = ()) -> None:
    """The rows as a JSON array of objects (see the module docstring)."""
    numeric = set(numeric)
    keys = [orjson.dumps(name).decode() for name in table.column_names]
    first = True
    with path.open("wb") as f:
        f.write(b"[\n")
        for batch in table.to_batches(max_chunksize=_SLICE):
            if batch.num_rows == 0:
                continue
            if batch.num_columns == 0:
                rows = pa.array([",\n{}"] * batch.num_rows, pa.string())
            else:
                values = columns_in_threads(
                    partial(_column_json, batch, table.column_names, numeric), batch.num_columns
                )
                parts: list[pa.Array | str] = []
                close = ""
                for k, (value, quote) in enumerate(values):
                    parts += [close + ("," if k else ",\n{") + keys[k] + ":" + quote, value]
                    close = quote
                rows = pc.binary_join_element_wise(*parts, close + "}", "")
            data = _buffer(rows)
            f.write(data[2:] if first else data)  # no separator before the first row
            first = False
        f.write(b"]\n" if first else b"\n]\n")


def write_xlsx(path: Path, table: pa.Table, title: str, numeric: Iterable[str] = ()) -> None:
    """One sheet, header = field names; numbers of the numeric kinds as numbers. Control characters,
    which XLSX cannot hold, are left out."""
    from openpyxl import Workbook

    numeric = set(numeric)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append(table.column_names)
    for batch in table.to_batches(max_chunksize=_SLICE):
        columns = []
        for name, values in zip(batch.schema.names, batch.columns, strict=True):
            values = pc.replace_substring_regex(values, _ILLEGAL_XLSX, "")
            if name in numeric:
                try:
                    values = pc.cast(values, pa.float64())
                except pa.ArrowInvalid:  # a value that is no number: the column stays text
                    pass
            columns.append(values.to_pylist())
        for row in zip(*columns, strict=True):
            ws.append(row)
    wb.save(path)


def write_dictionary(path: Path, resource: Resource, masks: dict[str, Mask]) -> None:
    """One row per released field, in release order (see the module docstring)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(DICTIONARY_HEADER)
    for name, mask in masks.items():
        f = resource.field(name)
        if f is None:  # pragma: no cover - masking releases catalog fields only
            raise ValueError(f"released column '{name}' is no field of resource '{resource.id}'")
        unit = f.unit or ""
        writer.writerow(
            [f.name, f.label or "", FIELD_KIND_LABELS[f.kind], unit, MASK_LABELS[mask], f.description or ""]
        )
    path.write_bytes(BOM + buf.getvalue().encode("utf-8"))


def write_checksums(path: Path, files: dict[str, str]) -> None:
    """``<sha256>  <name>`` per file (``sha256sum -c SHA256SUMS`` checks the folder)."""
    path.write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(files.items())), encoding="utf-8")
