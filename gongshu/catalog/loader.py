"""Read catalog files into models, turning every problem into a :class:`CatalogIssue` that names the
file, line, column, resource and field, says what is allowed and suggests the likely intended word.

Line numbers come from ``yamlpos``, which keeps the position of every key and value; pydantic's
error locations are walked back through that tree.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import yamlpos
from .issues import CatalogIssue, closest
from .model import Catalog
from .yamlpos import YamlError, YMap, YSeq

# Names people know the enumerated keys by, used in messages.
KEY_LABELS = {
    "category": "资源分类 (category)",
    "format": "资源格式 (format)",
    "update_cycle": "更新周期 (update_cycle)",
    "share.type": "共享类型 (share.type)",
    "share.method": "共享方式 (share.method)",
    "open.type": "开放类型 (open.type)",
    "level": "分级 (level)",
    "kind": "field kind",
    "mask": "mask",
    "unit": "计量单位 (unit)",
    "encoding": "encoding",
    "paging.kind": "paging kind",
}


@dataclass
class LoadedCatalog:
    """One catalog file as read: the model when it is valid, and every issue found."""

    path: Path
    catalog: Catalog | None = None
    issues: list[CatalogIssue] = field(default_factory=list)
    tree: Any = None
    """The parsed document (``yamlpos`` maps and sequences), kept for positions of later checks."""

    @property
    def errors(self) -> list[CatalogIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.catalog is not None and not self.errors

    @property
    def department_id(self) -> str | None:
        if self.catalog is not None:
            return self.catalog.department.id
        dept = self.tree.get("department") if isinstance(self.tree, dict) else None
        did = dept.get("id") if isinstance(dept, dict) else None
        return did if isinstance(did, str) else None

    def position(self, *loc: str | int) -> tuple[int | None, int | None]:
        """1-based (line, column) of the value at ``loc`` in the file, or of the nearest parent."""
        return locate(self.tree, loc, at_key=False).position

    def issue(self, code: str, message: str, loc: tuple[str | int, ...], **kw: Any) -> CatalogIssue:
        """An issue at ``loc`` with file, position, resource and field filled in."""
        spot = locate(self.tree, loc, at_key=kw.pop("at_key", False))
        return CatalogIssue(
            code=code,
            message=message,
            file=self.path,
            line=spot.position[0],
            column=spot.position[1],
            department=self.department_id,
            resource=kw.pop("resource", spot.resource),
            field=kw.pop("field", spot.field),
            key=spot.key,
            **kw,
        )


def load_catalog(path: str | Path) -> LoadedCatalog:
    """Read and validate one catalog file. Never raises for bad content: problems become issues."""
    path = Path(path)
    loaded = LoadedCatalog(path=path)
    text = _read_text(loaded)
    if text is None:
        return loaded
    try:
        tree = yamlpos.load(text)
    except YamlError as exc:
        loaded.issues.append(
            CatalogIssue(
                code="CATALOG_YAML_SYNTAX",
                message=f"YAML syntax error: {exc.problem}",
                file=path,
                line=exc.line,
                column=exc.column,
            )
        )
        return loaded
    if tree is None:
        loaded.issues.append(
            CatalogIssue(code="CATALOG_EMPTY_FILE", message="the file holds no catalog (only comments)", file=path)
        )
        return loaded
    loaded.tree = tree
    if not isinstance(tree, dict):
        loaded.issues.append(
            CatalogIssue(
                code="CATALOG_STRUCTURE",
                message="a catalog file is a mapping with the keys 'department' and 'resources'",
                file=path,
                line=1,
                column=1,
            )
        )
        return loaded
    try:
        loaded.catalog = Catalog.model_validate(tree)
    except ValidationError as exc:
        for err in exc.errors():
            loaded.issues.append(_issue_from_pydantic(loaded, err))
    return loaded


def _read_text(loaded: LoadedCatalog) -> str | None:
    path = loaded.path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        loaded.issues.append(CatalogIssue(code="CATALOG_NOT_FOUND", message="no such file", file=path))
        return None
    except OSError as exc:
        loaded.issues.append(CatalogIssue(code="CATALOG_UNREADABLE", message=str(exc), file=path))
        return None
    if not raw.strip():
        loaded.issues.append(CatalogIssue(code="CATALOG_EMPTY_FILE", message="the file is empty", file=path))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "; it looks like GBK/GB18030: save it as UTF-8 (e.g. iconv -f gb18030 -t utf-8)"
        except UnicodeDecodeError:
            pass
        loaded.issues.append(
            CatalogIssue(
                code="CATALOG_NOT_UTF8",
                message=f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} cannot be decoded){hint}",
                file=path,
                line=line,
                column=column,
            )
        )
        return None


@dataclass
class Spot:
    position: tuple[int | None, int | None]
    key: str
    resource: str | None
    field: str | None


def locate(tree: Any, loc: tuple[str | int, ...], at_key: bool = False) -> Spot:
    """Walk ``loc`` (a pydantic error location or our own key path) through the parsed tree.

    Steps that are not in the document (a discriminated union's tag, a missing key) are skipped;
    the position is that of the deepest node reached: the key itself when ``at_key``, else its value.
    """
    node = tree
    pos: tuple[int | None, int | None] = (1, 1) if tree is not None else (None, None)
    parts: list[str] = []
    resource = field_name = None
    trail: list[str | int] = []
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            if isinstance(node, YSeq):
                pos = node.item_pos[step]
            node = node[step]
            parts[-1:] = [f"{parts[-1]}[{step}]"] if parts else [f"[{step}]"]
        elif isinstance(step, str) and isinstance(node, dict) and step in node:
            if isinstance(node, YMap):
                pos = node.key_pos[step] if at_key and step == loc[-1] else node.value_pos[step]
            node = node[step]
            parts.append(step)
        elif isinstance(step, str) and step == loc[-1]:
            parts.append(step)  # a missing key: point at the mapping that lacks it
            continue
        else:
            continue
        trail.append(step)
        if len(trail) == 2 and trail[0] == "resources" and isinstance(node, dict):
            rid = node.get("id")
            resource = rid if isinstance(rid, str) else f"#{trail[1] + 1}"
        if len(trail) == 4 and trail[2] == "fields" and isinstance(node, dict):
            fname = node.get("name")
            field_name = fname if isinstance(fname, str) else f"#{trail[3] + 1}"
    return Spot(position=pos, key=".".join(parts), resource=resource, field=field_name)


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def model_at(loc: tuple[str | int, ...], root: type[BaseModel] = Catalog) -> Any:
    """The pydantic type found at ``loc`` under ``root`` (used to list the keys allowed there)."""
    tp: Any = root
    for step in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(step, int) and origin in (list, tuple):
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            for member in typing.get_args(tp):
                member = _unwrap(member)
                kind = getattr(member, "model_fields", {}).get("kind")
                if kind is not None and step in typing.get_args(kind.annotation):
                    tp = member
                    break
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and step in tp.model_fields:
            tp = tp.model_fields[step].annotation
        else:
            return None
    return _unwrap(tp)


def _issue_from_pydantic(loaded: LoadedCatalog, err: dict[str, Any]) -> CatalogIssue:
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    key = str(loc[-1]) if loc else ""
    doc_loc = _without_tags(loc)
    label = KEY_LABELS.get(".".join(str(s) for s in doc_loc[-2:] if isinstance(s, str))) or KEY_LABELS.get(key)

    if kind == "extra_forbidden":
        parent = model_at(loc[:-1])
        allowed = tuple(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else ()
        return loaded.issue(
            "CATALOG_UNKNOWN_KEY",
            f"unknown key '{key}'",
            loc,
            at_key=True,
            allowed=allowed,
            suggestion=closest(key, allowed),
        )
    if kind == "missing":
        return loaded.issue("CATALOG_MISSING_KEY", f"missing required key '{key}'", loc)
    if kind in ("literal_error", "enum"):
        allowed = tuple(_literal_values(err))
        shown = label or f"'{key}'"
        return loaded.issue(
            "CATALOG_INVALID_VALUE",
            f"'{value}' is not an allowed {shown}",
            loc,
            allowed=allowed,
            suggestion=closest(str(value), allowed),
        )
    if kind == "union_tag_invalid":
        allowed = tuple(_literal_values(err, "expected_tags"))
        return loaded.issue(
            "CATALOG_INVALID_VALUE",
            f"source kind '{err['ctx'].get('tag')}' is unknown",
            loc + ("kind",),
            allowed=allowed,
            suggestion=closest(str(err["ctx"].get("tag")), allowed),
        )
    if kind == "union_tag_not_found":
        return loaded.issue("CATALOG_MISSING_KEY", "missing required key 'kind' in source", loc)
    if kind == "string_pattern_mismatch" and key in ("id", "name"):
        return loaded.issue(
            "CATALOG_INVALID_ID",
            f"'{value}' is not a valid {key}: use lower-case ASCII letters, digits and underscores, "
            "starting with a letter (it becomes part of table names and URLs)",
            loc,
        )
    if kind == "string_too_long" and key == "id":
        limit = err.get("ctx", {}).get("max_length")
        return loaded.issue(
            "CATALOG_INVALID_ID",
            f"'{value}' is too long for an id: at most {limit} characters (it becomes part of table names)",
            loc,
        )
    if kind == "too_short" and key in ("resources", "fields"):
        return loaded.issue("CATALOG_EMPTY_LIST", f"'{key}' must list at least one entry", loc)
    shown = f"'{'.'.join(str(s) for s in doc_loc)}'" if doc_loc else "the document"
    return loaded.issue("CATALOG_INVALID_VALUE", f"{shown}: {err['msg']} (got {value!r})", loc)


def _without_tags(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    # Drop the tag a discriminated union adds to locations ("csv" in resources.0.source.csv.path).
    return tuple(s for i, s in enumerate(loc) if not (i and loc[i - 1] == "source" and isinstance(s, str)))


def _literal_values(err: dict[str, Any], ctx_key: str = "expected") -> list[str]:
    text = str(err.get("ctx", {}).get(ctx_key, ""))
    return re.findall(r"'([^']*)'", text)
