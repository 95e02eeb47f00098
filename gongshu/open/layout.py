"""Where the open stage writes, relative to ``$GONGSHU_HOME``: the one place the release writer, the
portal, the DCAT catalog and the download/CKAN API agree on.

  portal/                                   the static open-data portal (safe to publish whole)
    index.html, assets/, departments/<dept>.html, datasets/<dept>/<resource>.html
    catalog.jsonld                          DCAT of the open datasets
    releases/<dept>/<resource>/v<N>/        a 无条件开放 release: files downloadable by anyone
  open-restricted/<dept>/<resource>/v<N>/   a 有条件开放 release: served by the API to approved
                                            applicants only, never placed under portal/

A release folder holds ``<dept>-<resource>.csv`` (UTF-8 with BOM), ``.json``, ``.xlsx`` (when the
rows fit a sheet), ``data-dictionary.csv``, ``SHA256SUMS`` and ``release.json`` (the metadata the
portal renders). Its masked rows are also in the table ``opn_<dept>__<resource>`` (text columns as
in the CSV, plus ``_row``) for the CKAN ``datastore_search``: the API never reads a DWD table for
open data.
"""

from __future__ import annotations

from pathlib import Path

PORTAL = "portal"
RESTRICTED = "open-restricted"
RELEASES = "releases"
UNCONDITIONAL, CONDITIONAL, NOT_OPEN = "无条件开放", "有条件开放", "不予开放"
ROW = "_row"


def portal_dir(home: Path) -> Path:
    return home / PORTAL


def release_dir(home: Path, department: str, resource: str, version: int, open_type: str) -> Path:
    """The folder of one release: public under the portal, or restricted."""
    if open_type == UNCONDITIONAL:
        base = home / PORTAL / RELEASES
    elif open_type == CONDITIONAL:
        base = home / RESTRICTED
    else:
        raise ValueError(f"{department}.{resource} is {open_type}: it has no release folder")
    return base / department / resource / f"v{version}"


def data_file(department: str, resource: str, suffix: str) -> str:
    """``<dept>-<resource>.<suffix>``: the name a downloaded file keeps."""
    return f"{department}-{resource}.{suffix}"


DICTIONARY = "data-dictionary.csv"
CHECKSUMS = "SHA256SUMS"
METADATA = "release.json"


def open_table_name(department: str, resource: str) -> str:
    return f"opn_{department}__{resource}"
