"""The CSV connector: files written here in every shape departments send, read as a collector would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pytest

from gongshu.catalog import load_catalog
from gongshu.catalog.model import CsvSource
from gongshu.collect.base import SOURCE_ROW, SourceError
from gongshu.collect.csvfile import read_csv

REPO = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]

HEADER = "统一社会信用代码,企业名称,法定代表人,联系电话,所属行政区划"
ROWS = [
    ["91331004MA2000CT73", "台州宏通装饰工程股份有限公司", "马红", "0576-88123456", "331004"],
    ["91331002MA2DGG0WBW", "椒江区东茂汽车部件有限公司", "张娟霞", "13135466480", "331002"],
    ["92331002MA2N1B0XR5", "椒江区嘉诚诊所", "李文", "", "331002"],
]


def write(tmp_path: Path, data: bytes | str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def source(name: str = "data.csv", **kw) -> CsvSource:
    return CsvSource(kind="csv", path=name, **kw)


def read_all(tmp_path: Path, chunk_rows: int = 100_000, **kw):
    reading = read_csv(source(**kw), tmp_path, chunk_rows=chunk_rows)
    chunks = list(reading.chunks)
    return reading, chunks


def rows_of(chunks: list[pa.Table], columns: list[str]) -> list[list[str | None]]:
    out = []
    for chunk in chunks:
        out.extend([r[c] for c in columns] for r in chunk.to_pylist())
    return out


def text(rows: list[list[str]], header: str = HEADER, sep: str = ",", end: str = "\n") -> str:
    return end.join([header.replace(",", sep)] + [sep.join(r) for r in rows]) + end


def raises(tmp_path: Path, **kw) -> SourceError:
    """The SourceError from opening or reading the file to the end."""
    with pytest.raises(SourceError) as info:
        read_all(tmp_path, **kw)
    return info.value


# --- encodings ---------------------------------------------------------------------------------


def test_utf8_values_round_trip_exactly(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[0][1] = "  台州宏通装饰工程股份有限公司 "  # whitespace is data: kept
    write(tmp_path, text(rows))
    reading, chunks = read_all(tmp_path, encoding="utf-8")
    assert reading.columns == HEADER.split(",")
    got = rows_of(chunks, reading.columns)
    assert got == [[v if v != "" else None for v in r] for r in rows]
    assert reading.description == "csv data.csv (utf-8)"
    assert reading.digest == "sha256:" + hashlib.sha256((tmp_path / "data.csv").read_bytes()).hexdigest()
    assert all(c.schema.field(n).type == pa.string() for c in chunks for n in reading.columns)
    assert chunks[0].schema.field(SOURCE_ROW).type == pa.int64()


def test_utf8_bom_is_stripped_from_the_first_column(tmp_path):
    write(tmp_path, b"\xef\xbb\xbf" + text(ROWS, end="\r\n").encode())
    reading, chunks = read_all(tmp_path, encoding="auto")
    assert reading.columns[0] == "统一社会信用代码"
    assert "detected encoding utf-8 (BOM)" in reading.notes
    assert rows_of(chunks, reading.columns)[1] == ROWS[1]
    # declared utf-8 reads the same file the same way
    reading, chunks = read_all(tmp_path, encoding="utf-8")
    assert reading.columns[0] == "统一社会信用代码"
    assert rows_of(chunks, reading.columns)[0] == ROWS[0]


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_gbk_and_gb18030_detected_and_read_intact(tmp_path, codec):
    rows = [r[:] for r in ROWS]
    if codec == "gb18030":
        rows[2][2] = "王䶮"  # not in GBK
    write(tmp_path, text(rows, end="\r\n"), encoding=codec)
    reading, chunks = read_all(tmp_path, encoding="auto")
    assert "detected encoding gb18030" in reading.notes
    assert reading.columns == HEADER.split(",")
    assert rows_of(chunks, reading.columns) == [[v or None for v in r] for r in rows]
    assert reading.description == "csv data.csv (gb18030)"


def test_declared_gbk_reads_gbk(tmp_path):
    write(tmp_path, text(ROWS), encoding="gbk")
    reading, chunks = read_all(tmp_path, encoding="gbk")
    assert rows_of(chunks, reading.columns)[0] == ROWS[0]
    assert not any("detected encoding" in n for n in reading.notes)


def test_gbk_after_a_long_ascii_start_is_detected(tmp_path):
    ascii_rows = [[f"9133100{i:011d}", f"company {i}", "x", "13800000000", "331002"] for i in range(120_000)]
    data = text(ascii_rows, header="uscc,name,rep,phone,region").encode() + ",".join(ROWS[0]).encode("gbk") + b"\n"
    assert len(data) > 5 << 20 and data[: 5 << 20].isascii()
    write(tmp_path, data)
    reading, chunks = read_all(tmp_path, encoding="auto")
    assert "detected encoding gb18030" in reading.notes
    got = rows_of(chunks, reading.columns)
    assert len(got) == 120_001
    assert got[-1] == ROWS[0]


def test_declared_utf8_but_gbk_names_the_line_and_suggests_gbk(tmp_path):
    rows = [["91331004MA2000CT73", "Taizhou Co", "Ma", "13800000000", "331004"], ROWS[1]]
    write(tmp_path, text(rows), encoding="gbk")  # header and row 2 in GBK; line 2 is ASCII
    header_ascii = "uscc,name,rep,phone,region"
    write(tmp_path, text(rows, header=header_ascii), encoding="gbk")
    err = raises(tmp_path, encoding="utf-8")
    assert err.code == "SOURCE_ENCODING"
    assert err.line == 3
    assert "line 3" in err.message
    assert "declare encoding: gbk" in err.message
    assert "椒江区东茂汽车部件有限公司" in err.message  # the line as GBK, so the clerk recognises it
    assert err.location == str(tmp_path / "data.csv")
    assert not err.transient


def test_undecodable_bytes_deep_in_a_large_file_raise_while_reading(tmp_path):
    rows = [[f"9133100{i:011d}", "台州某某有限公司", "张三", "13800000000", "331002"] for i in range(80_000)]
    data = text(rows).encode() + ",".join(ROWS[1]).encode("gbk") + b"\n"
    assert len(data) > 5 << 20  # past what is checked when the file is opened
    write(tmp_path, data)
    reading = read_csv(source(encoding="utf-8"), tmp_path)  # opens fine: the start is UTF-8
    with pytest.raises(SourceError) as info:
        for _ in reading.chunks:
            pass
    err = info.value
    assert err.code == "SOURCE_ENCODING"
    assert err.line == 80_002
    assert "line 80002" in err.message and "declare encoding: gbk" in err.message


def test_declared_gbk_with_a_gb18030_only_character_suggests_gb18030(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[1][2] = "李䶮"
    write(tmp_path, text(rows), encoding="gb18030")
    err = raises(tmp_path, encoding="gbk")
    assert err.code == "SOURCE_ENCODING"
    assert err.line == 3
    assert "declare encoding: gb18030" in err.message
    assert "䶮" in err.message


def test_declared_gbk_but_utf8_suggests_utf8(tmp_path):
    write(tmp_path, text(ROWS))
    err = raises(tmp_path, encoding="gbk")
    assert err.code == "SOURCE_ENCODING"
    assert "declare encoding: utf-8" in err.message


# --- shape -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sep", "noted"), [("|", "detected delimiter '|'"), ("\t", "detected delimiter tab")])
def test_delimiter_sniffed_from_the_header(tmp_path, sep, noted):
    rows = [r[:] for r in ROWS]
    rows[0][1] = "台州宏通装饰工程股份有限公司,（分公司）"  # a comma inside a value is not the delimiter
    write(tmp_path, text(rows, sep=sep))
    reading, chunks = read_all(tmp_path, encoding="auto")
    assert noted in reading.notes
    assert reading.columns == HEADER.split(",")
    assert rows_of(chunks, reading.columns)[0] == rows[0]


def test_declared_delimiter_is_used(tmp_path):
    write(tmp_path, text(ROWS, sep=";"))
    reading, chunks = read_all(tmp_path, delimiter=";")
    assert len(reading.columns) == 5
    assert not any("delimiter" in n for n in reading.notes)
    assert rows_of(chunks, reading.columns)[1] == ROWS[1]


def test_quoted_values_keep_line_breaks_delimiters_and_quotes(tmp_path):
    data = '编号,地址,备注\r\n1,"浙江省台州市\r\n椒江区","他说""好"""\r\n2,"a,b",\r\n3,"",NULL\r\n'
    write(tmp_path, data)
    reading, chunks = read_all(tmp_path)
    table = pa.concat_tables(chunks)
    assert table.column("地址").to_pylist() == ["浙江省台州市\r\n椒江区", "a,b", None]
    assert table.column("备注").to_pylist() == ['他说"好"', None, "NULL"]
    assert table.column(SOURCE_ROW).to_pylist() == [1, 2, 3]


