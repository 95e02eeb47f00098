"""A platform database filled by hand: departments and their catalogs as registered, and the log
rows the stages would have written, each at a chosen time. Times are given in Asia/Shanghai
(``at(11, 3)`` is 2026-11-03 10:00 in Beijing) and stored in UTC, as the stages store them."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

SH = dt.timezone(dt.timedelta(hours=8))
PERIOD = "2026-11"
AFTER = dt.datetime(2026, 12, 10, tzinfo=dt.UTC)
"""A ``now`` well after the period: the whole of November is due."""


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SH).astimezone(dt.UTC)


def resource(
    rid: str,
    *,
    name: str | None = None,
    cycle: str = "每日",
    share: str = "无条件共享",
    open_type: str = "无条件开放",
    level: str = "L1",
    source: bool = True,
    complete: bool = True,
) -> dict[str, Any]:
    """A catalog entry; ``complete``: every core metadata item filled (completeness 100), else the
    summary is missing (12 of 13 items: 92.3)."""
    spec: dict[str, Any] = {
        "id": rid,
        "name": name or f"资源{rid}",
        "category": "法人",
        "format": "数据库",
        "update_cycle": cycle,
        "share": {"type": share, **({"method": "接口"} if share != "不予共享" else {})},
        "open": {"type": open_type},
        "level": level,
        "primary_key": ["code"],
        "fields": [{"name": "code", "label": "编码", "kind": "text", "required": True}],
        "publish_date": "2026-01-01",
    }
    if share == "有条件共享":
        spec["share"]["condition"] = "用于监管"
    if open_type == "有条件开放":
        spec["open"]["condition"] = "依申请"
    if complete:
        spec["summary"] = f"{spec['name']}的摘要"
    if source:
        spec["source"] = {"kind": "csv", "path": f"../samples/{rid}.csv"}
    return spec


class Platform:
    """Writes platform rows with explicit times. ``run_id`` defaults to one per call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ids = itertools.count(1)

    @classmethod
    def create(cls, folder: Path) -> Platform:
        return cls(get_engine(f"sqlite:///{folder / 'platform.db'}"))

    def _run_id(self) -> str:
        return f"run-{next(self._ids):04d}"

    def department(
        self,
        key: str,
        resources: list[dict[str, Any]] | None = None,
        *,
        name: str | None = None,
        created: dt.datetime | None = None,
        compiled: dt.datetime | None = None,
        first_seen: dict[str, dt.datetime] | None = None,
    ) -> None:
        """Register a department; with ``resources``, a catalog version compiled at ``compiled``."""
        created = created or at(1, 5)
        with session_scope(self.engine) as s:
            dept = m.Department(key=key, name=name or f"{key}局", uscc="11331000MB1234567X", created_at=created)
            s.add(dept)
            s.flush()
            if resources:
                self._catalog(s, dept, resources, compiled or created, first_seen or {})

    def catalog(self, key: str, resources: list[dict[str, Any]], compiled: dt.datetime) -> None:
        """A new catalog version of an existing department."""
        with session_scope(self.engine) as s:
            dept = s.query(m.Department).filter_by(key=key).one()
            self._catalog(s, dept, resources, compiled, {})

    def _catalog(self, s, dept, resources, compiled, first_seen) -> None:
        version = 1 + (s.query(m.CatalogVersion).filter_by(department_id=dept.id).count())
        snapshot = {"department": {"id": dept.key, "name": dept.name, "uscc": dept.uscc}, "resources": resources}
        s.add(
            m.CatalogVersion(
                department_id=dept.id,
                version=version,
                content_hash=f"sha256:{dept.key}{version}",
                compiled_at=compiled,
                snapshot=snapshot,
            )
        )
        existing = {r.key for r in s.query(m.Resource).filter_by(department_id=dept.id)}
        for seq, r in enumerate(resources, start=1):
            if r["id"] in existing:
                continue
            s.add(
                m.Resource(
                    department_id=dept.id,
                    key=r["id"],
                    seq=seq + len(existing),
                    code=f"102/{dept.key.upper()}{seq + len(existing):04d}",
                    name=r["name"],
                    category=r["category"],
                    format=r["format"],
                    update_cycle=r["update_cycle"],
                    share_type=r["share"]["type"],
                    open_type=r["open"]["type"],
                    level=r["level"],
                    first_seen_at=first_seen.get(r["id"], compiled),
                )
            )

    def run(
        self,
        stage: str,
        dept: str,
        res: str | None,
        status: str,
        when: dt.datetime,
        *,
        rows_in: int | None = None,
        error: str | None = None,
        reason: str | None = None,
        run_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> str:
        run_id = run_id or self._run_id()
        if status == "failed" and error is None:
            error = f"/srv/gongshu/samples/{dept}/{res}.csv: file not found: ../samples/{res}.csv"
            details = {"code": "SOURCE_NOT_FOUND", "error_kind": "SOURCE_NOT_FOUND", "file": f"{res}.csv"}
        with session_scope(self.engine) as s:
            s.add(
                m.RunLog(
                    run_id=run_id,
                    stage=stage,
                    department_key=dept,
                    resource_key=res,
                    status=status,
                    started_at=when,
                    finished_at=when + dt.timedelta(minutes=1),
                    rows_in=rows_in,
                    error=error,
                    reason=reason,
                    details=details or {},
                )
            )
        return run_id

    def collected(self, dept: str, res: str, when: dt.datetime, content: str, *, rows: int = 10) -> str:
        """A successful collection as the collect stage records it: a new batch (and its ``run_log``
        row) when ``content`` is new for the resource, else "skipped, same content" without a batch."""
        with session_scope(self.engine) as s:
            known = (
                s.query(m.CollectBatch).filter_by(department_key=dept, resource_key=res, fingerprint=content).first()
            )
        if known is not None:
            return self.run(
                "collect", dept, res, "skipped", when, rows_in=0, reason=f"same content as batch {known.id}"
            )
        run_id = self.run("collect", dept, res, "completed", when, rows_in=rows)
        with session_scope(self.engine) as s:
            s.add(
                m.CollectBatch(
                    id=f"b{next(self._ids):06d}",
                    run_id=run_id,
                    department_key=dept,
                    resource_key=res,
                    ods_table=f"ods_{dept}__{res}",
                    fingerprint=content,
                    source=f"csv {res}.csv",
                    rows=rows,
                    started_at=when,
                    finished_at=when + dt.timedelta(minutes=1),
                )
            )
        return run_id

    def batch(
        self,
        dept: str,
        res: str,
        batch_id: str,
        when: dt.datetime,
        *,
        rows_in: int = 0,
        loaded: int = 0,
        quarantined: int = 0,
        merged: int = 0,
        gate_passed: bool | None = True,
        status: str = "completed",
    ) -> None:
        with session_scope(self.engine) as s:
            s.add(
                m.CleanseBatch(
                    batch_id=batch_id,
                    run_id=self._run_id(),
                    department_key=dept,
                    resource_key=res,
                    status=status,
                    rows_in=rows_in,
                    loaded=loaded,
                    quarantined=quarantined,
                    merged=merged,
                    gate_passed=gate_passed,
                    dwd_table=f"dwd_{dept}__{res}",
                    error=None
                    if status == "completed"
                    else f"clean gate failed for batch {batch_id}: {quarantined} of {rows_in} rows "
                    f"({quarantined / rows_in if rows_in else 0:.1%}) were quarantined, more than the catalog's "
                    "max_invalid_ratio 5.0%; most frequent problems: PHONE_INVALID 3; the DWD table was left as it "
                    "was, the problems were sent to the department's feedback workbook",
                    started_at=when - dt.timedelta(minutes=1),
                    finished_at=when,
                )
            )

    def issue(self, dept: str, res: str, first_seen: dt.datetime, fixed_at: dt.datetime | None = None) -> int:
        with session_scope(self.engine) as s:
            n = next(self._ids)
            issue = m.QualityIssue(
                department_key=dept,
                resource_key=res,
                record_key=f"K{n}",
                field="phone",
                code="PHONE_FORMAT",
                severity="reject",
                status="fixed" if fixed_at else "open",
                source_row=n,
                first_batch_id="b1",
                last_batch_id="b1",
                first_seen=first_seen,
                last_seen=first_seen,
                fixed_at=fixed_at,
            )
            s.add(issue)
            s.flush()
            return issue.id

    def request(
        self,
        provider: str,
        consumer: str,
        res: str,
        requested: dt.datetime,
        due: dt.datetime | None,
        decided: dt.datetime | None = None,
    ) -> int:
        with session_scope(self.engine) as s:
            req = m.ShareRequest(
                consumer_key=consumer,
                provider_key=provider,
                resource_key=res,
                fields=["code"],
                purpose="监管执法",
                share_type="有条件共享" if due else "无条件共享",
                status="approved" if decided else "pending",
                requested_at=requested,
                due_at=due,
                decided_at=decided,
            )
            s.add(req)
            s.flush()
            return req.id

    def release(self, dept: str, res: str, version: int, when: dt.datetime) -> int:
        with session_scope(self.engine) as s:
            rel = m.OpenRelease(
                department_key=dept,
                resource_key=res,
                version=version,
                open_type="无条件开放",
                rows=10,
                folder=f"portal/{dept}/{res}/v{version}",
                content_hash=f"h{dept}{res}{version}",
                released_at=when,
            )
            s.add(rel)
            s.flush()
            return rel.id

    def call(self, provider: str, status: int, when: dt.datetime) -> None:
        with session_scope(self.engine) as s:
            s.add(
                m.ApiCallLog(
                    called_at=when,
                    consumer_key="other",
                    method="GET",
                    path="/x",
                    provider_key=provider,
                    resource_key="r1",
                    status=status,
                    latency_ms=1.0,
                )
            )

    def download(self, dept: str, res: str, when: dt.datetime) -> None:
        with session_scope(self.engine) as s:
            s.add(m.DownloadLog(downloaded_at=when, department_key=dept, resource_key=res, what="data.csv"))


def texts(fixes) -> tuple[str, ...]:
    """The texts of 整改清单 items."""
    return tuple(f.text for f in fixes)


def indicator(scorecard, dept: str, code: str):
    d = next(d for d in scorecard.departments if d.department == dept)
    return next(i for i in d.indicators if i.code == code)


def department(scorecard, dept: str):
    return next(d for d in scorecard.departments if d.department == dept)
