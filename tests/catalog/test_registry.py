"""Registering catalogs: stable resource codes, versions with diffs, last good version kept."""

from __future__ import annotations

import re

from sqlalchemy import select

from gongshu.catalog import validate_files
from gongshu.catalog.registry import register, registered
from gongshu.catalog.stage import compile_catalog
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope


def compile_text(write, text, engine, run_id="r1"):
    [loaded] = validate_files([write(text)])
    assert loaded.errors == [], [str(e) for e in loaded.errors]
    with session_scope(engine) as session:
        return register(session, loaded, run_id=run_id)


def codes(engine) -> dict[str, str]:
    with session_scope(engine) as session:
        return {r.key: r.code for r in session.scalars(select(m.Resource))}


def swap_resources(text: str) -> str:
    head, first, second = re.split(r"(?=  - id: )", text)
    return head + second + first


def test_codes_are_stable_across_runs_and_reorderings(write, base_text, db_url):
    engine = get_engine(db_url)
    first = compile_text(write, base_text, engine)
    assert {r.resource.id: r.code for r in first.resources} == {
        "admin_license": "208/SCJGJ0001",
        "enterprise_registry": "102/SCJGJ0002",
    }
    before = codes(engine)
    again = compile_text(write, swap_resources(base_text), engine, run_id="r2")
    assert codes(engine) == before
    assert again.version == 1 and not again.new_version  # reordering is not a new version


def test_codes_are_never_reused(write, base_text, db_url):
    engine = get_engine(db_url)
    compile_text(write, base_text, engine)
    without_license = base_text.split("  - id: admin_license")[0]
    compile_text(write, without_license, engine)
    with_new = base_text.replace("id: admin_license", "id: admin_permit")
    compiled = compile_text(write, with_new, engine)
    got = {r.resource.id: r.code for r in compiled.resources}
    assert got["enterprise_registry"] == "102/SCJGJ0002"
    assert got["admin_permit"] == "208/SCJGJ0003"
    with session_scope(engine) as session:
        retired = session.scalar(select(m.Resource).where(m.Resource.key == "admin_license"))
        assert not retired.active and retired.retired_at is not None


def test_a_version_is_recorded_only_when_content_changes_with_its_diff(write, base_text, db_url):
    engine = get_engine(db_url)
    v1 = compile_text(write, base_text, engine)
    assert (v1.version, v1.new_version, v1.diff["initial"]) == (1, True, True)
    assert compile_text(write, base_text + "# a comment\n", engine).new_version is False

    text = base_text.replace("update_cycle: 每日", "update_cycle: 每周")
    text = text.replace(
        "      - {name: status, label: 登记状态, kind: enum, values: [存续, 注销]}\n",
        "      - {name: status, label: 登记状态, kind: enum, values: [存续, 注销, 吊销]}\n"
        "      - {name: region, label: 行政区划代码, kind: region_code}\n",
    )
    text = text.split("  - id: admin_license")[0]
    v2 = compile_text(write, text, engine)
    assert (v2.version, v2.new_version) == (2, True)
    assert v2.diff["resources_removed"] == ["admin_license"]
    change = v2.diff["resources_changed"]["enterprise_registry"]
    assert change["attributes"] == {"update_cycle": ["每日", "每周"]}
    assert change["fields_added"] == ["region"]
    assert change["fields_changed"] == {"status": {"values": [["存续", "注销"], ["存续", "注销", "吊销"]]}}
    with session_scope(engine) as session:
        versions = session.scalars(select(m.CatalogVersion).order_by(m.CatalogVersion.version)).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].content_hash != versions[1].content_hash
        fields = session.scalars(
            select(m.ResourceField.name)
            .join(m.Resource)
            .where(m.Resource.key == "enterprise_registry")
            .order_by(m.ResourceField.position)
        ).all()
        assert fields == ["uscc", "company_name", "legal_rep_id", "capital", "status", "region"]


def test_a_bad_file_keeps_the_last_good_version(write, base_text, db_url):
    engine = get_engine(db_url)
    compile_text(write, base_text, engine)
    [broken] = validate_files([write(base_text.replace("kind: uscc", "kind: usc"))])
    result = compile_catalog(broken, engine, run_id="r2")
    assert result.compiled is None
    statuses = {o.resource: o.status for o in result.outcomes}
    assert statuses == {"enterprise_registry": "failed", "admin_license": "skipped"}
    failed = next(o for o in result.outcomes if o.status == "failed")
    assert "field 'uscc'" in failed.error and "'usc'" in failed.error
    with session_scope(engine) as session:
        [kept] = registered(session)
    assert kept.version == 1
    assert [r.code for r in kept.resources] == ["102/SCJGJ0002", "208/SCJGJ0001"]


def test_completeness_explains_what_is_missing(write, base_text, db_url):
    engine = get_engine(db_url)
    compiled = compile_text(write, base_text, engine)
    by_id = {r.resource.id: r.completeness for r in compiled.resources}
    assert by_id["enterprise_registry"].score == 100.0
    license_ = by_id["admin_license"]
    assert [i.label for i in license_.missing] == ["信息资源摘要", "发布日期"]
    assert license_.score == round(100 * 11 / 13, 1)
    assert "信息资源摘要 (summary)" in license_.explain()
    with session_scope(engine) as session:
        row = session.scalar(select(m.Resource).where(m.Resource.key == "admin_license"))
        assert row.completeness == license_.score
        assert [i["key"] for i in row.completeness_missing] == ["summary", "publish_date"]
