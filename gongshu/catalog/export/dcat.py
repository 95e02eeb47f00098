"""The catalog as DCAT (W3C Data Catalog Vocabulary v3) in JSON-LD.

Self-contained: the ``@context`` only declares prefixes, so the file parses offline (rdflib, any
JSON-LD processor) without fetching a remote context. All catalogued resources are listed; whether
each is open is said by ``dct:accessRights`` (EU access-right authority table). The open-data
stage publishes its own open-only DCAT from the released files.

Identifiers are URNs, stable across runs: ``urn:gongshu:resource:<code>`` (the 信息资源代码,
percent-encoded, so ``102/00001`` becomes ``102%2F00001``), ``urn:gongshu:department:<id>``,
``urn:gongshu:category:<category code>``. Catalog-specific facts without a DCAT property (share
type, sensitivity level, ...) use the ``gs:`` vocabulary, namespace ``urn:gongshu:def:``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ...clock import iso, resolve_generated_at
from ...files import write_atomic
from ..compiled import CompiledCatalog, CompiledResource
from ..model import Department, Resource
from ._common import category_class, category_code, ordered

TITLE = "台州市公共数据资源目录"
DESCRIPTION = "台州市各部门编制的公共数据资源目录，含共享属性、开放属性与分级信息。"
LANG = "zh-CN"

GS = "urn:gongshu:def:"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "gs": GS,
}

FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
# 更新周期 -> EU frequency authority table. 实时 is "continuously updated" (UPDATE_CONT), not
# CONT ("continuous", a property of a measurement series); 每半年 is ANNUAL_2 ("semiannual").
ACCRUAL_PERIODICITY = {
    "实时": FREQUENCY + "UPDATE_CONT",
    "每日": FREQUENCY + "DAILY",
    "每周": FREQUENCY + "WEEKLY",
    "每月": FREQUENCY + "MONTHLY",
    "每季度": FREQUENCY + "QUARTERLY",
    "每半年": FREQUENCY + "ANNUAL_2",
    "每年": FREQUENCY + "ANNUAL",
    "不定期": FREQUENCY + "IRREG",
}

ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_RIGHTS = {
    "无条件开放": ACCESS_RIGHT + "PUBLIC",
    "有条件开放": ACCESS_RIGHT + "RESTRICTED",
    "不予开放": ACCESS_RIGHT + "NON_PUBLIC",
}
LANGUAGE_ZH = "http://publications.europa.eu/resource/authority/language/ZHO"

CATALOG_IRI = "urn:gongshu:catalog"
CATEGORY_SCHEME_IRI = "urn:gongshu:category"


def resource_iri(code: str) -> str:
    return "urn:gongshu:resource:" + quote(code, safe="")


def department_iri(department_id: str) -> str:
    return "urn:gongshu:department:" + department_id


def zh(text: str) -> dict[str, str]:
    """A Chinese-language literal."""
    return {"@value": text, "@language": LANG}


def publisher(dept: Department) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": department_iri(dept.id),
        "@type": "foaf:Organization",
        "foaf:name": zh(dept.name),
    }
    if dept.uscc:
        node["dct:identifier"] = dept.uscc
    return node


def dataset_node(dept: Department, res: Resource, code: str) -> dict[str, Any]:
    """The ``dcat:Dataset`` of one catalogued resource, as the catalog declares it. Shared with the
    open-data DCAT (``gongshu.open.dcat``), which adds the released distributions."""
    keywords = list(dict.fromkeys([res.category, *res.tags]))
    node: dict[str, Any] = {
        "@id": resource_iri(code),
        "@type": "dcat:Dataset",
        "dct:identifier": code,
        "dct:title": zh(res.name),
    }
    if res.summary:
        node["dct:description"] = zh(res.summary)
    node["dct:publisher"] = publisher(dept)
    node["dcat:contactPoint"] = {
        "@id": department_iri(dept.id) + ":contact",
        "@type": "vcard:Organization",
        "vcard:fn": zh(dept.name),
    }
    node["dct:accrualPeriodicity"] = {"@id": ACCRUAL_PERIODICITY[res.update_cycle]}
    if res.publish_date:
        node["dct:issued"] = {"@value": res.publish_date.isoformat(), "@type": "xsd:date"}
    node["dcat:theme"] = {
        "@id": f"{CATEGORY_SCHEME_IRI}:{category_code(res.category)}",
        "@type": "skos:Concept",
        "skos:prefLabel": zh(res.category),
        "skos:notation": category_code(res.category),
        "skos:inScheme": {"@id": CATEGORY_SCHEME_IRI},
    }
    node["dcat:keyword"] = [zh(k) for k in keywords]
    node["dct:accessRights"] = {"@id": ACCESS_RIGHTS[res.open.type]}
    node["gs:categoryClass"] = zh(category_class(res.category))
    node["gs:updateCycle"] = zh(res.update_cycle)
    node["gs:shareType"] = zh(res.share.type)
    if res.share.condition:
        node["gs:shareCondition"] = zh(res.share.condition)
    if res.share.method:
        node["gs:shareMethod"] = zh(res.share.method)
    node["gs:openType"] = zh(res.open.type)
    if res.open.condition:
        node["gs:openCondition"] = zh(res.open.condition)
    node["gs:level"] = res.level
    return node


def _dataset(dept: Department, compiled: CompiledResource) -> dict[str, Any]:
    node = dataset_node(dept, compiled.resource, compiled.code)
    node["gs:completeness"] = {"@value": f"{compiled.completeness.score:.1f}", "@type": "xsd:decimal"}
    return node


def dcat_document(
    catalogs: Sequence[CompiledCatalog],
    generated_at: dt.datetime | None = None,
    *,
    title: str = TITLE,
    description: str = DESCRIPTION,
) -> dict[str, Any]:
    """The DCAT catalog as a JSON-LD document (a dict ready for ``json.dumps``)."""
    moment = resolve_generated_at(generated_at)
    datasets = [_dataset(c.department, r) for c, resources in ordered(catalogs) for r in resources]
    return {
        "@context": dict(CONTEXT),
        "@id": CATALOG_IRI,
        "@type": "dcat:Catalog",
        "dct:title": zh(title),
        "dct:description": zh(description),
        "dct:language": {"@id": LANGUAGE_ZH},
        "dct:modified": {"@value": iso(moment), "@type": "xsd:dateTime"},
        "dcat:themeTaxonomy": {
            "@id": CATEGORY_SCHEME_IRI,
            "@type": "skos:ConceptScheme",
            "skos:prefLabel": zh("资源属性分类"),
        },
        "dcat:dataset": datasets,
    }


def export_dcat(
    catalogs: Sequence[CompiledCatalog],
    path: str | Path,
    generated_at: dt.datetime | None = None,
    *,
    title: str = TITLE,
    description: str = DESCRIPTION,
) -> Path:
    """Write the DCAT catalog as JSON-LD (UTF-8) to ``path``."""
    doc = dcat_document(catalogs, generated_at, title=title, description=description)
    return write_atomic(path, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
