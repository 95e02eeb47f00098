"""Applications to use a 有条件开放 dataset (开放申请): anyone applies, naming the dataset, who they are,
how to reach them and what for; the providing department approves or rejects (a rejection gives its
reason). An approval issues an applicant key for that one dataset (``api_key.role == "applicant"``,
``resource_scope == "department.resource"``). The key is returned once, to the provider, who hands
it to the applicant: the platform keeps only its hash and has no channel of its own to the applicant.

Only a 有条件开放 dataset takes applications: a 无条件开放 one is downloaded without applying, a
不予开放 one is not opened to anyone. Nothing here trusts its caller: :class:`Denied`,
:class:`Invalid` and :class:`Unknown` carry messages safe to show.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import clock
from ..share.keys import APPLICANT, DEPARTMENT, Principal, create_key
from ..share.resources import find
from ..store import models as m
from .layout import CONDITIONAL, NOT_OPEN, UNCONDITIONAL

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class Denied(PermissionError):
    """The caller may not do this."""


class Invalid(ValueError):
    """The application or the decision is wrong as such (a dataset that takes none, no reason given)."""


class Unknown(LookupError):
    """No such dataset or application."""


class AlreadyDecided(Invalid):
    pass


def apply(
    session: Session,
    department: str,
    resource: str,
    *,
    applicant: str,
    contact: str,
    purpose: str,
    now: dt.datetime | None = None,
) -> m.OpenApplication:
    """Record a pending application for ``department.resource``, which must be 有条件开放."""
    shared = find(session, department, resource)
    if shared is None:
        raise Unknown("dataset: no such resource in the catalog; the open datasets are listed by package_list")
    open_type = shared.resource.open.type
    if open_type == NOT_OPEN:
        raise Denied(f"{department}.{resource} is {NOT_OPEN} (not opened): it is not available to anyone")
    if open_type == UNCONDITIONAL:
        raise Invalid(
            f"{department}.{resource} is {UNCONDITIONAL} (open to all): download it without applying "
            f"(/api/3/action/package_show?id={department}-{resource})"
        )
    texts = {"applicant": applicant, "contact": contact, "purpose": purpose}
    missing = [name for name, value in texts.items() if not (value or "").strip()]
    if missing:
        raise Invalid(f"an application states {', '.join(missing)}")
    application = m.OpenApplication(
        department_key=department,
        resource_key=resource,
        applicant=applicant.strip(),
        contact=contact.strip(),
        purpose=purpose.strip(),
        status=PENDING,
        applied_at=now or clock.now(),
    )
    session.add(application)
    session.flush()
    return application


def decide(
    session: Session,
    principal: Principal,
    application_id: int,
    approve: bool,
    reason: str | None = None,
    *,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> tuple[m.OpenApplication, str | None]:
    """The providing department approves (returning the applicant's key, whole, this once) or rejects
    (with a reason) a pending application; nobody else may."""
    found = session.get(m.OpenApplication, application_id)
    if found is None:
        raise Unknown("no such open-data application")
    if principal.role != DEPARTMENT or principal.department != found.department_key:
        raise Denied("only the providing department's key may approve or reject this application")
    dataset = f"{found.department_key}.{found.resource_key}"
    reason = (reason or "").strip() or None
    if not approve and reason is None:
        raise Invalid("a rejection gives its reason")
    if approve:
        shared = find(session, found.department_key, found.resource_key)
        open_type = shared.resource.open.type if shared is not None else "no longer in the catalog"
        if open_type != CONDITIONAL and found.status == PENDING:
            raise Invalid(f"{dataset} is now {open_type}: the application can only be rejected")
    now = now or clock.now()
    # decided once, even by two calls at the same moment: only the one that moves it from pending wins
    moved = session.execute(
        sa.update(m.OpenApplication)
        .where(m.OpenApplication.id == application_id, m.OpenApplication.status == PENDING)
        .values(status=APPROVED if approve else REJECTED, reason=reason, decided_at=now, decided_by=principal.key_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        session.refresh(found)
        raise AlreadyDecided(f"application {application_id} is already {found.status}")
    key = None
    if approve:
        label = f"open application {application_id}: {found.applicant}"[:200]
        key = create_key(
            session, department=None, role=APPLICANT, label=label, expires_at=expires_at, resource_scope=dataset
        )
        session.execute(
            sa.update(m.OpenApplication)
            .where(m.OpenApplication.id == application_id)
            .values(key_id=key[3:15])
            .execution_options(synchronize_session=False)
        )
    session.flush()
    session.refresh(found)
    return found, key


def applications_of(session: Session, principal: Principal, *, status: str | None = None) -> list[m.OpenApplication]:
    """The applications a key may see: for its department's datasets (admin: all)."""
    if not (principal.is_admin or principal.role == DEPARTMENT):
        raise Denied("only a department's key (or an admin key) lists applications")
    q = sa.select(m.OpenApplication).order_by(m.OpenApplication.id)
    if not principal.is_admin:
        q = q.where(m.OpenApplication.department_key == principal.department)
    if status:
        q = q.where(m.OpenApplication.status == status)
    return list(session.scalars(q))
