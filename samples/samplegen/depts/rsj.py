"""台州市人力资源和社会保障局: two sources in one SQLite 前置库 (``rsj/rsj_front.db``).

``sb_cbdw`` (参保单位) is read as a table, in rowid order. The subsidy payments are read through
the catalog's query: it joins the subsidy-type code table, skips logically deleted rows and orders
by ``updated_at`` (the watermark), so the source record numbers follow that order.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..build import Context, Row, Spec
from ..faults import Fault
from ..taizhou import TODAY, mobile, person, random_date, sole_trader, weighted_county
from ..writers import SqliteTable, Table

DB = "rsj/rsj_front.db"


def insured_employers(ctx: Context, n: int) -> list[Row]:
    rng, world = ctx.rng, ctx.world
    taken: set[str] = set()
    rows = []
    for i in range(n):
        if rng.random() < 0.9:
            e = world.enterprises[i]
            name, uscc, county, addr, unit_type, since = e.name, e.uscc, e.county, e.address, "企业", e.founded
            staff = max(1, int(rng.lognormvariate(2.6, 1.1)))
        else:
            t = sole_trader(rng, taken)
            name, uscc, county, addr, unit_type, since = t.name, t.uscc, t.county, t.address, "个体工商户", t.founded
            staff = rng.randrange(1, 6)
        status = rng.choices(["正常参保", "暂停缴费", "终止参保"], weights=[88, 7, 5])[0]
        contact = person(rng, 1965, 2000, county)
        rows.append(
            {
                "unit_no": f"{county}{(i * 7919 + 100_003) % 10**8:08d}",
                "unit_name": name,
                "uscc": uscc,
                "unit_type": unit_type,
                "region": county,
                "address": addr,
                "contact": contact.name,
                "phone": None if rng.random() < 0.06 else mobile(rng),
                "insured_count": staff,
                "first_insured": random_date(rng, max(since, dt.date(2000, 1, 1)), TODAY - dt.timedelta(days=1)),
                "status": status,
                "monthly_base": Decimal(staff * rng.randrange(4462, 12000)) if status != "终止参保" else Decimal(0),
                "updated_at": dt.datetime(2025, 11, 1, 2, 0) + dt.timedelta(seconds=rng.randrange(86400 * 18)),
            }
        )
    return rows


def employer_update(ctx: Context, row: Row) -> Row:
    row["insured_count"] += ctx.rng.randrange(1, 5)
    row["updated_at"] = dt.datetime(2025, 11, 19, 23, 30)
    return row


# 补贴类型: code, name, amount (元) or range, weight; legacy codes carry the old names (aliases).
SUBSIDIES = (
    ("01", "灵活就业社会保险补贴", (600, 1500), 40),
    ("02", "一次性创业补贴", (5000, 5000), 12),
    ("03", "创业担保贷款贴息", (800, 15000), 8),
    ("04", "职业技能培训补贴", (800, 3000), 20),
    ("05", "一次性吸纳就业补贴", (1000, 2000), 15),
    ("06", "求职创业补贴", (2000, 2000), 5),
)
LEGACY_TYPES = (("12", "一次性创业补助"), ("14", "职业培训补贴"))


def employment_subsidy(ctx: Context, n: int) -> list[Row]:
    rng, world = ctx.rng, ctx.world
    rows = []
    for i in range(n):
        _code, kind, (low, high), _w = rng.choices(SUBSIDIES, weights=[s[3] for s in SUBSIDIES])[0]
        county = weighted_county(rng)
        who = person(rng, 1965, 2003, county)
        paid = random_date(rng, dt.date(2025, 1, 6), TODAY - dt.timedelta(days=2))
        cents = (
            rng.randrange(low * 100, high * 100 + 1)
            if kind in ("灵活就业社会保险补贴", "创业担保贷款贴息")
            else low * 100
        )
        rows.append(
            {
                "payment_id": f"BT{paid:%Y%m}{i + 1:06d}",
                "person_name": who.name,
                "id_number": who.id_number,
                "mobile": mobile(rng) if rng.random() < 0.95 else None,
                "subsidy_type": kind,
                "amount": Decimal(cents).scaleb(-2),
                "paid_date": paid,
                "employer_uscc": world.enterprises[rng.randrange(len(world.enterprises))].uscc
                if kind == "一次性吸纳就业补贴"
                else None,
                "region": county,
                "updated_at": dt.datetime(paid.year, paid.month, paid.day, 17, 0)
                + dt.timedelta(seconds=rng.randrange(3 * 86400)),
            }
        )
    return rows


def subsidy_update(ctx: Context, row: Row) -> Row:
    """A corrected payment: the amount is fixed and the row touched again (a later watermark)."""
    row["amount"] = (row["amount"] * Decimal("0.9")).quantize(Decimal("0.01"))
    row["updated_at"] = row["updated_at"] + dt.timedelta(days=ctx.rng.randrange(3, 20))
    return row


@dataclass(frozen=True)
class SubsidyTables:
    """The payment table, its code table, and logically deleted payments the query must skip."""

    deleted_share: float = 0.03
    kind: str = "sql"
    medium: str = "sql"

    def write(self, path: Path, table: Table) -> None:
        codes = {name: code for code, name, _r, _w in SUBSIDIES} | {name: code for code, name in LEGACY_TYPES}
        rng = random.Random(f"rsj/deleted/{len(table.rows)}")
        payments: list[tuple[Any, ...]] = []
        for row in sorted(table.rows, key=lambda r: r["payment_id"] or ""):
            values = (
                row["payment_id"], row["person_name"], row["id_number"], row["mobile"], codes[row["subsidy_type"]],
                row["amount"], row["paid_date"], row["employer_uscc"], row["region"],
            )  # fmt: skip
            payments.append((*values, 0, row["updated_at"]))
            if rng.random() < self.deleted_share:  # entered twice by mistake, then deleted
                payments.append((*values, 1, row["updated_at"]))
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE jy_subsidy_type (type_code TEXT PRIMARY KEY, type_name TEXT NOT NULL)")
            db.executemany(
                "INSERT INTO jy_subsidy_type VALUES (?, ?)",
                [(c, n) for c, n, _r, _w in SUBSIDIES] + list(LEGACY_TYPES),
            )
            db.execute(
                "CREATE TABLE jy_subsidy_payment (payment_id TEXT, person_name TEXT, id_number TEXT, mobile TEXT,"
                " type_code TEXT, amount VARCHAR(20), paid_date TEXT, employer_uscc TEXT, region_code TEXT,"
                " deleted INTEGER NOT NULL DEFAULT 0, updated_at TEXT)"
            )
            db.executemany(f"INSERT INTO jy_subsidy_payment VALUES ({', '.join('?' * 11)})", payments)
        db.close()

    def describe(self) -> dict[str, Any]:
        return {"tables": ["jy_subsidy_payment", "jy_subsidy_type"], "order": "updated_at, payment_id"}


SPECS = (
    Spec(
        "rsj",
        "insured_employers",
        DB,
        SqliteTable("sb_cbdw", types={"CBRS": "INTEGER", "JFJS": "NUMERIC(14,2)"}),
        rows=500,
        make=insured_employers,
        update=employer_update,
        extra={"order": "rowid"},
        faults=(
            Fault("USCC_CHECKSUM", "uscc", 0.015),
            Fault("REQUIRED_MISSING", "unit_name", 0.006),
            Fault("ENUM_INVALID", "status", 0.006, values=("9", "注销")),
            Fault("REGION_INVALID", "region", 0.006),
            Fault("PHONE_INVALID", "phone", 0.01),
            Fault("ENUM_ALIAS", "status", 0.06),
            Fault("DATE_MIXED_FORMAT", "first_insured", 0.03),
            Fault("NULL_TOKEN", "phone", 0.02),
            Fault("FULLWIDTH", "uscc", 0.01),
            Fault("PHONE_FORMAT", "phone", 0.03),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
    Spec(
        "rsj",
        "employment_subsidy",
        DB,
        SubsidyTables(),
        rows=500,
        make=employment_subsidy,
        update=subsidy_update,
        order=lambda row: (row["updated_at"], row["payment_id"]),
        faults=(
            Fault("ID_CARD_CHECKSUM", "id_number", 0.015),
            Fault("ID_CARD_BIRTHDATE", "id_number", 0.006),
            Fault("PHONE_INVALID", "mobile", 0.01),
            Fault("REQUIRED_MISSING", "person_name", 0.006),
            Fault("DATE_INVALID", "paid_date", 0.006),
            Fault("USCC_CHECKSUM", "employer_uscc", 0.006),
            Fault("ID_CARD_LEGACY15", "id_number", 0.01),
            Fault("AMOUNT_UNIT", "amount", 0.04),
            Fault("PHONE_FORMAT", "mobile", 0.03),
            Fault("FULLWIDTH", "id_number", 0.01),
            Fault("DATE_MIXED_FORMAT", "paid_date", 0.03),
            Fault("ENUM_ALIAS", "subsidy_type", 0.04),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
)
