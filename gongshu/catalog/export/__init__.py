"""Exports of the compiled catalog (目录): one JSON document, the Excel 目录清单 and a DCAT catalog.

Each ``export_*`` function takes the compiled catalogs of any number of departments and an output
path, writes the file (atomically: readers never see half a file) and returns the path. Every
export is deterministic given ``generated_at`` (default: now, Beijing time): departments are
ordered by id, resources by code, fields as declared.
"""

from .dcat import dcat_document, export_dcat
from .document import catalog_document, export_json
from .xlsx import export_xlsx

__all__ = ["catalog_document", "dcat_document", "export_dcat", "export_json", "export_xlsx"]
