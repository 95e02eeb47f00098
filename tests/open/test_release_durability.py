"""Faults of issue 14 in the open stage, on SQLite and PostgreSQL: a release's run record commits with
the release (a crash after the commit never loses it), and two runs at once release a resource once
(the second skips it, saying which run holds it) instead of both making version N."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongshu.open import layout, stage
from gongshu.open.stage import open_resource
from gongshu.store import models as m
from gongshu.store.db import get_engine, session_scope

from ..killpoint import dies_at
from .release_fixtures import DEPT, collect_and_cleanse, firm_rows, load_resources, write_source


@pytest.fixture
def firms(tmp_path: Path):
    write_source(tmp_path, firm_rows(12))
    return load_resources(tmp_path)["firms"]


def releases(engine) -> list[tuple[int, str]]:
    with session_scope(engine) as session:
        return [(r.version, r.run_id) for r in session.scalars(sa.select(m.OpenRelease).order_by(m.OpenRelease.id))]


def open_log(engine) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(m.RunLog).where(m.RunLog.stage == "open").order_by(m.RunLog.id))
        return [(r.run_id, r.status) for r in rows]


def test_a_release_and_its_run_record_commit_together(firms, tmp_path, gongshu_home, db_url):
    engine = get_engine(db_url)
    collect_and_cleanse(engine, firms, tmp_path, "r1")
    folder = gongshu_home / "portal" / "releases" / DEPT / "firms"

    with dies_at(engine):
        open_resource(engine, DEPT, firms, "r1", home=gongshu_home)
    assert releases(engine) == [] and open_log(engine) == []
    assert not (folder / "v1").exists()

    out = open_resource(engine, DEPT, firms, "r2", home=gongshu_home)
    assert out.status == "completed" and out.logged
    assert releases(engine) == [(1, "r2")] and open_log(engine) == [("r2", "completed")]
    assert (folder / "v1").is_dir()


def test_two_runs_at_once_release_a_resource_once(firms, tmp_path, gongshu_home, db_url, monkeypatch):
    engine = get_engine(db_url)
    collect_and_cleanse(engine, firms, tmp_path, "r1")
    inside, second_done = threading.Event(), threading.Event()
    prepare = stage.prepare

    def slow_prepare(resource, rows):
        if threading.current_thread().name == "run-a":
            inside.set()  # run A has read the latest release and written nothing yet
            second_done.wait(timeout=30)
        return prepare(resource, rows)

    monkeypatch.setattr(stage, "prepare", slow_prepare)
    first: dict = {}

    def run_a() -> None:
        try:
            first["out"] = open_resource(engine, DEPT, firms, "run-a", home=gongshu_home)
        except Exception as exc:  # reported below
            first["out"] = exc

    thread = threading.Thread(target=run_a, name="run-a")
    thread.start()
    try:
        assert inside.wait(timeout=60)
        second = open_resource(engine, DEPT, firms, "run-b", home=gongshu_home)
    finally:
        second_done.set()
        thread.join(timeout=60)
    assert getattr(first["out"], "status", first["out"]) == "completed"
    assert second.status == "skipped" and second.reason.startswith("being released by run run-a since ")
    assert releases(engine) == [(1, "run-a")]
    folder = gongshu_home / "portal" / "releases" / DEPT / "firms"
    assert sorted(p.name for p in folder.iterdir()) == ["v1"]
    assert (folder / "v1" / layout.CHECKSUMS).is_file()
    assert open_log(engine) == [("run-a", "completed")]  # run B's skip is logged by its flow, with the others
