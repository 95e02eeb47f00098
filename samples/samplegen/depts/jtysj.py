"""台州市交通运输局: road transport licences and bus stops (both UTF-8 CSV)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..build import Context, Row, Spec
from ..faults import Fault
from ..taizhou import COUNTIES, STREETS, TODAY, add_years, random_date
from ..writers import Csv

# 经营类别: (经营范围, vehicles range, weight)
CATEGORIES = {
    "道路普通货物运输": ("道路普通货物运输；货物专用运输（集装箱、冷藏保鲜设备）", (2, 80), 55),
    "道路旅客运输": ("县内班车客运；县际包车客运", (5, 120), 8),
    "道路危险货物运输": ("经营性道路危险货物运输（2类1项、3类）", (5, 40), 5),
    "机动车维修": ("一类机动车维修（小型车辆维修）", (0, 0), 20),
    "机动车驾驶员培训": ("普通机动车驾驶员培训（C1、C2）", (10, 80), 7),
    "道路货物运输站（场）": ("货运站（场）经营（货运代理、仓储理货）", (0, 0), 5),
}
STATUSES = {"营业": 88, "停业": 4, "注销": 6, "吊销": 2}


def road_transport_permits(ctx: Context, n: int) -> list[Row]:
    rng, world = ctx.rng, ctx.world
    rows = []
    for i, k in enumerate(rng.sample(range(len(world.enterprises)), n), start=1):
        e = world.enterprises[k]
        category = rng.choices(list(CATEGORIES), weights=[c[2] for c in CATEGORIES.values()])[0]
        scope, (low, high), _w = CATEGORIES[category]
        issued = random_date(rng, max(e.founded, dt.date(2012, 1, 1)), TODAY - dt.timedelta(days=3))
        rows.append(
            {
                "permit_no": f"浙交运管许可台字{e.county}{i * 37 % 1000000:06d}号",
                "operator": e.name,
                "uscc": e.uscc,
                "legal_rep": e.legal_rep.name,
                "business_category": category,
                "business_scope": scope,
                "vehicles": rng.randrange(low, high + 1) if high else None,
                "capital": e.capital,
                "issue_date": issued,
                "valid_to": add_years(issued, 4) - dt.timedelta(days=1) if category != "机动车维修" else None,
                "status": rng.choices(list(STATUSES), weights=list(STATUSES.values()))[0],
                "region": e.county,
                "address": e.address,
                "phone": e.phone,
            }
        )
    return rows


def transport_update(ctx: Context, row: Row) -> Row:
    row["status"] = "停业"
    return row


# Rough centre of each county (longitude, latitude), WGS 84.
CENTRES = {
    "331002": (121.44, 28.68), "331003": (121.26, 28.65), "331004": (121.37, 28.58),
    "331022": (121.40, 29.10), "331023": (121.01, 29.14), "331024": (120.73, 28.85),
    "331081": (121.39, 28.37), "331082": (121.14, 28.86), "331083": (121.23, 28.14),
}  # fmt: skip
LANDMARKS = (
    "人民医院", "汽车站", "客运中心", "实验小学", "第二中学", "公园", "广场", "农贸市场", "工业园区",
    "行政服务中心", "体育中心", "图书馆", "社区", "街道办事处", "新村", "路口", "商城", "供电所",
)  # fmt: skip


def bus_stops(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    rows = []
    names: set[tuple[str, str]] = set()
    while len(rows) < n:
        county = rng.choice(list(COUNTIES))
        town = rng.choice(list(STREETS[county]))
        road = rng.choice(STREETS[county][town])
        name = f"{road}{rng.choice(LANDMARKS)}" if rng.random() < 0.7 else f"{town[:-2]}{rng.choice(LANDMARKS)}"
        if (county, name) in names:
            continue
        names.add((county, name))
        lon, lat = CENTRES[county]
        lines = sorted({rng.randrange(1, 130) for _ in range(rng.randrange(1, 5))})
        rows.append(
            {
                "stop_id": f"{county[-3:]}{len(rows) + 1:05d}",
                "stop_name": name,
                "lines": ";".join(f"{x}路" for x in lines),
                "longitude": Decimal(f"{lon + rng.uniform(-0.06, 0.06):.6f}"),
                "latitude": Decimal(f"{lat + rng.uniform(-0.05, 0.05):.6f}"),
                "region": county,
                "road": road,
                "stop_type": "港湾式" if rng.random() < 0.3 else "直线式",
                "shelter": "是" if rng.random() < 0.6 else "否",
                "opened": random_date(rng, dt.date(2008, 1, 1), TODAY) if rng.random() < 0.85 else None,
            }
        )
    return rows


def stop_update(ctx: Context, row: Row) -> Row:
    row["shelter"] = "是"
    return row


SPECS = (
    Spec(
        "jtysj",
        "road_transport_permits",
        "jtysj/road_transport_permits.csv",
        Csv(encoding="utf-8"),
        rows=400,
        make=road_transport_permits,
        update=transport_update,
        faults=(
            Fault("USCC_CHECKSUM", "uscc", 0.015),
            Fault("DATE_INVALID", "issue_date", 0.008),
            Fault("ENUM_INVALID", "business_category", 0.005, values=("货运", "客运出租")),
            Fault("REGION_INVALID", "region", 0.005),
            Fault("REQUIRED_MISSING", "operator", 0.005),
            Fault("PHONE_INVALID", "phone", 0.008),
            Fault("USCC_PILOT", "uscc", count=1),
            Fault("DATE_MIXED_FORMAT", "valid_to", 0.03),
            Fault("FULLWIDTH", "uscc", 0.01),
            Fault("AMOUNT_UNIT", "capital", 0.05),
            Fault("PHONE_FORMAT", "phone", 0.03),
            Fault("ENUM_ALIAS", "status", 0.05),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
    Spec(
        "jtysj",
        "bus_stops",
        "jtysj/bus_stops.csv",
        Csv(encoding="utf-8"),
        rows=500,
        make=bus_stops,
        update=stop_update,
        faults=(
            Fault("REQUIRED_MISSING", "stop_name", 0.006),
            Fault("REGION_INVALID", "region", 0.006),
            Fault("ENUM_INVALID", "stop_type", 0.006, values=("路边式", "临时站")),
            Fault("DATE_INVALID", "opened", 0.006),
            Fault("DATE_MIXED_FORMAT", "opened", 0.04),
            Fault("ENUM_ALIAS", "shelter", 0.05),
            Fault("NULL_TOKEN", "opened", 0.02),
            Fault("FULLWIDTH", "stop_id", 0.02),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
)
