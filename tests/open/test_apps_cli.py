"""``gongshu open-apps``: the administrator lists the 开放应用 and approves or rejects them on this host."""

from __future__ import annotations

from typer.testing import CliRunner

from flows.cli import app
from gongshu.open import apps
from gongshu.store.db import session_scope

from .api_fixtures import build_open_platform

CONTACT = "孙先生 13905760000"


def gongshu(*args: str):
    return CliRunner().invoke(app, list(args))


def test_list_and_review_apps(tmp_path):
    engine, _ = build_open_platform(tmp_path)  # in $GONGSHU_HOME: the database the command opens
    with session_scope(engine) as session:
        made = [
            apps.submit(
                session, name=name, submitter="台州某数据科技有限公司", contact=CONTACT, description="说明",
                datasets=["scjgj.licenses", "wjw.clinics"],
            )
            for name in ("许可地图", "重复的应用")
        ]  # fmt: skip
        first, second = (a.id for a in made)

    listed = gongshu("open-apps", "list", "--status", "pending")
    assert listed.exit_code == 0, listed.output
    assert f"#{first}  pending   许可地图  (台州某数据科技有限公司)  uses scjgj.licenses, wjw.clinics" in listed.output
    assert CONTACT not in listed.output
    assert CONTACT in gongshu("open-apps", "list", "--contacts").output  # only when asked

    approved = gongshu("open-apps", "review", str(first), "--approve")
    assert approved.exit_code == 0 and "「许可地图」: approved" in approved.output
    no_reason = gongshu("open-apps", "review", str(second), "--reject")
    assert no_reason.exit_code == 2 and "reason" in no_reason.output
    rejected = gongshu("open-apps", "review", str(second), "--reject", "--reason", "与已上架应用重复")
    assert rejected.exit_code == 0, rejected.output
    again = gongshu("open-apps", "review", str(first), "--reject", "--reason", "x")
    assert again.exit_code == 2 and "already approved" in again.output
    assert gongshu("open-apps", "review", "999", "--approve").exit_code == 1

    shown = gongshu("open-apps", "list", "--status", "approved").output
    assert "许可地图" in shown and "重复的应用" not in shown
    assert "reason: 与已上架应用重复" in gongshu("open-apps", "list", "--status", "rejected").output
    assert gongshu("open-apps", "list", "--status", "maybe").exit_code == 2
