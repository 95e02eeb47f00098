"""SQLAlchemy models of the platform tables, a module for each part of the platform that writes
them. Schema changes go through Alembic migrations (``gongshu/store/migrations``); a test fails
when these models and the migrations disagree.

Importing the package defines every table on ``Base.metadata`` (what the migrations compare
against); the models are used from here: ``from gongshu.store import models as m``.
"""

# isort: off
# the modules in the order their tables were declared: Base.metadata keeps that order
from .base import NAMING, Base, JSONType, UTCDateTime, utcnow
from .catalog import CatalogVersion, Department, Resource, ResourceField
from .pipeline import CleanseBatch, CollectBatch, FeedbackState, QualityIssue, QualityResult, RunLog, StageClaim
from .share import ApiCallLog, ApiKey, ShareGrant, ShareRequest
from .open_data import DownloadLog, OpenApp, OpenAppDataset, OpenApplication, OpenRelease
from .scorecard import Scorecard, ScorecardAppeal, ScorecardVersion

# isort: on

__all__ = [
    "NAMING",
    "ApiCallLog",
    "ApiKey",
    "Base",
    "CatalogVersion",
    "CleanseBatch",
    "CollectBatch",
    "Department",
    "DownloadLog",
    "FeedbackState",
    "JSONType",
    "OpenApp",
    "OpenAppDataset",
    "OpenApplication",
    "OpenRelease",
    "QualityIssue",
    "QualityResult",
    "Resource",
    "ResourceField",
    "RunLog",
    "Scorecard",
    "ScorecardAppeal",
    "ScorecardVersion",
    "ShareGrant",
    "ShareRequest",
    "StageClaim",
    "UTCDateTime",
    "utcnow",
]
