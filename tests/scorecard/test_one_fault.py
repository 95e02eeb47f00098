"""One fault, one deduction, and plain Chinese, on the outcomes the real stages record.

A department (综合行政执法局's case in the demo) whose complaints export went missing for the whole of
November: the catalog stage fails the entry (its source file does not exist), the collect stage fails
to read it every day. It is charged once, in 归集率; 目录有效性 and 归集及时率 show it as already charged.
A second resource is delivered with too many bad dates: the clean gate stops its batch, charged in
质量门通过率 and not again in 数据合格率. What the department reads is Chinese: no English word of
the recorded errors, no path of the server, rule codes only in brackets after their Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu import clock
from gongshu.catalog import load_catalog, validate_files
from gongshu.catalog.stage import compile_catalog
from gongshu.cleanse.stage import cleanse_resource
from gongshu.collect.stage import collect_resource
from gongshu.quality.suites import write_suites
from gongshu.runs import new_run_id, record
from gongshu.scorecard.compute import compute_scorecard
from gongshu.scorecard.ranking import weighted_total
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

from .fixtures import AFTER, at, department, indicator

CATALOG = """\
department: {id: zz, name: 综合行政执法局, uscc: 11331000MB1C752902}
resources:
  - id: complaints
    name: 城市管理投诉工单
    summary: 投诉工单
    category: 部门
    format: 电子表格
    update_cycle: 每日
    share: {type: 无条件共享, method: 文件}
    open: {type: 不予开放}
    level: L1
    publish_date: 2026-01-01
    primary_key: [ticket]
    fields:
      - {name: ticket, label: 工单编号, kind: text, required: true}
    source: {kind: csv, path: exports/complaints.csv, encoding: utf-8}
  - id: penalties
    name: 行政处罚信息
    summary: 处罚信息
    category: 部门
    format: 电子表格
    update_cycle: 每日
    share: {type: 无条件共享, method: 文件}
    open: {type: 不予开放}
    level: L1
    publish_date: 2026-01-01
    primary_key: [case_no]
    fields:
      - {name: case_no, label: 案件编号, kind: text, required: true}
      - {name: decided, label: 决定日期, kind: date}
    source: {kind: csv, path: exports/penalties.csv, encoding: utf-8}
    quality: {max_invalid_ratio: 0.05}
"""
DAYS = (2, 3, 4, 5, 6)


def _write(folder: Path, day: int, *, complaints: bool, bad_dates: bool = False) -> None:
    exports = folder / "exports"
    exports.mkdir(exist_ok=True)
    if complaints:
        (exports / "complaints.csv").write_text("工单编号\n" + "".join(f"T{day}-{i}\n" for i in range(5)), "utf-8")
    else:
        (exports / "complaints.csv").unlink(missing_ok=True)
    rows = [f"C{day}-{i},{'2026-02-30' if bad_dates and i < 4 else '2026-10-01'}" for i in range(10)]
    (exports / "penalties.csv").write_text("案件编号,决定日期\n" + "\n".join(rows) + "\n", "utf-8")


def _run(engine, folder: Path, when: dt.datetime, resources) -> str:
    """One day's pipeline as the stages record it: catalog, then collect and cleanse of each resource."""
    with clock.travel_to(when):
        run_id = new_run_id()
        (loaded,) = validate_files([folder / "zz.yaml"])  # as the catalog flow checks its files
        result = compile_catalog(loaded, engine, run_id)
        outcomes = list(result.outcomes)
        for res in resources:
            collected = collect_resource(engine, "zz", res, run_id, catalog_dir=folder)
            outcomes.append(collected)
            if collected.status == "completed" and collected.rows_in:
                outcomes.append(cleanse_resource(engine, "zz", res, run_id, expectations_dir=folder / "expectations"))
        with session_scope(engine) as session:
            record(session, run_id, outcomes)
    return run_id


@pytest.fixture
def missing_file(tmp_path: Path):
    engine = get_engine(f"sqlite:///{tmp_path / 'platform.db'}")
    (tmp_path / "zz.yaml").write_text(CATALOG, encoding="utf-8")
    _write(tmp_path, 1, complaints=True)
    loaded = load_catalog(tmp_path / "zz.yaml")
    assert loaded.catalog is not None, [str(i) for i in loaded.issues]
    write_suites(loaded.catalog, tmp_path / "expectations")
    resources = loaded.catalog.resources
    _run(engine, tmp_path, at(10, 28), resources)  # October: registered and collected, all well
    for day in DAYS:  # November: the complaints export is missing; 11-04 brings bad penalty dates
        _write(tmp_path, day, complaints=False, bad_dates=day == 4)
        _run(engine, tmp_path, at(11, day), resources)
    return engine, tmp_path