def test_codes_and_null_tokens_are_kept_as_text(tmp_path):
    data = "区号,身份证号,金额,备注,空\n0576,332722197006270500,0012.50,NULL,\n0571,33272219540816025X,1e5,无,\n,000000000000000001,NA,null,\n"
    write(tmp_path, data)
    reading, chunks = read_all(tmp_path)
    t = pa.concat_tables(chunks)
    assert t.column("区号").to_pylist() == ["0576", "0571", None]
    assert t.column("身份证号").to_pylist() == ["332722197006270500", "33272219540816025X", "000000000000000001"]
    assert t.column("金额").to_pylist() == ["0012.50", "1e5", "NA"]
    assert t.column("备注").to_pylist() == ["NULL", "无", "null"]
    assert t.column("空").to_pylist() == [None, None, None]


def test_chunks_are_bounded_and_source_rows_continuous(tmp_path):
    rows = [[f"{i:04d}", f"名称{i}", "x", "", "331002"] for i in range(1, 51)]
    write(tmp_path, text(rows))
    reading, chunks = read_all(tmp_path, chunk_rows=7)
    assert [c.num_rows for c in chunks] == [7] * 7 + [1]
    assert pa.concat_tables(chunks).column(SOURCE_ROW).to_pylist() == list(range(1, 51))
    assert pa.concat_tables(chunks).column("统一社会信用代码").to_pylist() == [f"{i:04d}" for i in range(1, 51)]
    assert chunks[0].column_names == [*HEADER.split(","), SOURCE_ROW]


