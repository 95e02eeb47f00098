"""The sharing workflow on both databases: what each 共享类型 does with a request, who may decide,
working-day due dates, per-field grants and their revocation."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from gongshu.catalog.model import Catalog
from gongshu.clock import SHANGHAI
from gongshu.share.keys import ADMIN, DEPARTMENT, Principal
from gongshu.share.workflow import (
    Denied,
    Invalid,
    add_working_days,
    apply,
    decide,
    granted_fields,
    requests_of,
    revoke_grants,
)
from gongshu.store.db import get_engine, session_scope

from .platform import CATALOG

RESOURCES = {r.id: r for r in Catalog.model_validate(yaml.safe_load(CATALOG)).resources}
CONSUMER = Principal("k-consumer", DEPARTMENT, "rsj")
PROVIDER = Principal("k-provider", DEPARTMENT, "scjgj")
THIRD = Principal("k-third", DEPARTMENT, "slj")
ADMIN_KEY = Principal("k-admin", ADMIN, None)
WEDNESDAY = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture
def engine(db_url):
    return get_engine(db_url)


def request(session, resource: str, fields: list[str], who: Principal = CONSUMER, **kw):
    return apply(session, who, "scjgj", RESOURCES[resource], fields, "劳动保障监察 labour inspection", **kw)


@pytest.mark.parametrize(
    "start, days, due_day",
    [
        (WEDNESDAY, 5, dt.date(2026, 12, 2)),  # Wed + 5 working days: the next Wednesday
        (WEDNESDAY, 2, dt.date(2026, 11, 27)),  # Friday
        (WEDNESDAY, 3, dt.date(2026, 11, 30)),  # over the weekend: Monday
        (dt.datetime(2026, 11, 28, 3, tzinfo=dt.UTC), 1, dt.date(2026, 11, 30)),  # from a Saturday: Monday
        # Friday 20:00 UTC is already Saturday in Shanghai: the count starts there
        (dt.datetime(2026, 11, 27, 20, tzinfo=dt.UTC), 1, dt.date(2026, 11, 30)),
    ],
)
def test_due_dates_count_working_days_in_shanghai(start, days, due_day):
    due = add_working_days(start, days).astimezone(SHANGHAI)
    assert due.date() == due_day and due.time() == dt.time(23, 59, 59)


def test_a_request_due_over_the_national_day_counts_the_holiday_calendar(engine, monkeypatch, tmp_path):
    from gongshu.clock import WEEKDAYS
    from gongshu.settings import reset_settings
    from gongshu.share.workflow import work_calendar

    tuesday = dt.datetime(2026, 9, 29, 15, tzinfo=SHANGHAI)
    with session_scope(engine) as session:  # the repo's scorecard.yaml: 10-1..7 off, Saturday 10-10 worked
        holiday_aware = request(session, "firms", ["uscc"], now=tuesday, response_days=5)
        weekdays = request(session, "firms", ["uscc"], now=tuesday, response_days=5, calendar=WEEKDAYS)
        assert holiday_aware.due_at.astimezone(SHANGHAI) == dt.datetime(2026, 10, 12, 23, 59, 59, tzinfo=SHANGHAI)
        assert weekdays.due_at.astimezone(SHANGHAI) == dt.datetime(2026, 10, 6, 23, 59, 59, tzinfo=SHANGHAI)
    monkeypatch.setenv("GONGSHU_SCORECARD_CONFIG", str(tmp_path / "absent.yaml"))
    reset_settings()
    assert work_calendar() == WEEKDAYS  # no file: Monday to Friday


def test_each_share_type_decides_the_request(engine):
    with session_scope(engine) as session:
        granted = request(session, "licenses", ["license_no", "holder"], now=WEDNESDAY)
        pending = request(session, "firms", ["uscc", "name"], now=WEDNESDAY, response_days=5)
        refused = request(session, "permits", ["permit_no"], now=WEDNESDAY)
        assert (granted.status, granted.due_at, "无条件共享" in granted.reason) == ("approved", None, True)
        assert pending.status == "pending" and pending.decided_at is None
        assert pending.due_at == add_working_days(WEDNESDAY, 5)
        assert refused.status == "refused" and "不予共享" in refused.reason and "涉及国家秘密" in refused.reason
        assert granted_fields(session, "rsj", "scjgj", "licenses") == {"license_no", "holder"}
        assert granted_fields(session, "rsj", "scjgj", "firms") == set()
        assert granted_fields(session, "rsj", "scjgj", "permits") == set()


def test_bad_requests_are_refused_and_not_recorded(engine):
    for who, fields, purpose, error, message in [
        (ADMIN_KEY, ["uscc"], "x", Denied, "admin key reads no data"),
        (PROVIDER, ["uscc"], "x", Invalid, "its own resources"),
        (CONSUMER, ["uscc", "secret_column"], "x", Invalid, "1 name.*not fields.*uscc, name"),
        (CONSUMER, [], "x", Invalid, "no fields requested"),
        (CONSUMER, ["uscc"], "   ", Invalid, "purpose"),
    ]:
        with session_scope(engine) as session:
            with pytest.raises(error, match=message):
                apply(session, who, "scjgj", RESOURCES["firms"], fields, purpose)
            assert requests_of(session, ADMIN_KEY) == []


def test_only_the_provider_decides_and_a_rejection_gives_its_reason(engine):
    with session_scope(engine) as session:
        pending = request(session, "firms", ["uscc", "name"]).id
    with session_scope(engine) as session:
        with pytest.raises(Denied, match="providing department"):
            decide(session, CONSUMER, pending, True)
        with pytest.raises(Denied, match="providing department"):
            decide(session, ADMIN_KEY, pending, True)
        with pytest.raises(Invalid, match="no such share request"):  # a third department does not even see it
            decide(session, THIRD, pending, True)
        with pytest.raises(Invalid, match="gives its reason"):
            decide(session, PROVIDER, pending, False, "  ")
        assert granted_fields(session, "rsj", "scjgj", "firms") == set()
        rejected = decide(session, PROVIDER, pending, False, "用途不符合共享条件")
        assert (rejected.status, rejected.reason, rejected.decided_by) == (
            "rejected",
            "用途不符合共享条件",
            "k-provider",
        )
        with pytest.raises(Invalid, match="already rejected"):
            decide(session, PROVIDER, pending, True)
        assert granted_fields(session, "rsj", "scjgj", "firms") == set()

        approved = decide(session, PROVIDER, request(session, "firms", ["uscc", "capital"]).id, True)
        assert approved.status == "approved"
        assert granted_fields(session, "rsj", "scjgj", "firms") == {"uscc", "capital"}


def test_grants_add_up_per_field_and_revocation_stops_them(engine):
    other = Principal("k-other", DEPARTMENT, "jtysj")
    with session_scope(engine) as session:
        request(session, "licenses", ["license_no"])
        request(session, "licenses", ["holder"])
        request(session, "licenses", ["issued"], who=other)
        assert granted_fields(session, "rsj", "scjgj", "licenses") == {"license_no", "holder"}
        assert revoke_grants(session, "scjgj", "licenses", "资源调整为不予共享", consumer="rsj") == 2
        assert granted_fields(session, "rsj", "scjgj", "licenses") == set()
        assert granted_fields(session, "jtysj", "scjgj", "licenses") == {"issued"}
        assert revoke_grants(session, "scjgj", "licenses", "资源调整为不予共享") == 1
        assert granted_fields(session, "jtysj", "scjgj", "licenses") == set()


def test_each_department_sees_its_own_requests_and_overdue_ones_stand_out(engine):
    long_ago = WEDNESDAY - dt.timedelta(days=30)
    with session_scope(engine) as session:
        late = request(session, "firms", ["uscc"], now=long_ago).id
        fresh = request(session, "firms", ["name"]).id
        mine = request(session, "licenses", ["holder"]).id
        theirs = request(session, "licenses", ["holder"], who=THIRD).id
    with session_scope(engine) as session:

        def ids(who: Principal, **kw) -> list[int]:
            return [r.id for r in requests_of(session, who, **kw)]

        assert ids(CONSUMER) == [late, fresh, mine]
        assert ids(PROVIDER) == [late, fresh, mine, theirs]
        assert ids(THIRD) == [theirs]
        assert ids(ADMIN_KEY) == [late, fresh, mine, theirs]
        assert ids(PROVIDER, status="pending") == [late, fresh]
        assert ids(PROVIDER, overdue_at=dt.datetime.now(dt.UTC)) == [late]
