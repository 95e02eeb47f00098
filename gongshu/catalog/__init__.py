"""目录编制: the catalog model, loading with precise errors, completeness, codes, versions, exports."""

from .completeness import Completeness, resource_completeness
from .issues import CatalogIssue
from .loader import LoadedCatalog, load_catalog
from .model import Catalog, CatalogField, Department, Resource
from .validate import discover, validate_files, validate_paths

__all__ = [
    "Catalog",
    "CatalogField",
    "CatalogIssue",
    "Completeness",
    "Department",
    "LoadedCatalog",
    "Resource",
    "discover",
    "load_catalog",
    "resource_completeness",
    "validate_files",
    "validate_paths",
]