def test_blank_lines_are_skipped_and_not_counted(tmp_path):
    write(tmp_path, "a,b\n\n1,2\n\n\n3,4\n\n")
    reading, chunks = read_all(tmp_path)
    t = pa.concat_tables(chunks)
    assert t.column("a").to_pylist() == ["1", "3"]
    assert t.column(SOURCE_ROW).to_pylist() == [1, 2]


def test_reading_is_lazy(tmp_path):
    write(tmp_path, "a,b,c\n1,2,3\n4,5\n")  # a ragged row: only found when the rows are read
    reading = read_csv(source(), tmp_path)
    assert reading.columns == ["a", "b", "c"]
    with pytest.raises(SourceError):
        list(reading.chunks)


# --- broken files ------------------------------------------------------------------------------


def test_ragged_rows_are_all_listed_with_their_file_lines(tmp_path):
    data = (
        "a,b,c\n"  # line 1
        "1,2,3\n"  # 2
        '2,"two\nlines",3\n'  # 3-4: a quoted line break shifts the lines after it
        "3,4\n"  # 5: too few
        "\n"  # 6: blank
        "4,5,6\n"  # 7
        "5,6,7,8\n"  # 8: too many
        '6,"x\ny\nz",9\n'  # 9-11
        "7,8,9,10,11\n"  # 12: too many
        "8,9,10\n"  # 13
    )
    write(tmp_path, data)
    err = raises(tmp_path)
    assert err.code == "SOURCE_RAGGED"
    assert err.line == 5
    assert "3 rows have the wrong number of fields" in err.message
    assert "line 5 (2 fields, expected 3), line 8 (4 fields, expected 3), line 12 (5 fields, expected 3)" in err.message


def test_many_ragged_rows_list_twenty_and_count_the_rest(tmp_path):
    lines = ["a,b,c"] + ["1,2" if i % 2 else "1,2,3" for i in range(60)]
    write(tmp_path, "\n".join(lines) + "\n")
    err = raises(tmp_path)
    assert err.code == "SOURCE_RAGGED"
    assert "30 rows have the wrong number of fields" in err.message
    assert "line 3 (2 fields, expected 3)" in err.message
    assert "and 10 more" in err.message
    assert "line 41 (2 fields" in err.message and "line 43 (2" not in err.message


