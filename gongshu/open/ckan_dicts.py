"""Open datasets as CKAN's dictionaries: a package per dataset (its newest release), a resource per
released file, an organisation per department.

Names and ids are readable rather than CKAN's UUIDs, and stable across releases: a package is
``<department>-<resource>`` (id and name alike); a resource is its file name where that already
starts with the package name (``scjgj-licenses.csv``), else ``<package>.<file>``
(``scjgj-licenses.data-dictionary.csv``). The CSV resource carries the datastore
(``datastore_active``); ``datastore_search`` takes its id, or the package name. A resource's ``url``
is the download endpoint at the release's version, so that it and its ``hash`` name the same bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from .datasets import Dataset
from .layout import CHECKSUMS, METADATA, data_file

DOWNLOAD = "/api/v1/open/download"
_HIDDEN = {CHECKSUMS, METADATA}  # downloadable, but not resources of their own


def ckan_time(value: dt.datetime) -> str:
    """CKAN's timestamps: UTC, ISO 8601 without an offset."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def resource_id(dataset: Dataset, file: str) -> str:
    return file if file.startswith(f"{dataset.name}.") else f"{dataset.name}.{file}"


def datastore_id(dataset: Dataset) -> str:
    return data_file(dataset.department, dataset.resource.id, "csv")


def organization(department: str, title: str, package_count: int | None = None) -> dict[str, Any]:
    org = {
        "id": department,
        "name": department,
        "title": title,
        "display_name": title,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "description": "",
        "image_url": "",
    }
    if package_count is not None:
        org["package_count"] = package_count
    return org


def package(dataset: Dataset, base_url: str, datastore: bool) -> dict[str, Any]:
    """The package dict of ``dataset``; ``datastore``: its masked rows are queryable."""
    res, release = dataset.resource, dataset.release
    tags = list(dict.fromkeys([*res.tags, res.category]))
    extras = {
        "open_type": dataset.open_type,
        "open_condition": res.open.condition or "",
        "resource_code": dataset.code,
        "category": res.category,
        "update_cycle": res.update_cycle,
        "rows": str(release.rows),
    }
    files = [name for name in sorted(release.files) if name not in _HIDDEN]
    return {
        "id": dataset.name,
        "name": dataset.name,
        "title": res.name,
        "notes": res.summary or "",
        "type": "dataset",
        "state": "active",
        "private": False,
        "version": str(release.version),
        "url": "",
        "license_id": None,
        "owner_org": dataset.department,
        "organization": organization(dataset.department, dataset.department_name),
        "metadata_created": ckan_time(dataset.first_released_at),
        "metadata_modified": ckan_time(release.released_at),
        "tags": [{"name": t, "display_name": t, "state": "active"} for t in tags],
        "num_tags": len(tags),
        "groups": [],
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
        "resources": [_resource(dataset, name, i, base_url, datastore) for i, name in enumerate(files)],
        "num_resources": len(files),
    }


def _resource(dataset: Dataset, file: str, position: int, base_url: str, datastore: bool) -> dict[str, Any]:
    release = dataset.release
    meta = release.files.get(file) or {}
    suffix = file.rsplit(".", 1)[-1] if "." in file else ""
    fmt = meta.get("format") if isinstance(meta.get("format"), str) else suffix
    url = f"{base_url.rstrip('/')}{DOWNLOAD}/{dataset.department}/{dataset.resource.id}/{quote(file)}"
    is_datastore = datastore and file == datastore_id(dataset)
    return {
        "id": resource_id(dataset, file),
        "package_id": dataset.name,
        "name": file,
        "description": "数据字典 data dictionary" if file.endswith("data-dictionary.csv") else "",
        "format": (fmt or "").upper(),
        "url": f"{url}?version={release.version}",
        "url_type": None,
        "size": meta.get("bytes"),
        "hash": meta.get("sha256") or "",
        "created": ckan_time(release.released_at),
        "last_modified": ckan_time(release.released_at),
        "position": position,
        "state": "active",
        "datastore_active": is_datastore,
    }
