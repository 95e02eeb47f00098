"""The open-data portal (开放门户): a static site under ``$GONGSHU_HOME/portal/`` rendered from the
latest releases (:func:`gongshu.open.published.latest_releases`).

Static because it must work anywhere: copied to any web server, opened from ``file://`` on an
offline machine, or printed. So there is no CDN, font or script from elsewhere, every link is
relative, and search and filters run in one local script over a JSON index embedded in
``index.html`` (a ``fetch`` of a separate file is refused under ``file://``). Without the script the
home page still lists every dataset.

A 有条件开放 dataset gets a page that says how to apply, never a preview or a link to its files
(they live in ``open-restricted/``, outside the portal). Pages are written through a temporary file
and renamed, dataset pages before the index that links them, and pages of datasets no longer
released are removed after the new index is in place. Release folders under ``portal/releases/``
belong to the release writer and are never touched here.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Engine

from ..catalog.vocab import LEVEL_LABELS
from ..clock import SHANGHAI, resolve_generated_at
from ..files import write_atomic
from ..rules.kinds import FIELD_KIND_LABELS
from .dcat import write_open_dcat
from .layout import CHECKSUMS, CONDITIONAL, DICTIONARY, METADATA, UNCONDITIONAL, data_file, portal_dir
from .portal_apps import portal_apps, submit_example
from .published import (
    APPLY_PATH,
    CKAN_ACTION,
    DOWNLOAD_PATH,
    Published,
    ckan_id,
    dataset_page,
    datastore_id,
    department_page,
    latest_releases,
)

TITLE = "台州市公共数据开放平台"
DEFAULT_API_BASE = "http://127.0.0.1:8600"
PREVIEW_ROWS = 10
HERE = Path(__file__).parent
ASSETS = "assets"

MASK_LABELS = {
    "none": "不脱敏",
    "name": "姓名脱敏（保留姓氏）",
    "id_card": "证件号脱敏（保留前6位、后4位）",
    "phone": "电话脱敏（手机号保留前3位、后4位）",
    "landline": "固话脱敏（保留前4位、后2位）",
    "address": "地址脱敏（保留至区县）",
    "email": "邮箱脱敏（保留首字符与域名）",
    "bank_card": "银行卡号脱敏（保留前4位、后4位）",
    "hash": "哈希替换（HMAC-SHA256）",
}


@dataclass(frozen=True)
class PortalBuild:
    index: Path
    pages: int
    """HTML pages written (home, dataset and department pages)."""
    datasets: int
    departments: int
    catalog: Path
    removed: list[Path] = field(default_factory=list)
    """Pages of datasets or departments no longer released, removed by this build."""


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def beijing(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    env.filters.update(size=human_size, beijing=beijing, num=lambda n: f"{n:,}")
    env.globals.update(title=TITLE, UNCONDITIONAL=UNCONDITIONAL, CONDITIONAL=CONDITIONAL)
    return env


def _fields(ds: Published) -> list[dict[str, Any]]:
    rows = []
    for name in ds.fields:
        f = ds.resource.field(name)
        mask = ds.masks.get(name, "none")
        rows.append(
            {
                "name": name,
                "label": (f.label if f and f.label else name),
                "kind": FIELD_KIND_LABELS.get(f.kind, f.kind) if f else "",
                "unit": (f.unit or "") if f else "",
                "mask": MASK_LABELS.get(mask, mask),
                "masked": mask != "none",
            }
        )
    return rows


def _dropped(ds: Published) -> list[dict[str, str]]:
    """Catalogued fields left out of the release, with a reason in Chinese (lineage columns the
    release writer also drops are no news to the public and are not listed)."""
    out = []
    for item in ds.dropped:
        f = ds.resource.field(str(item.get("field", "")))
        if f is None:
            continue
        reason = str(item.get("reason", ""))
        why = "敏感数据（L4），依 DB33/T 2351 不予开放" if "L4" in reason else "目录规定该字段不开放"
        out.append({"label": f.label or f.name, "reason": why})
    return out


def _public_folder(ds: Published, portal: Path) -> bool:
    """A public release whose folder really lies under the portal: only then are files linked."""
    return ds.public and ds.folder.is_relative_to(portal)


def _preview(ds: Published, portal: Path) -> dict[str, Any] | None:
    """The first rows of the released CSV, headed by the catalog labels (无条件开放 only)."""
    if not _public_folder(ds, portal):
        return None
    path = ds.folder / data_file(ds.department.id, ds.resource.id, "csv")
    if not path.is_file():
        return None
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            return None
        rows = list(islice(reader, PREVIEW_ROWS))
    labels = [(fld.label or h) if (fld := ds.resource.field(h)) else h for h in header]
    return {"header": labels, "rows": rows}


def _downloads(ds: Published, portal: Path, root: str) -> list[dict[str, Any]]:
    if not _public_folder(ds, portal):
        return []
    base = ds.folder.relative_to(portal).as_posix()
    data = {f.name for f in ds.data_files}

    def note(name: str) -> tuple[int, str]:
        if name in data:
            return 0, "数据文件（UTF-8 编码）" if name.endswith(".csv") else "数据文件"
        labels = {DICTIONARY: (1, "数据字典"), METADATA: (2, "发布元数据"), CHECKSUMS: (3, "校验文件")}
        return labels.get(name, (4, "附属文件"))

    files = sorted(ds.files, key=lambda f: (note(f.name)[0], f.name))
    return [
        {
            "name": f.name,
            "note": note(f.name)[1],
            "href": f"{root}{base}/{f.name}",
            "format": f.format,
            "size": f.bytes,
            "sha256": f.sha256,
        }
        for f in files
    ]


def _api_examples(ds: Published, api_base: str) -> list[dict[str, str]]:
    key = "" if ds.public else ' -H "X-API-Key: <获批后发放的密钥>"'
    search = f"{api_base}{CKAN_ACTION}datastore_search?resource_id={quote(datastore_id(ds))}&limit=5"
    examples = [
        {
            "title": "查询数据集元数据（CKAN package_show）",
            "command": f'curl "{api_base}{CKAN_ACTION}package_show?id={ckan_id(ds)}"',
        },
        {"title": "按条件查询数据（CKAN datastore_search，前 5 条）", "command": f'curl{key} "{search}"'},
    ]
    if ds.public:
        csv_name = data_file(ds.department.id, ds.resource.id, "csv")
        url = f"{api_base}{DOWNLOAD_PATH}/{ds.department.id}/{ds.resource.id}/{quote(csv_name)}?version={ds.version}"
        title = "下载 CSV 文件（经接口下载，计入下载统计）"
        examples.append({"title": title, "command": f'curl -o {csv_name} "{url}"'})
    return examples


def _apply_example(ds: Published, api_base: str) -> str:
    body = (
        f'{{"dataset": "{ds.key}", "applicant": "申请单位或个人名称", '
        '"contact": "联系人及联系电话", "purpose": "数据用途说明"}'
    )
    return f'curl -X POST "{api_base}{APPLY_PATH}" \\\n  -H "Content-Type: application/json" \\\n  -d \'{body}\''


def _card(ds: Published) -> dict[str, Any]:
    """One dataset in the home page's list and in its embedded search index."""
    res = ds.resource
    labels = [f.label or f.name for f in res.fields if f.name in ds.fields]
    text = " ".join([res.name, res.summary or "", ds.department.name, res.category, ds.key, *res.tags, *labels])
    return {
        "key": ds.key,
        "name": res.name,
        "summary": res.summary or "",
        "dept": ds.department.id,
        "dept_name": ds.department.name,
        "theme": res.category,
        "formats": ds.formats if ds.public else [],
        "open": ds.open_type,
        "cycle": res.update_cycle,
        "rows": ds.rows,
        "version": ds.version,
        "released": beijing(ds.released_at),
        "href": dataset_page(ds),
        "dept_href": department_page(ds.department.id),
        "text": text.lower(),
    }


