"""开放应用: applications, services and studies built on open data (the 数据开放大赛's entries), the
outcome 复旦「开放数林」 counts as use more than raw downloads.

Anyone submits one, naming the open datasets it uses (``department.resource``, each opened when
submitted: 无条件开放 or 有条件开放); the administrator approves or rejects it (a rejection gives its
reason). Approved apps are listed on the portal with their datasets, each dataset page lists the apps
built on it, and the scorecard's 数据利用 counts them for the datasets' departments.

The contact is personal data: it is stored for the administrator and never listed, shown on the
portal or logged (:class:`AppView` does not carry it). The URL is shown as text, never loaded.
Nothing here trusts its caller: :class:`Invalid`, :class:`Denied` and :class:`Unknown` carry
messages safe to show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import clock
from ..share.keys import Principal
from ..store import models as m
from .applications import APPROVED, PENDING, REJECTED, AlreadyDecided, Denied, Invalid, Unknown
from .datasets import find_dataset

__all__ = [
    "APPROVED",
    "PENDING",
    "REJECTED",
    "AlreadyDecided",
    "AppView",
    "Denied",
    "Invalid",
    "Unknown",
    "approved_apps",
    "list_apps",
    "review",
    "submit",
]

MAX_DATASETS = 20
_URL = re.compile(r"https?://[^\s<>\"']{1,490}", re.IGNORECASE)
_DATASET = re.compile(r"([a-z][a-z0-9_]{0,15})\.([a-z][a-z0-9_]{0,39})")


@dataclass(frozen=True)
class AppDataset:
    department: str
    resource: str
    department_name: str
    name: str
    """The resource's catalog name (its id when the catalog no longer has it)."""

    @property
    def key(self) -> str:
        return f"{self.department}.{self.resource}"


@dataclass(frozen=True)
class AppView:
    """An 开放应用 as it may be shown to anyone: never its contact."""

    id: int
    name: str
    submitter: str
    description: str
    url: str | None
    status: str
    reason: str | None
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    datasets: tuple[AppDataset, ...]


def _clean(value: str | None, what: str, limit: int, *, required: bool = True) -> str | None:
    text = " ".join((value or "").split()) if what != "description" else (value or "").strip()
    if not text:
        if required:
            raise Invalid(f"an app states its {what}")
        return None
    if len(text) > limit:
        raise Invalid(f"{what}: at most {limit} characters")
    return text


def _datasets(session: Session, datasets: Iterable[str]) -> list[tuple[str, str]]:
    """The datasets as (department, resource), each an opened dataset, in the order given, once each."""
    keys = list(dict.fromkeys(d.strip() for d in datasets))
    if not keys:
        raise Invalid("an app names at least one open dataset it uses (department.resource)")
    if len(keys) > MAX_DATASETS:
        raise Invalid(f"an app names at most {MAX_DATASETS} datasets")
    out = []
    for key in keys:
        match = _DATASET.fullmatch(key)
        if match is None:
            raise Invalid(f"dataset {key!r}: write it as department.resource, e.g. scjgj.enterprise_registry")
        if find_dataset(session, match.group(1), match.group(2)) is None:
            raise Unknown(f"dataset {key}: no such open dataset; the open datasets are listed by package_list")
        out.append((match.group(1), match.group(2)))
    return out


def submit(
    session: Session,
    *,
    name: str,
    submitter: str,
    contact: str,
    description: str,
    datasets: Iterable[str],
    url: str | None = None,
    now: dt.datetime | None = None,
) -> m.OpenApp:
    """Record a pending app using ``datasets`` (``department.resource`` of opened datasets)."""
    url = _clean(url, "url", 500, required=False)
    if url is not None and not _URL.fullmatch(url):
        raise Invalid("url: an http:// or https:// address without spaces")
    app = m.OpenApp(
        name=_clean(name, "name", 100),
        submitter=_clean(submitter, "submitter", 200),
        contact=_clean(contact, "contact", 200),
        description=_clean(description, "description", 2000),
        url=url,
        status=PENDING,
        submitted_at=now or clock.now(),
    )
    used = _datasets(session, datasets)
    session.add(app)
    session.flush()
    session.add_all(m.OpenAppDataset(app_id=app.id, department_key=d, resource_key=r) for d, r in used)
    session.flush()
    return app


