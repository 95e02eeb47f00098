"""The sample departments: catalogs, generated sources, planted faults, the demo API, large files.

What a data engineer relies on: regenerating gives the committed files; every fault the manifest
lists is really in the source (and nothing else is wrong); the sources look as the catalogs say
(encodings, title rows, query, paging); the large-file mode writes what its manifest says.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib
import importlib.util
import io
import json
import re
import sqlite3
import threading
import unicodedata
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from stdnum.cn import ric, uscc

from gongshu.catalog import yamlpos
from gongshu.catalog.model import Catalog

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CATALOGS = ROOT / "catalogs"

REJECTING = {"USCC_CHECKSUM", "ID_CARD_CHECKSUM", "ID_CARD_BIRTHDATE", "DATE_INVALID", "PHONE_INVALID",
             "ENUM_INVALID", "REGION_INVALID", "REQUIRED_MISSING"}  # fmt: skip
WARNINGS = {"USCC_PILOT", "ID_CARD_LEGACY15"}
REPAIRABLE = {"DATE_MIXED_FORMAT", "FULLWIDTH", "NULL_TOKEN", "AMOUNT_UNIT", "PHONE_FORMAT", "ENUM_ALIAS"}
NULL_TOKENS = {"无", "/", "—", "NULL", "空"}
PILOT_CODES = {"91350100M0001TGQXM", "91350211M0000XUF46"}
REGIONS = {"331000", "331002", "331003", "331004", "331022", "331023", "331024", "331081", "331082", "331083"}
MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
LANDLINE = re.compile(r"^0576-8\d{7}$", re.ASCII)
NUMBER = re.compile(r"^-?\d+(\.\d+)?$", re.ASCII)
FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]")  # not the punctuation: （）；
DATE_FORMATS = ("%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d")
DATETIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y年%m月%d日 %H:%M:%S")


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load("samples_generate", SAMPLES / "generate.py")
api_server = _load("samples_api_server", SAMPLES / "api_server.py")


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict[str, Any]]:
    """Raw catalog documents by department id."""
    docs = [yamlpos.load(p.read_text(encoding="utf-8")) for p in sorted(CATALOGS.glob("*.yaml"))]
    return {d["department"]["id"]: d for d in docs}


@pytest.fixture(scope="module")
def resources(catalogs) -> dict[str, dict[str, Any]]:
    """Catalog resources by ``department/resource``."""
    return {f"{dept}/{r['id']}": r for dept, doc in catalogs.items() for r in doc["resources"]}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    generate.generate(out)
    return out


@pytest.fixture(scope="module")
def sources(manifest, resources) -> dict[str, list[dict[str, Any]]]:
    """Every committed source, read as its collector would: rows keyed by field name."""
    return {key: read_source(SAMPLES, entry, resources[key]) for key, entry in manifest["resources"].items()}


# ---- reading sources --------------------------------------------------------------------------


def column(field: dict[str, Any]) -> str:
    return field.get("source_column") or field.get("label") or field["name"]


def read_table(root: Path, entry: dict[str, Any], resource: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and data records of a source, in source order (title and footer rows left out)."""
    path = root / entry["source"]
    kind = entry["kind"]
    if kind == "csv":
        text = path.read_bytes().decode("utf-8-sig" if entry.get("bom") else entry["encoding"])
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=entry.get("delimiter", ",")))
        return rows[0], rows[1:]
    if kind == "excel":
        ws = openpyxl.load_workbook(path)[entry["sheet"]]
        rows = [list(r) for r in ws.iter_rows(min_row=entry["header_row"], values_only=True)]
        return rows[0], rows[1 : len(rows) - entry.get("footer_rows", 0)]
    if kind == "sql":
        with sqlite3.connect(path) as db:
            source = resource["source"]
            cursor = db.execute(source.get("query") or f'SELECT * FROM "{source["table"]}" ORDER BY rowid')
            header = [d[0] for d in cursor.description]
            rows = [list(r) for r in cursor]
        db.close()
        return header, rows
    records = json.loads(path.read_text(encoding="utf-8"))
    header = list(records[0])
    return header, [[r[c] for c in header] for r in records]


