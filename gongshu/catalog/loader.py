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
from pydantic_core import ErrorDetails

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

MAX_FILE_BYTES = 8 * 1024 * 1024
"""A larger catalog file is refused before parsing (a department of 1,000 resources writes ~3 MB)."""
MAX_ISSUES = 200
"""Structural errors reported per file; past this many the file is beyond fixing line by line."""
SHOWN_CHARS = 60
"""Characters of a wrong value quoted in a message."""


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
    try:
        return _load(path)
    except Exception as exc:  # one file must never stop the others (see internal_issue)
        return LoadedCatalog(path=path, issues=[internal_issue(path, exc)])


def internal_issue(path: Path, exc: BaseException) -> CatalogIssue:
    """An issue for a file whose checking failed in gongshu itself: the file is not registered, and
    the other files go on. Every such case is a gongshu bug to fix with a precise message
    (tests/catalog/test_mutations.py looks for this code)."""
    return CatalogIssue(
        code="CATALOG_INTERNAL",
        message=f"the file could not be checked ({type(exc).__name__} in gongshu); "
        "it is left out of this run, please report it with the file",
        file=path,
        line=1,
    )


def _load(path: Path) -> LoadedCatalog:
    loaded = LoadedCatalog(path=path)
    text = _read_text(loaded)
    if text is None:
        return loaded
    try:
        tree = yamlpos.load(text)
    except YamlError as exc:
        loaded.issues.append(
            CatalogIssue(
                code=exc.code,
                message=f"YAML syntax error: {exc.problem}" if exc.code == "CATALOG_YAML_SYNTAX" else exc.problem,
                file=path,
                line=exc.line,
                column=exc.column,
            )
        )
        return loaded
    if tree is None:
        loaded.issues.append(
            CatalogIssue(
                code="CATALOG_EMPTY_FILE", message="the file holds no catalog (only comments)", file=path, line=1
            )
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
        errors = exc.errors()
        loaded.issues += [_issue_from_pydantic(loaded, err) for err in errors[:MAX_ISSUES]]
        if len(errors) > MAX_ISSUES:
            loaded.issues.append(
                CatalogIssue(
                    code="CATALOG_TOO_MANY_ERRORS",
                    message=f"{len(errors) - MAX_ISSUES} more errors not shown (fix the ones above first)",
                    file=path,
                    line=spot_line(loaded, errors[MAX_ISSUES]),
                )
            )
    return loaded


def spot_line(loaded: LoadedCatalog, err: Any) -> int | None:
    return locate(loaded.tree, tuple(err["loc"])).position[0]


def shown(value: Any) -> str:
    """``value`` for a message: its text cut to :data:`SHOWN_CHARS` characters; a mapping or list
    by its size (its repr could be as large as the file)."""
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key(s)"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text):,} characters)"


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
    if len(raw) > MAX_FILE_BYTES:
        loaded.issues.append(
            CatalogIssue(
                code="CATALOG_TOO_LARGE",
                message=f"the file has {len(raw):,} bytes, more than the {MAX_FILE_BYTES:,} a catalog may have; "
                "split the department's resources or check that this is a catalog",
                file=path,
                line=1,
            )
        )
        return None
    if not raw.strip():
        loaded.issues.append(CatalogIssue(code="CATALOG_EMPTY_FILE", message="the file is empty", file=path, line=1))
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
        if len(trail) == 2 and trail[0] == "resources" and isinstance(trail[1], int) and isinstance(node, dict):
            rid = node.get("id")
            resource = rid if isinstance(rid, str) else f"#{trail[1] + 1}"
        if len(trail) == 4 and trail[2] == "fields" and isinstance(trail[3], int) and isinstance(node, dict):
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


def _issue_from_pydantic(loaded: LoadedCatalog, err: ErrorDetails) -> CatalogIssue:
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
            f"unknown key '{shown(key)}'",
            loc,
            at_key=True,
            allowed=allowed,
            suggestion=closest(key, allowed),
        )
    if kind == "missing":
        return loaded.issue("CATALOG_MISSING_KEY", f"missing required key '{key}'", loc)
    if kind in ("literal_error", "enum"):
        allowed = tuple(_literal_values(err))
        label_shown = label or f"'{key}'"
        return loaded.issue(
            "CATALOG_INVALID_VALUE",
            f"'{shown(value)}' is not an allowed {label_shown}",
            loc,
            allowed=allowed,
            suggestion=closest(str(value), allowed),
        )
    if kind == "union_tag_invalid":
        allowed = tuple(_literal_values(err, "expected_tags"))
        return loaded.issue(
            "CATALOG_INVALID_VALUE",
            f"source kind '{shown(err['ctx'].get('tag'))}' is unknown",
            loc + ("kind",),
            allowed=allowed,
            suggestion=closest(str(err["ctx"].get("tag")), allowed),
        )
    if kind == "union_tag_not_found":
        return loaded.issue("CATALOG_MISSING_KEY", "missing required key 'kind' in source", loc)
    id_issue = _id_issue(loaded, err, key)
    if id_issue is not None:
        return id_issue
    if kind == "too_short" and key in ("resources", "fields"):
        return loaded.issue("CATALOG_EMPTY_LIST", f"'{key}' must list at least one entry", loc)
    where = f"'{'.'.join(str(s) for s in doc_loc)}'" if doc_loc else "the document"
    got = shown(repr(value) if isinstance(value, str) else value)
    return loaded.issue("CATALOG_INVALID_VALUE", f"{where}: {err['msg']} (got {got})", loc)


def _id_issue(loaded: LoadedCatalog, err: ErrorDetails, key: str) -> CatalogIssue | None:
    """The issue of an id (or name) that cannot become part of table names and URLs, if ``err`` is one."""
    kind, value, loc = err["type"], err.get("input"), tuple(err["loc"])
    if kind == "string_pattern_mismatch" and key in ("id", "name"):
        return loaded.issue(
            "CATALOG_INVALID_ID",
            f"'{shown(value)}' is not a valid {key}: use lower-case ASCII letters, digits and underscores, "
            "starting with a letter (it becomes part of table names and URLs)",
            loc,
        )
    if kind == "string_too_long" and key == "id":
        limit = err.get("ctx", {}).get("max_length")
        return loaded.issue(
            "CATALOG_INVALID_ID",
            f"'{shown(value)}' is too long for an id: at most {limit} characters (it becomes part of table names)",
            loc,
        )
    return None


def _without_tags(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    # Drop the tag a discriminated union adds to locations ("csv" in resources.0.source.csv.path).
    return tuple(s for i, s in enumerate(loc) if not (i and loc[i - 1] == "source" and isinstance(s, str)))


def _literal_values(err: ErrorDetails, ctx_key: str = "expected") -> list[str]:
    text = str(err.get("ctx", {}).get(ctx_key, ""))
    return re.findall(r"'([^']*)'", text)
