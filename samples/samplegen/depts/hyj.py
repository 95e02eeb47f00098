"""台州市海洋与渔业局: the fleet register (Excel under two title rows) and permits (GBK CSV).

Both come from one fleet: each permit belongs to a registered vessel and its owner.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from ..build import Context, Row, Spec
from ..faults import Fault
from ..taizhou import COUNTIES, TODAY, Person, add_years, mobile, person, random_date
from ..writers import Csv, Excel

# Coastal counties: (船名号 prefix, 船籍港, weight)
PORTS = {
    "331081": ("浙岭渔", "温岭", 35),
    "331083": ("浙玉渔", "玉环", 20),
    "331082": ("浙临渔", "临海", 15),
    "331002": ("浙椒渔", "椒江", 12),
    "331022": ("浙三渔", "三门", 10),
    "331004": ("浙路渔", "路桥", 8),
}
# 作业类型: (船长 m, 主机功率 kW, share)
OPERATIONS = {
    "拖网": ((28, 45), (200, 450), 35),
    "围网": ((35, 55), (300, 600), 8),
    "刺网": ((18, 35), (60, 250), 25),
    "张网": ((20, 35), (80, 250), 12),
    "钓具": ((15, 30), (40, 200), 8),
    "笼壶": ((15, 30), (40, 200), 6),
    "捕捞辅助船": ((30, 50), (200, 500), 6),
}
FLEET = 400


@dataclass(frozen=True)
class Vessel:
    code: str
    name: str
    county: str
    owner: Person
    phone: str | None
    operation: str
    length: Decimal
    power: Decimal
    hull: str
    built: dt.date


def _fleet(rng: random.Random) -> list[Vessel]:
    fleet = []
    numbers: set[str] = set()
    for i in range(FLEET):
        county = rng.choices(list(PORTS), weights=[p[2] for p in PORTS.values()])[0]
        prefix, _port, _w = PORTS[county]
        operation = rng.choices(list(OPERATIONS), weights=[o[2] for o in OPERATIONS.values()])[0]
        (lmin, lmax), (pmin, pmax), _s = OPERATIONS[operation]
        number = f"{rng.choice('0123567')}{rng.randrange(10**4):04d}"
        if prefix + number in numbers:
            number = f"{i:05d}"
        numbers.add(prefix + number)
        built = random_date(rng, dt.date(1998, 1, 1), dt.date(2023, 12, 31))
        fleet.append(
            Vessel(
                code=f"{county}{built.year}{i + 1:05d}",
                name=prefix + number,
                county=county,
                owner=person(rng, 1950, 1992, county, male_share=0.93),
                phone=mobile(rng) if rng.random() < 0.93 else None,
                operation=operation,
                length=Decimal(f"{rng.uniform(lmin, lmax):.2f}"),
                power=Decimal(f"{rng.uniform(pmin, pmax):.1f}"),
                hull=rng.choices(["钢质", "木质", "玻璃钢"], weights=[70, 20, 10])[0],
                built=built,
            )
        )
    return fleet


def fleet(ctx: Context) -> list[Vessel]:
    return ctx.world.pool("hyj/fleet", _fleet)


def fishing_vessels(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    rows = []
    for v in fleet(ctx)[:n]:
        rows.append(
            {
                "vessel_code": v.code,
                "vessel_name": v.name,
                "home_port": PORTS[v.county][1],
                "owner": v.owner.name,
                "owner_id": v.owner.id_number,
                "phone": v.phone,
                "operation": v.operation,
                "length": v.length,
                "tonnage": Decimal(f"{float(v.length) ** 2 * rng.uniform(0.12, 0.16):.0f}"),
                "power": v.power,
                "hull": v.hull,
                "built": v.built,
                "registered": random_date(rng, v.built, min(add_years(v.built, 1), TODAY)),
                "region": v.county,
            }
        )
    return rows


def vessel_update(ctx: Context, row: Row) -> Row:
    row["phone"] = mobile(ctx.rng)
    return row


SEASONS = {
    "拖网": "9月16日至次年4月30日",
    "围网": "9月16日至次年4月30日",
    "刺网": "8月1日至次年4月30日",
    "张网": "8月1日至次年4月30日",
    "钓具": "全年",
    "笼壶": "8月1日至次年4月30日",
    "捕捞辅助船": "9月16日至次年4月30日",
}


def fishing_permits(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    rows = []
    for i, v in enumerate(rng.sample(fleet(ctx), n), start=1):
        issued = random_date(rng, dt.date(2021, 1, 4), TODAY - dt.timedelta(days=10))
        auxiliary = v.operation == "捕捞辅助船"
        kind = (
            "捕捞辅助船许可证"
            if auxiliary
            else rng.choices(
                ["海洋渔业捕捞许可证", "专项（特许）渔业捕捞许可证", "临时渔业捕捞许可证"], weights=[90, 7, 3]
            )[0]
        )
        rows.append(
            {
                "permit_no": f"（浙台{PORTS[v.county][1][0]}）船捕（{issued.year}）HY-{i:06d}",
                "vessel_name": v.name,
                "holder": v.owner.name,
                "holder_id": v.owner.id_number,
                "permit_type": kind,
                "operation": v.operation,
                "area": None if auxiliary else f"东海区C{rng.choice('123')}类渔区",
                "season": SEASONS[v.operation],
                "power": v.power,
                "issue_date": issued,
                "valid_to": add_years(issued, 5) - dt.timedelta(days=1)
                if kind != "临时渔业捕捞许可证"
                else issued + dt.timedelta(days=180),
                "issuer": f"{COUNTIES[v.county][0]}农业农村局" if rng.random() < 0.7 else "台州市海洋与渔业局",
            }
        )
    return rows


def permit_update(ctx: Context, row: Row) -> Row:
    row["valid_to"] = add_years(row["valid_to"], 5)
    return row


SPECS = (
    Spec(
        "hyj",
        "fishing_vessels",
        "hyj/fishing_vessels.xlsx",
        Excel(
            sheet="渔船",
            title_rows=(
                "台州市海洋渔船登记信息汇总表",
                "填报单位：台州市海洋与渔业局　　　　统计截止日期：2025年9月30日",
            ),
            creator="台州市海洋与渔业局",
        ),
        rows=400,
        make=fishing_vessels,
        update=vessel_update,
        faults=(
            Fault("ID_CARD_CHECKSUM", "owner_id", 0.015),
            Fault("ID_CARD_BIRTHDATE", "owner_id", 0.005),
            Fault("PHONE_INVALID", "phone", 0.01),
            Fault("DATE_INVALID", "registered", 0.005),
            Fault("REGION_INVALID", "region", 0.005),
            Fault("ID_CARD_LEGACY15", "owner_id", 0.015),
            Fault("DATE_MIXED_FORMAT", "built", 0.05),
            Fault("FULLWIDTH", "vessel_name", 0.02),
            Fault("PHONE_FORMAT", "phone", 0.03),
            Fault("ENUM_ALIAS", "operation", 0.04),
            Fault("NULL_TOKEN", "phone", 0.02),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
    Spec(
        "hyj",
        "fishing_permits",
        "hyj/fishing_permits.csv",
        Csv(encoding="gbk", newline="\r\n"),
        rows=350,
        make=fishing_permits,
        update=permit_update,
        faults=(
            Fault("ID_CARD_CHECKSUM", "holder_id", 0.015),
            Fault("DATE_INVALID", "issue_date", 0.01),
            Fault("ENUM_INVALID", "permit_type", 0.005, values=("捕捞证", "近海捕捞许可证")),
            Fault("REQUIRED_MISSING", "vessel_name", 0.008),
            Fault("ID_CARD_LEGACY15", "holder_id", 0.01),
            Fault("DATE_MIXED_FORMAT", "valid_to", 0.04),
            Fault("FULLWIDTH", "vessel_name", 0.02),
            Fault("NULL_TOKEN", "area", 0.02),
            Fault("ENUM_ALIAS", "operation", 0.04),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
)