def test_a_missing_source_file_deducts_once(missing_file, config):
    engine, _ = missing_file
    sc = compute_scorecard(engine, "2026-11", config, now=AFTER, compare=False)
    zz = department(sc, "zz")
    # 归集率 charges it: 1 of 2 resources collected
    rate = indicator(sc, "zz", "collection_rate")
    assert (rate.numerator, rate.denominator) == (1, 2)
    # 目录有效性: the entry failed only because of the missing file: shown, charged in 归集率, not counted
    validity = indicator(sc, "zz", "catalog_validity")
    assert (validity.numerator, validity.denominator, validity.value) == (1, 1, 100.0)
    (shown,) = [e for e in validity.evidence if e.charged_in]
    assert shown.charged_in == "collection_rate"
    assert shown.text == "城市管理投诉工单（complaints）目录条目出错：目录登记的数据源文件「complaints.csv」不存在"
    assert not validity.fixes
    # 归集及时率: the complaints windows are shown as charged in 归集率; penalties had new data every day
    timeliness = indicator(sc, "zz", "collection_timeliness")
    assert (timeliness.numerator, timeliness.denominator) == (5, 5)
    charged = [e for e in timeliness.evidence if e.charged_in]
    assert [e.charged_in for e in charged] == ["collection_rate"] and "5 个周期" in charged[0].text
    # one 整改 item for the missing file, in 归集率, and nowhere else
    about_file = [f for i in zz.indicators for f in i.fixes if "complaints" in f.text]
    assert [f.text for f in about_file] == [
        "城市管理投诉工单（complaints）：本期归集均失败，原因：数据源文件「complaints.csv」不存在。"
        "请按目录登记的文件名提交数据文件，或在目录中更正数据源路径，然后重新归集"
    ]
    # the clean gate stopped the 11-04 penalties batch: charged in 质量门通过率, its rows out of 数据合格率
    gate = indicator(sc, "zz", "gate_pass_rate")
    assert (gate.numerator, gate.denominator) == (4, 5)
    rows = indicator(sc, "zz", "row_pass_rate")
    assert (rows.numerator, rows.denominator) == (40, 40)
    assert [e.charged_in for e in rows.evidence if e.charged_in] == ["gate_pass_rate"]
    # the total: the weighted mean of what applies, with no other deduction for the missing file
    assert zz.total == pytest.approx(weighted_total(zz.indicators))
    lost = {i.code for i in zz.indicators if i.value is not None and i.value < 100}
    assert lost == {"collection_rate", "gate_pass_rate"}


def test_what_the_department_reads_is_plain_chinese(missing_file, config):
    engine, folder = missing_file
    with engine.connect() as conn:
        errors = [e for (e,) in conn.execute(sa.select(m.RunLog.error).where(m.RunLog.error.is_not(None)))]
        errors += [e for (e,) in conn.execute(sa.select(m.CleanseBatch.error).where(m.CleanseBatch.error.is_not(None)))]
    assert any("file not found" in e for e in errors) and any("clean gate failed" in e for e in errors)
    assert any(str(folder) in e for e in errors)  # the engineer's texts do name the server's paths
    declared = {"zz", "complaints", "penalties", "csv", "exports"}  # the department's own names
    english = {w.lower() for e in errors for w in re.findall(r"[A-Za-z]{2,}", e)} - declared
    sc = compute_scorecard(engine, "2026-11", config, now=AFTER, compare=False)
    texts = [t for i in department(sc, "zz").indicators for t in _texts(i)]
    assert len(texts) > 10
    for text in texts:
        assert not re.search(r"[/\\][A-Za-z._~]", text) and str(folder) not in text, text  # no path
        codes = re.findall(r"（([A-Z][A-Z0-9_]+)）", text)
        bare = re.sub(r"（[A-Z][A-Z0-9_]+）", "", text)
        assert not re.search(r"[A-Z]{2,}_[A-Z_]+", bare), text  # a rule code only in brackets
        words = {w.lower() for w in re.findall(r"[A-Za-z]{2,}", bare)} - declared
        assert not words & english, (text, words & english)
        for code in codes:  # each code follows its Chinese sentence
            assert re.search(rf"[\u4e00-\u9fff]（{code}）", text), text
    fixes = [f for i in department(sc, "zz").indicators for f in i.fixes]
    assert all(f.deadline is not None and f.where for f in fixes)
    gate_fix = next(f for f in indicator(sc, "zz", "gate_pass_rate").fixes)
    assert gate_fix.where == "数据质量问题反馈表 zz-2026-11.xlsx「问题明细」表，资源「行政处罚信息」"
    assert "日期不存在（DATE_INVALID）" in gate_fix.text


def _texts(ind) -> list[str]:
    return [e.text for e in ind.evidence] + [f.text for f in ind.fixes] + [f.where or "" for f in ind.fixes]
