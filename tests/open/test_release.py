"""The open stage's core, on a small department: what may open is released as versioned, checksummed
files with the ``opn_`` table and a record; what may not is held back with nothing written; the
publish gate blocks a release holding an ID number in free text and keeps the previous one; and no
file under ``portal/`` ever holds an L4 value or an unmasked ID number."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.catalog import load_catalog
from gongshu.catalog.stage import compile_catalog
from gongshu.open import layout
from gongshu.open.datasets import all_datasets
from gongshu.open.published import latest_releases
from gongshu.open.stage import latest_release, open_resource
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

from .release_fixtures import (
    DEPT,
    assert_nothing_personal,
    collect_and_cleanse,
    files_under,
    firm_rows,
    id_number,
    load_resources,
    sha256sums_verify,
    write_source,
)


@pytest.fixture
def resources(tmp_path: Path):
    write_source(tmp_path, firm_rows(12))
    return load_resources(tmp_path)


def release(engine, home: Path, resource, run_id: str):
    return open_resource(engine, DEPT, resource, run_id, home=home)


def test_a_release_writes_every_file_the_layout_names(resources, tmp_path, gongshu_home, db_url):
    engine = get_engine(db_url)
    firms = resources["firms"]
    collect_and_cleanse(engine, firms, tmp_path, "r1")

    outcome = release(engine, gongshu_home, firms, "r1")
    assert outcome.status == "completed", outcome.error or outcome.reason
    assert (outcome.rows_out, outcome.details["version"], outcome.details["gate"]["passed"]) == (12, 1, True)
    folder = layout.release_dir(gongshu_home, DEPT, "firms", 1, layout.UNCONDITIONAL)
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "scjgj-firms.csv", "scjgj-firms.json", "scjgj-firms.xlsx",
        layout.DICTIONARY, layout.CHECKSUMS, layout.METADATA,
    }  # fmt: skip
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
    sha256sums_verify(folder)

    raw = (folder / "scjgj-firms.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == ["uscc", "name", "legal_rep", "phone", "capital", "founded", "remark"]  # no L4 field
    first = rows[0]
    assert (first["legal_rep"], first["phone"], first["capital"], first["founded"]) == (
        "王*",
        "138****0001",
        "101",
        "2015-03-02",
    )

    records = json.loads((folder / "scjgj-firms.json").read_text(encoding="utf-8"))
    assert len(records) == 12 and records[0]["capital"] == 101 and records[0]["phone"] == "138****0001"

    from openpyxl import load_workbook

    sheet = list(load_workbook(folder / "scjgj-firms.xlsx", read_only=True).active.iter_rows(values_only=True))
    assert sheet[0] == tuple(rows[0]) and len(sheet) == 13 and sheet[1][4] == 101

    dictionary = list(csv.reader(io.StringIO((folder / layout.DICTIONARY).read_bytes().decode("utf-8-sig"))))
    assert dictionary[0] == ["字段名", "中文名称", "类型", "单位", "脱敏方式", "说明"]
    assert ["capital", "注册资本", "金额", "万元", "不脱敏", ""] in dictionary
    assert dictionary[-1] == ["remark", "备注", "字符型", "", "不脱敏", "登记机关填写的说明"]

    meta = json.loads((folder / layout.METADATA).read_text(encoding="utf-8"))
    assert (meta["version"], meta["rows"], meta["resource"]["open_type"]) == (1, 12, "无条件开放")
    assert [d["field"] for d in meta["dropped"]] == ["legal_rep_id"]
    with session_scope(engine) as session:
        record = latest_release(session, DEPT, "firms")
        assert (record.version, record.rows, record.folder) == (1, 12, "portal/releases/scjgj/firms/v1")
        assert record.content_hash == record.files["scjgj-firms.csv"]["sha256"] == meta["content_hash"]
        assert record.masks["phone"] == "phone" and "legal_rep_id" not in record.fields
        table = session.execute(sa.text('SELECT * FROM "opn_scjgj__firms" ORDER BY "_row"')).mappings().all()
    assert [r["_row"] for r in table] == list(range(1, 13))
    assert table[0]["legal_rep"] == "王*" and "legal_rep_id" not in table[0]

    assert assert_nothing_personal(gongshu_home / "portal", {id_number(i) for i in range(1, 13)}) == 6


def test_versions_unchanged_skipped_changed_released_again(resources, tmp_path, gongshu_home, db_url):
    engine = get_engine(db_url)
    firms = resources["firms"]
    collect_and_cleanse(engine, firms, tmp_path, "r1")
    assert release(engine, gongshu_home, firms, "r1").details["version"] == 1

    write_source(tmp_path, firm_rows(12)[::-1])  # the same records, exported in another order
    collect_and_cleanse(engine, firms, tmp_path, "r2")
    again = release(engine, gongshu_home, firms, "r2")
    assert (again.status, again.reason) == ("skipped", "unchanged since v1")

    write_source(tmp_path, firm_rows(14))
    collect_and_cleanse(engine, firms, tmp_path, "r3")
    changed = release(engine, gongshu_home, firms, "r3")
    assert changed.status == "completed" and changed.details["version"] == 2 and changed.rows_out == 14
    base = gongshu_home / "portal" / "releases" / DEPT / "firms"
    assert sorted(p.name for p in base.iterdir()) == ["v1", "v2"]
    for folder in base.iterdir():
        sha256sums_verify(folder)
    with session_scope(engine) as session:
        versions = session.scalars(sa.select(m.OpenRelease.version).order_by(m.OpenRelease.version)).all()
        assert versions == [1, 2]
        assert session.execute(sa.text('SELECT count(*) FROM "opn_scjgj__firms"')).scalar_one() == 14


def test_the_gate_blocks_an_id_number_in_free_text_and_keeps_the_previous_release(
    resources, tmp_path, gongshu_home, db_url
):
    engine = get_engine(db_url)
    firms = resources["firms"]
    collect_and_cleanse(engine, firms, tmp_path, "r1")
    assert release(engine, gongshu_home, firms, "r1").status == "completed"
    v1 = layout.release_dir(gongshu_home, DEPT, "firms", 1, layout.UNCONDITIONAL)
    before = {p.name: p.read_bytes() for p in v1.iterdir()}

    planted = id_number(99)
    rows = firm_rows(12)
    rows[4][-1] = f"联系人身份证{planted}请核实"
    write_source(tmp_path, rows)
    collect_and_cleanse(engine, firms, tmp_path, "r2")
    blocked = release(engine, gongshu_home, firms, "r2")

    assert blocked.status == "failed"
    assert "column 'remark' (备注) holds an unmasked ID number in 1 row(s) (rows 5;" in blocked.error
    assert planted not in blocked.error and planted[:6] + "********" + planted[-4:] in blocked.error
    assert "v1 stays the latest release" in blocked.error
    assert blocked.details["findings"] == [
        {"column": "remark", "kind": "id_card", "rows": 1, "sample": planted[:6] + "********" + planted[-4:]}
    ]
    assert sorted(p.name for p in v1.parent.iterdir()) == ["v1"]  # nothing else written, no temporary folder
    assert {p.name: p.read_bytes() for p in v1.iterdir()} == before
    with session_scope(engine) as session:
        assert latest_release(session, DEPT, "firms").version == 1
        failed = session.scalars(
            sa.select(m.QualityResult).where(m.QualityResult.gate == "publish", m.QualityResult.success.is_(False))
        ).all()
        assert [(q.rule, q.column, q.observed) for q in failed] == [("PII_ID_CARD", "remark", {"observed_value": 1})]
        assert planted not in json.dumps([q.observed for q in failed])
        opened = session.execute(sa.text('SELECT "remark" FROM "opn_scjgj__firms"')).scalars().all()
    assert all(planted not in (v or "") for v in opened)  # the API still serves v1's rows
    assert_nothing_personal(gongshu_home / "portal", {id_number(i) for i in range(1, 13)} | {planted})


def test_conditional_release_goes_to_the_restricted_folder(resources, tmp_path, gongshu_home, db_url):
    engine = get_engine(db_url)
    licences = resources["licences"]
    collect_and_cleanse(engine, licences, tmp_path, "r1")
    outcome = release(engine, gongshu_home, licences, "r1")
    assert outcome.status == "completed" and outcome.details["release"] == "有条件开放"
    folder = gongshu_home / "open-restricted" / DEPT / "licences" / "v1"
    assert (folder / "scjgj-licences.csv").is_file()
    sha256sums_verify(folder)
    assert not (gongshu_home / "portal").exists()
    with session_scope(engine) as session:
        assert latest_release(session, DEPT, "licences").open_type == "有条件开放"


@pytest.mark.parametrize(
    ("resource_id", "held", "reason"),
    [
        ("internal", "不予开放", "不予开放"),
        ("sensitive", "L4", "is never opened (DB33/T 2351), though open.type is 无条件开放"),
        ("declared_open", "L2/L3 declared 无条件开放", "held back until the catalog declares 有条件开放"),
    ],
)
def test_what_may_not_open_is_held_back_and_nothing_is_written(
    resources, tmp_path, gongshu_home, resource_id, held, reason
):
    engine = get_engine()
    resource = resources[resource_id]
    collect_and_cleanse(engine, resource, tmp_path, "r1")
    outcome = release(engine, gongshu_home, resource, "r1")
    assert outcome.status == "skipped" and reason in outcome.reason and outcome.details["held"] == held
    assert not (gongshu_home / "portal").exists() and not (gongshu_home / "open-restricted").exists()
    assert files_under(gongshu_home) == sorted(gongshu_home.glob("gongshu.db*"))
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(m.OpenRelease)) == 0
        assert not sa.inspect(session.connection()).has_table(f"opn_{DEPT}__{resource_id}")


def test_a_resource_without_cleansed_data_is_skipped(resources, gongshu_home):
    outcome = release(get_engine(), gongshu_home, resources["firms"], "r1")
    assert outcome.status == "skipped" and "no completed cleansing has loaded dwd_scjgj__firms" in outcome.reason


def test_a_failure_while_publishing_leaves_the_previous_release_whole(resources, tmp_path, gongshu_home, monkeypatch):
    from gongshu.open import release as publishing

    engine = get_engine()
    firms = resources["firms"]
    collect_and_cleanse(engine, firms, tmp_path, "r1")
    assert release(engine, gongshu_home, firms, "r1").status == "completed"
    base = gongshu_home / "portal" / "releases" / DEPT / "firms"
    before = {p.name: p.read_bytes() for p in (base / "v1").iterdir()}

    write_source(tmp_path, firm_rows(13))
    collect_and_cleanse(engine, firms, tmp_path, "r2")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(publishing, "replace_open_table", broken)
    with pytest.raises(OSError, match="disk full"):
        release(engine, gongshu_home, firms, "r2")
    assert sorted(p.name for p in base.iterdir()) == ["v1"]  # no v2, no temporary folder
    assert {p.name: p.read_bytes() for p in (base / "v1").iterdir()} == before
    with session_scope(engine) as session:
        assert latest_release(session, DEPT, "firms").version == 1
        assert session.execute(sa.text('SELECT count(*) FROM "opn_scjgj__firms"')).scalar_one() == 12

    monkeypatch.undo()
    assert release(engine, gongshu_home, firms, "r3").details["version"] == 2


def test_a_release_above_the_xlsx_limit_is_csv_and_json_only(resources, tmp_path, gongshu_home, monkeypatch):
    from gongshu.open import files

    monkeypatch.setattr(files, "XLSX_MAX_ROWS", 11)
    engine = get_engine()
    collect_and_cleanse(engine, resources["firms"], tmp_path, "r1")
    outcome = release(engine, gongshu_home, resources["firms"], "r1")
    folder = gongshu_home / outcome.details["folder"]
    assert not (folder / "scjgj-firms.xlsx").exists() and (folder / "scjgj-firms.json").is_file()
    meta = json.loads((folder / layout.METADATA).read_text(encoding="utf-8"))
    assert meta["xlsx"] == "not made: 12 rows, more than the 11 a release puts in XLSX"
    sha256sums_verify(folder)


def _reclassified(resource, **open_or_level):
    """The resource as a later catalog version declares it."""
    spec = resource.model_dump(mode="json", exclude_none=True)
    spec.update(open_or_level)
    return type(resource).model_validate(spec)


def test_a_resource_that_becomes_not_open_has_its_releases_withdrawn_and_files_deleted(
    resources, tmp_path, gongshu_home, db_url
):
    engine = get_engine(db_url)
    firms = resources["firms"]
    registered = compile_catalog(load_catalog(tmp_path / f"{DEPT}.yaml"), engine, "r0")
    assert registered.compiled is not None
    collect_and_cleanse(engine, firms, tmp_path, "r1")
    assert release(engine, gongshu_home, firms, "r1").status == "completed"
    folder = layout.release_dir(gongshu_home, DEPT, "firms", 1, layout.UNCONDITIONAL)
    assert folder.is_dir()
    with session_scope(engine) as session:
        assert [d.resource.id for d in all_datasets(session)] == ["firms"]
    assert [p.resource.id for p in latest_releases(engine, gongshu_home)] == ["firms"]

    closed = _reclassified(firms, open={"type": "不予开放"})
    outcome = release(engine, gongshu_home, closed, "r2")
    assert outcome.status == "skipped" and outcome.details["withdrawn"] == [1]
    assert "v1 withdrawn" in outcome.reason
    assert not folder.exists() and not files_under(gongshu_home / layout.PORTAL)
    with session_scope(engine) as session:
        record = latest_release(session, DEPT, "firms")
        assert record.withdrawn_at is not None and record.withdraw_reason.startswith("不予开放")
    assert not sa.inspect(engine).has_table(layout.open_table_name(DEPT, "firms"))
    assert release(engine, gongshu_home, closed, "r3").details.get("withdrawn") is None  # nothing left to withdraw
    # the registered catalog here still says 无条件开放: only the withdrawal keeps it out of the API and portal
    with session_scope(engine) as session:
        assert [d.resource.id for d in all_datasets(session)] == []
    assert [p.resource.id for p in latest_releases(engine, gongshu_home)] == []


def test_a_public_dataset_that_becomes_conditional_leaves_the_portal(resources, tmp_path, gongshu_home, db_url):
    engine = get_engine(db_url)
    firms = resources["firms"]
    collect_and_cleanse(engine, firms, tmp_path, "r1")
    assert release(engine, gongshu_home, firms, "r1").status == "completed"
    public = layout.release_dir(gongshu_home, DEPT, "firms", 1, layout.UNCONDITIONAL)

    conditional = _reclassified(firms, open={"type": "有条件开放", "condition": "签署开放利用协议"})
    outcome = release(engine, gongshu_home, conditional, "r2")
    assert outcome.status == "completed" and outcome.details["withdrawn"] == [1]
    assert not public.exists() and not files_under(gongshu_home / layout.PORTAL)
    restricted = layout.release_dir(gongshu_home, DEPT, "firms", 2, layout.CONDITIONAL)
    assert (restricted / "scjgj-firms.csv").is_file()
    with session_scope(engine) as session:
        latest = latest_release(session, DEPT, "firms")
        assert (latest.version, latest.open_type, latest.withdrawn_at) == (2, layout.CONDITIONAL, None)
