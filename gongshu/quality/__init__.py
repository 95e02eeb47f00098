"""数据质量: Great Expectations suites generated from the catalog, loaded safely for the gates.

Importing this package is cheap: ``great_expectations`` is imported only by the functions that need it.
"""

import os

from .generate import build_suite, suite_document, suite_name
from .suites import SuiteError, SuiteFile, load_suite, suite_path, write_suites

# The platform runs on a network without internet and tells no third party it exists: Great
# Expectations' usage statistics (sent by the GX 1.x releases that have them, unless this is false)
# stay off, whatever the environment says. GX reads it when a context is created.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

__all__ = [
    "SuiteError",
    "SuiteFile",
    "build_suite",
    "load_suite",
    "suite_document",
    "suite_name",
    "suite_path",
    "write_suites",
]
