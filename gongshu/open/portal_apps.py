"""The portal's 开放应用: the approved apps (``gongshu.open.apps``) as the 开放应用 page lists them, each
with links to the pages of the datasets it uses, and for each dataset page the apps built on it.

Only what :class:`~gongshu.open.apps.AppView` carries is shown: never a contact. An app's URL is
printed as text, never linked or loaded (the portal loads nothing from elsewhere)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .apps import approved_apps
from .published import Published, dataset_page

APPS_PATH = "/api/v1/open/apps"
"""Where an app is submitted (POST)."""


def portal_apps(
    engine: Engine, datasets: list[Published]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The approved apps for the 开放应用 page (newest first), and the apps of each dataset by its key."""
    pages = {ds.key: dataset_page(ds) for ds in datasets}
    with Session(engine) as session:
        views = approved_apps(session)
    apps: list[dict[str, Any]] = []
    by_dataset: dict[str, list[dict[str, Any]]] = {}
    for v in views:
        used = [{"name": d.name, "department_name": d.department_name, "href": pages.get(d.key)} for d in v.datasets]
        app = {
            "id": v.id,
            "name": v.name,
            "submitter": v.submitter,
            "description": v.description,
            "url": v.url,
            "reviewed_at": v.reviewed_at,
            "datasets": used,
        }
        apps.append(app)
        for d in v.datasets:
            by_dataset.setdefault(d.key, []).append(app)
    return apps, by_dataset


def submit_example(api_base: str) -> str:
    body = (
        '{"name": "应用名称", "submitter": "开发单位或个人", "contact": "联系人及联系电话（不公开）", '
        '"description": "应用说明", "url": "https://…", "datasets": ["部门标识.数据集标识"]}'
    )
    return f'curl -X POST "{api_base}{APPS_PATH}" \\\n  -H "Content-Type: application/json" \\\n  -d \'{body}\''
