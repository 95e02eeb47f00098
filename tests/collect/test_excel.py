"""The Excel connector: workbooks built here in the shapes departments send, read as a collector would."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from gongshu.catalog import load_catalog
from gongshu.catalog.model import ExcelSource
from gongshu.collect.base import SOURCE_ROW, SourceError
from gongshu.collect.excelcells import cell_text
from gongshu.collect.excelfile import read_excel

REPO = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((REPO / "samples" / "manifest.json").read_text(encoding="utf-8"))["resources"]

HEADER = ["序号", "机构名称", "统一社会信用代码", "核定床位数", "发证日期"]


def data_rows(n: int = 5) -> list[list]:
    return [
        [i, f"椒江区第{i}诊所", f"92331002MA2N1B0X{i:02d}", 10 + i, dt.datetime(2024, 1, i % 28 + 1)]
        for i in range(1, n + 1)
    ]


def workbook(
    tmp_path: Path, rows: list[list], *, name: str = "data.xlsx", sheet: str = "Sheet1", merges=(), date_cols=(5,)
):
    """Write ``rows`` (from row 1) to an .xlsx; ``date_cols`` (1-based) get a date format."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if c in date_cols and isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd"
    for rng in merges:
        ws.merge_cells(rng)
    path = tmp_path / name
    wb.save(path)
    return path


def read(tmp_path: Path, name: str = "data.xlsx", chunk_rows: int = 100_000, **kw):
    reading = read_excel(ExcelSource(kind="excel", path=name, **kw), tmp_path, chunk_rows=chunk_rows)
    chunks = list(reading.chunks)
    table = pa.concat_tables(chunks) if chunks else None
    return reading, chunks, table


def raises(tmp_path: Path, **kw) -> SourceError:
    with pytest.raises(SourceError) as info:
        read(tmp_path, **kw)
    return info.value


# --- header ------------------------------------------------------------------------------------


def test_header_found_under_merged_title_and_subtitle(tmp_path):
    rows = [
        ["台州市医疗机构基本信息表（截至2025年10月31日）"],
        ["填报单位：台州市卫生健康委员会\u3000\u3000统计截止日期：2025年10月31日"],
        HEADER,
        *data_rows(5),
    ]
    workbook(tmp_path, rows, merges=["A1:E1"])
    reading, chunks, t = read(tmp_path)
    assert reading.columns == HEADER
    assert "header detected on row 3" in reading.notes
    assert t.num_rows == 5
    assert t.column(SOURCE_ROW).to_pylist() == [1, 2, 3, 4, 5]
    assert t.column("机构名称").to_pylist()[0] == "椒江区第1诊所"
    assert reading.description == "excel data.xlsx sheet Sheet1 (xlsx)"
    assert reading.digest == "sha256:" + hashlib.sha256((tmp_path / "data.xlsx").read_bytes()).hexdigest()


def test_header_on_row_one(tmp_path):
    workbook(tmp_path, [HEADER, *data_rows(3)])
    reading, _, t = read(tmp_path)
    assert reading.columns == HEADER
    assert "header detected on row 1" in reading.notes
    assert t.num_rows == 3


def test_explicit_header_row_wins(tmp_path):
    # row 1 is a row of text labels a detector would take for the header
    rows = [["说明", "本表", "由系统", "导出", "请勿修改"], HEADER, *data_rows(3)]
    workbook(tmp_path, rows)
    reading, _, t = read(tmp_path, header_row=2)
    assert reading.columns == HEADER
    assert not any("detected" in n for n in reading.notes)
    assert t.column("序号").to_pylist() == ["1", "2", "3"]


def test_explicit_header_row_that_is_empty(tmp_path):
    workbook(tmp_path, [["标题"], [], HEADER, *data_rows(2)])
    err = raises(tmp_path, header_row=2)
    assert err.code == "SOURCE_HEADER"
    assert err.line == 2
    assert "row 3" in err.message


