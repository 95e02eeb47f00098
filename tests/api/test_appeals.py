"""The 申诉 endpoints on a live server: a department appeals its own evidence with its key (another
department's key is refused, 403), reads its appeals; the admin key decides, and an accepted appeal
re-issues the month (the page shows it); a late or repeated appeal is refused with a clear error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gongshu import clock
from gongshu.api.app import create_app
from gongshu.scorecard import store
from gongshu.scorecard.config import load_config
from gongshu.scorecard.stage import prepare, publish
from gongshu.settings import Settings
from gongshu.share import keys
from gongshu.store.db import session_scope

from ..scorecard.fixtures import AFTER, PERIOD, Platform, at, resource
from ..share.platform import LiveServer

REPO = Path(__file__).resolve().parents[2]
SH = dt.timezone(dt.timedelta(hours=8))


class Served:
    def __init__(self, platform: Platform, server: LiveServer, home: Path, request_id: int) -> None:
        self.platform, self.server, self.home, self.request_id = platform, server, home, request_id

    def key(self, department: str | None = None) -> str:
        with session_scope(self.platform.engine) as session:
            role = keys.DEPARTMENT if department else keys.ADMIN
            return keys.create_key(session, department=department, role=role)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    platform = Platform.create(tmp_path)
    platform.department("a", [resource("r1")], name="甲局", compiled=at(9, 1))
    platform.department("b", [resource("r1")], name="乙局", compiled=at(9, 1))
    for dept in ("a", "b"):
        platform.run("collect", dept, "r1", "completed", at(11, 3), rows_in=10)
    request_id = platform.request("a", "b", "r1", at(11, 2), due=at(11, 9, 23), decided=at(11, 10))
    home = tmp_path / "home"
    config = load_config(REPO / "scorecard.yaml")
    publish(platform.engine, prepare(platform.engine, PERIOD, config, now=AFTER), home / "scorecards" / PERIOD)
    settings = Settings(home=home, scorecard_config=REPO / "scorecard.yaml", api_rate=1e6, api_burst=1_000_000)
    with LiveServer(create_app(platform.engine, settings)) as server:
        yield Served(platform, server, home, request_id)


def test_a_department_appeals_its_own_evidence_and_the_admin_decides(served):
    a, b, admin = served.key("a"), served.key("b"), served.key()
    body = {"indicator": "request_timeliness", "evidence": str(served.request_id), "reason": "申请人 11-09 已撤回"}
    url = f"{served.server.url}/api/v1/scorecards/{PERIOD}/appeals"
    with clock.travel_to(dt.datetime(2026, 12, 14, 10, tzinfo=SH)), httpx.Client(timeout=60) as client:
        other = client.post(url, json={**body, "department": "a"}, headers={"X-API-Key": b})
        assert other.status_code == 403 and "only its own evidence" in other.json()["error"]
        mine_elsewhere = client.post(url, json=body, headers={"X-API-Key": b})
        assert mine_elsewhere.status_code == 404  # b has no such item: it is a's request
        assert client.post(url, json=body).status_code == 401

        filed = client.post(url, json=body, headers={"X-API-Key": a})
        assert filed.status_code == 201, filed.text
        appeal = filed.json()
        assert (appeal["department"], appeal["status"], appeal["version_filed"]) == ("a", "pending", 1)
        again = client.post(url, json=body, headers={"X-API-Key": a})
        assert again.status_code == 409 and "already appealed" in again.json()["error"]
        listed = client.get(url, headers={"X-API-Key": a}).json()["appeals"]
        assert [x["id"] for x in listed] == [appeal["id"]]
        assert client.get(url, headers={"X-API-Key": b}).json()["appeals"] == []

        decision = f"{served.server.url}/api/v1/scorecards/appeals/{appeal['id']}/decision"
        refused = client.post(decision, json={"accept": True, "reason": "自己批准"}, headers={"X-API-Key": a})
        assert refused.status_code == 403
        decided = client.post(decision, json={"accept": True, "reason": "核实属实"}, headers={"X-API-Key": admin})
        assert decided.status_code == 200, decided.text
        assert (decided.json()["status"], decided.json()["version_issued"]) == ("accepted", 2)

    card = store.load(served.platform.engine, PERIOD)
    assert card.version == 2 and store.load(served.platform.engine, PERIOD, 1) is not None
    page = (served.home / "scorecards" / PERIOD / "departments" / "a.html").read_text(encoding="utf-8")
    assert "<h2>申诉</h2>" in page and "核实属实" in page and "第 2 版" in page


def test_a_late_appeal_is_refused(served):
    a = served.key("a")
    body = {"indicator": "request_timeliness", "evidence": str(served.request_id), "reason": "迟到的申诉"}
    with clock.travel_to(dt.datetime(2027, 1, 5, 10, tzinfo=SH)), httpx.Client(timeout=60) as client:
        late = client.post(
            f"{served.server.url}/api/v1/scorecards/{PERIOD}/appeals", json=body, headers={"X-API-Key": a}
        )
    assert late.status_code == 409 and "too late" in late.json()["error"]
