"""The cleansing stage on a real platform database (SQLite and PostgreSQL): every row either loaded
clean or quarantined with its reasons, duplicates merged with the latest winning, the clean gate
deciding, the DWD table left intact by a failed batch, issues opened and closed by later batches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from stdnum.cn import uscc as stdnum_uscc

from gongshu.catalog import load_catalog
from gongshu.cleanse.stage import cleanse_resource
from gongshu.collect.stage import collect_resource
from gongshu.quality.suites import write_suites
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope
from gongshu.store.dwd import dwd_table_name

CATALOG = """\
department: {{id: scjgj, name: 台州市市场监督管理局}}
resources:
  - id: firms
    name: 企业登记信息
    category: 法人
    format: 数据库
    update_cycle: 每日
    share: {{type: 无条件共享, method: 接口}}
    open: {{type: 不予开放}}
    level: L2
    primary_key: [uscc]
    quality: {{min_rows: 1, max_invalid_ratio: {ratio}}}
    fields:
      - {{name: uscc, label: 统一社会信用代码, kind: uscc, required: true}}
      - {{name: name, label: 企业名称, kind: text, required: true}}
      - {{name: capital, label: 注册资本, kind: amount, unit: 万元}}
      - {{name: founded, label: 成立日期, kind: date}}
      - name: status
        label: 登记状态
        kind: enum
        values: [存续, 注销]
        aliases: {{存续: [在营, 开业]}}
    source: {{kind: csv, path: firms.csv, encoding: utf-8}}
