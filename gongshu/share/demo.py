"""The sharing part of ``gongshu demo``: an API key per sample department and one admin key, written
to ``$GONGSHU_HOME/demo-keys.json`` (mode 0600, never printed), and share requests of every kind
between the sample departments, decided the way the workflow decides them (无条件共享 at once,
有条件共享 by the provider's key, 不予共享 refused).

Running the demo again replaces the keys (the previous demo keys are revoked) and reuses the requests
an earlier demo made rather than piling up copies; a pending one it should decide is decided then.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import clock
from ..catalog.compiled import CompiledCatalog
from ..catalog.model import Resource
from ..store import models as m
from .keys import ADMIN, DEPARTMENT, Principal, create_key, revoke_key
from .workflow import APPROVED, PENDING, Denied, Invalid, apply, decide

DEMO_LABEL = "gongshu demo"
KEYS_FILE = "demo-keys.json"
API = "http://127.0.0.1:8600"


@dataclass(frozen=True)
class Scenario:
    consumer: str
    provider: str
    resource: str
    fields: tuple[str, ...]
    purpose: str
    decision: tuple[bool, str | None] | None = None
    """(approve, reason) given by the provider's key to a pending request; None: leave it to the catalog
    (or pending)."""


SCENARIOS = (
    Scenario(  # 无条件共享: granted at once
        "zhzfj",
        "scjgj",
        "admin_license",
        ("subject_name", "subject_uscc", "decision_no", "license_category", "content", "decision_date", "status"),
        "行政处罚案件办理中核验当事人的行政许可情况",
    ),
    Scenario(  # 有条件共享, within the condition: the provider approves
        "zhzfj",
        "scjgj",
        "enterprise_registry",
        ("uscc", "company_name", "legal_rep", "status", "address", "region"),
        "综合行政执法案件中核验当事人的主体资格和登记状态（市场监管、信用监管协同）",
        (True, None),
    ),
    Scenario(  # 有条件共享, outside the condition: the provider rejects with its reason
        "qxj",
        "scjgj",
        "enterprise_registry",
        ("uscc", "company_name", "phone", "address"),
        "编制气象灾害预警信息定向推送的企业名录",
        (False, "用途不在本资源的共享条件（用于市场监管、信用监管、税务征管等法定职责）之内；联系电话请向企业直接采集"),
    ),
    Scenario(  # 有条件共享 waiting for the provider, due in N working days
        "scjgj",
        "rsj",
        "insured_employers",
        ("uscc", "unit_name", "insured_count", "status"),
        "企业年度报告抽查中核验参保人数",
    ),
    Scenario(  # 不予共享: refused at once
        "scjgj",
        "hyj",
        "fishing_permits",
        ("permit_no", "vessel_name", "holder", "valid_to"),
        "渔业企业信用监管",
    ),
)


@dataclass
class DemoRequest:
    scenario: Scenario
    resource_name: str
    share_type: str | None = None
    id: int | None = None
    status: str | None = None
    reason: str | None = None
    due_at: dt.datetime | None = None
    reused: bool = False
    """Made by an earlier demo."""
    problem: str | None = None
    """Why this scenario could not be played (a department or resource not registered)."""


@dataclass
class ShareDemo:
    departments: list[str]
    keys: dict = field(repr=False, default_factory=dict)
    """What goes into the keys file (the keys themselves: never print it)."""
    requests: list[DemoRequest] = field(default_factory=list)
    keys_file: Path | None = None


def write_keys_file(path: Path, content: dict) -> Path:
    """Write the keys readable by the owner only (0600), replacing the file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".demo-keys-", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(content, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _key_id(key: str) -> str:
    return key.split("_")[1]


def seed_share_demo(
    session: Session,
    catalogs: list[CompiledCatalog],
    *,
    response_days: int = 5,
    now: dt.datetime | None = None,
) -> ShareDemo:
    """Create the demo keys and requests (see the module docstring). The caller commits, then writes
    ``demo.keys`` with :func:`write_keys_file` (so that the file never holds keys the database lacks)."""
    now = now or clock.now()
    earlier = session.scalars(
        sa.select(m.ApiKey.key_id).where(m.ApiKey.label == DEMO_LABEL, m.ApiKey.revoked_at.is_(None))
    )
    for key_id in list(earlier):
        revoke_key(session, key_id, now)
    departments = sorted(c.department.id for c in catalogs)
    keys = {d: create_key(session, department=d, role=DEPARTMENT, label=DEMO_LABEL) for d in departments}
    admin = create_key(session, department=None, role=ADMIN, label=DEMO_LABEL)
    principals = {d: Principal(key_id=_key_id(k), role=DEPARTMENT, department=d) for d, k in keys.items()}
    resources: dict[tuple[str, str], Resource] = {
        (c.department.id, r.resource.id): r.resource for c in catalogs for r in c.resources
    }

    demo = ShareDemo(
        departments=departments,
        keys={
            "api": API,
            "created_at": now.isoformat(),
            "note": "keys of the gongshu demo; send one as the X-API-Key header",
            "admin": admin,
            "departments": keys,
        },
    )
    for sc in SCENARIOS:
        resource = resources.get((sc.provider, sc.resource))
        item = DemoRequest(sc, resource.name if resource else sc.resource)
        demo.requests.append(item)
        _play_scenario(session, item, resource, principals, response_days=response_days, now=now)
    return demo


def _play_scenario(
    session: Session,
    item: DemoRequest,
    resource: Resource | None,
    principals: dict[str, Principal],
    *,
    response_days: int,
    now: dt.datetime,
) -> None:
    """Apply for the scenario's request (or reuse an earlier demo's) and give its provider's decision;
    into ``item`` what came of it, or why it could not be played."""
    sc = item.scenario
    missing = [d for d in (sc.consumer, sc.provider) if d not in principals]
    if missing or resource is None:
        item.problem = (
            f"department(s) {', '.join(missing)} not registered"
            if missing
            else f"{sc.provider} has no resource {sc.resource}"
        )
        return
    try:
        request = _earlier(session, sc, resource.share.type)
        item.reused = request is not None
        if request is None:
            request = apply(
                session,
                principals[sc.consumer],
                sc.provider,
                resource,
                list(sc.fields),
                sc.purpose,
                response_days=response_days,
                now=now,
            )
        if request.status == PENDING and sc.decision is not None:
            approve, reason = sc.decision
            request = decide(session, principals[sc.provider], request.id, approve, reason, now=now)
    except (Denied, Invalid) as exc:
        item.problem = str(exc)
        return
    item.id, item.share_type, item.status = request.id, request.share_type, request.status
    item.reason, item.due_at = request.reason, request.due_at


def _earlier(session: Session, sc: Scenario, share_type: str) -> m.ShareRequest | None:
    """The request an earlier demo made for this scenario (under the same share type), if any; not an
    approved one whose grant has since been withdrawn."""
    request = session.scalar(
        sa.select(m.ShareRequest)
        .where(
            m.ShareRequest.consumer_key == sc.consumer,
            m.ShareRequest.provider_key == sc.provider,
            m.ShareRequest.resource_key == sc.resource,
            m.ShareRequest.purpose == sc.purpose,
            m.ShareRequest.share_type == share_type,
        )
        .order_by(m.ShareRequest.id.desc())
        .limit(1)
    )
    if request is not None and request.status == APPROVED:
        active = session.scalar(
            sa.select(sa.func.count())
            .select_from(m.ShareGrant)
            .where(m.ShareGrant.request_id == request.id, m.ShareGrant.revoked_at.is_(None))
        )
        if not active:
            return None
    return request
