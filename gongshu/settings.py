"""The one settings object. Every knob is an environment variable with the prefix ``GONGSHU_``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GONGSHU_", extra="ignore")

    home: Path = Field(Path("./var"), description="everything written at run time goes here")
    db_url: str | None = Field(None, description="platform database; default: SQLite under home")
    catalogs: Path = Field(Path("./catalogs"), description="folder of department catalog files")
    expectations: Path = Field(Path("./expectations"), description="folder of Great Expectations suites")
    scorecard_config: Path = Field(
        Path("scorecard.yaml"),
        description="考核晾晒 configuration: weights, 红榜/黑榜 rules, the working-day calendar "
        "(the default file missing: built-in weights, Monday–Friday)",
    )
    source_retry_delays: list[float] = Field(
        [5.0, 20.0], description="seconds between retries of a source that failed transiently (timeout, 5xx)"
    )
    max_field_bytes: int = Field(
        4 << 20,
        ge=1 << 10,
        le=256 << 20,
        description="collection: the most bytes (UTF-8) one value of a source may hold; a batch with a larger "
        "value is refused at the raw gate, naming the source, row and field",
    )
    max_line_bytes: int = Field(
        16 << 20,
        ge=1 << 10,
        le=1 << 30,
        description="collection: the longest line a CSV file may have, in bytes, checked before the file is "
        "parsed so that a file without line ends fails at once, in bounded memory, naming the line",
    )
    max_response_bytes: int = Field(
        128 << 20,
        ge=1 << 20,
        le=4 << 30,
        description="collection: the largest answer (one page) an HTTP source may send, in bytes, refused as it "
        "arrives rather than read whole into memory",
    )
    db_connect_timeout: float = Field(
        10.0, gt=0, le=600, description="PostgreSQL: seconds to wait for the platform database to accept a connection"
    )
    db_statement_timeout: float = Field(
        300.0,
        ge=0,
        description="PostgreSQL: seconds one statement may run (statement_timeout; 0: no limit); a server that "
        "has not answered 30 s after that is taken as frozen and the connection dropped",
    )
    db_busy_timeout: float = Field(
        120.0, ge=0, description="SQLite: seconds a write waits for another process's lock on the database file"
    )
    db_retry_delays: list[float] = Field(
        [2.0, 8.0],
        max_length=10,
        description="seconds between tries to connect to the platform database (one retry per value)",
    )
    share_response_days: int = Field(
        5, ge=1, le=60, description="working days a provider has to answer a 有条件共享 request"
    )
    api_rate: float = Field(50.0, gt=0, description="sharing API: requests per second each key may make, sustained")
    api_burst: int = Field(100, ge=1, description="sharing API: requests a key may make at once, before api_rate")
    api_anonymous_rate: float = Field(
        10.0,
        ge=0,
        description="calls a second each client address may make without a valid key (open data, applications, "
        "refused keys), sustained; 0: no limit",
    )
    api_anonymous_burst: int = Field(
        60, ge=1, description="calls a client address may make at once without a valid key, before api_anonymous_rate"
    )
    api_concurrency: int = Field(
        8, ge=1, le=12, description="sharing API: requests worked on at once (fewer than the pool's 16 connections)"
    )
    api_base: str = Field(
        "http://127.0.0.1:8600",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="the address the sharing and open-data API is reached at: the portal's examples and every "
        "absolute URL the API answers (never the request's Host header)",
    )
    notify_webhook_url: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="gate failures are POSTed here as JSON, one per resource (docs/operations.md)",
    )
    dask_address: str | None = Field(
        None, description="the Dask scheduler (tcp://host:8786) of the chunked cleanse; unset: a local cluster"
    )
    task_threads: int = Field(
        1,
        ge=1,
        le=64,
        description=(
            "task runs the catalog, cleanse, share and open flows run at once, in threads of one process: their "
            "work holds the GIL, so on 2 cores more threads only contend (scale out with worker processes)"
        ),
    )
    collect_threads: int = Field(
        4,
        ge=1,
        le=64,
        description="task runs the collect flow runs at once: collection mostly waits on the sources",
    )
    dask_workers: int = Field(2, ge=1, le=64, description="processes of the chunked cleanse's local Dask cluster")
    claim_timeout: float = Field(
        600.0,
        gt=0,
        description=(
            "seconds after which a resource's cleanse or open claim not refreshed by its run is stale and another "
            "run may take it over (a live run refreshes it every third of this; a claim whose process is gone "
            "from this host is taken over at once)"
        ),
    )
    api_cursor_secret: str | None = Field(
        None,
        description="sharing API: secret sealing page cursors; unset, a random one per process "
        "(cursors then end with the process; set it when several processes serve the API)",
    )

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.home / 'gongshu.db').resolve()}"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def scorecards_dir(self) -> Path:
        return self.home / "scorecards"

    @property
    def prefect_home(self) -> Path:
        return Path(os.environ.get("PREFECT_HOME") or self.home / "prefect")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()


def configure_prefect_env(settings: Settings | None = None) -> None:
    """Default Prefect's environment before Prefect is imported: its home under ``$GONGSHU_HOME``,
    telemetry off. Values already set in the environment win. (No Prefect import here.)"""
    settings = settings or get_settings()
    defaults = {
        "PREFECT_HOME": str(settings.prefect_home.resolve()),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        # a first start migrates a fresh Prefect database: ~20 s on 2 cores, Prefect's default limit
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        # Prefect's temporary server is `python -m uvicorn` in a child process, which reads UVICORN_*:
        # no per-message deflate on its loopback websocket, where compressing each of a run's events
        # (three per task run) only spends CPU (2.5 s of it for 1,400 task runs, bench/pipeline_overhead.py).
        # A standing `prefect server start` runs uvicorn in-process and ignores this.
        "UVICORN_WS_PER_MESSAGE_DEFLATE": "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
