"""The demo history's use (数据利用): each played month, real calls through the platform's own HTTP API
(``gongshu.api.create_app``, served by uvicorn on a free loopback port, as of the month's dates), so
that the scorecard's 利用 columns count what the API logged, not numbers written by hand:

* 6th working day, 14:00 (``demo_history.USE``) — departments read the data they were granted from each other
  (:data:`READS`: a 无条件共享 request, granted at once, then pages of ``/api/v1/data``); the public
  opens data: downloads of each public dataset's CSV and CKAN ``datastore_search`` queries
  (``download_log``); each 开放应用 of :data:`APPS` is submitted once the datasets it uses are opened
  (from the second month on, with those that are);
* 7th working day, 10:00 (``demo_history.REVIEW``) — the administrator approves it
  (``POST /api/v1/open/apps/{id}/review``), and the portal lists them from its next build.

The keys used are created for the history and revoked when it ends (:meth:`UsePlay.close`). A few
dozen calls a month: enough for every department to have some use, not a load test.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from gongshu import clock
from gongshu.api.app import create_app
from gongshu.open.datasets import all_datasets
from gongshu.open.layout import data_file
from gongshu.settings import Settings
from gongshu.share.keys import ADMIN, DEPARTMENT, create_key, revoke_key
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

LABEL = "gongshu demo history (use)"
PURPOSE = "业务协同中查询核对（演示）"


@dataclass(frozen=True)
class ReadPlay:
    """``consumer`` reads ``provider.resource`` (无条件共享), ``pages`` pages a month, month by month (the
    last repeats): use follows the story of the history, rising for a provider that improves, falling
    for one whose data gets worse."""

    consumer: str
    provider: str
    resource: str
    pages: tuple[int, ...]

    def pages_at(self, step: int) -> int:
        return self.pages[min(step, len(self.pages) - 1)]


READS = (
    ReadPlay("zhzfj", "scjgj", "admin_license", (2, 3, 4)),
    ReadPlay("rsj", "wjw", "medical_institutions", (2,)),
    ReadPlay("hyj", "qxj", "weather_warnings", (4, 3, 4)),
    ReadPlay("zhzfj", "slj", "reservoir_levels", (1, 2, 3)),
    ReadPlay("slj", "zhzfj", "admin_penalty", (4, 1, 1)),
    ReadPlay("scjgj", "jtysj", "road_transport_permits", (2,)),
    # 有条件共享, read once demo_history's requests were granted
    ReadPlay("qxj", "hyj", "fishing_vessels", (2,)),
    ReadPlay("scjgj", "rsj", "insured_employers", (1, 2, 2)),
)


@dataclass(frozen=True)
class AppPlay:
    """An 开放应用 submitted in the history; it uses those of ``datasets`` opened when it is submitted."""

    name: str
    submitter: str
    contact: str
    description: str
    url: str
    datasets: tuple[str, ...]


APPS = (
    AppPlay(
        "台州防汛避险地图", "台州市某地理信息科技有限公司", "周先生 0576-88123456",
        "汇集气象预警、气象观测与水库水位，在地图上标出强降雨与高水位区域，提示群众避险转移",
        "https://example.org/fangxun", ("qxj.weather_warnings", "qxj.weather_observations", "slj.reservoir_levels"),
    ),
    AppPlay(
        "企业信用速查", "台州某信用服务有限公司", "吴女士 0576-88654321",
        "输入企业名称或统一社会信用代码，查询登记状态、行政许可与行政处罚记录",
        "https://example.org/xinyong", ("scjgj.enterprise_registry", "scjgj.admin_license", "zhzfj.admin_penalty"),
    ),
)  # fmt: skip


@dataclass
class UsePlay:
    """The history's use, month by month; its keys are created on first use and revoked by :meth:`close`."""

    settings: Settings
    departments: list[str]
    keys: dict[str, str] = field(default_factory=dict)
    """department (or ``admin``) -> its key, whole."""
    submitted: set[str] = field(default_factory=set)
    """The names of the :data:`APPS` submitted so far."""

    def _key(self, who: str) -> str:
        if who not in self.keys:
            with session_scope() as session:
                if who == ADMIN:
                    self.keys[who] = create_key(session, department=None, role=ADMIN, label=LABEL)
                else:
                    self.keys[who] = create_key(session, department=who, role=DEPARTMENT, label=LABEL)
        return self.keys[who]

    def play(self, step: int, use_at: dt.datetime, review_at: dt.datetime) -> list[str]:
        """The month's reads, downloads (and in the first month the apps) as of ``use_at``, the apps'
        approval as of ``review_at`` (see the module docstring); what was done, one line each."""
        settings = self.settings.model_copy(update={"api_anonymous_rate": 0})  # the history is one client
        done: list[str] = []
        with clock.travel_to(use_at), _served(create_app(get_engine(), settings)) as api:
            done += self._reads(api, step)
            done += self._downloads(api)
            waiting = [play for play in APPS if play.name not in self.submitted]
            submitted = [(play.name, app_id) for play in waiting if (app_id := self._submit(api, play, step))]
            self.submitted.update(name for name, _ in submitted)
        if submitted:
            with clock.travel_to(review_at), _served(create_app(get_engine(), settings)) as api:
                for name, app_id in submitted:
                    answer = api.post(
                        f"/api/v1/open/apps/{app_id}/review",
                        headers={"X-API-Key": self._key(ADMIN)},
                        json={"decision": "approve"},
                    )
                    done.append(f"app #{app_id} {name}: {answer.json().get('status', answer.text)}")
        return done

    def _reads(self, api: httpx.Client, step: int) -> list[str]:
        out = []
        fields = _shareable_fields()
        for play in READS:
            if play.consumer not in self.departments or play.provider not in self.departments:
                continue
            headers = {"X-API-Key": self._key(play.consumer)}
            if not _granted(play.consumer, play.provider, play.resource):
                wanted = fields.get((play.provider, play.resource))  # 无条件共享: granted at once
                if not wanted:  # 有条件共享: read once the provider granted it (demo_history.REQUESTS)
                    out.append(f"{play.consumer} → {play.provider}.{play.resource}: not granted yet")
                    continue
                body = {"resource": f"{play.provider}.{play.resource}", "fields": wanted, "purpose": PURPOSE}
                made = api.post("/api/v1/requests", headers=headers, json=body)
                if made.status_code != 201 or made.json().get("status") != "approved":
                    out.append(f"{play.consumer} → {play.provider}.{play.resource}: not granted ({made.status_code})")
                    continue
            served = sum(
                api.get(
                    f"/api/v1/data/{play.provider}/{play.resource}", headers=headers, params={"limit": 20}
                ).is_success
                for _ in range(play.pages_at(step))
            )
            out.append(f"{play.consumer} → {play.provider}.{play.resource}: {served} page(s) read")
        return out

    def _downloads(self, api: httpx.Client) -> list[str]:
        with session_scope() as session:
            public = [
                (d.department, d.resource.id) for d in all_datasets(session)
                if not d.conditional and d.department in self.departments
            ]  # fmt: skip
        served = 0
        for n, (dept, res) in enumerate(public):
            csv = data_file(dept, res, "csv")
            for _ in range(1 + n % 3):
                served += api.get(f"/api/v1/open/download/{dept}/{res}/{csv}").is_success
            query = api.get("/api/3/action/datastore_search", params={"resource_id": csv, "limit": 5})
            served += query.is_success
        return [f"open data: {served} download(s) and datastore queries of {len(public)} dataset(s)"]

    def _submit(self, api: httpx.Client, play: AppPlay, step: int) -> int | None:
        """Submit ``play`` once every dataset it uses (of the departments played) is opened, or from the
        second month on with those that are; None when it is not submitted (yet)."""
        with session_scope() as session:
            opened = {d.qualified for d in all_datasets(session)}
        played = [d for d in play.datasets if d.split(".")[0] in self.departments]
        datasets = [d for d in played if d in opened]
        if not datasets or (len(datasets) < len(played) and step == 0):
            return None
        body: dict[str, Any] = {
            "name": play.name, "submitter": play.submitter, "contact": play.contact,
            "description": play.description, "url": play.url, "datasets": datasets,
        }  # fmt: skip
        made = api.post("/api/v1/open/apps", json=body)
        return int(made.json()["id"]) if made.status_code == 201 else None

    def close(self) -> None:
        """Revoke the history's keys: nobody keeps them."""
        with session_scope() as session:
            for key in self.keys.values():
                revoke_key(session, key[3:15])


def _shareable_fields() -> dict[tuple[str, str], list[str]]:
    """Up to four fields of each 无条件共享 resource below L4: what a reading department asks for."""
    from gongshu.catalog.registry import registered

    with session_scope() as session:
        return {
            (c.department.id, r.resource.id): [f.name for f in r.resource.fields if f.level != "L4"][:4]
            for c in registered(session)
            for r in c.resources
            if r.resource.share.type == "无条件共享" and r.resource.level != "L4"
        }


def _granted(consumer: str, provider: str, resource: str) -> bool:
    g = m.ShareGrant
    with session_scope() as session:
        query = sa.select(sa.func.count()).select_from(g).where(g.consumer_key == consumer)
        query = query.where(g.provider_key == provider, g.resource_key == resource, g.revoked_at.is_(None))
        return bool(session.scalar(query))


@contextmanager
def _served(app: FastAPI) -> Iterator[httpx.Client]:
    """``app`` served by uvicorn on 127.0.0.1 at a free port, in a thread, and a client of it; the
    server (lifespan included: the call log is written out) stops on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="demo-use-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo history could not serve the API on loopback")
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
