"""The open stage (数据开放) for one resource, run after sharing: decide whether it may be opened,
mask its cleansed rows, pass the publish gate, and write version N of its release.

  held back   不予开放, L4, or L2/L3 declared 无条件开放 (:func:`~gongshu.open.masking.release_decision`):
              skipped with why, nothing written; no cleansed data yet: skipped too
  blocked     the publish gate found an L4 column or unmasked personal data: failed, naming the
              column and the kind; nothing written, the previous release stays the latest
  unchanged   the released rows hash as the latest release's (same open type, its folder there):
              skipped, "unchanged since vN"
  released    the files written into a temporary folder beside the target, then, in one database
              transaction, the ``opn_`` table replaced, the ``open_release`` row added and the folder
              renamed into place: a failure at any point leaves the previous release whole.

The content hash is the SHA-256 of the release CSV: the released rows, in primary-key order, with the
released columns' names, so a change of data, of masks or of released fields makes a new version.

Entry point: ``open_resource(engine, department, resource, run_id, *, home, ...)``, in the shape every
stage's has (``<stage>_resource(engine, department, resource, run_id, *, what that stage alone
needs)``, returning the resource's :class:`~gongshu.runs.Outcome`). Masking, the release's files and
its publishing are ``gongshu.open.release``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .. import claims, clock
from ..catalog.model import Resource
from ..quality import gate
from ..runs import Outcome, outcome_for, record_now
from ..store import models as m
from ..store.db import session_scope
from . import files, layout
from .masking import MaskSaltMissing, release_decision
from .publish_gate import PublishCheck
from .release import Prepared, prepare, publish, resource_meta, write_release
from .source import last_cleansed, read_text
from .withdraw import withdraw

STAGE = "open"


def latest_release(session: Session, department: str, resource: str) -> m.OpenRelease | None:
    return session.scalar(
        sa.select(m.OpenRelease)
        .where(m.OpenRelease.department_key == department, m.OpenRelease.resource_key == resource)
        .order_by(m.OpenRelease.version.desc())
        .limit(1)
    )


def open_resource(
    engine: Engine,
    department: str,
    resource: Resource,
    run_id: str,
    *,
    home: Path,
    now: dt.datetime | None = None,
    flow_run_id: str | None = None,
) -> Outcome:
    """Release the resource if it may be opened and has changed (see the module docstring).
    ``home``: ``$GONGSHU_HOME``, under which the release folders are written.

    A resource that may open is claimed first (``gongshu.claims``): while another run releases it,
    this one skips it saying so. A new release's ``run_log`` row is written in the release's own
    transaction (the returned outcome is then marked logged): a process killed after the commit
    still leaves its record."""
    started = now or clock.now()
    outcome = outcome_for(STAGE, department, resource.id, started)
    if not release_decision(resource).openable:
        return _hold_back(engine, home, department, resource, outcome, started)
    claim = claims.acquire(engine, STAGE, department, resource.id, run_id)
    if isinstance(claim, claims.Busy):
        return outcome("skipped", reason=claim.reason("released"), details={"held": "another run"})
    try:
        with claims.kept_alive(engine, claim):
            return _open_claimed(engine, home, department, resource, run_id, claim, outcome, started, flow_run_id)
    except claims.ClaimLost as exc:
        return outcome("failed", error=str(exc))
    finally:
        claims.release(engine, claim)


def _base(resource: Resource) -> dict[str, Any]:
    """What every outcome of the stage tells of the resource."""
    return {"open_type": resource.open.type, "level": resource.level}


def _hold_back(
    engine: Engine, home: Path, department: str, resource: Resource, outcome: Callable[..., Outcome], now: dt.datetime
) -> Outcome:
    """A resource that may not open: skipped with why, a release made before withdrawn."""
    decision = release_decision(resource)
    held = _held(resource)
    reason = "不予开放" if held == "不予开放" else decision.reason
    details = {**_base(resource), "held": held, "why": decision.reason}
    withdrawn = withdraw(engine, home, department, resource.id, f"{held}: {decision.reason}", now=now)
    if withdrawn:
        details["withdrawn"] = withdrawn
        reason += f"; released version(s) {', '.join(f'v{v}' for v in withdrawn)} withdrawn, their files deleted"
    return outcome("skipped", reason=reason, details=details)


@dataclass
class _Release:
    """A release being made: the resource's rows masked and gated, and what the release before it was."""

    department: str
    resource: Resource
    run_id: str
    home: Path
    release: str
    """The open type it is released as (``layout.UNCONDITIONAL`` or on application)."""
    batch_id: str
    prepared: Prepared
    rows_in: int
    latest: m.OpenRelease | None
    names: tuple[str | None, str | None]
    """The department's name and the resource's code, as registered."""
    details: dict[str, Any]
    outcome: Callable[..., Outcome]

    @property
    def previous(self) -> int | None:
        return _previous(self.latest)