def read_source(root: Path, entry: dict[str, Any], resource: dict[str, Any]) -> list[dict[str, Any]]:
    header, rows = read_table(root, entry, resource)
    names = {column(f): f["name"] for f in resource["fields"]}
    return [{names[c]: v for c, v in zip(header, row, strict=True)} for row in rows]


def faulty_cells(entry: dict[str, Any]) -> dict[tuple[int, str], str]:
    """(record number, field) -> fault code, for every planted fault but duplicates."""
    return {
        (row, fault["field"]): code
        for code, fault in entry["faults"].items()
        if code != "PK_DUPLICATE"
        for row in fault["rows"]
    }


# ---- what a clean value looks like ------------------------------------------------------------


def is_empty(value: Any) -> bool:
    return value is None or value == ""


def parse_date(value: str, with_time: bool) -> dt.date | None:
    for fmt in DATETIME_FORMATS if with_time else DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            pass
    return None


def phone_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("86") and len(digits) == 13:  # +86 before a mobile or 576-8xxxxxxx
        digits = digits[2:]
    if digits.startswith("576"):
        digits = "0" + digits
    return f"{digits[:4]}-{digits[4:]}" if digits.startswith("0576") else digits


def canonical(field: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` is a clean, standard value of ``field`` as the source stores it."""
    kind = field["kind"]
    if is_empty(value):
        return not field.get("required", False)
    if isinstance(value, str) and (value != value.strip() or value in NULL_TOKENS):
        return False
    if kind == "uscc":  # stdnum itself would accept full-width or lower-case forms
        return value.isascii() and uscc.is_valid(value) and value == value.upper()
    if kind == "id_card":
        return value.isascii() and id_valid(value)
    if kind == "phone":
        return bool(MOBILE.match(value) or LANDLINE.match(value))
    if kind == "region_code":
        return value in REGIONS
    if kind == "enum":
        return value in field["values"]
    if kind == "date":
        if isinstance(value, dt.datetime):  # a date cell
            return value.time() == dt.time(0)
        return isinstance(value, str) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and _iso(value)
    if kind == "datetime":
        return (
            isinstance(value, str) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", value)) and _iso(value)
        )
    if kind in ("integer", "decimal", "amount"):
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return kind != "integer" or isinstance(value, int)
        return bool(NUMBER.match(value)) and (kind != "integer" or value.isascii() and value.isdigit())
    return isinstance(value, str) and value.isprintable() and not FULLWIDTH_ALNUM.search(value)


def _iso(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def shows(code: str, field: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` has the shape the fault ``code`` is documented to have."""
    text = "" if value is None else str(value)
    if code == "USCC_CHECKSUM":
        return (
            len(text) == 18
            and uscc.calc_check_digit(text[:17]) != text[17]
            and uscc.is_valid(text[:17] + uscc.calc_check_digit(text[:17]))
        )
    if code == "USCC_PILOT":
        return text in PILOT_CODES
    if code == "ID_CARD_CHECKSUM":
        fixed = text[:17] + ric.calc_check_digit(text)
        return len(text) == 18 and text != fixed and ric.is_valid(fixed)
    if code == "ID_CARD_BIRTHDATE":
        return len(text) == 18 and ric.calc_check_digit(text) == text[17] and not _iso_date(text[6:14])
    if code == "ID_CARD_LEGACY15":
        upgraded = text[:6] + "19" + text[6:] + "0"
        return len(text) == 15 and text.isdigit() and ric.is_valid(upgraded[:17] + ric.calc_check_digit(upgraded))
    if code == "DATE_INVALID":
        return not canonical(field, value) and parse_date(text, field["kind"] == "datetime") is None
    if code == "DATE_MIXED_FORMAT":
        if isinstance(value, int):  # an Excel serial number
            return 20000 < value < 60000
        return not canonical(field, value) and parse_date(text, field["kind"] == "datetime") is not None
    if code in ("PHONE_INVALID", "PHONE_FORMAT"):
        fixed = canonical(field, phone_digits(text))
        return not canonical(field, value) and fixed == (code == "PHONE_FORMAT")
    if code == "ENUM_INVALID":
        aliases = {a for spellings in (field.get("aliases") or {}).values() for a in spellings}
        return text not in field["values"] and text not in aliases
    if code == "ENUM_ALIAS":
        return any(text in spellings for spellings in (field.get("aliases") or {}).values())
    if code == "REGION_INVALID":
        return not re.fullmatch(r"\d{6}", text)
    if code == "REQUIRED_MISSING":
        return text in NULL_TOKENS or text == ""
    if code == "NULL_TOKEN":
        return text in NULL_TOKENS
    if code == "AMOUNT_UNIT":
        return "元" in text and not NUMBER.match(text)
    if code == "FULLWIDTH":
        fixed = unicodedata.normalize("NFKC", text).strip()
        return fixed != text and canonical(field, fixed)
    raise AssertionError(f"unknown fault code {code}")


def id_valid(value: str) -> bool:
    """``stdnum.cn.ric.is_valid``, with its slow birth-place look-up cached (for 20,000-row files)."""
    return (
        len(value) == 18
        and value[:17].isdigit()
        and ric.calc_check_digit(value) == value[17]
        and _iso_date(value[6:14])
        and _birth_place_known(value[:6], int(value[6:10]))
    )


@functools.cache
def _birth_place_known(code: str, year: int) -> bool:
    return ric.is_valid(f"{code}{year}0101001" + ric.calc_check_digit(f"{code}{year}01010010"))


def _iso_date(yyyymmdd: str) -> bool:
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return True


# ---- regeneration -----------------------------------------------------------------------------


def test_regenerating_reproduces_the_committed_samples(regenerated, manifest, resources):
    assert (regenerated / "manifest.json").read_bytes() == (SAMPLES / "manifest.json").read_bytes()
    for key, entry in manifest["resources"].items():
        path = entry["source"]
        if entry["kind"] in ("csv", "http"):
            assert (regenerated / path).read_bytes() == (SAMPLES / path).read_bytes(), path
        else:  # workbooks and databases: compare what they hold
            assert read_table(regenerated, entry, resources[key]) == read_table(SAMPLES, entry, resources[key]), key


def test_generating_twice_writes_identical_bytes(regenerated, tmp_path):
    generate.generate(tmp_path)
    files = sorted(p.relative_to(regenerated) for p in regenerated.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    for name in files:
        assert (regenerated / name).read_bytes() == (tmp_path / name).read_bytes(), name


# ---- catalogs ---------------------------------------------------------------------------------


def test_catalogs_are_valid_and_describe_their_samples(catalogs, manifest, resources):
    assert len(catalogs) == 8
    for dept, doc in catalogs.items():
        Catalog.model_validate(doc)
        if doc["department"].get("uscc"):
            code = doc["department"]["uscc"]
            assert code.startswith("11331000") and uscc.calc_check_digit(code[:17]) == code[17], dept
    with_source = {key for key, r in resources.items() if r.get("source")}
    assert set(manifest["resources"]) == with_source
    for key, entry in manifest["resources"].items():
        source = resources[key]["source"]
        if "path" in source:
            assert (CATALOGS / source["path"]).resolve() == (SAMPLES / entry["source"]).resolve(), key
        if source["kind"] == "sql":
            assert source["url"] == f"sqlite:///../samples/{entry['source']}"
        if source["kind"] == "http":
            assert source["url"].endswith(entry["url_path"])
        header, _rows = read_table(SAMPLES, entry, resources[key])
        assert header == [column(f) for f in resources[key]["fields"]], key


def test_the_catalogs_cover_the_vocabularies(resources):
    kinds = {f["kind"] for r in resources.values() for f in r["fields"]}
    assert kinds == {"text", "integer", "decimal", "amount", "date", "datetime", "enum", "uscc", "id_card",
                     "phone", "region_code", "person_name", "address", "email"}  # fmt: skip
    assert {r["share"]["type"] for r in resources.values()} == {"无条件共享", "有条件共享", "不予共享"}
    assert {r["open"]["type"] for r in resources.values()} == {"无条件开放", "有条件开放", "不予开放"}
    assert {r["level"] for r in resources.values()} == {"L1", "L2", "L3", "L4"}
    assert {r["source"]["kind"] for r in resources.values()} == {"csv", "excel", "sql", "http"}
    for key, r in resources.items():
        if r["level"] == "L4":
            assert r["open"]["type"] == "不予开放", key
        assert r["primary_key"] and set(r["primary_key"]) <= {f["name"] for f in r["fields"]}, key
        for f in r["fields"]:
            if f["kind"] == "id_card":
                assert f.get("level") == "L4" and f.get("mask"), (key, f["name"])


# ---- the manifest tells the truth -------------------------------------------------------------


def test_expected_figures_add_up(manifest, sources, resources):
    for key, entry in manifest["resources"].items():
        faults, expected = entry["faults"], entry["expected"]
        assert len(sources[key]) == entry["rows"] == expected["rows_in"], key
        assert expected["rows_in"] == expected["loaded"] + expected["quarantined"] + expected["merged"], key
        assert expected["quarantined"] == sum(f["count"] for c, f in faults.items() if c in REJECTING), key
        assert expected["merged"] == faults.get("PK_DUPLICATE", {"count": 0})["count"], key
        assert expected["warnings"] == sum(f["count"] for c, f in faults.items() if c in WARNINGS), key
        rejected = [r for c, f in faults.items() if c in REJECTING for r in f["rows"]]
        assert len(rejected) == len(set(rejected)), f"{key}: a row carries two rejecting faults"
        dup = faults.get("PK_DUPLICATE", {"rows": [], "of": []})
        assert not set(rejected) & (set(dup["rows"]) | set(dup["of"])), key
        for code, fault in faults.items():
            assert fault["count"] == len(fault["rows"]) > 0, (key, code)
            assert (
                fault["rows"] == sorted(set(fault["rows"]))
                and 1 <= fault["rows"][0] <= fault["rows"][-1] <= entry["rows"]
            )
        # the demo passes its clean gates
        ratio = resources[key].get("quality", {}).get("max_invalid_ratio", 0.05)
        assert expected["quarantined"] / expected["rows_in"] <= ratio, key
        assert 200 <= entry["rows"] <= 1000, key


def test_uscc_check_characters_fail_exactly_where_listed(manifest, sources, resources):
    checked = 0
    for key, entry in manifest["resources"].items():
        for field in (f for f in resources[key]["fields"] if f["kind"] == "uscc"):
            listed = {
                r for code in ("USCC_CHECKSUM", "USCC_PILOT") if entry["faults"].get(code, {}).get("field") == field["name"]
                for r in entry["faults"][code]["rows"]
            }  # fmt: skip
            for number, row in enumerate(sources[key], start=1):
                value = unicodedata.normalize("NFKC", str(row[field["name"]] or "")).strip()
                if len(value) != 18:
                    continue
                checked += 1
                assert (uscc.calc_check_digit(value[:17]) != value[17]) == (number in listed), (key, number, value)
    assert checked > 3000


def test_id_numbers_fail_exactly_where_listed(manifest, sources, resources):
    codes = ("ID_CARD_CHECKSUM", "ID_CARD_BIRTHDATE", "ID_CARD_LEGACY15")
    for key, entry in manifest["resources"].items():
        for field in (f for f in resources[key]["fields"] if f["kind"] == "id_card"):
            listed = {
                r: code for code in codes if entry["faults"].get(code, {}).get("field") == field["name"]
                for r in entry["faults"][code]["rows"]
            }  # fmt: skip
            for number, row in enumerate(sources[key], start=1):
                value = unicodedata.normalize("NFKC", str(row[field["name"]] or "")).strip()
                if not value or entry["faults"].get("REQUIRED_MISSING", {}).get("field") == field["name"]:
                    continue
                if number in listed:
                    assert not ric.is_valid(value) and shows(listed[number], field, value), (key, number, value)
                else:
                    assert ric.is_valid(value) and ric.calc_check_digit(value) == value[17], (key, number, value)


def test_every_listed_cell_has_its_fault_and_every_other_cell_is_clean(manifest, sources, resources):
    for key, entry in manifest["resources"].items():
        fields = {f["name"]: f for f in resources[key]["fields"]}
        listed = faulty_cells(entry)
        for number, row in enumerate(sources[key], start=1):
            for name, value in row.items():
                code = listed.get((number, name))
                if code is None:
                    assert canonical(fields[name], value), (key, number, name, value)
                else:
                    assert shows(code, fields[name], value), (key, number, name, code, value)
                    assert not canonical(fields[name], value), (key, number, name, code, value)


def standard(field: dict[str, Any], value: Any) -> str:
    """The value as the standardiser should make it (enough of it for keys)."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if field["kind"] in ("date", "datetime") and not canonical(field, text):
        parsed = parse_date(text, field["kind"] == "datetime")
        text = str(parsed) if parsed else text
    return text


def test_duplicates_repeat_an_earlier_key_and_no_other_key_repeats(manifest, sources, resources):
    for key, entry in manifest["resources"].items():
        pk = [next(f for f in resources[key]["fields"] if f["name"] == n) for n in entry["primary_key"]]
        dup = entry["faults"]["PK_DUPLICATE"]
        quarantined = {r for c, f in entry["faults"].items() if c in REJECTING for r in f["rows"]}

        def key_of(row: dict[str, Any], pk: list[dict[str, Any]] = pk) -> tuple[str, ...]:
            return tuple(standard(f, row[f["name"]]) for f in pk)

        rows = sources[key]
        for number, original in zip(dup["rows"], dup["of"], strict=True):
            assert original < number and key_of(rows[number - 1]) == key_of(rows[original - 1]), (key, number)
        kept = Counter(key_of(r) for n, r in enumerate(rows, start=1) if n not in quarantined)
        assert sum(c - 1 for c in kept.values()) == dup["count"], key


# ---- source formats ---------------------------------------------------------------------------


def test_gbk_and_gb18030_sources_are_not_utf8(manifest):
    for key in ("zhzfj/admin_penalty", "hyj/fishing_permits"):
        data = (SAMPLES / manifest["resources"][key]["source"]).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("gbk")
        assert re.search(r"[\u4e00-\u9fff]{4}", text) and "\r\n" in text, key
    data = (SAMPLES / manifest["resources"]["zhzfj/citizen_complaints"]["source"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")  # a few names need GB 18030
    assert "工单编号" in data.decode("gb18030")
    assert (SAMPLES / "slj/reservoir_levels.csv").read_bytes().startswith(b"\xef\xbb\xbf\xe6\xb5\x8b")
    assert (SAMPLES / "scjgj/food_business_license.txt").read_text(encoding="utf-8").startswith("许可证编号|")


def test_workbooks_have_title_rows_above_the_header(manifest, resources):
    entry = manifest["resources"]["wjw/medical_institutions"]
    ws = openpyxl.load_workbook(SAMPLES / entry["source"])[entry["sheet"]]
    assert entry["header_row"] == 2 and "A1:O1" in {str(r) for r in ws.merged_cells.ranges}
    assert "医疗机构基本信息表" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header == [column(f) for f in resources["wjw/medical_institutions"]["fields"]]
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "合计" and ws.max_row == 2 + entry["rows"] + 1
    beds = header.index("核定床位数") + 1
    assert last[beds - 1] == sum(ws.cell(r, beds).value for r in range(3, ws.max_row))
    vessels = openpyxl.load_workbook(SAMPLES / "hyj/fishing_vessels.xlsx")["渔船"]
    assert [c.value for c in vessels[3]][:2] == ["渔船编码", "船名号"] and vessels["A2"].value.startswith("填报单位")


def test_subsidy_query_skips_deleted_rows_and_follows_the_watermark(manifest, resources):
    source = resources["rsj/employment_subsidy"]["source"]
    with sqlite3.connect(SAMPLES / "rsj/rsj_front.db") as db:
        rows = db.execute(source["query"]).fetchall()
        stored = db.execute("SELECT count(*) FROM jy_subsidy_payment").fetchone()[0]
        columns = [d[0] for d in db.execute(source["query"]).description]
    db.close()
    assert len(rows) == manifest["resources"]["rsj/employment_subsidy"]["rows"] < stored
    marks = [r[columns.index(source["watermark"])] for r in rows]
    assert marks == sorted(marks)


# ---- the demo API -----------------------------------------------------------------------------


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode("utf-8"))


def test_api_server_pages_concatenate_to_the_data_file(manifest):
    server = api_server.serve("127.0.0.1", 0, SAMPLES)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for entry in (e for e in manifest["resources"].values() if e["kind"] == "http"):
            records, page = [], 1
            while True:
                status, body = _get(f"{base}{entry['url_path']}?page={page}&page_size=100")
                assert status == 200 and body["code"] == 0 and body["data"]["total"] == entry["rows"]
                if not body["data"]["records"]:
                    break
                records += body["data"]["records"]
                page += 1
            assert records == json.loads((SAMPLES / entry["source"]).read_text(encoding="utf-8"))
            assert page == -(-entry["rows"] // 100) + 1
        assert _get(f"{base}/qxj/no_such_resource")[0] == 404
        assert _get(f"{base}/qxj/weather_warnings?page=0")[0] == 400
    finally:
        server.shutdown()
        server.server_close()


# ---- large files ------------------------------------------------------------------------------


def test_large_mode_writes_the_rows_and_faults_its_manifest_counts(tmp_path, resources):
    manifest = generate.generate_large(tmp_path, 20_000, chunk_rows=7_000)
    entry = manifest["resources"]["scjgj/enterprise_registry"]
    fields = {f["name"]: f for f in resources["scjgj/enterprise_registry"]["fields"]}
    with (tmp_path / "enterprise_registry.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip([f["name"] for f in fields.values()], r, strict=True)) for r in reader]
    assert header == [column(f) for f in fields.values()]
    assert len(rows) == entry["rows"] == 20_000
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8")) == manifest

    found: Counter[str] = Counter()
    seen: set[str] = set()
    for row in rows:
        code = unicodedata.normalize("NFKC", row["uscc"])
        found["FULLWIDTH"] += code != row["uscc"]
        found["USCC_PILOT"] += code in PILOT_CODES
        found["USCC_CHECKSUM"] += code not in PILOT_CODES and not uscc.is_valid(code)
        found["PK_DUPLICATE"] += code in seen
        seen.add(code)
        for name, field in fields.items():
            if name == "uscc":
                continue
            for fault in ("ID_CARD_CHECKSUM", "ID_CARD_BIRTHDATE", "ID_CARD_LEGACY15", "DATE_INVALID",
                          "DATE_MIXED_FORMAT", "PHONE_INVALID", "PHONE_FORMAT", "ENUM_INVALID", "ENUM_ALIAS",
                          "REGION_INVALID", "AMOUNT_UNIT"):  # fmt: skip
                if entry["faults"][fault]["field"] == name and not canonical(field, row[name]):
                    found[fault] += shows(fault, field, row[name])
        found["REQUIRED_MISSING"] += shows("REQUIRED_MISSING", fields["company_name"], row["company_name"])
        found["NULL_TOKEN"] += row["email"] in NULL_TOKENS
    assert found == {code: fault["count"] for code, fault in entry["faults"].items()}
    expected = entry["expected"]
    assert expected["quarantined"] == sum(entry["faults"][c]["count"] for c in REJECTING)
    assert expected["loaded"] + expected["quarantined"] + expected["merged"] == 20_000
    assert 0.04 < expected["quarantined"] / 20_000 < 0.09 and expected["merged"] > 50


def test_vectorised_check_characters_match_python_stdnum():
    codes = importlib.import_module("samplegen.codes")  # generate.py put samples/ on sys.path
    rng = np.random.default_rng(7)
    values = rng.integers(0, 31, (300, 17))
    checks = codes.uscc_check_matrix(values)
    for row, check in zip(values, checks, strict=True):
        assert chr(check) == uscc.calc_check_digit("".join(codes.USCC_ALPHABET[v] for v in row))
    digits = rng.integers(0, 10, (300, 17))
    checks = codes.id_check_matrix(digits)
    for row, check in zip(digits, checks, strict=True):
        assert chr(check) == ric.calc_check_digit("".join(map(str, row)) + "0")


# ---- the demo's history -----------------------------------------------------------------------

HISTORY = ["2026-08", "2026-09", "2026-10"]
HISTORY_DEPTS = ["scjgj", "zhzfj", "hyj", "wjw", "rsj"]  # improving, worsening (one source missing), steady


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("history")
    generate.generate_history(out, "2026-08..2026-10", departments=HISTORY_DEPTS)
    return out


def _issue_faults(entry: dict[str, Any]) -> int:
    """Rejecting faults and warnings: what opens issues."""
    return sum(f["count"] for code, f in entry["faults"].items() if code in REJECTING | WARNINGS)


def _by_department(manifest: dict[str, Any]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for key, entry in manifest["resources"].items():
        out[key.split("/")[0]] += _issue_faults(entry)
    return dict(out)


def _manifest(root: Path, *parts: str) -> dict[str, Any]:
    return json.loads(root.joinpath(*parts, "manifest.json").read_text(encoding="utf-8"))


def test_history_is_deterministic_and_leaves_the_committed_samples_alone(history, tmp_path):
    generate.generate_history(tmp_path, HISTORY, departments=HISTORY_DEPTS)
    files = sorted(p.relative_to(history) for p in history.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    for name in files:
        assert (history / name).read_bytes() == (tmp_path / name).read_bytes(), name
    assert {p.parts[0] for p in files} == {*HISTORY, "history.json"}
    assert not (SAMPLES / "2026-08").exists()


def test_history_faults_change_by_department_in_the_designed_direction(history, resources):
    counts = [_by_department(_manifest(history, p)) for p in HISTORY]
    for dept in ("scjgj", "wjw"):  # improving
        assert counts[0][dept] > counts[1][dept] > counts[2][dept], (dept, counts)
    for dept in ("zhzfj", "hyj"):  # worsening (zhzfj: per resource, one of them missing at the end)
        assert counts[0][dept] < counts[1][dept], (dept, counts)
    assert counts[1]["hyj"] < counts[2]["hyj"]
    assert counts[0]["rsj"] == counts[1]["rsj"] == counts[2]["rsj"]  # steady
    manifests = [_manifest(history, p) for p in HISTORY]
    assert [m["missing"] for m in manifests] == [[], [], ["zhzfj/citizen_complaints"]]
    assert not (history / "2026-10" / "zhzfj" / "citizen_complaints.csv").exists()
    penalty = [_issue_faults(m["resources"]["zhzfj/admin_penalty"]) for m in manifests]
    assert penalty == sorted(penalty) and penalty[0] < penalty[2]
    # hyj ends past its clean gate (5 % by default): its batches fail, as a worsening department's do
    last = manifests[2]["resources"]["hyj/fishing_vessels"]["expected"]
    assert last["quarantined"] / last["rows_in"] > 0.05
    # the same records every period: only the faults move
    keys = []
    for period, manifest in zip(HISTORY, manifests, strict=True):
        entry = manifest["resources"]["scjgj/enterprise_registry"]
        faulty = faulty_cells(entry)
        rows = read_source(history / period, entry, resources["scjgj/enterprise_registry"])
        keys.append({row["uscc"] for n, row in enumerate(rows, start=1) if (n, "uscc") not in faulty})
    assert len(keys[0] & keys[1] & keys[2]) >= 0.9 * len(keys[0])


def test_resubmissions_correct_a_growing_share_and_the_manifests_are_true(history, resources):
    course = json.loads((history / "history.json").read_text(encoding="utf-8"))
    assert course["departments"]["scjgj"]["trend"] == "improving"
    assert course["resubmitted"] == {p: ["scjgj", "wjw"] for p in HISTORY}
    corrected = []
    for period in HISTORY:
        first, fixed = _manifest(history, period), _manifest(history, period, "resubmitted")
        assert set(fixed["resources"]) == {k for k in first["resources"] if k.split("/")[0] in ("scjgj", "wjw")}
        before = sum(_issue_faults(first["resources"][k]) for k in fixed["resources"])
        after = sum(_issue_faults(e) for e in fixed["resources"].values())
        corrected.append((before - after) / before)
        for key, entry in fixed["resources"].items():  # the same rows and duplicates, fewer faults
            assert entry["rows"] == first["resources"][key]["rows"]
            assert entry["faults"]["PK_DUPLICATE"] == first["resources"][key]["faults"]["PK_DUPLICATE"]
        for root, manifest in ((history / period, first), (history / period / "resubmitted", fixed)):
            for key, entry in manifest["resources"].items():
                fields = {f["name"]: f for f in resources[key]["fields"]}
                listed = faulty_cells(entry)
                for number, row in enumerate(read_source(root, entry, resources[key]), start=1):
                    for name, value in row.items():
                        code = listed.get((number, name))
                        if code is None:
                            assert canonical(fields[name], value), (period, key, number, name, value)
                        else:
                            assert shows(code, fields[name], value), (period, key, number, name, code, value)
    assert corrected[0] < corrected[1] < corrected[2] <= 1.0, corrected
