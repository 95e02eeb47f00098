"""Pages of a DWD table on both databases: chosen fields only, typed equality filters bound as
parameters, keyset cursors that are opaque and cover every row exactly once, CSV for Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow as pa
import pytest
import sqlalchemy as sa
import yaml

from gongshu.catalog.model import Resource
from gongshu.share.cursor import CursorSeal
from gongshu.share.data import MAX_LIMIT, BadQuery, read_page, to_csv
from gongshu.store.db import get_engine
from gongshu.store.dwd import dwd_table, upsert
from gongshu.store.ods import SOURCE_ROW, ensure_table

STATIONS = """\
id: levels
name: 水位监测
category: 自然资源和空间地理
format: 数据库
update_cycle: 每日
share: {type: 无条件共享}
open: {type: 无条件开放}
level: L1
primary_key: [station, day]
fields:
  - {name: station, label: 测站, kind: text, required: true}
  - {name: day, label: 日期, kind: date, required: true}
  - {name: level, label: 水位, kind: decimal}
  - {name: gauge, label: 水尺, kind: integer}
  - {name: note, label: 备注, kind: text}
"""
LOG = """\
id: visits
name: 走访记录
category: 部门
format: 数据库
update_cycle: 每日
share: {type: 无条件共享}
open: {type: 不予开放}
level: L1
fields:
  - {name: site, label: 地点, kind: text, required: true}
  - {name: count, label: 次数, kind: integer}