def _open_claimed(
    engine: Engine,
    home: Path,
    department: str,
    resource: Resource,
    run_id: str,
    claim: claims.Claim,
    outcome: Callable[..., Outcome],
    started: dt.datetime,
    flow_run_id: str | None,
) -> Outcome:
    decision = release_decision(resource)
    base = _base(resource)
    withdrawn = []
    if decision.release != layout.UNCONDITIONAL:  # what was public must not stay public
        why = f"now {decision.release}: served to approved applicants only"
        withdrawn = withdraw(engine, home, department, resource.id, why, public_only=True, now=started)

    with engine.connect() as conn:
        cleansed = last_cleansed(conn, department, resource)
        if cleansed is None:
            return outcome(
                "skipped", reason=_nothing_yet(department, resource), details={**base, "held": "no cleansed data"}
            )
        rows = read_text(conn, cleansed.table, resource)
    with session_scope(engine) as session:
        latest = latest_release(session, department, resource.id)
        names = _names(session, department, resource.id)
        if latest is not None:
            session.expunge(latest)
    try:
        prepared = _gated(engine, department, resource, run_id, cleansed.batch_id, rows)
    except MaskSaltMissing as exc:
        return outcome("failed", rows_in=rows.num_rows, error=f"{exc}; nothing was released", details=base)
    details = _details(base, decision.release, prepared, latest, withdrawn)
    release = _Release(
        department=department,
        resource=resource,
        run_id=run_id,
        home=home,
        release=decision.release,
        batch_id=cleansed.batch_id,
        prepared=prepared,
        rows_in=rows.num_rows,
        latest=latest,
        names=names,
        details=details,
        outcome=outcome,
    )
    if not prepared.check.passed:
        return _blocked(release)
    return _write(engine, release, claim, flow_run_id)


def _nothing_yet(department: str, resource: Resource) -> str:
    return (
        f"nothing to open yet: no completed cleansing has loaded "
        f"dwd_{department}__{resource.id} (run the cleanse stage)"
    )


def _gated(engine: Engine, department: str, resource: Resource, run_id: str, batch_id: str, rows: pa.Table) -> Prepared:
    """The rows masked and judged by the publish gate, whose results are recorded."""
    prepared = prepare(resource, rows)
    with session_scope(engine) as session:
        gate.record(
            session,
            prepared.check.result,
            run_id=run_id,
            department=department,
            resource=resource.id,
            batch_id=batch_id,
        )
    return prepared


def _details(
    base: dict[str, Any], release: str, prepared: Prepared, latest: m.OpenRelease | None, withdrawn: list[int]
) -> dict[str, Any]:
    """What the outcome of a release made ready tells, whatever becomes of it."""
    details: dict[str, Any] = {
        **base,
        "release": release,
        "gate": prepared.check.result.summary(),
        "dropped": [d.field for d in prepared.masked.dropped],
        "previous_version": _previous(latest),
    }
    if withdrawn:
        details["withdrawn"] = withdrawn
    return details


def _blocked(r: _Release) -> Outcome:
    """The publish gate's refusal: failed, naming each column and kind it found."""
    check = r.prepared.check
    problems = check.problems(r.resource)
    kept = f"v{r.previous} stays the latest release" if r.previous else "nothing has been released"
    r.details["held"] = "gate"
    r.details["findings"] = [
        {"column": f.column, "kind": f.kind, "rows": f.count, "sample": f.sample} for f in check.findings
    ]
    error = f"the publish gate blocked the release: {'; '.join(problems)}; {kept}"
    return r.outcome("failed", rows_in=r.rows_in, error=error + _hint(check), details=r.details)


