"""Checks that span several keys of a valid catalog, each reported at the key it concerns."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..rules.checkdigits import USCC_PATTERN, uscc_check_char
from .issues import CatalogIssue, closest
from .loader import LoadedCatalog, shown
from .model import CatalogField, Department, HttpSource, Resource, SqlSource
from .paths import resolve_source_path, sqlite_file

Loc = tuple[str | int, ...]


def check_catalog(loaded: LoadedCatalog) -> list[CatalogIssue]:
    """All single-file rule violations. When the file as a whole has structural errors, the rules
    still run on the parts that are valid (the department's USCC, each valid resource), so that
    one pass reports every error it can instead of the next one after each fix."""
    found: list[CatalogIssue] = []
    dept_id, uscc, resources = _valid_parts(loaded)
    if uscc is not None:
        found += _uscc(loaded, uscc, ("department", "uscc"))
    if dept_id is not None and loaded.path.suffix in (".yaml", ".yml") and loaded.path.stem != dept_id:
        found.append(
            loaded.issue(
                "CATALOG_FILE_NAME",
                f"department '{dept_id}' should be in a file named '{dept_id}{loaded.path.suffix}'",
                ("department", "id"),
                severity="warning",
            )
        )
    first_seen: dict[str, int] = {}
    for i, res in resources:
        loc: Loc = ("resources", i)
        if res.id in first_seen:
            line = loaded.position("resources", first_seen[res.id])[0]
            found.append(
                loaded.issue(
                    "CATALOG_DUPLICATE_RESOURCE",
                    f"resource id '{res.id}' is used twice (first at line {line}); ids are unique within a department",
                    loc + ("id",),
                )
            )
        else:
            first_seen[res.id] = i
        found += _resource(loaded, res, loc)
    return found


def _valid_parts(loaded: LoadedCatalog) -> tuple[str | None, str | None, list[tuple[int, Resource]]]:
    """The department id, its USCC and the (index, resource) pairs that are valid on their own."""
    cat = loaded.catalog
    if cat is not None:
        return cat.department.id, cat.department.uscc, list(enumerate(cat.resources))
    tree = loaded.tree if isinstance(loaded.tree, dict) else {}
    dept = tree.get("department")
    dept = dept if isinstance(dept, dict) else {}
    try:
        department = Department.model_validate(dept)
        dept_id, uscc = department.id, department.uscc
    except ValidationError:  # its errors are reported already; its USCC may still be checked
        dept_id, uscc = None, dept.get("uscc")
        # read unquoted, an all-digit code is a number (the model coerces it too)
        uscc = str(uscc) if isinstance(uscc, str | int) and not isinstance(uscc, bool) else None
    items = tree.get("resources")
    resources = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        try:
            resources.append((i, Resource.model_validate(item)))
        except ValidationError:
            continue  # its errors are reported already
    return dept_id, uscc, resources


def check_catalogs(loaded: Iterable[LoadedCatalog]) -> list[CatalogIssue]:
    """Rules across files: department ids are unique, related resources exist."""
    found: list[CatalogIssue] = []
    owner: dict[str, LoadedCatalog] = {}
    valid = [(item, item.catalog) for item in loaded if item.catalog is not None]
    for item, cat in valid:
        did = cat.department.id
        if did in owner:
            found.append(
                item.issue(
                    "CATALOG_DUPLICATE_DEPARTMENT",
                    f"department id '{did}' is already declared in {owner[did].path}; "
                    "each department has exactly one catalog file",
                    ("department", "id"),
                )
            )
        else:
            owner[did] = item
    known = {f"{cat.department.id}.{res.id}" for _, cat in valid for res in cat.resources}
    for item, cat in valid:
        for i, res in enumerate(cat.resources):
            for j, ref in enumerate(res.related):
                full = ref if "." in ref else f"{cat.department.id}.{ref}"
                if full not in known:
                    found.append(
                        item.issue(
                            "CATALOG_UNKNOWN_RELATED",
                            f"related resource '{ref}' is not in any catalog",
                            ("resources", i, "related", j),
                            severity="warning",
                            suggestion=closest(full, known),
                        )
                    )
    return found


def _resource(loaded: LoadedCatalog, res: Resource, loc: Loc) -> list[CatalogIssue]:
    """A resource's rules, in the order they are reported: its fields, its primary key, its opening
    and sharing policies, its quality bounds, then its source."""
    found = _fields(loaded, res, loc)
    found += _primary_key(loaded, res, loc)
    found += _policies(loaded, res, loc)
    q = res.quality
    if q.max_rows is not None and q.max_rows < q.min_rows:
        found.append(
            loaded.issue(
                "CATALOG_QUALITY",
                f"quality.max_rows ({q.max_rows}) is below min_rows ({q.min_rows})",
                loc + ("quality",),
            )
        )
    if res.source is not None:
        found += _source(loaded, res, loc + ("source",))
    return found


def _fields(loaded: LoadedCatalog, res: Resource, loc: Loc) -> list[CatalogIssue]:
    """Names and source columns used twice, then each field's own rules, field by field."""
    found: list[CatalogIssue] = []
    seen: dict[str, int] = {}
    columns: dict[str, str] = {}
    for j, fld in enumerate(res.fields):
        floc = loc + ("fields", j)
        if fld.name in seen:
            found.append(
                loaded.issue(
                    "CATALOG_DUPLICATE_FIELD",
                    f"field name '{fld.name}' is used twice in this resource",
                    floc + ("name",),
                )
            )
        seen.setdefault(fld.name, j)
        if fld.column in columns and columns[fld.column] != fld.name:
            found.append(
                loaded.issue(
                    "CATALOG_DUPLICATE_COLUMN",
                    f"fields '{columns[fld.column]}' and '{fld.name}' both read source column '{fld.column}'",
                    floc,
                )
            )
        columns.setdefault(fld.column, fld.name)
        found += _field(loaded, fld, floc)
    return found


def _field(loaded: LoadedCatalog, fld: CatalogField, floc: Loc) -> list[CatalogIssue]:
    """One field's rules: an enum's values and aliases, an amount's unit."""
    found: list[CatalogIssue] = []
    if fld.kind == "enum" and not fld.values:
        found.append(loaded.issue("CATALOG_ENUM_VALUES", "an enum field needs 'values' (the allowed values)", floc))
    if fld.kind != "enum" and (fld.values or fld.aliases):
        key = "values" if fld.values else "aliases"
        found.append(
            loaded.issue(
                "CATALOG_ENUM_VALUES",
                f"'{key}' applies to enum fields only (kind is '{fld.kind}')",
                floc + (key,),
            )
        )
    for canonical in (fld.aliases or {}) if fld.kind == "enum" else {}:
        if canonical not in (fld.values or []):
            found.append(
                loaded.issue(
                    "CATALOG_ENUM_VALUES",
                    f"alias target '{canonical}' is not one of the field's values",
                    floc + ("aliases", canonical),
                    allowed=tuple(fld.values or ()),
                    suggestion=closest(canonical, fld.values or ()),
                )
            )
    if fld.kind == "amount" and fld.unit is None:
        found.append(
            loaded.issue(
                "CATALOG_AMOUNT_UNIT",
                "an amount field needs a 'unit'",
                floc,
                allowed=("元", "万元", "亿元"),
            )
        )
    if fld.unit is not None and fld.kind not in ("amount", "decimal", "integer"):
        found.append(
            loaded.issue("CATALOG_AMOUNT_UNIT", f"'unit' does not apply to kind '{fld.kind}'", floc + ("unit",))
        )
    return found


def _primary_key(loaded: LoadedCatalog, res: Resource, loc: Loc) -> list[CatalogIssue]:
    """Every primary key names a field of the resource, and none twice."""
    found: list[CatalogIssue] = []
    names = [f.name for f in res.fields]
    for k, key in enumerate(res.primary_key):
        if key not in names:
            found.append(
                loaded.issue(
                    "CATALOG_PK_UNKNOWN_FIELD",
                    f"primary key '{key}' is not a field of this resource",
                    loc + ("primary_key", k),
                    allowed=tuple(names),
                    suggestion=closest(key, names),
                )
            )
    if len(set(res.primary_key)) != len(res.primary_key):
        found.append(
            loaded.issue("CATALOG_PK_UNKNOWN_FIELD", "primary key names a field twice", loc + ("primary_key",))
        )
    return found


def _policies(loaded: LoadedCatalog, res: Resource, loc: Loc) -> list[CatalogIssue]:
    """The opening policy against the resource's level, and the sharing method against its type."""
    found: list[CatalogIssue] = []
    # DB33/T 2351-2021: L4 is never opened; L2 and L3 open only on application, masked.
    if res.level == "L4" and res.open.type != "不予开放":
        found.append(
            loaded.issue(
                "CATALOG_LEVEL_OPEN",
                f"an L4 (敏感数据) resource is never opened, but open.type is '{res.open.type}' (DB33/T 2351)",
                loc + ("open", "type"),
                allowed=("不予开放",),
            )
        )
    if res.level in ("L2", "L3") and res.open.type == "无条件开放":
        found.append(
            loaded.issue(
                "CATALOG_LEVEL_OPEN",
                f"an {res.level} resource opens only on application, masked (DB33/T 2351); use 有条件开放 or 不予开放",
                loc + ("open", "type"),
                allowed=("有条件开放", "不予开放"),
            )
        )
    if res.share.type == "不予共享" and res.share.method is not None:
        found.append(
            loaded.issue(
                "CATALOG_SHARE_METHOD",
                "share.method is ignored for a 不予共享 resource",
                loc + ("share", "method"),
                severity="warning",
            )
        )
    if res.format in ("电子文件", "电子表格") and res.share.method in ("接口", "数据库"):
        found.append(
            loaded.issue(
                "CATALOG_SHARE_METHOD",
                f"a {res.format} resource is shared as 文件, not '{res.share.method}'",
                loc + ("share", "method"),
                severity="warning",
            )
        )
    return found


def _source(loaded: LoadedCatalog, res: Resource, loc: Loc) -> list[CatalogIssue]:
    src = res.source
    found: list[CatalogIssue] = []
    base = loaded.path.parent
    if getattr(src, "path", None):
        target = resolve_source_path(base, src.path)  # type: ignore[union-attr]
        if not target.is_file():
            found.append(
                loaded.issue(
                    "CATALOG_SOURCE_MISSING",
                    f"source file '{src.path}' does not exist (looked for {target})",  # type: ignore[union-attr]
                    loc + ("path",),
                )
            )
    if isinstance(src, SqlSource | HttpSource):
        if (src.url is None) == (src.url_env is None):
            found.append(loaded.issue("CATALOG_SOURCE", "give exactly one of 'url' or 'url_env'", loc))
        if src.url is not None:
            found += _url(loaded, src, loc + ("url",), base)
    if isinstance(src, SqlSource):
        if (src.table is None) == (src.query is None):
            found.append(loaded.issue("CATALOG_SOURCE", "give exactly one of 'table' or 'query'", loc))
    return found


def _url(loaded: LoadedCatalog, src: SqlSource | HttpSource, loc: Loc, base: Path) -> list[CatalogIssue]:
    url = src.url or ""
    if isinstance(src, HttpSource):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return [loaded.issue("CATALOG_SOURCE", f"'{url}' is not an http(s) URL", loc)]
        if parts.password:
            return [_secret(loaded, loc)]
        return []
    try:
        parsed = make_url(url)
    except ArgumentError:
        return [loaded.issue("CATALOG_SOURCE", f"'{url}' is not a database URL (dialect+driver://...)", loc)]
    if parsed.password:
        return [_secret(loaded, loc)]
    db_file = sqlite_file(url, base)
    if db_file is not None and not db_file.is_file():
        return [loaded.issue("CATALOG_SOURCE_MISSING", f"SQLite database '{db_file}' does not exist", loc)]
    return []


def _secret(loaded: LoadedCatalog, loc: Loc) -> CatalogIssue:
    return loaded.issue(
        "CATALOG_SECRET",
        "the URL holds a password; secrets never go in a catalog: put the URL in an environment "
        "variable and name it with 'url_env'",
        loc,
    )


def _uscc(loaded: LoadedCatalog, code: str, loc: Loc) -> list[CatalogIssue]:
    if not USCC_PATTERN.fullmatch(code):
        return [
            loaded.issue(
                "CATALOG_USCC_FORMAT",
                f"'{shown(code)}' is not a 统一社会信用代码: "
                "18 characters of 0-9 and A-Z without I, O, S, V, Z (GB 32100)",
                loc,
            )
        ]
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return [
            loaded.issue(
                "CATALOG_USCC_CHECKSUM",
                f"'{code}' fails the GB 32100 check: its check character is '{code[17]}', "
                f"the first 17 characters give '{expected}'",
                loc,
            )
        ]
    return []
