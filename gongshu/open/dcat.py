"""``portal/catalog.jsonld``: the DCAT catalog of what is actually open, for harvesters.

The catalog-wide export (:mod:`gongshu.catalog.export.dcat`) lists every catalogued resource as
declared; this one lists only the latest releases, with their files as ``dcat:Distribution``s
(size, media type, SHA-256 as an ``spdx:Checksum``). Datasets keep the catalog's IRIs
(``urn:gongshu:resource:<code>``), so a harvester can join the two.

Download URLs are relative to ``catalog.jsonld`` (``releases/<dept>/<resource>/v<N>/<file>``): the
portal folder is published whole wherever it is hosted, and the links stay right. The CKAN-style
API is given as an ``accessURL`` distribution against ``api_base``. A 有条件开放 dataset has only
that one (its files are in ``open-restricted/`` and are never linked) plus where to apply.
The context only declares prefixes, so the file parses offline.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..catalog.export.dcat import ACCESS_RIGHTS, CONTEXT, LANGUAGE_ZH, dataset_node, resource_iri, zh
from ..clock import iso, resolve_generated_at
from ..files import write_atomic
from .layout import portal_dir
from .published import APPLY_PATH, CKAN_ACTION, Published, dataset_page, datastore_id

TITLE = "台州市公共数据开放目录"
DESCRIPTION = "台州市公共数据开放平台已发布的开放数据集，含各版本的下载文件、校验值与接口地址。"
CATALOG_IRI = "urn:gongshu:open-catalog"
FILE_NAME = "catalog.jsonld"

OPEN_CONTEXT = {**CONTEXT, "spdx": "http://spdx.org/rdf/terms#"}
MEDIA_TYPE = "http://www.iana.org/assignments/media-types/"
MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "jsonld": "application/ld+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain",
}
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
FILE_TYPES = {"csv": "CSV", "json": "JSON", "jsonld": "JSON_LD", "xlsx": "XLSX", "txt": "TXT"}
SHARE_KEYS = ("gs:shareType", "gs:shareCondition", "gs:shareMethod")
"""Inter-department sharing attributes: the catalog's business, not the public's."""


def _suffix(name: str) -> str:
    """``SHA256SUMS`` and other suffix-less files are plain text."""
    return name.rsplit(".", 1)[-1].lower() if "." in name else "txt"


def _href(path: Path, base: Path) -> str:
    return quote(path.relative_to(base).as_posix())


def _distribution(ds: Published, portal: Path, name: str, size: int, sha256: str) -> dict[str, Any]:
    suffix = _suffix(name)
    url = {"@id": _href(ds.folder / name, portal)}
    node: dict[str, Any] = {
        "@id": f"{resource_iri(ds.code)}:v{ds.version}:{quote(name, safe='')}",
        "@type": "dcat:Distribution",
        "dct:title": zh(name),
        "dcat:downloadURL": url,
        "dcat:accessURL": url,
        "dcat:mediaType": {"@id": MEDIA_TYPE + MEDIA_TYPES.get(suffix, "application/octet-stream")},
        "dcat:byteSize": {"@value": str(size), "@type": "xsd:nonNegativeInteger"},
        "dct:issued": {"@value": iso(ds.released_at), "@type": "xsd:dateTime"},
    }
    if suffix in FILE_TYPES:
        node["dct:format"] = {"@id": FILE_TYPE + FILE_TYPES[suffix]}
    if sha256:
        node["spdx:checksum"] = {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": sha256, "@type": "xsd:hexBinary"},
        }
    return node


def _api_distribution(ds: Published, api_base: str) -> dict[str, Any]:
    return {
        "@id": f"{resource_iri(ds.code)}:v{ds.version}:api",
        "@type": "dcat:Distribution",
        "dct:title": zh("数据接口（CKAN datastore_search）"),
        "dcat:accessURL": {"@id": f"{api_base}{CKAN_ACTION}datastore_search?resource_id={quote(datastore_id(ds))}"},
        "dcat:mediaType": {"@id": MEDIA_TYPE + "application/json"},
    }


def _dataset(ds: Published, portal: Path, api_base: str) -> dict[str, Any]:
    node = dataset_node(ds.department, ds.resource, ds.code)
    for key in SHARE_KEYS:
        node.pop(key, None)
    node["dct:accessRights"] = {"@id": ACCESS_RIGHTS[ds.open_type]}
    node["gs:openType"] = zh(ds.open_type)
    node["dcat:version"] = str(ds.version)
    node["dct:modified"] = {"@value": iso(ds.released_at), "@type": "xsd:dateTime"}
    node["dcat:landingPage"] = {"@id": _href(portal / dataset_page(ds), portal)}
    node["gs:rows"] = {"@value": str(ds.rows), "@type": "xsd:nonNegativeInteger"}
    distributions = []
    if ds.public:
        distributions = [_distribution(ds, portal, f.name, f.bytes, f.sha256) for f in ds.files]
    else:
        node["gs:applicationEndpoint"] = {"@id": api_base + APPLY_PATH}
    distributions.append(_api_distribution(ds, api_base))
    node["dcat:distribution"] = distributions
    return node


def open_dcat_document(
    datasets: Sequence[Published], portal: Path, *, api_base: str, generated_at: dt.datetime | None = None
) -> dict[str, Any]:
    """The open-data DCAT catalog as a JSON-LD document (a dict ready for ``json.dumps``)."""
    return {
        "@context": dict(OPEN_CONTEXT),
        "@id": CATALOG_IRI,
        "@type": "dcat:Catalog",
        "dct:title": zh(TITLE),
        "dct:description": zh(DESCRIPTION),
        "dct:language": {"@id": LANGUAGE_ZH},
        "dct:modified": {"@value": iso(resolve_generated_at(generated_at)), "@type": "xsd:dateTime"},
        "dcat:dataset": [_dataset(ds, portal, api_base.rstrip("/")) for ds in datasets],
    }


def write_open_dcat(
    datasets: Sequence[Published], home: Path, *, api_base: str, generated_at: dt.datetime | None = None
) -> Path:
    """Write ``portal/catalog.jsonld`` (atomically) and return its path."""
    portal = portal_dir(home).resolve()
    doc = open_dcat_document(datasets, portal, api_base=api_base, generated_at=generated_at)
    data = (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return write_atomic(portal / FILE_NAME, data)
