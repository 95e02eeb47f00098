"""Runs against Prefect's temporary server (`gongshu run` with no PREFECT_API_URL) send no flow-run
heartbeats and talk to it over an uncompressed websocket; against a standing server nothing changes."""

from __future__ import annotations

import os

import pytest


def test_no_heartbeats_with_the_temporary_server_only():
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    from flows.common import local_runs

    with temporary_settings(updates={PREFECT_API_URL: None, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 90}):
        with local_runs():
            assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().flows.heartbeat_frequency == 90

    standing = {PREFECT_API_URL: "http://127.0.0.1:4200/api", PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 90}
    with temporary_settings(updates=standing), local_runs():
        assert get_current_settings().flows.heartbeat_frequency == 90


@pytest.mark.parametrize("given", [None, "true"])
def test_the_temporary_servers_websocket_is_not_compressed_unless_asked(monkeypatch, given):
    from gongshu.settings import configure_prefect_env

    if given is None:
        monkeypatch.delenv("UVICORN_WS_PER_MESSAGE_DEFLATE", raising=False)
    else:
        monkeypatch.setenv("UVICORN_WS_PER_MESSAGE_DEFLATE", given)
    for key in ("PREFECT_HOME", "DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED"):  # as they were, after
        if key in os.environ:
            monkeypatch.setenv(key, os.environ[key])
        else:
            monkeypatch.delenv(key, raising=False)
    configure_prefect_env()
    assert os.environ["UVICORN_WS_PER_MESSAGE_DEFLATE"] == (given or "false")