def _write(engine: Engine, r: _Release, claim: claims.Claim, flow_run_id: str | None) -> Outcome:
    """Version N written into a temporary folder beside its place and published (the ``opn_`` table,
    the record, the run's record, the folder renamed into place); skipped when its CSV hashes as
    the latest release's."""
    department, resource, home = r.department, r.resource, r.home
    version = (r.previous or 0) + 1
    final = layout.release_dir(home, department, resource.id, version, r.release)
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(".v*.tmp-*"):  # left by a process that died while writing
        shutil.rmtree(stale, ignore_errors=True)
    tmp = final.parent / f".v{version}.tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        csv_name = layout.data_file(department, resource.id, "csv")
        files.write_csv(tmp / csv_name, r.prepared.rows)
        content_hash = files.sha256_file(tmp / csv_name)
        if _unchanged(r, content_hash):
            assert r.latest is not None  # _unchanged compared it
            shutil.rmtree(tmp)
            r.details["version"] = r.latest.version
            return r.outcome(
                "skipped", rows_in=r.rows_in, reason=f"unchanged since v{r.latest.version}", details=r.details
            )
        released_at = clock.now()
        meta = _meta(r, version, released_at, content_hash)
        listing = write_release(tmp, department, resource, r.prepared, meta, csv_name=csv_name)
        record = _record(r, version, final.relative_to(home).as_posix(), listing, content_hash, released_at)
        r.details.update(version=version, folder=record.folder, files=sorted(listing), content_hash=content_hash)
        done = r.outcome("completed", rows_in=r.rows_in, rows_out=r.prepared.rows.num_rows, details=r.details)

        def commit_with(session: Session) -> None:
            record_now(session, r.run_id, done, flow_run_id)
            claims.refresh(session.connection(), claim)

        publish(engine, department, resource.id, r.prepared.rows, record, tmp, final, commit_with)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return done


def _unchanged(r: _Release, content_hash: str) -> bool:
    """The latest release holds these very rows, as the same open type, and its folder is there."""
    latest = r.latest
    return (
        latest is not None
        and latest.content_hash == content_hash
        and latest.open_type == r.release
        and (r.home / latest.folder).is_dir()
    )


def _meta(r: _Release, version: int, released_at: dt.datetime, content_hash: str) -> dict[str, Any]:
    """The release's metadata so far (``write_release`` adds the fields, the files, the XLSX note)."""
    dept_name, code = r.names
    return {
        "department": {"id": r.department, "name": dept_name},
        "resource": resource_meta(r.resource, code),
        "version": version,
        "previous_version": r.previous,
        "released_at": released_at.isoformat(),
        "rows": r.prepared.rows.num_rows,
        "content_hash": content_hash,
        "source_batch_id": r.batch_id,
        "run_id": r.run_id,
    }


def _record(
    r: _Release,
    version: int,
    folder: str,
    listing: dict[str, dict[str, Any]],
    content_hash: str,
    released_at: dt.datetime,
) -> m.OpenRelease:
    prepared = r.prepared
    return m.OpenRelease(
        department_key=r.department,
        resource_key=r.resource.id,
        version=version,
        open_type=r.release,
        rows=prepared.rows.num_rows,
        fields=list(prepared.rows.column_names),
        dropped=[{"field": d.field, "reason": d.reason} for d in prepared.masked.dropped],
        masks=dict(prepared.masked.masks),
        files=listing,
        folder=folder,
        source_batch_id=r.batch_id,
        content_hash=content_hash,
        run_id=r.run_id,
        released_at=released_at,
    )


def _held(resource: Resource) -> str:
    """Why a resource that may not open is held back, as the open-summary artifact groups it."""
    if resource.open.type == "不予开放":
        return "不予开放"
    return "L4" if resource.level == "L4" else "L2/L3 declared 无条件开放"


def _previous(latest: m.OpenRelease | None) -> int | None:
    return latest.version if latest is not None else None


def _names(session: Session, department: str, resource: str) -> tuple[str | None, str | None]:
    """The department's name and the resource's code, as registered by the catalog stage."""
    row = session.execute(
        sa.select(m.Department.name, m.Resource.code)
        .join(m.Resource, m.Resource.department_id == m.Department.id)
        .where(m.Department.key == department, m.Resource.key == resource)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def _hint(check: PublishCheck) -> str:
    """What to do about it, said once."""
    if check.findings:
        return (
            " (remove the numbers from the data at the source, or give the column a mask, or mask: drop, "
            "in the catalog)"
        )
    return ""