def test_every_row_wrong_points_at_the_header_or_delimiter(tmp_path):
    write(tmp_path, "a,b\n1,2,3\n4,5,6\n7,8,9\n")
    err = raises(tmp_path)
    assert err.code == "SOURCE_RAGGED"
    assert "every row has 3 fields but the header has 2" in err.message


def test_file_cut_in_the_middle_of_a_row_is_truncated(tmp_path):
    write(tmp_path, text(ROWS).rstrip("\n") + "\n91331002MA2N1B0XR5,椒江区")
    err = raises(tmp_path)
    assert err.code == "SOURCE_TRUNCATED"
    assert err.line == 5
    assert "truncated at line 5" in err.message
    assert "2 of 5 fields" in err.message


def test_file_ending_inside_a_quoted_value_is_truncated(tmp_path):
    write(tmp_path, 'a,b,c\n1,2,3\n4,5,"浙江省台州市\n椒江区')
    err = raises(tmp_path)
    assert err.code == "SOURCE_TRUNCATED"
    assert err.line == 3
    assert "truncated at line 3" in err.message and "never closed" in err.message


@pytest.mark.parametrize("encoding", ["auto", "utf-8"])
def test_file_cut_in_the_middle_of_a_character_is_truncated(tmp_path, encoding):
    data = text(ROWS).encode()
    write(tmp_path, data[: data.rindex("椒".encode()) + 2])  # 2 of the 3 bytes of 椒
    err = raises(tmp_path, encoding=encoding)
    assert err.code == "SOURCE_TRUNCATED"
    assert err.line == 4
    assert "middle of a character" in err.message


def test_closed_quote_at_the_end_is_not_truncated(tmp_path):
    write(tmp_path, 'a,b,c\n1,2,"x"\n4,5,""')
    reading, chunks = read_all(tmp_path)
    assert pa.concat_tables(chunks).column("c").to_pylist() == ["x", None]


def test_missing_file(tmp_path):
    err = raises(tmp_path / "catalogs", name="../samples/nope.csv")
    assert err.code == "SOURCE_NOT_FOUND"
    assert "../samples/nope.csv" in err.message
    assert str(tmp_path / "samples" / "nope.csv") in err.message
    assert not err.transient


def test_empty_file(tmp_path):
    write(tmp_path, b"")
    err = raises(tmp_path)
    assert err.code == "SOURCE_EMPTY"


@pytest.mark.parametrize("data", ["a,b,c\n", "a,b,c", "a,b,c\r\n\r\n"])
def test_header_only_gives_columns_and_no_rows(tmp_path, data):
    write(tmp_path, data)
    reading, chunks = read_all(tmp_path)
    assert reading.columns == ["a", "b", "c"]
    assert sum(c.num_rows for c in chunks) == 0


def test_duplicate_header_names(tmp_path):
    write(tmp_path, "编号,电话,名称, 电话 \n1,2,3,4\n")
    err = raises(tmp_path)
    assert err.code == "SOURCE_HEADER"
    assert "电话 (columns 2, 4)" in err.message


def test_header_names_are_stripped(tmp_path):
    write(tmp_path, ' 编号 ,"名称\t",\n1,2,3\n')
    reading, chunks = read_all(tmp_path)
    assert reading.columns == ["编号", "名称", "column_3"]
    assert any("column_3" in n for n in reading.notes)


# --- the committed samples ---------------------------------------------------------------------


def _csv_resources():
    for path in sorted((REPO / "catalogs").glob("*.yaml")):
        loaded = load_catalog(path)
        assert loaded.ok, loaded.errors
        for res in loaded.catalog.resources:
            if res.source is not None and res.source.kind == "csv":
                yield pytest.param(path, res, id=f"{loaded.catalog.department.id}/{res.id}")


@pytest.mark.parametrize(("catalog_path", "resource"), list(_csv_resources()))
def test_committed_samples_read_in_full(catalog_path, resource):
    dept = catalog_path.stem
    expected = MANIFEST[f"{dept}/{resource.id}"]
    reading = read_csv(resource.source, catalog_path.parent, chunk_rows=200)
    rows = sum(c.num_rows for c in reading.chunks)
    assert rows == expected["rows"]
    missing = [f.column for f in resource.fields if f.column not in reading.columns]
    assert not missing
    if expected.get("bom"):
        assert "with BOM" in reading.description
    if expected.get("encoding") in ("gbk", "gb18030"):
        assert "(gb" in reading.description
