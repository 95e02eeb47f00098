"""Who may read an open dataset, and the record of each read (``download_log``).

无条件开放: anyone, no key (a key sent along is not even looked at, and the read is logged as
public). 有条件开放: only an applicant key whose one dataset (``api_key.resource_scope``) is this
dataset; a department or admin key is refused like no key at all, since the approval was given
to an applicant for a purpose, not to a role. The checks do not depend on the HTTP layer: the CKAN
and download endpoints turn :class:`Refused` into their own error shapes.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import clock
from ..share.keys import InvalidKey, verify
from ..store import models as m
from .datasets import Dataset


class Refused(PermissionError):
    """Not allowed; ``status`` 401 (no usable key) or 403 (a key, not for this dataset)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def authorise(session: Session, dataset: Dataset, presented: str | None) -> str | None:
    """The key id a read of ``dataset`` is made with (None for a public dataset), or :class:`Refused`."""
    if not dataset.conditional:
        return None
    how = f'apply with POST /api/v1/open/applications {{"dataset": "{dataset.qualified}", ...}}'
    if not presented:
        raise Refused(401, f"{dataset.qualified} is 有条件开放: it needs the key of an approved application; {how}")
    try:
        principal = verify(session, presented)
    except InvalidKey as exc:
        raise Refused(401, str(exc)) from None
    if not principal.is_applicant or principal.scope != dataset.qualified:
        raise Refused(
            403,
            f"{dataset.qualified} is 有条件开放: this key is not approved for it "
            f"(an applicant's key opens the one dataset it was approved for); {how}",
        )
    return principal.key_id


def log_read(session: Session, dataset: Dataset, what: str, key_id: str | None, rows: int | None = None) -> None:
    """One ``download_log`` row: a file served, or a datastore query (``what``)."""
    session.add(
        m.DownloadLog(
            downloaded_at=clock.now(),
            release_id=dataset.release.id,
            department_key=dataset.department,
            resource_key=dataset.resource.id,
            what=what,
            key_id=key_id,
            rows=rows,
        )
    )