@pytest.mark.parametrize(
    "merges",
    [["A1:E1", "A2:A3", "B2:B3", "C2:D2", "E2:E3"], ["A1:E1", "C2:D2"]],
    ids=["others-merged-down", "only-the-group-merged"],
)
def test_merged_two_row_header_joins_names(tmp_path, merges):
    rows = [
        ["台州市医疗机构联系信息表"],
        ["序号", "机构名称", "联系方式", None, "地址"],
        [None, None, "电话", "邮箱", None],
        [1, "椒江区人民医院", "0576-84443627", "a@example.cn", "青年路662号"],
        [2, "椒江区中医院", "0576-84790307", None, "东海大道891号"],
    ]
    workbook(tmp_path, rows, merges=merges)
    reading, _, t = read(tmp_path)
    assert reading.columns == ["序号", "机构名称", "联系方式/电话", "联系方式/邮箱", "地址"]
    assert "header detected on row 2" in reading.notes
    assert any("rows 2–3" in n for n in reading.notes)
    assert t.column("联系方式/邮箱").to_pylist() == ["a@example.cn", None]
    assert t.column(SOURCE_ROW).to_pylist() == [1, 2]


def test_merged_cell_over_data_is_not_a_two_row_header(tmp_path):
    # a header cell merged across two columns with data (not text labels) below it
    rows = [
        ["编号", "地址", None, "电话"],
        ["1", "椒江区", "青年路662号", "0576-84443627"],
        ["2", "黄岩区", "东城路1号", "0576-1"],
    ]
    workbook(tmp_path, rows, merges=["B1:C1"])
    reading, _, t = read(tmp_path, header_row=1)
    assert reading.columns == ["编号", "地址", "column_C", "电话"]
    assert t.num_rows == 2


def test_duplicate_header_names(tmp_path):
    workbook(tmp_path, [["编号", "电话", "电话 "], [1, 2, 3]])
    err = raises(tmp_path)
    assert err.code == "SOURCE_HEADER"
    assert "电话 (columns B, C)" in err.message


# --- rows --------------------------------------------------------------------------------------


def test_total_row_ignored_and_empty_rows_skipped(tmp_path):
    rows = [
        ["医疗机构汇总表"],
        HEADER,
        *data_rows(3),  # sheet rows 3-5
        [],  # 6: empty inside the data
        *data_rows(2),  # 7-8
        ["小计", None, None, 30],  # 9: a subtotal followed by data is a record
        *data_rows(1),  # 10
        ["合 计", None, None, 99],  # 11
        [],
        [],
    ]
    workbook(tmp_path, rows, merges=["A1:E1"])
    reading, _, t = read(tmp_path)
    assert t.num_rows == 7
    assert t.column(SOURCE_ROW).to_pylist() == list(range(1, 8))
    assert t.column("序号").to_pylist() == ["1", "2", "3", "1", "2", "小计", "1"]
    assert "ignored 1 合计 row (sheet row 11)" in reading.notes
    assert any("empty row inside the data (sheet row 6)" in n for n in reading.notes)
    assert any("小计" in n and "sheet row 9" in n for n in reading.notes)


def test_values_right_of_the_header_are_noted(tmp_path):
    rows = [HEADER, *data_rows(2), [3, "x", "y", 1, None, None, "备注：待核实"]]
    workbook(tmp_path, rows)
    reading, _, t = read(tmp_path)
    assert reading.columns == HEADER
    assert t.num_rows == 3
    assert any("right of the last named column in 1 row (first: sheet row 4, column G)" in n for n in reading.notes)


def test_chunks_bounded_and_source_rows_continuous(tmp_path):
    workbook(tmp_path, [HEADER, *data_rows(50)])
    _, chunks, t = read(tmp_path, chunk_rows=7)
    assert [c.num_rows for c in chunks] == [7] * 7 + [1]
    assert t.column(SOURCE_ROW).to_pylist() == list(range(1, 51))
    assert t.column("序号").to_pylist() == [str(i) for i in range(1, 51)]
    assert all(t.schema.field(c).type == pa.string() for c in HEADER)


def test_header_only_sheet_has_no_rows(tmp_path):
    workbook(tmp_path, [HEADER])
    reading, chunks, _ = read(tmp_path)
    assert reading.columns == HEADER
    assert sum(c.num_rows for c in chunks) == 0


