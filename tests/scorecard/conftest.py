from __future__ import annotations

from pathlib import Path

import pytest

from gongshu.scorecard.config import ScorecardConfig, load_config

from .fixtures import Platform

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    return Platform.create(tmp_path)


@pytest.fixture(scope="session")
def config() -> ScorecardConfig:
    """The reviewed default configuration (repo root scorecard.yaml)."""
    return load_config(REPO / "scorecard.yaml")
