"""What the portal and the open DCAT describe: the newest release of each opened resource, joined with
the resource and department as registered now.

Both are built from one :func:`latest_releases` call, so ``catalog.jsonld`` and the pages never
disagree about a version. The registered rows give the catalog's words (name, summary, field
labels); the release row gives what was actually published (fields, masks, files, rows).

A release is shown under the stricter of its own open type and the catalog's current one: a
resource released 无条件开放 whose catalog now says 有条件开放 loses its download links at the next
portal build rather than waiting for the next release, and one now 不予开放 (or retired) leaves the
portal altogether.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..catalog.model import Department, Resource
from ..store import models as m
from .datasets import effective_open_type, newest_standing
from .layout import UNCONDITIONAL, data_file


@dataclass(frozen=True)
class ReleasedFile:
    name: str
    format: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Published:
    """One dataset as published: the latest release of a resource still open."""

    department: Department
    resource: Resource
    code: str
    open_type: str
    """The stricter of the release's and the catalog's open type."""
    version: int
    rows: int
    fields: tuple[str, ...]
    masks: dict[str, str]
    dropped: tuple[dict[str, Any], ...]
    files: tuple[ReleasedFile, ...]
    folder: Path
    """The release folder (absolute)."""
    released_at: dt.datetime

    @property
    def key(self) -> str:
        """``department.resource``: how applications and the API name a dataset."""
        return f"{self.department.id}.{self.resource.id}"

    @property
    def public(self) -> bool:
        return self.open_type == UNCONDITIONAL

    @property
    def data_files(self) -> tuple[ReleasedFile, ...]:
        """The data itself (``<dept>-<resource>.<fmt>``), not the dictionary or checksums."""
        stem = data_file(self.department.id, self.resource.id, "")
        return tuple(f for f in self.files if f.name.startswith(stem))

    @property
    def formats(self) -> list[str]:
        return sorted({f.format.upper() for f in self.data_files})


# Names shared by the pages, catalog.jsonld and the API examples (paths relative to portal/).
APPLY_PATH = "/api/v1/open/applications"
"""The sharing API's endpoint where a 有条件开放 dataset is applied for (POST)."""
CKAN_ACTION = "/api/3/action/"
DOWNLOAD_PATH = "/api/v1/open/download"
"""The API's logged download of a release file: ``{DOWNLOAD_PATH}/<dept>/<resource>/<file>?version=N``."""


def dataset_page(ds: Published) -> str:
    return f"datasets/{ds.department.id}/{ds.resource.id}.html"


def department_page(department_id: str) -> str:
    return f"departments/{department_id}.html"


def ckan_id(ds: Published) -> str:
    """The dataset's CKAN package name: ``<dept>-<resource>``, the stem of its downloaded files."""
    return f"{ds.department.id}-{ds.resource.id}"


def datastore_id(ds: Published) -> str:
    """The CKAN resource holding the datastore: the release's CSV, named by its file name."""
    return data_file(ds.department.id, ds.resource.id, "csv")


_FORMAT_NAMES = {"TEXT": "TXT"}


def _files(raw: dict[str, Any]) -> tuple[ReleasedFile, ...]:
    out = []
    for name, info in sorted(raw.items()):
        info = info or {}
        suffix = name.rsplit(".", 1)[-1] if "." in name else "txt"
        out.append(
            ReleasedFile(
                name=name,
                format=_FORMAT_NAMES.get(fmt := str(info.get("format") or suffix).upper(), fmt),
                bytes=int(info.get("bytes") or 0),
                sha256=str(info.get("sha256") or ""),
            )
        )
    return tuple(out)


def latest_releases(engine: Engine, home: Path) -> list[Published]:
    """The latest release of every active, still-open resource, ordered by department then code."""
    newest = newest_standing()
    query = (
        select(m.OpenRelease, m.Resource, m.Department)
        .join(
            newest,
            (m.OpenRelease.department_key == newest.c.department_key)
            & (m.OpenRelease.resource_key == newest.c.resource_key)
            & (m.OpenRelease.version == newest.c.version),
        )
        .join(m.Department, m.Department.key == m.OpenRelease.department_key)
        .join(
            m.Resource,
            (m.Resource.department_id == m.Department.id) & (m.Resource.key == m.OpenRelease.resource_key),
        )
        .where(m.Resource.active.is_(True), m.Department.active.is_(True))
        .order_by(m.Department.key, m.Resource.code)
    )
    out: list[Published] = []
    with Session(engine) as session:
        for release, res_row, dept_row in session.execute(query):
            open_type = effective_open_type(release.open_type, res_row.open_type)
            if open_type is None:
                continue
            try:
                resource = Resource.model_validate(res_row.spec)
            except ValueError as exc:
                raise ValueError(
                    f"resource {dept_row.key}.{res_row.key}: its registered catalog spec does not load ({exc}); "
                    "run the catalog stage again"
                ) from exc
            out.append(
                Published(
                    department=Department(id=dept_row.key, name=dept_row.name, uscc=dept_row.uscc),
                    resource=resource,
                    code=res_row.code,
                    open_type=open_type,
                    version=release.version,
                    rows=release.rows,
                    fields=tuple(release.fields or ()),
                    masks=dict(release.masks or {}),
                    dropped=tuple(release.dropped or ()),
                    files=_files(release.files or {}),
                    folder=(home / release.folder).resolve(),
                    released_at=release.released_at,
                )
            )
    return out