def test_cell_values_render_as_a_person_sees_them(tmp_path):
    header = [
        "整数",
        "整值小数",
        "小数",
        "浮点误差",
        "很小",
        "很大",
        "日期",
        "日期时间",
        "时间",
        "布尔",
        "日期序号",
        "文本编码",
        "空串",
    ]
    values = [
        12,
        12.0,
        16.34,
        0.1 + 0.2,
        0.00001,
        1e20,
        dt.datetime(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5),
        dt.time(8, 30),
        True,
        44927,
        "0576",
        "",
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    ws.append(values)
    ws.append([None, None, None, None, None, None, None, None, None, False])
    ws["G2"].number_format = "yyyy-mm-dd"
    ws["H2"].number_format = "yyyy-mm-dd hh:mm:ss"
    ws["I2"].number_format = "hh:mm"
    wb.save(tmp_path / "data.xlsx")
    _, _, t = read(tmp_path)
    got = t.to_pylist()
    assert {k: v for k, v in got[0].items() if k != SOURCE_ROW} == {
        "整数": "12",
        "整值小数": "12",
        "小数": "16.34",
        "浮点误差": "0.3",
        "很小": "0.00001",
        "很大": "100000000000000000000",
        "日期": "2024-01-02",
        "日期时间": "2024-01-02 03:04:05",
        "时间": "08:30:00",
        "布尔": "TRUE",
        "日期序号": "44927",
        "文本编码": "0576",
        "空串": None,
    }
    assert got[1]["布尔"] == "FALSE" and got[1]["整数"] is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567.891, "1234567.891"),
        (0.1 + 0.2, "0.3"),
        (100.0, "100"),
        (-0.5, "-0.5"),
        (1.5e-7, "0.00000015"),
        (123456789012345678.0, "123456789012346000"),
        (dt.datetime(2024, 1, 2, 23, 59, 59, 999_600), "2024-01-03"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.timedelta(hours=26, minutes=5), "26:05:00"),
        ("  ", "  "),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


# --- sheets and files --------------------------------------------------------------------------


