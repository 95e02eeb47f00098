"""``portal/catalog.jsonld``: the open datasets' DCAT, read back as RDF offline with rdflib."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from gongshu.open.dcat import write_open_dcat
from gongshu.open.published import latest_releases
from gongshu.store.db import get_engine

from .portal_fixtures import GENERATED_AT, build_scenario

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture
def catalog(gongshu_home: Path) -> tuple[Path, Graph]:
    engine = get_engine()
    build_scenario(engine, gongshu_home)
    path = write_open_dcat(
        latest_releases(engine, gongshu_home), gongshu_home, api_base="http://127.0.0.1:8600", generated_at=GENERATED_AT
    )
    return path, Graph().parse(path, format="json-ld")


def _datasets(g: Graph) -> dict[str, URIRef]:
    return {str(g.value(ds, DCT.identifier)): ds for ds in g.subjects(RDF.type, DCAT.Dataset)}


def test_lists_the_latest_release_of_each_open_dataset(catalog):
    path, g = catalog
    assert path.name == "catalog.jsonld" and path.parent.name == "portal"
    assert isinstance(json.loads(path.read_text(encoding="utf-8"))["@context"], dict)  # nothing to fetch
    cat = next(g.subjects(RDF.type, DCAT.Catalog))
    assert g.value(cat, DCT.title) == Literal("台州市公共数据开放目录", lang="zh-CN")
    datasets = _datasets(g)
    titles = {str(g.value(ds, DCT.title)) for ds in datasets.values()}
    # the resource the catalog has since made 不予开放 is gone, whatever its old release
    assert titles == {"企业登记信息", "双随机抽查结果", "医疗机构执业登记信息", "逐日气象观测数据"}
    assert set(g.objects(cat, DCAT.dataset)) == set(datasets.values())
    enterprises = next(ds for ds in datasets.values() if str(g.value(ds, DCT.title)) == "企业登记信息")
    assert str(g.value(enterprises, DCAT.version)) == "2"
    assert str(g.value(enterprises, DCAT.landingPage)).endswith("portal/datasets/scjgj/enterprise_registry.html")
    assert str(g.value(enterprises, DCT.accessRights)) == ACCESS + "PUBLIC"


def test_public_distributions_name_the_released_bytes(catalog):
    path, g = catalog
    ds = next(d for d in _datasets(g).values() if str(g.value(d, DCT.title)) == "企业登记信息")
    downloads = {}
    for dist in g.objects(ds, DCAT.distribution):
        url = g.value(dist, DCAT.downloadURL)
        if url is not None:
            downloads[str(url).rsplit("/", 1)[-1]] = (dist, str(url))
    assert set(downloads) == {
        "scjgj-enterprise_registry.csv",
        "scjgj-enterprise_registry.json",
        "data-dictionary.csv",
        "SHA256SUMS",
    }
    dist, url = downloads["scjgj-enterprise_registry.csv"]
    # relative to catalog.jsonld, so resolved against the file it was read from
    file = path.parent / "releases/scjgj/enterprise_registry/v2/scjgj-enterprise_registry.csv"
    assert url == file.as_uri()
    data = file.read_bytes()
    assert int(g.value(dist, DCAT.byteSize)) == len(data)
    assert str(g.value(dist, DCAT.mediaType)) == "http://www.iana.org/assignments/media-types/text/csv"
    checksum = g.value(dist, SPDX.checksum)
    assert str(g.value(checksum, SPDX.algorithm)) == str(SPDX.checksumAlgorithm_sha256)
    assert str(g.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()


def test_conditional_dataset_has_no_file_to_download(catalog):
    path, g = catalog
    ds = next(d for d in _datasets(g).values() if str(g.value(d, DCT.title)) == "医疗机构执业登记信息")
    assert str(g.value(ds, DCT.accessRights)) == ACCESS + "RESTRICTED"
    dists = list(g.objects(ds, DCAT.distribution))
    assert dists and all(g.value(d, DCAT.downloadURL) is None for d in dists)
    assert [str(g.value(d, DCAT.accessURL)) for d in dists] == [
        "http://127.0.0.1:8600/api/3/action/datastore_search?resource_id=wjw-medical_institutions.csv"
    ]
    assert str(g.value(ds, URIRef("urn:gongshu:def:applicationEndpoint"))).endswith("/api/v1/open/applications")
    assert "open-restricted" not in path.read_text(encoding="utf-8")
