"""数据治理: standardisers per field kind (vectorised), quarantine and the clean gate."""

from .rules import RULES, Rule, advice_for
from .table import standardise_column, standardise_table

__all__ = ["RULES", "Rule", "advice_for", "standardise_column", "standardise_table"]
