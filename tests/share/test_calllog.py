"""The call-log writer: every submitted record stored, from many threads, through a close, and
whatever the caller put in it (NUL, lone surrogates, overlong paths) on both databases."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import sqlalchemy as sa

from gongshu.share.calllog import Call, CallLogWriter
from gongshu.store import models as m
from gongshu.store.db import get_engine


def call(path: str = "/api/v1/catalog", **kw) -> Call:
    return Call(method="GET", path=path, called_at=dt.datetime.now(dt.UTC), **kw)


def stored(engine) -> list[m.ApiCallLog]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(m.ApiCallLog.__table__).order_by(m.ApiCallLog.id)))


def test_records_from_many_threads_are_all_stored_exactly_once(gongshu_home):
    engine = get_engine()
    writer = CallLogWriter(engine, batch_size=64)
    writer.start()
    threads = [
        threading.Thread(target=lambda t=t: [writer.submit(call(f"/t{t}/{i}").row(1.0)) for i in range(250)])
        for t in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert writer.flush(timeout=30)
    paths = [r.path for r in stored(engine)]
    assert len(paths) == len(set(paths)) == 8 * 250
    writer.close()


def test_closing_stores_what_is_still_queued(gongshu_home):
    engine = get_engine()
    writer = CallLogWriter(engine)
    for i in range(300):  # queued before the thread even runs
        writer.submit(call(f"/q/{i}", status=200).row(0.5))
    writer.start()
    writer.close()
    assert len(stored(engine)) == 300


def test_hostile_text_is_stored_sanitised_on_both_databases(db_url):
    engine = get_engine(db_url)
    writer = CallLogWriter(engine)
    writer.start()
    hostile = call(
        "/api/v1/data/" + "\x00\ud800" + "x" * 1000,
        consumer="r\x00sj",
        fields=["name\x00", "\udc80"],
        error="unknown field \x00\ud800",
        status=422,
    )
    writer.submit(hostile.row(2.5))
    writer.close()
    (row,) = stored(engine)
    assert row.path.startswith("/api/v1/data/\\x00\\ud800x") and len(row.path) == 500
    assert (row.consumer_key, row.fields, row.status) == ("r\\x00sj", ["name\\x00", "\\udc80"], 422)
    assert row.error == "unknown field \\x00\\ud800"


def test_a_record_the_database_refuses_goes_to_the_log_and_does_not_hold_up_the_others(gongshu_home, caplog):
    engine = get_engine()
    writer = CallLogWriter(engine)
    bad = call("/bad").row(1.0)
    bad["called_at"] = dt.datetime(2026, 1, 1)  # naive: the UTC column refuses it
    rows = [call("/a").row(1.0), bad, call("/b").row(1.0)]
    for row in rows:
        writer.submit(row)
    with caplog.at_level(logging.ERROR, logger="gongshu.share.calllog"):
        writer.start()
        writer.close()
    assert [r.path for r in stored(engine)] == ["/a", "/b"]
    assert "refused by the database" in caplog.text and '"/bad"' in caplog.text


ID_NUMBER, MOBILE = "330102199003070026", "13957612345"


def test_personal_numbers_are_redacted_from_stored_records_and_log_lines():
    from gongshu.api.accesslog import AccessLogFilter, RedactingFilter
    from gongshu.share.calllog import redact, redacted_target

    assert redact(f"a {ID_NUMBER} b 33010219900307002X c {MOBILE} d 0576-88001234 e 138 1234 5678") == (
        "a *** b *** c *** d *** e ***"
    )
    assert redact("request 2147483647, 2024-03-01, XK0001") == "request 2147483647, 2024-03-01, XK0001"
    encoded = "".join(f"%{ord(c):02X}" for c in ID_NUMBER)
    assert redacted_target(f"/api/v1/data/scjgj/r{encoded}", f"filter=founded%3A{ID_NUMBER}&x{MOBILE}=1&%00=2") == (
        "/api/v1/data/scjgj/r***?filter=***&x***=***&***=***"
    )
    row = call(f"/api/3/action/{ID_NUMBER}", error=f"no {MOBILE}", fields=[f"f{ID_NUMBER}"], provider="p").row(1.0)
    assert ID_NUMBER not in str(row) and MOBILE not in str(row)

    access = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', None, None)
    access.args = ("127.0.0.1:5000", "GET", f"/api/v1/data/scjgj/firms?filter=uscc:{ID_NUMBER}", "1.1", 200)
    assert AccessLogFilter().filter(access)
    assert access.getMessage() == '127.0.0.1:5000 - "GET /api/v1/data/scjgj/firms?filter=*** HTTP/1.1" 200'
    try:
        raise ValueError(f"[parameters: ('{ID_NUMBER}',)]")
    except ValueError:
        import sys

        failed = logging.LogRecord("uvicorn.error", logging.ERROR, "", 0, "Exception %s", (MOBILE,), sys.exc_info())
    assert RedactingFilter().filter(failed)
    text = logging.Formatter().format(failed)
    assert "ValueError" in text and "***" in text and ID_NUMBER not in text and MOBILE not in text