"""
SEAL = CursorSeal("test secret")
STATIONS_N, DAYS = 7, 30  # 210 rows


def resource(text: str) -> Resource:
    return Resource.model_validate(yaml.safe_load(text))


def load(engine, res: Resource, columns: dict[str, list], batch: str) -> None:
    n = len(next(iter(columns.values())))
    rows = pa.table(
        {**{k: pa.array(v, pa.string()) for k, v in columns.items()}, SOURCE_ROW: pa.array(range(1, n + 1))}
    )
    table = dwd_table("slj", res)
    with engine.begin() as conn:
        ensure_table(conn, table)
        upsert(conn, table, rows, batch, dt.datetime.now(dt.UTC))


@pytest.fixture
def levels(db_url):
    engine = get_engine(db_url)
    res = resource(STATIONS)
    keys = [(f"S{s:02d}", dt.date(2026, 1, 1) + dt.timedelta(days=d)) for s in range(STATIONS_N) for d in range(DAYS)]
    keys.reverse()  # loaded in the opposite order of the keys: the page order is the key's, not the load's
    load(
        engine,
        res,
        {
            "station": [s for s, _ in keys],
            "day": [d.isoformat() for _, d in keys],
            "level": [f"{d.day}.25" for _, d in keys],
            "gauge": [str(d.day) for _, d in keys],
            "note": ['=HYPERLINK("http://x")' if d.day == 1 else "-5" if d.day == 2 else "正常" for _, d in keys],
        },
        "b1",
    )
    return engine, res


def every_page(engine, res, fields, limit, **kw):
    pages, cursor = [], None
    while True:
        with engine.connect() as conn:
            page = read_page(conn, "slj", res, fields, cursor=cursor, limit=limit, seal=SEAL, **kw)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_pages_cover_every_row_once_in_key_order(levels):
    engine, res = levels
    for limit in (1, 37, 210, MAX_LIMIT):
        pages = every_page(engine, res, ["station", "day"], limit)
        keys = [(r["station"], r["day"]) for p in pages for r in p.rows]
        assert len(keys) == STATIONS_N * DAYS and keys == sorted(set(keys))
        assert all(len(p.rows) == limit for p in pages[:-1]) and 0 < len(pages[-1].rows) <= limit
        assert len(pages) == -(-STATIONS_N * DAYS // limit)


def test_only_the_chosen_fields_come_back_as_json_ready_values(levels):
    engine, res = levels
    with engine.connect() as conn:
        page = read_page(conn, "slj", res, ["level", "gauge", "day"], limit=2, seal=SEAL)
    assert page.fields == ["level", "gauge", "day"]
    assert page.rows == [
        {"level": "1.25", "gauge": 1, "day": "2026-01-01"},
        {"level": "2.25", "gauge": 2, "day": "2026-01-02"},
    ]


def test_the_cursor_reveals_no_key_value_and_works_only_where_it_was_issued(levels):
    engine, res = levels
    with engine.connect() as conn:
        first = read_page(conn, "slj", res, ["level"], limit=5, seal=SEAL)
        assert "S00" not in first.next_cursor and "2026" not in first.next_cursor
        second = read_page(conn, "slj", res, ["level"], cursor=first.next_cursor, limit=5, seal=SEAL)
        assert [r["level"] for r in second.rows] == ["6.25", "7.25", "8.25", "9.25", "10.25"]
        token = first.next_cursor
        for bad, seal in [
            (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), SEAL),  # tampered
            (token, CursorSeal("another secret")),  # another service's
            ("' OR 1=1 --", SEAL),
            ("eyJzdGF0aW9uIjoiUzAwIn0", SEAL),  # plain base64 JSON
            ("é" * 40, SEAL),
        ]:
            with pytest.raises(BadQuery, match="cursor is not valid"):
                read_page(conn, "slj", res, ["level"], cursor=bad, limit=5, seal=seal)
    other = resource(STATIONS.replace("id: levels", "id: levels_copy"))
    with engine.connect() as conn, pytest.raises(BadQuery, match="cursor is not valid"):
        read_page(conn, "slj", other, ["level"], cursor=token, limit=5, seal=SEAL)


def test_a_row_loaded_between_pages_never_repeats_or_hides_one_that_was_there(levels):
    engine, res = levels
    with engine.connect() as conn:
        first = read_page(conn, "slj", res, ["station", "day"], limit=100, seal=SEAL)
    load(engine, res, {"station": ["S00"], "day": ["2025-12-31"], "level": ["0"], "gauge": ["0"], "note": [""]}, "b2")
    rest = every_page(engine, res, ["station", "day"], 100)
    with engine.connect() as conn:
        after = read_page(conn, "slj", res, ["station", "day"], cursor=first.next_cursor, limit=1000, seal=SEAL)
    seen = [(r["station"], r["day"]) for r in first.rows + after.rows]
    assert len(seen) == len(set(seen)) == STATIONS_N * DAYS  # the new row sorts before the cursor: not in this pass
    assert sum(len(p.rows) for p in rest) == STATIONS_N * DAYS + 1


def test_filters_are_typed_equalities_and_values_are_never_sql(levels):
    engine, res = levels
    with engine.connect() as conn:

        def page(*filters: tuple[str, str]) -> list[dict]:
            return read_page(conn, "slj", res, ["station", "day"], filters=filters, limit=1000, seal=SEAL).rows

        assert len(page(("day", "2026-01-05"))) == STATIONS_N
        assert page(("day", "2026-01-05"), ("station", "S03")) == [{"station": "S03", "day": "2026-01-05"}]
        assert len(page(("station", "S01"), ("station", "S02"))) == 2 * DAYS  # the same field: any of the values
        assert len(page(("gauge", "7"))) == len(page(("level", "7.25"))) == STATIONS_N
        assert page(("station", "S01' OR '1'='1")) == []
        assert page(("station", 'S01"; DROP TABLE dwd_slj__levels; --')) == []
        assert page(("note", "正常"), ("station", "S00"))[0] == {"station": "S00", "day": "2026-01-03"}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM dwd_slj__levels")).scalar_one() == STATIONS_N * DAYS


def test_unusable_filter_values_and_limits_are_refused_before_any_query(levels):
    engine, res = levels
    for field, value, message in [
        ("gauge", "seven", "not a valid integer"),
        ("gauge", str(2**70), "not a valid integer"),
        ("level", "NaN", "not a valid decimal"),
        ("level", "1e999999", "not a valid decimal"),
        ("day", "2026-02-30", "not a valid date"),
        ("day", "1 OR 1=1", "not a valid date"),
        ("station", "S01\x00", "not a valid text"),
        ("station", "\ud800", "not a valid text"),
        ("secret", "x", "not a field of slj.levels: secret"),
    ]:
        with engine.connect() as conn, pytest.raises(BadQuery, match=message):
            read_page(conn, "slj", res, ["station"], filters=[(field, value)], seal=SEAL)
    for limit in (0, MAX_LIMIT + 1):
        with engine.connect() as conn, pytest.raises(BadQuery, match=f"between 1 and {MAX_LIMIT}"):
            read_page(conn, "slj", res, ["station"], limit=limit, seal=SEAL)


def test_a_resource_without_primary_key_pages_by_batch_and_source_row(db_url):
    engine = get_engine(db_url)
    res = resource(LOG)
    load(engine, res, {"site": [f"甲{i:03d}" for i in range(50)], "count": ["1"] * 50}, "b1")
    # appended: source rows 1..50 again
    load(engine, res, {"site": [f"乙{i:03d}" for i in range(50)], "count": ["2"] * 50}, "b2")
    pages = every_page(engine, res, ["site", "count"], 7)  # count: a name a Row's method also has
    rows = [(r["site"], r["count"]) for p in pages for r in p.rows]
    assert rows == [(f"甲{i:03d}", 1) for i in range(50)] + [(f"乙{i:03d}", 2) for i in range(50)]


def test_csv_has_a_bom_a_header_and_no_formula_for_excel(levels):
    engine, res = levels
    with engine.connect() as conn:
        page = read_page(conn, "slj", res, ["station", "day", "level", "note"], limit=3, seal=SEAL)
    body = to_csv(page)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [
        ["station", "day", "level", "note"],
        ["S00", "2026-01-01", "1.25", '\'=HYPERLINK("http://x")'],
        ["S00", "2026-01-02", "2.25", "-5"],
        ["S00", "2026-01-03", "3.25", "正常"],
    ]