def test_sheet_by_name_and_wrong_sheet_name(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表说明"])
    ws = wb.create_sheet("医疗机构")
    ws.append(HEADER)
    ws.append(data_rows(1)[0])
    wb.save(tmp_path / "data.xlsx")
    reading, _, t = read(tmp_path, sheet="医疗机构")
    assert reading.columns == HEADER and t.num_rows == 1
    err = raises(tmp_path, sheet="医疗机够")
    assert err.code == "SOURCE_SHEET"
    assert "说明、医疗机构" in err.message
    assert "did you mean 医疗机构" in err.message


def test_first_sheet_by_default(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "数据"
    wb.active.append(["a", "b"])
    wb.active.append([1, 2])
    wb.create_sheet("其他").append(["x"])
    wb.save(tmp_path / "data.xlsx")
    reading, _, t = read(tmp_path)
    assert reading.columns == ["a", "b"] and "sheet 数据" in reading.description


def test_missing_file(tmp_path):
    err = raises(tmp_path / "catalogs", name="../samples/nope.xlsx")
    assert err.code == "SOURCE_NOT_FOUND"
    assert "../samples/nope.xlsx" in err.message and str(tmp_path / "samples" / "nope.xlsx") in err.message


def test_html_saved_as_xls_is_explained(tmp_path):
    (tmp_path / "export.xls").write_text("<html><body><table><tr><td>编号</td></tr></table></body></html>")
    err = raises(tmp_path, name="export.xls")
    assert err.code == "SOURCE_FORMAT"
    assert "HTML" in err.message and "save it as .xlsx" in err.message


def test_csv_named_xlsx_is_not_a_workbook(tmp_path):
    (tmp_path / "data.xlsx").write_text("编号,名称\n1,2\n", encoding="utf-8")
    err = raises(tmp_path)
    assert err.code == "SOURCE_FORMAT"
    assert "kind: csv" in err.message


def test_xlsx_named_xls_is_read_by_its_content(tmp_path):
    workbook(tmp_path, [HEADER, *data_rows(2)], name="renamed.xls")
    reading, _, t = read(tmp_path, name="renamed.xls")
    assert t.num_rows == 2 and "(xlsx)" in reading.description


def test_xls_workbook(tmp_path):
    xlwt = pytest.importorskip("xlwt", reason="xlwt (to write a test .xls) is not installed")
    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("说明").write(0, 0, "说明")
    sh = book.add_sheet("渔船")
    sh.write_merge(0, 0, 0, 4, "台州市海洋渔船登记信息汇总表")
    for c, name in enumerate(["渔船编码", "船名号", "船长（米）", "登记日期", "在用", "出港时间"]):
        sh.write(1, c, name)
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sh.write(2, 0, "331082201100001")
    sh.write(2, 1, "浙临渔14625")
    sh.write(2, 2, 16.34)
    sh.write(2, 3, dt.datetime(2012, 7, 4), date)
    sh.write(2, 4, True)
    sh.write(2, 5, dt.time(6, 30), xlwt.easyxf(num_format_str="hh:mm"))
    sh.write(3, 0, "331022199800002")
    sh.write(3, 2, 39.0)
    sh.write(3, 3, 44927)  # a date serial in a General cell stays a number
    sh.write(4, 0, "合计")
    sh.write(4, 2, 55.34)
    book.save(str(tmp_path / "boats.xls"))

    reading, _, t = read(tmp_path, name="boats.xls", sheet="渔船")
    assert reading.columns == ["渔船编码", "船名号", "船长（米）", "登记日期", "在用", "出港时间"]
    assert "header detected on row 2" in reading.notes
    assert "ignored 1 合计 row (sheet row 5)" in reading.notes
    assert "(xls)" in reading.description
    assert t.to_pylist() == [
        {
            "渔船编码": "331082201100001",
            "船名号": "浙临渔14625",
            "船长（米）": "16.34",
            "登记日期": "2012-07-04",
            "在用": "TRUE",
            "出港时间": "06:30:00",
            SOURCE_ROW: 1,
        },
        {
            "渔船编码": "331022199800002",
            "船名号": None,
            "船长（米）": "39",
            "登记日期": "44927",
            "在用": None,
            "出港时间": None,
            SOURCE_ROW: 2,
        },
    ]
    err = raises(tmp_path, name="boats.xls", sheet="渔船登记")
    assert err.code == "SOURCE_SHEET" and "did you mean 渔船" in err.message


def test_xls_two_row_header(tmp_path):
    xlwt = pytest.importorskip("xlwt", reason="xlwt (to write a test .xls) is not installed")
    book = xlwt.Workbook(encoding="utf-8")
    sh = book.add_sheet("Sheet1")
    sh.write_merge(0, 1, 0, 0, "序号")
    sh.write_merge(0, 0, 1, 2, "联系方式")
    sh.write(1, 1, "电话")
    sh.write(1, 2, "邮箱")
    sh.write(2, 0, 1)
    sh.write(2, 1, "0576-1")
    sh.write(2, 2, "a@b.cn")
    book.save(str(tmp_path / "c.xls"))
    reading, _, t = read(tmp_path, name="c.xls")
    assert reading.columns == ["序号", "联系方式/电话", "联系方式/邮箱"]
    assert t.column("联系方式/邮箱").to_pylist() == ["a@b.cn"]


# --- the committed samples ---------------------------------------------------------------------


def _excel_resources():
    for path in sorted((REPO / "catalogs").glob("*.yaml")):
        loaded = load_catalog(path)
        assert loaded.ok, loaded.errors
        for res in loaded.catalog.resources:
            if res.source is not None and res.source.kind == "excel":
                yield pytest.param(path, res, id=f"{loaded.catalog.department.id}/{res.id}")


@pytest.mark.parametrize(("catalog_path", "resource"), list(_excel_resources()))
def test_committed_samples_read_in_full(catalog_path, resource):
    expected = MANIFEST[f"{catalog_path.stem}/{resource.id}"]
    reading = read_excel(resource.source, catalog_path.parent, chunk_rows=100)
    table = pa.concat_tables(list(reading.chunks))
    assert table.num_rows == expected["rows"]
    assert table.column(SOURCE_ROW).to_pylist() == list(range(1, expected["rows"] + 1))
    missing = [f.column for f in resource.fields if f.column not in reading.columns]
    assert not missing
    if resource.source.header_row is None:
        assert f"header detected on row {expected['header_row']}" in reading.notes
    if expected.get("footer_rows"):
        assert any(n.startswith(f"ignored {expected['footer_rows']} 合计 row") for n in reading.notes)
