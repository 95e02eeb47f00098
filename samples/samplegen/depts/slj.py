"""台州市水利局: daily reservoir levels (UTF-8 with BOM, CRLF) and water abstraction permits."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from ..build import Context, Row, Spec
from ..faults import Fault
from ..taizhou import COUNTIES, TODAY, add_years, address, random_date
from ..writers import Csv

# (测站编码, 水库, county, 汛限水位 m, 正常蓄水位 m, 库容 万m³ at 正常蓄水位)
RESERVOIRS = (
    ("70401100", "长潭水库", "331003", 35.0, 36.0, 45700),
    ("70402200", "牛头山水库", "331082", 60.5, 62.0, 21900),
    ("70403300", "里石门水库", "331023", 182.0, 184.0, 14200),
    ("70404400", "下岸水库", "331024", 213.0, 215.0, 13500),
    ("70405500", "朱溪水库", "331024", 266.0, 268.0, 12400),
    ("70406600", "佛岭水库", "331003", 92.0, 93.5, 2600),
    ("70407700", "秀岭水库", "331003", 66.0, 67.2, 2100),
    ("70408800", "湖漫水库", "331081", 31.2, 32.0, 2240),
    ("70409900", "太湖水库", "331081", 15.8, 16.5, 1030),
    ("70410100", "龙溪水库", "331083", 52.0, 53.0, 1150),
    ("70411200", "里墩水库", "331083", 39.5, 40.5, 1760),
    ("70412300", "狮子口水库", "331022", 96.0, 97.5, 1640),
    ("70413400", "溪口水库", "331082", 57.0, 58.2, 1280),
    ("70414500", "桐坑水库", "331023", 131.0, 132.5, 1020),
    ("70415600", "岩坦水库", "331022", 71.0, 72.0, 1100),
)
FIRST_DAY = dt.date(2025, 10, 1)


def reservoir_levels(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    rows = []
    for day in range(math.ceil(n / len(RESERVOIRS))):
        at = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=day), dt.time(8, 0))
        wet = 1.5 * math.exp(-((day - 8) ** 2) / 18)  # a typhoon rain around 9 October
        for code, name, county, limit, normal, capacity in RESERVOIRS:
            if len(rows) == n:
                break
            level = normal - 2.2 + wet + 0.02 * day * (1 if day < 10 else -0.5) + rng.gauss(0, 0.05)
            inflow = max(0.1, (8 + 60 * wet) * capacity / 20000 + rng.gauss(0, 0.3))
            rows.append(
                {
                    "station_code": code,
                    "reservoir": name,
                    "region": county,
                    "observed_at": at,
                    "water_level": Decimal(f"{level:.2f}"),
                    "storage": Decimal(f"{capacity * (1 - (normal - level) * 0.06):.0f}"),
                    "flood_limit": Decimal(f"{limit:.2f}"),
                    "inflow": Decimal(f"{inflow:.2f}"),
                    "outflow": Decimal(f"{inflow * rng.uniform(0.6, 1.4):.2f}") if rng.random() < 0.9 else None,
                    "level_state": "超汛限" if level > limit else "正常",
                }
            )
    return rows


def level_update(ctx: Context, row: Row) -> Row:
    """The 8 o'clock report sent again after a manual reading."""
    row["water_level"] = row["water_level"] + Decimal("0.01")
    return row


PURPOSES = {"工业用水": 55, "生活用水": 20, "农业灌溉": 15, "水力发电": 5, "其他": 5}


def water_abstraction_permits(ctx: Context, n: int) -> list[Row]:
    rng, world = ctx.rng, ctx.world
    rows = []
    picks = rng.sample(range(len(world.enterprises)), n)
    for i, k in enumerate(picks, start=1):
        e = world.enterprises[k]
        purpose = rng.choices(list(PURPOSES), weights=list(PURPOSES.values()))[0]
        issued = random_date(rng, dt.date(2019, 1, 1), TODAY - dt.timedelta(days=10))
        city = rng.random() < 0.2
        authority = "台州市水利局" if city else f"{COUNTIES[e.county][0]}水利局"
        rows.append(
            {
                "permit_no": f"D{e.county}{'S' if rng.random() < 0.8 else 'G'}{issued.year}{i:04d}",
                "holder": e.name,
                "uscc": e.uscc,
                "legal_rep": e.legal_rep.name,
                "location": address(rng, e.county, detail=False),
                "region": e.county,
                "water_source": "地表水" if rng.random() < 0.8 else "地下水",
                "purpose": purpose,
                "annual_volume": Decimal(rng.randrange(5, 3000)).scaleb(-1)
                if purpose != "水力发电"
                else Decimal(rng.randrange(200, 5000)),
                "issue_date": issued,
                "valid_from": issued,
                "valid_to": add_years(issued, 5) - dt.timedelta(days=1),
                "authority": authority,
                "phone": e.phone if rng.random() < 0.9 else None,
            }
        )
    return rows


def permit_update(ctx: Context, row: Row) -> Row:
    """延续: the same permit renewed."""
    row["issue_date"] = row["valid_to"] - dt.timedelta(days=ctx.rng.randrange(20, 60))
    row["valid_from"] = row["valid_to"] + dt.timedelta(days=1)
    row["valid_to"] = add_years(row["valid_from"], 5) - dt.timedelta(days=1)
    return row


SPECS = (
    Spec(
        "slj",
        "reservoir_levels",
        "slj/reservoir_levels.csv",
        Csv(encoding="utf-8", bom=True, newline="\r\n"),
        rows=40 * len(RESERVOIRS),
        make=reservoir_levels,
        update=level_update,
        faults=(
            Fault("DATE_INVALID", "observed_at", 0.005),
            Fault("REGION_INVALID", "region", 0.005),
            Fault("REQUIRED_MISSING", "water_level", 0.008),
            Fault("ENUM_INVALID", "level_state", 0.005, values=("偏高", "危险")),
            Fault("DATE_MIXED_FORMAT", "observed_at", 0.03),
            Fault("NULL_TOKEN", "outflow", 0.03),
            Fault("FULLWIDTH", "station_code", 0.02),
            Fault("ENUM_ALIAS", "level_state", 0.02),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
    Spec(
        "slj",
        "water_abstraction_permits",
        "slj/water_abstraction_permits.csv",
        Csv(encoding="utf-8"),
        rows=300,
        make=water_abstraction_permits,
        update=permit_update,
        faults=(
            Fault("USCC_CHECKSUM", "uscc", 0.015),
            Fault("DATE_INVALID", "issue_date", 0.01),
            Fault("ENUM_INVALID", "purpose", 0.01, values=("工业", "养殖用水")),
            Fault("PHONE_INVALID", "phone", 0.01),
            Fault("DATE_MIXED_FORMAT", "valid_to", 0.04),
            Fault("FULLWIDTH", "uscc", 0.01),
            Fault("PHONE_FORMAT", "phone", 0.03),
            Fault("ENUM_ALIAS", "water_source", 0.04),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
)
