"""Schemathesis against the live server's own OpenAPI document, every check on: ``schemathesis run
--checks all`` as an integrator runs it (the CLI, its coverage, fuzzing and stateful phases), and
for every operation a bounded number of generated calls, fitting the schema and breaking it, sent
with a real department key (the open-data API's operations too: downloads, applications, the CKAN
actions): no server error, no status, header or body the document does not describe, nothing valid
refused or invalid accepted, 405 with ``Allow`` for a method the document does not list.

(The operations are walked here rather than through ``schemathesis.pytest.from_fixture``: its
pytest integration reads ``Item._nodeid``, which pytest 9.2 no longer has.)"""

from __future__ import annotations

import subprocess
import sys

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from ..share.platform import department

EXAMPLES = 25


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_generated_call_is_answered_as_the_document_says(platform, mode):
    consumer = department()
    platform.grant(consumer, "licenses", ["license_no", "holder", "issued"])
    headers = {"X-API-Key": platform.key(consumer)}
    schema = schemathesis.openapi.from_url(f"{platform.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert (
        len(operations) == 20
    )  # the sharing API 7, the open-data API 10 (downloads, applications, 开放应用, CKAN), 申诉 3

    runs = [(operation, {}) for operation in operations]
    # the data endpoint once more on a resource that exists and is granted: the generated fields,
    # filters, cursors and limits then reach a real DWD table
    data = next(o for o in operations if o.path == "/api/v1/data/{department}/{resource}")
    runs.append((data, {"path_parameters": {"department": "scjgj", "resource": "licenses"}}))
    for operation, fixed in runs:
        inputs = [operation.path_parameters, operation.query, operation.headers, operation.body]
        if mode == GenerationMode.NEGATIVE and not any(len(i) for i in inputs):
            continue  # nothing to break (the health check)

        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def answered_as_documented(case):
            # the real key replaces a generated one; a negative case that leaves the key out on
            # purpose is sent without it (adding it back would make an invalid call valid)
            has_key = any(name.lower() == "x-api-key" for name in (case.headers or {}))
            sent = headers if has_key or mode == GenerationMode.POSITIVE else {}
            case.call_and_validate(headers=sent)  # every check schemathesis has for a response

        try:
            answered_as_documented()
        except Unsatisfiable:
            # no input of this operation can be invalid (the CKAN action path takes any name: an
            # unknown one is CKAN's 400, tried in the positive mode)
            assert mode == GenerationMode.NEGATIVE, operation.label
    platform.flush()
    calls = platform.calls(key_id=headers["X-API-Key"][3:15])
    assert len(calls) >= len(operations) - 1 and all(c.status < 500 for c in calls)  # health takes no key
    if mode == GenerationMode.POSITIVE:
        assert any(c.status == 200 and c.resource_key == "licenses" and c.rows for c in calls)


def test_schemathesis_run_checks_all_finds_nothing(platform, tmp_path):
    consumer = department()
    platform.grant(consumer, "licenses", ["license_no", "holder", "issued"])
    argv = [sys.executable, "-m", "schemathesis.cli", "run", f"{platform.url}/openapi.json", "--checks", "all"]
    argv += ["--header", f"X-API-Key: {platform.key(consumer)}", "--max-examples", "15", "--no-color"]
    # in a folder of its own: the CLI keeps a cache (.schemathesis/) where it runs
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "20 selected / 20 total" in run.stdout and "failures" not in run.stdout.splitlines()[-1]
