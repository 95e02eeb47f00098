from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gongshu.api.app import create_app
from gongshu.settings import Settings

from ..share.platform import LiveServer, Platform, build_platform


@pytest.fixture(scope="session")
def platform_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("share-platform")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GONGSHU_HOME", str(folder / "home"))
        build_platform(folder)
    return folder


@pytest.fixture(scope="session")
def platform(platform_dir: Path) -> Iterator[Platform]:
    """The platform served by one uvicorn for the session, without a practical rate limit, per key or
    per address (the rate-limit tests serve their own)."""
    from gongshu.store.db import get_engine

    engine = get_engine(f"sqlite:///{platform_dir / 'gongshu.db'}")
    settings = Settings(home=platform_dir / "home", api_rate=1e6, api_burst=1_000_000, api_anonymous_rate=0)
    with LiveServer(create_app(engine, settings)) as server:
        yield Platform(engine=engine, server=server)


@pytest.fixture
def client(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.url, timeout=30) as c:
        yield c