def review(
    session: Session,
    principal: Principal,
    app_id: int,
    approve: bool,
    reason: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> m.OpenApp:
    """The administrator approves or rejects (with a reason) a pending app; an approval needs every
    dataset it uses still opened (else it can only be rejected)."""
    if not principal.is_admin:
        raise Denied("only an admin key reviews 开放应用")
    found = session.get(m.OpenApp, app_id)
    if found is None:
        raise Unknown("no such 开放应用")
    reason = _clean(reason, "reason", 2000, required=not approve)
    if approve and found.status == PENDING:
        gone = [f"{d}.{r}" for d, r in _used(session, [app_id])[app_id] if find_dataset(session, d, r) is None]
        if gone:
            raise Invalid(f"{', '.join(gone)} is no longer opened: the app can only be rejected")
    # reviewed once, even by two calls at the same moment: only the one that moves it from pending wins
    moved: Any = session.execute(
        sa.update(m.OpenApp)
        .where(m.OpenApp.id == app_id, m.OpenApp.status == PENDING)
        .values(
            status=APPROVED if approve else REJECTED,
            reason=reason,
            reviewed_at=now or clock.now(),
            reviewed_by=principal.key_id,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        session.refresh(found)
        raise AlreadyDecided(f"开放应用 {app_id} is already {found.status}")
    session.flush()
    session.refresh(found)
    return found


def _used(session: Session, app_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    ad = m.OpenAppDataset
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    query = sa.select(ad.app_id, ad.department_key, ad.resource_key).where(ad.app_id.in_(list(app_ids)))
    for app_id, dept, res in session.execute(query.order_by(ad.app_id, ad.department_key, ad.resource_key)):
        out[app_id].append((dept, res))
    return out


def _names(session: Session, used: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(department name, resource name) of each dataset, as registered now."""
    d, r = m.Department, m.Resource
    wanted = set(used)
    query = sa.select(d.key, d.name, r.key, r.name).join(r, r.department_id == d.id)
    query = query.where(d.key.in_({dept for dept, _ in wanted}))
    return {(dk, rk): (dn, rn) for dk, dn, rk, rn in session.execute(query) if (dk, rk) in wanted}


def views(session: Session, apps: list[m.OpenApp]) -> list[AppView]:
    used = _used(session, [a.id for a in apps])
    names = _names(session, (u for ids in used.values() for u in ids))
    out = []
    for a in apps:
        datasets = tuple(
            AppDataset(dept, res, *names.get((dept, res), (dept, res))) for dept, res in used.get(a.id, [])
        )
        out.append(
            AppView(
                id=a.id,
                name=a.name,
                submitter=a.submitter,
                description=a.description,
                url=a.url,
                status=a.status,
                reason=a.reason,
                submitted_at=a.submitted_at,
                reviewed_at=a.reviewed_at,
                datasets=datasets,
            )
        )
    return out


def list_apps(session: Session, status: str | None = None) -> list[AppView]:
    """The apps (with ``status``: those only), oldest first; for the administrator."""
    query = sa.select(m.OpenApp).order_by(m.OpenApp.id)
    if status is not None:
        query = query.where(m.OpenApp.status == status)
    return views(session, list(session.scalars(query)))


def approved_apps(session: Session) -> list[AppView]:
    """The approved apps, newest approval first: what the portal and ``GET /open/apps`` list."""
    query = sa.select(m.OpenApp).where(m.OpenApp.status == APPROVED)
    return views(session, list(session.scalars(query.order_by(m.OpenApp.reviewed_at.desc(), m.OpenApp.id.desc()))))