def _facets(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def count(values: list[tuple[str, str]]) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for value, label in values:
            seen.setdefault(value, {"value": value, "label": label, "n": 0})["n"] += 1
        return sorted(seen.values(), key=lambda c: (-c["n"], c["value"]))

    return [
        {"facet": "dept", "label": "提供部门", "chips": count([(c["dept"], c["dept_name"]) for c in cards])},
        {"facet": "theme", "label": "主题分类", "chips": count([(c["theme"], c["theme"]) for c in cards])},
        {"facet": "format", "label": "文件格式", "chips": count([(f, f) for c in cards for f in c["formats"]])},
        {"facet": "open", "label": "开放类型", "chips": count([(c["open"], c["open"]) for c in cards])},
    ]


class _Writer:
    """Renders pages into the portal folder atomically and remembers what it wrote."""

    def __init__(self, portal: Path, common: dict[str, Any]) -> None:
        self.portal, self.common, self.written = portal, common, set[Path]()

    def page(self, rel: str, template: str, **context: Any) -> Path:
        root = "../" * rel.count("/")
        html = _env().get_template(template).render(**self.common, **context, root=root)
        path = write_atomic(self.portal / rel, html.encode("utf-8"))
        self.written.add(path)
        return path

    def remove_stale(self) -> list[Path]:
        removed = []
        for sub in ("datasets", "departments"):
            top = self.portal / sub
            if not top.is_dir():
                continue
            for path in sorted(top.rglob("*.html")):
                if path not in self.written:
                    path.unlink()
                    removed.append(path)
            for folder in sorted((p for p in top.rglob("*") if p.is_dir()), reverse=True):
                if not any(folder.iterdir()):
                    folder.rmdir()
        return removed


def _copy_assets(portal: Path) -> None:
    for src in sorted((HERE / "static").iterdir()):
        if src.is_file():
            write_atomic(portal / ASSETS / src.name, src.read_bytes())


def build_portal(
    engine: Engine, home: Path, *, api_base: str | None = None, generated_at: dt.datetime | None = None
) -> PortalBuild:
    """Render the portal for the latest releases, write ``catalog.jsonld``, remove stale pages."""
    api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
    portal = portal_dir(home).resolve()
    moment = resolve_generated_at(generated_at)
    datasets = latest_releases(engine, home)
    catalog = write_open_dcat(datasets, home, api_base=api_base, generated_at=moment)
    _copy_assets(portal)
    writer = _Writer(portal, {"generated": beijing(moment), "api_base": api_base})

    cards = [_card(ds) for ds in datasets]
    apps, apps_of = portal_apps(engine, datasets)  # 开放应用: the approved apps, and those of each dataset
    for ds, card in zip(datasets, cards, strict=True):
        root = "../" * dataset_page(ds).count("/")
        writer.page(
            dataset_page(ds),
            "dataset.html",
            ds=ds,
            card=card,
            level_label=LEVEL_LABELS.get(ds.resource.level, ""),
            fields=_fields(ds),
            dropped=_dropped(ds),
            preview=_preview(ds, portal),
            downloads=_downloads(ds, portal, root),
            examples=_api_examples(ds, api_base),
            apply_example=None if ds.public else _apply_example(ds, api_base),
            apps=apps_of.get(ds.key, []),
        )
    departments: dict[str, list[dict[str, Any]]] = {}
    for card in cards:
        departments.setdefault(card["dept"], []).append(card)
    for dept, dept_cards in departments.items():
        writer.page(department_page(dept), "department.html", dept_name=dept_cards[0]["dept_name"], cards=dept_cards)
    writer.page("apps.html", "apps.html", apps=apps, submit_example=submit_example(api_base))
    index = writer.page(
        "index.html",
        "index.html",
        cards=cards,
        facets=_facets(cards),
        departments=[(d, c[0]["dept_name"], len(c)) for d, c in departments.items()],
        total_rows=sum(c["rows"] for c in cards),
        open_counts={t: sum(c["open"] == t for c in cards) for t in (UNCONDITIONAL, CONDITIONAL)},
    )
    removed = writer.remove_stale()
    return PortalBuild(
        index=index,
        pages=len(writer.written),
        datasets=len(datasets),
        departments=len(departments),
        catalog=catalog,
        removed=removed,
    )


__all__ = ["DEFAULT_API_BASE", "PortalBuild", "build_portal", "human_size"]
