"""The sharing stage's core: a shareable resource with cleansed data is served (its grants and
consumers reported), one without a DWD table is skipped, one the catalog now marks 不予共享 loses
every grant and pending request at once, and overdue requests are listed in working days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from stdnum.cn import uscc as stdnum_uscc

from gongshu.catalog import load_catalog
from gongshu.catalog.model import Resource
from gongshu.cleanse.stage import cleanse_resource
from gongshu.clock import SHANGHAI
from gongshu.collect.stage import collect_resource
from gongshu.quality.suites import write_suites
from gongshu.runs import record
from gongshu.share.keys import Principal
from gongshu.share.stage import WITHDRAWN, overdue_requests, share_resource, working_days_after
from gongshu.share.workflow import apply, decide, granted_fields
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

CATALOG = """\
department: {id: scjgj, name: 台州市市场监督管理局}
resources:
  - id: firms
    name: 企业登记信息
    category: 法人
    format: 数据库
    update_cycle: 每日
    share: {type: 有条件共享, condition: 用于市场监管, method: 接口}
    open: {type: 不予开放}
    level: L2
    primary_key: [uscc]
    fields:
      - {name: uscc, label: 统一社会信用代码, kind: uscc, required: true}
      - {name: name, label: 企业名称, kind: text, required: true}
      - {name: phone, label: 联系电话, kind: phone}
    source: {kind: csv, path: firms.csv, encoding: utf-8}
  - id: notes
    name: 内部备注
    category: 部门
    format: 电子表格
    update_cycle: 不定期
    share: {type: 无条件共享}
    open: {type: 不予开放}
    level: L1
    fields:
      - {name: note, label: 备注, kind: text}
