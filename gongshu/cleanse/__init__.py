"""数据治理: every field standardised by its kind (:mod:`gongshu.rules.kinds`), quarantine and the clean gate."""

from .table import standardise_column, standardise_table

__all__ = ["standardise_column", "standardise_table"]
