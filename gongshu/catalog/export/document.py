"""The catalog as one JSON document: the machine-readable 目录, reused by the DCAT export and the
sharing API. Every key is always present (null when not declared), so consumers see one shape."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...clock import iso, resolve_generated_at
from ...files import write_atomic
from ...rules.kinds import FIELD_KIND_LABELS
from ..compiled import CompiledCatalog, CompiledResource
from ..model import CatalogField
from ..vocab import LEVEL_LABELS
from ._common import category_class, category_code, ordered

FORMAT_VERSION = 1


def catalog_document(catalogs: Sequence[CompiledCatalog], generated_at: dt.datetime | None = None) -> dict[str, Any]:
    """The whole catalog as plain JSON-ready data, departments by id and resources by code."""
    moment = resolve_generated_at(generated_at)
    departments = []
    for compiled, resources in ordered(catalogs):
        dept = compiled.department
        departments.append(
            {
                "id": dept.id,
                "name": dept.name,
                "uscc": dept.uscc,
                "region_code": dept.region_code,
                "version": compiled.version,
                "content_hash": compiled.content_hash,
                "completeness": compiled.completeness,
                "resources": [resource_entry(r) for r in resources],
            }
        )
    return {"format": FORMAT_VERSION, "generated_at": iso(moment), "departments": departments}


def resource_entry(compiled: CompiledResource) -> dict[str, Any]:
    res = compiled.resource
    return {
        "code": compiled.code,
        "id": res.id,
        "name": res.name,
        "summary": res.summary,
        "category": res.category,
        "category_code": category_code(res.category),
        "category_class": category_class(res.category),
        "format": res.format,
        "update_cycle": res.update_cycle,
        "share": {"type": res.share.type, "condition": res.share.condition, "method": res.share.method},
        "open": {"type": res.open.type, "condition": res.open.condition},
        "level": res.level,
        "level_label": LEVEL_LABELS[res.level],
        "primary_key": list(res.primary_key),
        "publish_date": res.publish_date.isoformat() if res.publish_date else None,
        "related": list(res.related),
        "tags": list(res.tags),
        "completeness": {
            "score": compiled.completeness.score,
            "missing": [{"key": i.key, "label": i.label, "hint": i.hint} for i in compiled.completeness.missing],
        },
        "fields": [field_entry(f, res.primary_key) for f in res.fields],
    }


def field_entry(field: CatalogField, primary_key: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "name": field.name,
        "label": field.label,
        "kind": field.kind,
        "kind_label": FIELD_KIND_LABELS[field.kind],
        "required": field.required,
        "primary_key": field.name in primary_key,
        "description": field.description,
        "mask": field.mask,
        "level": field.level,
        "unit": field.unit,
        "values": list(field.values) if field.values is not None else None,
    }


def dumps(document: dict[str, Any]) -> str:
    """UTF-8 JSON as written by the exports: Chinese as is, two-space indent, final newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def export_json(catalogs: Sequence[CompiledCatalog], path: str | Path, generated_at: dt.datetime | None = None) -> Path:
    """Write :func:`catalog_document` as UTF-8 JSON to ``path``."""
    return write_atomic(path, dumps(catalog_document(catalogs, generated_at)).encode("utf-8"))