"""
HEADER = "统一社会信用代码,企业名称,注册资本,成立日期,登记状态\n"


def uscc(n: int) -> str:
    first = f"91331002MA2{n:06d}"
    return first + stdnum_uscc.calc_check_digit(first)


def bad_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


@pytest.fixture
def make(tmp_path: Path):
    state = {}

    def _make(body: str, *, ratio: float = 0.5):
        (tmp_path / "scjgj.yaml").write_text(CATALOG.format(ratio=ratio), encoding="utf-8")
        (tmp_path / "firms.csv").write_text(HEADER + body, encoding="utf-8")
        loaded = load_catalog(tmp_path / "scjgj.yaml")
        assert loaded.catalog is not None, [str(i) for i in loaded.issues]
        write_suites(loaded.catalog, tmp_path / "expectations")
        state["resource"] = loaded.catalog.resources[0]
        return loaded.catalog.resources[0], tmp_path

    return _make


def run(engine, resource, folder: Path, run_id: str = "r1", **kw):
    collected = collect_resource(engine, "scjgj", resource, run_id, catalog_dir=folder)
    assert collected.status in ("completed", "skipped"), collected.error
    return cleanse_resource(engine, "scjgj", resource, run_id, expectations_dir=folder / "expectations", **kw)


def dwd(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(dwd_table_name("scjgj", "firms")):
            return {}
        rows = conn.execute(
            sa.text(f'SELECT uscc, name, capital, founded, status FROM "{dwd_table_name("scjgj", "firms")}"')
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def issues(engine) -> list[m.QualityIssue]:
    with session_scope(engine) as session:
        found = list(session.scalars(sa.select(m.QualityIssue).order_by(m.QualityIssue.source_row)))
        session.expunge_all()
    return found


GOOD = [
    f"{uscc(1)},台州市甲有限公司,305.5万元人民币,2020/1/2,在营\n",
    f"{uscc(2)},台州市乙有限公司,100,2019-05-06,存续\n",
    f'{uscc(3).lower()},台州市丙有限公司,"1,200万元",20180304,注销\n',
]


def test_rows_are_standardised_loaded_quarantined_and_merged(make, db_url):
    engine = get_engine(db_url)
    body = "".join(GOOD) + (
        f"{bad_check(uscc(4))},台州市丁有限公司,50,2021-02-30,存续\n"  # two rejections on one row
        f"{uscc(5)},,10,2020-01-01,存续\n"  # required name missing
        f"{uscc(6)},台州市戊有限公司,10,2020-01-01,歇业\n"  # not a catalog value
        f"{uscc(2)},台州市乙有限公司（更名）,120,2019-05-06,存续\n"  # same key, later: wins
    )
    resource, folder = make(body)
    out = run(engine, resource, folder)
    assert out.status == "completed", out.error
    d = out.details
    assert (out.rows_in, out.rows_out, d["rows_quarantined"], d["rows_merged"]) == (7, 3, 3, 1)
    assert out.rows_in == out.rows_out + d["rows_quarantined"] + d["rows_merged"]
    assert d["gate"]["passed"] is True
    assert d["rules"]["USCC_CHECKSUM"] == 1 and d["rules"]["DATE_INVALID"] == 1 and d["rules"]["PK_DUPLICATE"] == 1

    rows = dwd(engine)
    assert set(rows) == {uscc(1), uscc(2), uscc(3)}
    name, capital, founded, status = rows[uscc(1)]
    assert (name, Decimal(str(capital)), str(founded), status) == (
        "台州市甲有限公司",
        Decimal("305.5"),
        "2020-01-02",
        "存续",
    )
    assert rows[uscc(2)][0] == "台州市乙有限公司（更名）"  # the later row of a duplicated key
    assert Decimal(str(rows[uscc(3)][1])) == 1200

    found = {(i.source_row, i.field, i.code): i for i in issues(engine)}
    assert set(found) == {
        (4, "uscc", "USCC_CHECKSUM"),
        (4, "founded", "DATE_INVALID"),
        (5, "name", "REQUIRED_MISSING"),
        (6, "status", "ENUM_INVALID"),
    }
    assert found[(4, "uscc", "USCC_CHECKSUM")].original == bad_check(uscc(4))
    assert found[(4, "founded", "DATE_INVALID")].original == "2021-02-30"
    assert found[(6, "status", "ENUM_INVALID")].original == "歇业"
    assert all(i.status == "open" and i.severity == "reject" for i in found.values())


def test_cleansing_the_same_batch_again_changes_nothing(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD) + f"{bad_check(uscc(4))},台州市丁有限公司,50,2021-01-01,存续\n")
    first = run(engine, resource, folder)
    assert first.status == "completed", first.error
    before_rows, before_issues = dwd(engine), [(i.record_key, i.field, i.code, i.status) for i in issues(engine)]

    again = run(engine, resource, folder, run_id="r2")
    assert again.status == "skipped" and "nothing to do" in again.reason

    forced = run(engine, resource, folder, run_id="r3", batch_id=first.details["batches"][0])
    assert forced.status == "completed", forced.error
    assert (forced.rows_in, forced.rows_out) == (first.rows_in, first.rows_out)
    assert forced.details["issues"]["opened"] == 0 and forced.details["issues"]["fixed"] == 0
    assert dwd(engine) == before_rows
    assert [(i.record_key, i.field, i.code, i.status) for i in issues(engine)] == before_issues


def test_a_corrected_row_in_a_later_batch_closes_its_issue(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make(
        "".join(GOOD)
        + f"{uscc(4)},台州市丁有限公司,50,2021-02-30,存续\n"
        + f"{bad_check(uscc(5))},台州市戊有限公司,50,2021-01-01,存续\n"
    )
    assert run(engine, resource, folder).status == "completed"
    opened = {(i.field, i.code): i for i in issues(engine)}
    assert set(opened) == {("founded", "DATE_INVALID"), ("uscc", "USCC_CHECKSUM")}

    # the department fixes the date and re-keys the firm with the mistyped code
    make(
        "".join(GOOD)
        + f"{uscc(4)},台州市丁有限公司,50,2021-02-28,存续\n"
        + f"{uscc(5)},台州市戊有限公司,50,2021-01-01,存续\n"
    )
    out = run(engine, resource, folder, run_id="r2")
    assert out.status == "completed", out.error
    assert out.details["issues"] == {"opened": 0, "reopened": 0, "fixed": 2, "open": 0}
    closed = issues(engine)
    assert all(i.status == "fixed" and i.fixed_at is not None for i in closed)
    assert all(i.fixed_at >= i.first_seen for i in closed)
    assert str(dwd(engine)[uscc(4)][2]) == "2021-02-28"
    assert uscc(5) in dwd(engine)


def test_a_batch_of_only_invalid_rows_fails_the_gate_and_leaves_the_dwd_intact(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD))
    assert run(engine, resource, folder).status == "completed"
    before = dwd(engine)

    make("".join(f"{bad_check(uscc(i))},台州市某有限公司{i},10,2020-01-01,存续\n" for i in range(10, 20)))
    out = run(engine, resource, folder, run_id="r2")
    assert out.status == "failed"
    assert "clean gate failed" in out.error and "10 of 10 rows" in out.error and "max_invalid_ratio" in out.error
    assert "USCC_CHECKSUM 10" in out.error
    assert out.details["gate"]["passed"] is False
    assert dwd(engine) == before
    assert sum(i.code == "USCC_CHECKSUM" and i.status == "open" for i in issues(engine)) == 10
    with session_scope(engine) as session:
        last = session.scalars(sa.select(m.CleanseBatch).order_by(m.CleanseBatch.id.desc())).first()
        assert (last.status, last.gate_passed, last.loaded) == ("failed", False, 0)
        results = session.scalars(
            sa.select(m.QualityResult).where(m.QualityResult.gate == "clean", m.QualityResult.rule == "INVALID_RATIO")
        ).all()
        assert any(r.success is False and r.severity == "critical" for r in results)

    # the failed batch is tried again by the next run (the catalog may have been fixed meanwhile)
    retry = cleanse_resource(engine, "scjgj", resource, "r3", expectations_dir=folder / "expectations")
    assert retry.status == "failed" and retry.details["batches"] == out.details["batches"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        # an all-null required column
        ("".join(f"{uscc(i)},,10,2020-01-01,存续\n" for i in range(1, 6)), "REQUIRED_MISSING"),
        # a column whose values are all of the wrong type
        ("".join(f"{uscc(i)},台州市某公司{i},10,尚未成立,存续\n" for i in range(1, 6)), "DATE_FORMAT"),
    ],
)
def test_a_column_that_is_wholly_wrong_stops_the_batch(make, body, code, db_url):
    engine = get_engine(db_url)
    resource, folder = make(body)
    out = run(engine, resource, folder)
    assert out.status == "failed"
    assert out.details["rows_quarantined"] == 5 and out.rows_out == 0
    assert out.details["rules"][code] == 5
    assert code in out.error
    assert dwd(engine) == {}


def test_mojibake_is_its_own_rule(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD) + f"{uscc(7)},å°å·å¸‚有限公司,10,2020-01-01,存续\n")
    out = run(engine, resource, folder)
    assert out.status == "completed", out.error
    assert out.details["rules"]["TEXT_MOJIBAKE"] == 1
    assert [(i.field, i.code) for i in issues(engine)] == [("name", "TEXT_MOJIBAKE")]


def test_a_missing_suite_is_a_clear_failure(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD))
    for path in (folder / "expectations").rglob("*.json"):
        path.unlink()
    out = run(engine, resource, folder)
    assert out.status == "failed"
    assert "firms.clean.json" in out.error and "catalog stage" in out.error
    assert dwd(engine) == {}


def test_nothing_collected_is_skipped_with_a_reason(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD))
    out = cleanse_resource(engine, "scjgj", resource, "r1", expectations_dir=folder / "expectations")
    assert out.status == "skipped" and "collect" in out.reason


def test_issue_times_are_the_collection_times(make, db_url):
    engine = get_engine(db_url)
    resource, folder = make("".join(GOOD) + f"{uscc(4)},台州市丁有限公司,50,2021-02-30,存续\n")
    before = dt.datetime.now(dt.UTC)
    run(engine, resource, folder)
    (issue,) = issues(engine)
    with session_scope(engine) as session:
        batch = session.scalars(sa.select(m.CollectBatch)).one()
        assert issue.first_seen == batch.finished_at >= before


def test_a_problem_that_comes_back_reopens_its_issue(make, db_url):
    engine = get_engine(db_url)
    bad = f"{uscc(4)},台州市丁有限公司,50,2021-02-30,存续\n"
    good = f"{uscc(4)},台州市丁有限公司,50,2021-02-28,存续\n"
    resource, folder = make("".join(GOOD) + bad)
    assert run(engine, resource, folder).status == "completed"
    make("".join(GOOD) + good)
    assert run(engine, resource, folder, run_id="r2").details["issues"]["fixed"] == 1
    make("".join(GOOD) + bad + f"{uscc(9)},台州市新有限公司,50,2021-01-01,存续\n")  # the old export comes back
    out = run(engine, resource, folder, run_id="r3")
    assert out.details["issues"] == {"opened": 0, "reopened": 1, "fixed": 0, "open": 1}
    (issue,) = issues(engine)
    assert (issue.status, issue.fixed_at, issue.fixed_batch_id) == ("open", None, None)
    assert issue.first_seen < issue.last_seen
