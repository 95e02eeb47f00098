"""Exports of the compiled catalog: JSON document, Excel 目录清单, DCAT JSON-LD."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from rdflib import Graph, Literal, URIRef

from gongshu.catalog import Catalog, resource_completeness
from gongshu.catalog.compiled import CompiledCatalog, CompiledResource
from gongshu.catalog.export import catalog_document, export_dcat, export_json, export_xlsx
from gongshu.rules.checkdigits import uscc_check_char

GENERATED_AT = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DEPT_USCC = "11331000MB1234567" + uscc_check_char("11331000MB1234567")

SCJGJ = {
    "department": {"id": "scjgj", "name": "台州市市场监督管理局", "uscc": DEPT_USCC},
    "resources": [
        {
            "id": "enterprise_registry",
            "name": "企业登记信息",
            "summary": "全市企业登记注册基本信息",
            "category": "法人",
            "format": "数据库",
            "update_cycle": "每日",
            "share": {"type": "有条件共享", "condition": "用于市场监管执法", "method": "接口"},
            "open": {"type": "无条件开放"},
            "level": "L2",
            "primary_key": ["uscc"],
            "publish_date": "2023-03-01",
            "tags": ["企业", "登记"],
            "fields": [
                {"name": "uscc", "label": "统一社会信用代码", "kind": "uscc", "required": True},
                {"name": "company_name", "label": "企业名称", "kind": "text", "required": True},
                {"name": "legal_rep", "label": "法定代表人", "kind": "person_name", "mask": "name"},
                {"name": "capital", "label": "注册资本(万元)", "kind": "amount", "unit": "万元"},
                {"name": "status", "label": "登记状态", "kind": "enum", "values": ["存续", "在业", "注销"]},
            ],
        },
        {
            # 部门 resource, nothing optional filled in: incomplete metadata
            "id": "inspection_log",
            "name": "日常检查记录",
            "category": "部门",
            "format": "电子表格",
            "update_cycle": "不定期",
            "share": {"type": "不予共享"},
            "open": {"type": "不予开放"},
            "level": "L3",
            "fields": [{"name": "record_no", "label": "记录编号", "kind": "text", "required": True}],
        },
    ],
}
WJW = {
    "department": {"id": "wjw", "name": "台州市卫生健康委员会"},
    "resources": [
        {
            "id": "hospitals",
            "name": "医疗机构基本信息",
            "summary": "二级及以上医疗机构名录",
            "category": "公共服务",
            "format": "电子表格",
            "update_cycle": "每半年",
            "share": {"type": "无条件共享", "method": "文件"},
            "open": {"type": "有条件开放", "condition": "签署受限开放协议"},
            "level": "L1",
            "publish_date": "2022-07-01",
            "fields": [
                {"name": "org_name", "label": "机构名称", "kind": "text", "required": True},
                {"name": "grade", "label": "医院等级", "kind": "enum", "values": ["三级甲等", "二级甲等"]},
                {"name": "region", "label": "行政区划代码", "kind": "region_code"},
            ],
        }
    ],
}
CODES = {
    ("scjgj", "enterprise_registry"): "102/00001",
    ("scjgj", "inspection_log"): "300/00001",
    ("wjw", "hospitals"): "201/00001",
}


def compiled(data: dict, version: int = 1) -> CompiledCatalog:
    catalog = Catalog.model_validate(data)
    dept = catalog.department
    return CompiledCatalog(
        catalog=catalog,
        path=Path(f"catalogs/{dept.id}.yaml"),
        version=version,
        content_hash=f"sha256:{dept.id}",
        compiled_at=GENERATED_AT,
        resources=tuple(
            CompiledResource(r, CODES[(dept.id, r.id)], resource_completeness(dept, r)) for r in catalog.resources
        ),
    )


@pytest.fixture
def catalogs() -> list[CompiledCatalog]:
    # deliberately not in id order: exports sort departments by id and resources by code
    return [compiled(WJW, version=3), compiled(SCJGJ)]


def test_json_holds_every_resource_with_code_class_completeness_and_fields(catalogs, tmp_path):
    path = export_json(catalogs, tmp_path / "out" / "catalog.json", generated_at=GENERATED_AT)
    text = path.read_text(encoding="utf-8")
    assert "台州市市场监督管理局" in text  # Chinese written as is, not \u escapes
    doc = json.loads(text)

    assert doc == catalog_document(catalogs, GENERATED_AT)
    assert doc["generated_at"] == "2024-05-06T09:30:00+08:00"
    assert [d["id"] for d in doc["departments"]] == ["scjgj", "wjw"]
    scjgj, wjw = doc["departments"]
    assert (scjgj["uscc"], scjgj["version"], wjw["uscc"], wjw["version"]) == (DEPT_USCC, 1, None, 3)
    assert [r["code"] for r in scjgj["resources"]] == ["102/00001", "300/00001"]

    registry, log = scjgj["resources"]
    assert registry["category_class"] == "基础信息资源"
    assert log["category_class"] == "部门信息资源"
    assert wjw["resources"][0]["category_class"] == "主题信息资源"
    assert registry["share"] == {"type": "有条件共享", "condition": "用于市场监管执法", "method": "接口"}
    assert registry["publish_date"] == "2023-03-01"
    assert registry["completeness"] == {"score": 100.0, "missing": []}
    assert log["completeness"]["score"] < 100
    assert {m["label"] for m in log["completeness"]["missing"]} == {"信息资源摘要", "发布日期"}
    assert scjgj["completeness"] == round((100.0 + log["completeness"]["score"]) / 2, 1)

    status = registry["fields"][-1]
    assert status["name"] == "status"
    assert status["kind_label"] == "枚举型"
    assert status["values"] == ["存续", "在业", "注销"]
    assert registry["fields"][0]["required"] is True and registry["fields"][0]["primary_key"] is True
    assert set(registry["fields"][0]) >= {"name", "label", "kind", "kind_label", "required", "mask", "level"}


def test_xlsx_lists_resources_and_fields_under_chinese_headers(catalogs, tmp_path):
    path = export_xlsx(catalogs, tmp_path / "目录清单.xlsx", generated_at=GENERATED_AT)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["信息资源目录", "信息项", "说明"]

    ws = wb["信息资源目录"]
    header = [c.value for c in ws[1]]
    for name in ["序号", "信息资源代码", "信息资源名称", "信息资源提供方", "信息资源提供方代码", "资源分类",
                 "信息资源摘要", "信息资源格式", "共享类型", "共享条件", "共享方式", "开放类型", "开放条件",
                 "更新周期", "分级", "发布日期", "元数据完整度", "缺失元数据"]:  # fmt: skip
        assert name in header
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert [r["信息资源代码"] for r in rows] == ["102/00001", "300/00001", "201/00001"]
    assert [r["序号"] for r in rows] == [1, 2, 3]
    registry, log, hospitals = rows
    assert registry["信息资源提供方"] == "台州市市场监督管理局"
    assert registry["信息资源提供方代码"] == DEPT_USCC
    assert registry["共享类型"] == "有条件共享" and registry["共享条件"] == "用于市场监管执法"
    assert registry["发布日期"].date() == dt.date(2023, 3, 1)
    assert registry["元数据完整度"] == 100.0 and not registry["缺失元数据"]
    assert log["缺失元数据"] == "信息资源摘要、发布日期"
    assert isinstance(log["元数据完整度"], float) and log["元数据完整度"] < 100
    assert hospitals["信息资源提供方代码"] in (None, "")
    assert hospitals["开放条件"] == "签署受限开放协议"
    assert hospitals["更新周期"] == "每半年"
    assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2")
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}4"
    assert ws["A1"].font.bold

    fs = wb["信息项"]
    fheader = [c.value for c in fs[1]]
    for name in ["信息资源代码", "信息资源名称", "序号", "信息项名称", "字段名", "数据类型", "是否必填",
                 "计量单位", "脱敏规则", "分级", "取值范围"]:  # fmt: skip
        assert name in fheader
    frows = [dict(zip(fheader, (c.value for c in row), strict=True)) for row in fs.iter_rows(min_row=2)]
    assert len(frows) == 5 + 1 + 3
    assert [f["字段名"] for f in frows[:5]] == ["uscc", "company_name", "legal_rep", "capital", "status"]
    uscc, _, legal_rep, capital, status = frows[:5]
    assert (uscc["信息项名称"], uscc["数据类型"], uscc["是否必填"]) == (
        "统一社会信用代码",
        "统一社会信用代码",
        "是",
    )
    assert legal_rep["是否必填"] == "否" and legal_rep["脱敏规则"]
    assert capital["计量单位"] == "万元"
    assert status["取值范围"] == "存续、在业、注销"
    assert [f["序号"] for f in frows[:5]] == [1, 2, 3, 4, 5]
    assert frows[5]["信息资源代码"] == "300/00001"

    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(values_only=True) if row and row[0]}
    assert notes["生成时间"] == "2024-05-06 09:30:00"
    assert (notes["部门数"], notes["信息资源数"], notes["信息项数"]) == (2, 3, 9)
    # time stamps come from generated_at, never the clock: properties (UTC) and zip entries
    assert wb.properties.created == wb.properties.modified == dt.datetime(2024, 5, 6, 1, 30)
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(2024, 5, 6, 9, 30, 0)}


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_dcat_parses_offline_and_describes_every_dataset(catalogs, tmp_path):
    path = export_dcat(catalogs, tmp_path / "catalog.jsonld", generated_at=GENERATED_AT)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc["@context"], dict)  # no remote context to fetch

    g = Graph().parse(data=path.read_text(encoding="utf-8"), format="json-ld")
    rows = g.query(
        """
        PREFIX dcat: <http://www.w3.org/ns/dcat#>
        PREFIX dct: <http://purl.org/dc/terms/>
        PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        SELECT ?ds ?id ?title ?pubname ?access ?freq WHERE {
            ?cat a dcat:Catalog ; dct:title ?ctitle ; dcat:dataset ?ds .
            ?ds a dcat:Dataset ; dct:identifier ?id ; dct:title ?title ; dct:accessRights ?access ;
                dct:accrualPeriodicity ?freq ; dct:publisher ?pub .
            ?pub a foaf:Organization ; foaf:name ?pubname .
        }
        """
    )
    found = {str(r.id): r for r in rows}
    assert set(found) == {"102/00001", "300/00001", "201/00001"}
    access = "http://publications.europa.eu/resource/authority/access-right/"
    freq = "http://publications.europa.eu/resource/authority/frequency/"
    registry = found["102/00001"]
    assert registry.title == Literal("企业登记信息", lang="zh-CN")
    assert registry.pubname == Literal("台州市市场监督管理局", lang="zh-CN")
    assert str(registry.access) == access + "PUBLIC" and str(registry.freq) == freq + "DAILY"
    assert str(found["300/00001"].access) == access + "NON_PUBLIC"
    assert str(found["300/00001"].freq) == freq + "IRREG"
    assert str(found["201/00001"].access) == access + "RESTRICTED"
    assert str(found["201/00001"].freq) == freq + "ANNUAL_2"
    assert str(registry.ds) == "urn:gongshu:resource:102%2F00001"

    dct = "http://purl.org/dc/terms/"
    ds = URIRef("urn:gongshu:resource:102%2F00001")
    assert g.value(ds, URIRef(dct + "issued")) == Literal(
        "2023-03-01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")
    )
    publisher = g.value(ds, URIRef(dct + "publisher"))
    assert str(g.value(publisher, URIRef(dct + "identifier"))) == DEPT_USCC
    wjw_pub = g.value(URIRef("urn:gongshu:resource:201%2F00001"), URIRef(dct + "publisher"))
    assert g.value(wjw_pub, URIRef(dct + "identifier")) is None  # no uscc declared: none invented
    gs = "urn:gongshu:def:"
    assert g.value(ds, URIRef(gs + "shareType")) == Literal("有条件共享", lang="zh-CN")
    assert str(g.value(ds, URIRef(gs + "level"))) == "L2"
    keywords = {str(k) for k in g.objects(ds, URIRef("http://www.w3.org/ns/dcat#keyword"))}
    assert keywords == {"法人", "企业", "登记"}
    titles = set(g.objects(URIRef("urn:gongshu:catalog"), URIRef(dct + "title")))
    assert titles == {Literal("台州市公共数据资源目录", lang="zh-CN")}


def test_exports_are_byte_identical_for_the_same_input(catalogs, tmp_path):
    for export in (export_json, export_dcat, export_xlsx):
        a = export(catalogs, tmp_path / "a" / export.__name__, generated_at=GENERATED_AT).read_bytes()
        b = export(list(reversed(catalogs)), tmp_path / "b" / export.__name__, generated_at=GENERATED_AT)
        later = export(catalogs, tmp_path / "c" / export.__name__, generated_at=GENERATED_AT + dt.timedelta(days=1))
        assert a == b.read_bytes(), export.__name__
        assert a != later.read_bytes(), export.__name__  # the time stamp really comes from generated_at


def test_a_department_given_twice_is_refused(catalogs, tmp_path):
    with pytest.raises(ValueError, match="scjgj"):
        export_json([*catalogs, compiled(SCJGJ)], tmp_path / "x.json")