"""
ZHZFJ = Principal("k-zhzfj", "department", "zhzfj")
QXJ = Principal("k-qxj", "department", "qxj")
SCJGJ = Principal("k-scjgj", "department", "scjgj")


def uscc(n: int) -> str:
    first = f"91331002MA2{n:06d}"
    return first + stdnum_uscc.calc_check_digit(first)


@pytest.fixture
def catalog(tmp_path: Path) -> dict[str, Resource]:
    (tmp_path / "scjgj.yaml").write_text(CATALOG, encoding="utf-8")
    rows = "".join(f"{uscc(i)},台州市{i}号有限公司,13800000{i:03d}\n" for i in range(1, 4))
    (tmp_path / "firms.csv").write_text("统一社会信用代码,企业名称,联系电话\n" + rows, encoding="utf-8")
    loaded = load_catalog(tmp_path / "scjgj.yaml")
    assert loaded.catalog is not None, [str(i) for i in loaded.issues]
    write_suites(loaded.catalog, tmp_path / "expectations")
    return {r.id: r for r in loaded.catalog.resources}


def cleanse(engine, resource: Resource, folder: Path) -> None:
    assert collect_resource(engine, "scjgj", resource, "r0", catalog_dir=folder).status == "completed"
    outcome = cleanse_resource(engine, "scjgj", resource, "r0", expectations_dir=folder / "expectations")
    assert outcome.status == "completed", outcome.error


def never(resource: Resource) -> Resource:
    """The same resource after its catalog changed its 共享类型 to 不予共享."""
    return resource.model_copy(update={"share": resource.share.model_copy(update={"type": "不予共享"})})


def test_a_shareable_resource_with_cleansed_data_is_served(catalog, tmp_path, db_url):
    engine = get_engine(db_url)
    firms = catalog["firms"]
    cleanse(engine, firms, tmp_path)
    with session_scope(engine) as session:
        approved = apply(session, ZHZFJ, "scjgj", firms, ["uscc", "name"], "执法核验")
        decide(session, SCJGJ, approved.id, True)
        apply(session, QXJ, "scjgj", firms, ["uscc"], "预警推送")  # left pending

    outcome = share_resource(engine, "scjgj", firms, "run-1")
    assert outcome.status == "completed" and outcome.rows_out == 3
    d = outcome.details
    assert (d["share_type"], d["dwd_rows"], d["grants"], d["consumers"]) == ("有条件共享", 3, 1, ["zhzfj"])
    assert (d["requests_pending"], d["requests_overdue"], d["newly_shared"]) == (1, 0, True)

    with session_scope(engine) as session:
        record(session, "run-1", [outcome])
    assert share_resource(engine, "scjgj", firms, "run-2").details["newly_shared"] is False


def test_a_resource_without_cleansed_data_is_skipped(catalog, db_url):
    engine = get_engine(db_url)
    for resource in catalog.values():
        outcome = share_resource(engine, "scjgj", resource, "run-1")
        assert outcome.status == "skipped"
        assert "no completed cleansing has loaded dwd_scjgj__" in outcome.reason


def test_not_shared_withdraws_every_grant_and_pending_request_at_once(catalog, tmp_path, db_url):
    engine = get_engine(db_url)
    firms, notes = catalog["firms"], catalog["notes"]
    cleanse(engine, firms, tmp_path)
    with session_scope(engine) as session:
        granted = apply(session, ZHZFJ, "scjgj", firms, ["uscc", "name"], "执法核验")
        decide(session, SCJGJ, granted.id, True)
        pending_id = apply(session, QXJ, "scjgj", firms, ["uscc"], "预警推送").id
        apply(session, ZHZFJ, "scjgj", notes, ["note"], "参考")  # 无条件共享: granted at once, stays granted
        assert granted_fields(session, "zhzfj", "scjgj", "firms") == {"uscc", "name"}

    outcome = share_resource(engine, "scjgj", never(firms), "run-1")  # blocked or not, cleansed or not
    assert (outcome.status, outcome.reason) == ("skipped", "不予共享")
    assert outcome.details == {"share_type": "不予共享", "grants_revoked": 1, "requests_refused": 1}
    with session_scope(engine) as session:
        assert granted_fields(session, "zhzfj", "scjgj", "firms") == set()
        assert granted_fields(session, "zhzfj", "scjgj", "notes") == {"note"}
        grant = session.scalar(sa.select(m.ShareGrant).where(m.ShareGrant.resource_key == "firms"))
        assert grant.revoked_at is not None and grant.revoke_reason == WITHDRAWN
        refused = session.get(m.ShareRequest, pending_id)
        assert refused.status == "refused" and "不予共享" in refused.reason
    again = share_resource(engine, "scjgj", never(firms), "run-2")
    assert again.details == {"share_type": "不予共享", "grants_revoked": 0, "requests_refused": 0}


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


def test_overdue_requests_count_working_days(catalog, db_url):
    engine = get_engine(db_url)
    firms = catalog["firms"]
    with session_scope(engine) as session:
        # Friday 2026-11-20 + 5 working days: due at the end of Friday 2026-11-27
        late = apply(session, ZHZFJ, "scjgj", firms, ["uscc"], "执法核验", now=at("2026-11-20"))
        assert late.due_at == at("2026-11-27", 0) + dt.timedelta(hours=23, minutes=59, seconds=59)
        answered = apply(session, QXJ, "scjgj", firms, ["uscc"], "预警推送", now=at("2026-11-20"))
        decide(session, SCJGJ, answered.id, False, "用途不符", now=at("2026-11-23"))
        apply(session, QXJ, "scjgj", firms, ["name"], "后来的申请", now=at("2026-11-25"))  # due 12-02

    with session_scope(engine) as session:
        assert overdue_requests(session, at("2026-11-27", 20)) == []  # due today: not yet late
        saturday = overdue_requests(session, at("2026-11-28"))
        assert [(o.id, o.working_days_overdue, o.days_overdue) for o in saturday] == [(late.id, 0, 1)]
        monday = overdue_requests(session, at("2026-11-30"))
        assert [(o.consumer, o.provider, o.resource, o.working_days_overdue, o.days_overdue) for o in monday] == [
            ("zhzfj", "scjgj", "firms", 1, 3)
        ]
        two = overdue_requests(session, at("2026-12-10"))
        assert [(o.working_days_overdue, o.days_overdue) for o in two] == [(9, 13), (6, 8)]
        assert overdue_requests(session, at("2026-12-10"), providers=["wjw"]) == []


def test_working_days_after_counts_weekdays_only():
    start = dt.date(2026, 11, 20)  # a Friday
    for span in range(0, 30):
        until = start + dt.timedelta(days=span)
        expected = sum((start + dt.timedelta(days=i)).weekday() < 5 for i in range(1, span + 1))
        assert working_days_after(start, until) == expected
    assert working_days_after(start, start - dt.timedelta(days=3)) == 0
