"""``gongshu prune`` as an operator runs it: a dry run unless --apply, a retention too short for the
scorecard's history refused before anything is touched, bad durations answered clearly."""

from __future__ import annotations

import json

import pytest

from tests.test_cli import gongshu


@pytest.fixture
def home_env(tmp_path) -> dict:
    return {"GONGSHU_HOME": str(tmp_path / "home")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "6m"], "months"),
        (["--older-than", "soon"], "--older-than"),
        (["--older-than", "90d", "--only", "logs"], "not one of ods, history, prefect"),
        (["--older-than", "90d", "--only", "history"], "--only ods"),  # the scorecard needs 400 days of logs
    ],
)
def test_bad_or_unsafe_retention_is_refused_with_the_reason(args, message, home_env):
    out = gongshu("prune", *args, env_extra=home_env)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr


def test_a_dry_run_deletes_nothing_and_says_so(tmp_path, home_env):
    report = tmp_path / "prune.json"
    out = gongshu("prune", "--older-than", "90d", "--only", "ods", "--report-json", str(report), env_extra=home_env)
    assert out.returncode == 0, out.stderr
    assert "ODS: 0 batch(es)" in out.stdout and "dry run: nothing deleted; add --apply" in out.stdout
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["dry_run"] is True and written["plan"]["scope"] == ["ods"] and "deleted" not in written
