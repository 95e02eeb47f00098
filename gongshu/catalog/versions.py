"""Catalog versions: a canonical snapshot of a department's catalog, its content hash, and the diff
between two snapshots (resources added, removed, changed; fields added, removed, changed).

The content hash sorts resources by id, so reordering a file is not a new version; whitespace and
comments never are. Field order counts: it is the column order of exports.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .model import Catalog


def snapshot(catalog: Catalog) -> dict[str, Any]:
    return catalog.model_dump(mode="json", exclude_none=True)


def content_hash(snap: dict[str, Any]) -> str:
    ordered = {**snap, "resources": sorted(snap["resources"], key=lambda r: r["id"])}
    canonical = json.dumps(ordered, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _changes(old: dict[str, Any], new: dict[str, Any], skip: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    keys = sorted((set(old) | set(new)) - set(skip))
    return {k: [old.get(k), new.get(k)] for k in keys if old.get(k) != new.get(k)}


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """What changed from ``old`` to ``new`` (``old`` None: everything is added)."""
    old_res = {r["id"]: r for r in (old or {}).get("resources", [])}
    new_res = {r["id"]: r for r in new.get("resources", [])}
    changed: dict[str, Any] = {}
    for rid in sorted(set(old_res) & set(new_res)):
        a, b = old_res[rid], new_res[rid]
        fa = {f["name"]: f for f in a.get("fields", [])}
        fb = {f["name"]: f for f in b.get("fields", [])}
        entry: dict[str, Any] = {}
        attrs = _changes(a, b, skip=("fields",))
        if attrs:
            entry["attributes"] = attrs
        added = [n for n in fb if n not in fa]
        removed = [n for n in fa if n not in fb]
        fields_changed = {n: _changes(fa[n], fb[n]) for n in fb if n in fa and fa[n] != fb[n]}
        if added:
            entry["fields_added"] = added
        if removed:
            entry["fields_removed"] = removed
        if fields_changed:
            entry["fields_changed"] = fields_changed
        order_a = [n for n in fa if n in fb]
        order_b = [n for n in fb if n in fa]
        if order_a != order_b:
            entry["fields_reordered"] = True
        if entry:
            changed[rid] = entry
    result: dict[str, Any] = {
        "initial": old is None,
        "department": _changes((old or {}).get("department", {}), new.get("department", {})) if old else {},
        "resources_added": sorted(set(new_res) - set(old_res)),
        "resources_removed": sorted(set(old_res) - set(new_res)),
        "resources_changed": changed,
    }
    return result


def is_empty(d: dict[str, Any]) -> bool:
    return not (d["department"] or d["resources_added"] or d["resources_removed"] or d["resources_changed"])


def render_markdown(department: str, version: int, d: dict[str, Any]) -> str:
    """The diff as Markdown for the Prefect UI (operators read English; catalog labels as written)."""
    lines = [f"### Catalog `{department}` version {version}"]
    if d["initial"]:
        lines.append(f"First version: {len(d['resources_added'])} resources registered.")
    elif is_empty(d):
        lines.append("No change since the previous version.")
    for key, (a, b) in d["department"].items():
        lines.append(f"- department `{key}`: `{a}` → `{b}`")
    if d["resources_added"] and not d["initial"]:
        lines.append("- resources added: " + ", ".join(f"`{r}`" for r in d["resources_added"]))
    if d["resources_removed"]:
        lines.append("- resources removed: " + ", ".join(f"`{r}`" for r in d["resources_removed"]))
    for rid, entry in d["resources_changed"].items():
        lines.append(f"- resource `{rid}` changed:")
        for key, (a, b) in entry.get("attributes", {}).items():
            lines.append(f"  - `{key}`: `{_short(a)}` → `{_short(b)}`")
        if entry.get("fields_added"):
            lines.append("  - fields added: " + ", ".join(f"`{f}`" for f in entry["fields_added"]))
        if entry.get("fields_removed"):
            lines.append("  - fields removed: " + ", ".join(f"`{f}`" for f in entry["fields_removed"]))
        for fname, attrs in entry.get("fields_changed", {}).items():
            parts = ", ".join(f"{k} `{_short(a)}` → `{_short(b)}`" for k, (a, b) in attrs.items())
            lines.append(f"  - field `{fname}`: {parts}")
        if entry.get("fields_reordered"):
            lines.append("  - fields reordered")
    return "\n".join(lines) + "\n"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"
