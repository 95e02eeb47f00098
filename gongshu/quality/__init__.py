"""数据质量: Great Expectations suites generated from the catalog, loaded safely for the gates.

Importing this package is cheap: ``great_expectations`` is imported only by the functions that need it.
"""

from .suites import (
    PATTERNS,
    RULES,
    SuiteError,
    SuiteFile,
    build_suite,
    load_suite,
    suite_document,
    suite_name,
    suite_path,
    write_suites,
)

__all__ = [
    "PATTERNS",
    "RULES",
    "SuiteError",
    "SuiteFile",
    "build_suite",
    "load_suite",
    "suite_document",
    "suite_name",
    "suite_path",
    "write_suites",
]
