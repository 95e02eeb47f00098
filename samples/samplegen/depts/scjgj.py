"""台州市市场监督管理局: enterprise registry, 双公示 licences, food business licences."""

from __future__ import annotations

import datetime as dt

from ..build import Context, Row, Spec
from ..faults import Fault
from ..taizhou import (
    COUNTIES,
    TODAY,
    add_years,
    business_scope,
    organ_uscc,
    random_date,
    sole_trader,
)
from ..writers import Csv

DEPT_NAME = "台州市市场监督管理局"
DEPT_USCC = "11331000MB1C752902"

# 登记/许可机关 by county: the three districts have 分局 of the city bureau, the rest their own bureau.
AUTHORITIES = {
    code: (f"台州市市场监督管理局{short}分局" if code in ("331002", "331003", "331004") else f"{name}市场监督管理局")
    for code, (name, short, _) in COUNTIES.items()
}
AUTHORITY_USCC = {
    code: organ_uscc(code if code not in ("331002", "331003", "331004") else "331000", f"MB1D{i:04d}{i % 10}")
    for i, code in enumerate(COUNTIES, start=1201)
}
STATUS_WEIGHTS = {"存续": 80, "在业": 5, "注销": 10, "吊销": 4, "迁出": 1}


def enterprise_registry(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    rows = []
    for e in ctx.world.enterprises[:n]:
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        listed = e.kind.startswith("股份有限公司（上市")
        rows.append(
            {
                "uscc": e.uscc,
                "company_name": e.name,
                "enterprise_type": e.kind,
                "legal_rep": e.legal_rep.name,
                "legal_rep_id": e.legal_rep.id_number,
                "phone": e.phone,
                "email": e.email if rng.random() < 0.8 else None,
                "capital": e.capital,
                "founded": e.founded,
                "approved": random_date(rng, e.founded, TODAY - dt.timedelta(days=1)),
                "status": status,
                "authority": DEPT_NAME if listed else AUTHORITIES[e.county],
                "address": e.address,
                "scope": business_scope(e.industry),
                "region": e.county,
            }
        )
    return rows


def enterprise_update(ctx: Context, row: Row) -> Row:
    """A later change of the same enterprise: cancelled, or a new phone number."""
    if ctx.rng.random() < 0.5:
        row["status"] = "注销"
    else:
        row["phone"] = ctx.world.enterprises[ctx.rng.randrange(len(ctx.world.enterprises))].phone
    row["approved"] = TODAY
    return row


# (许可类别, 决定文书名称, 许可证书名称, 许可内容, weight)
LICENCES = (
    ("普通", "准予行政许可决定书", "食品经营许可证", "食品经营许可（新办）", 30),
    ("普通", "准予行政许可决定书", "食品生产许可证", "食品生产许可（延续）", 10),
    ("普通", "准予行政许可决定书", "医疗器械经营许可证", "第三类医疗器械经营许可", 6),
    ("普通", "准予行政许可决定书", "工业产品生产许可证", "工业产品生产许可（电线电缆）", 4),
    ("登记", "准予设立登记通知书", "营业执照", "企业设立登记", 25),
    ("登记", "准予变更登记通知书", "营业执照", "企业变更登记（经营范围）", 15),
    ("认可", "准予行政许可决定书", "检验检测机构资质认定证书", "检验检测机构资质认定", 2),
    ("核准", "准予行政许可决定书", "特种设备生产许可证", "特种设备安装改造修理许可", 2),
)


def _licence_no(rng, certificate: str, uscc: str, county: str, day: dt.date) -> str:
    if certificate == "营业执照":
        return uscc
    if certificate == "食品经营许可证":
        return f"JY{rng.choice('12')}{county}{rng.randrange(10**7):07d}"
    if certificate == "食品生产许可证":
        return f"SC{rng.randrange(10**14):014d}"
    if certificate == "医疗器械经营许可证":
        return f"浙台药监械经营许{day.year}{rng.randrange(1, 3000):04d}号"
    if certificate == "工业产品生产许可证":
        return f"(浙)XK06-001-{rng.randrange(10**5):05d}"
    if certificate == "检验检测机构资质认定证书":
        return f"{day:%y}1112{rng.randrange(10**6):06d}"
    return f"TS3833{rng.randrange(10**3, 10**4)}-{day.year + 4}"


def admin_license(ctx: Context, n: int) -> list[Row]:
    rng, world = ctx.rng, ctx.world
    taken: set[str] = set()
    rows = []
    for _ in range(n):
        category, doc, certificate, content, _w = rng.choices(LICENCES, weights=[x[4] for x in LICENCES])[0]
        day = random_date(rng, dt.date(2023, 1, 1), TODAY - dt.timedelta(days=1))
        if rng.random() < 0.75:
            e = world.enterprises[rng.randrange(len(world.enterprises))]
            name, subject_type, uscc, rep, county = e.name, "法人及非法人组织", e.uscc, e.legal_rep.name, e.county
        else:
            t = sole_trader(rng, taken)
            name, subject_type, uscc, rep, county = t.name, "个体工商户", t.uscc, t.owner.name, t.county
            if category == "登记":
                content = "个体工商户设立登记" if doc == "准予设立登记通知书" else "个体工商户变更登记（经营范围）"
        city_level = certificate in ("医疗器械经营许可证", "检验检测机构资质认定证书", "特种设备生产许可证")
        rows.append(
            {
                "subject_name": name,
                "subject_type": subject_type,
                "subject_uscc": uscc,
                "legal_rep": rep,
                "decision_doc": doc,
                "decision_no": county,  # numbered below, in date order
                "license_category": category,
                "certificate": certificate,
                "license_no": _licence_no(rng, certificate, uscc, county, day),
                "content": content,
                "decision_date": day,
                "valid_from": day,
                "valid_to": None if certificate == "营业执照" else add_years(day, 5) - dt.timedelta(days=1),
                "authority": DEPT_NAME if city_level else AUTHORITIES[county],
                "authority_uscc": DEPT_USCC if city_level else AUTHORITY_USCC[county],
                "status": "有效" if rng.random() < 0.95 else "无效",
                "source_unit": DEPT_NAME,
                "source_unit_uscc": DEPT_USCC,
                "remark": None if rng.random() < 0.9 else "依申请变更",
            }
        )
    rows.sort(key=lambda r: r["decision_date"])
    seq: dict[tuple[str, int], int] = {}
    for row in rows:
        year, county = row["decision_date"].year, row["decision_no"]
        if row["license_category"] == "登记":
            key = (county, year)
            seq[key] = seq.get(key, 0) + rng.randrange(1, 40)
            row["decision_no"] = f"（{COUNTIES[county][1]}市监）登字〔{year}〕第{seq[key]:06d}号"
        else:
            key = ("", year)
            seq[key] = seq.get(key, 0) + rng.randrange(1, 4)
            row["decision_no"] = f"台市监许〔{year}〕{seq[key]}号"
    return rows


def license_update(ctx: Context, row: Row) -> Row:
    row["status"] = "无效"
    row["remark"] = "许可已注销，重新报送"
    return row


FOOD_ITEMS = {
    "食品销售经营者": "预包装食品（含冷藏冷冻食品）销售；散装食品（不含冷藏冷冻食品）销售；保健食品销售",
    "餐饮服务经营者": "热食类食品制售；冷食类食品制售；自制饮品制售",
    "单位食堂": "热食类食品制售",
}
FOOD_TRADES = {
    "食品销售经营者": ("便利店", "超市", "副食品店", "水果店", "食品商行"),
    "餐饮服务经营者": ("小吃店", "餐饮店", "面馆", "早餐店", "烧烤店", "奶茶店", "饭店", "海鲜排档"),
}
FOOD_TYPE_CODES = {"食品销售经营者": "1", "餐饮服务经营者": "2", "单位食堂": "3"}


def food_business_license(ctx: Context, n: int) -> list[Row]:
    rng, world = ctx.rng, ctx.world
    taken: set[str] = set()
    rows = []
    for i in range(n):
        business_type = rng.choices(list(FOOD_ITEMS), weights=[45, 45, 10])[0]
        if business_type == "单位食堂":
            e = world.enterprises[rng.randrange(len(world.enterprises))]
            operator, uscc, rep, county, home, site = e.name, e.uscc, e.legal_rep.name, e.county, e.address, e.address
        else:
            t = sole_trader(rng, taken, FOOD_TRADES[business_type])
            operator, uscc, rep, county, home, site = t.name, t.uscc, t.owner.name, t.county, t.address, t.address
        issued = random_date(rng, dt.date(2020, 10, 1), TODAY - dt.timedelta(days=1))
        code = FOOD_TYPE_CODES[business_type]
        rows.append(
            {
                "license_no": f"JY{code}{county}{i + 1:06d}{rng.randrange(10)}",
                "operator": operator,
                "uscc": uscc,
                "legal_rep": rep,
                "domicile": home,
                "premises": site,
                "business_type": business_type,
                "items": FOOD_ITEMS[business_type],
                "issue_date": issued,
                "valid_to": add_years(issued, 5) - dt.timedelta(days=1),
                "issuer": AUTHORITIES[county],
                "supervisor": f"{AUTHORITIES[county]}{rng.choice(['城区', '开发区', '中心'])}市场监督管理所",
            }
        )
    return rows


def food_update(ctx: Context, row: Row) -> Row:
    """延续: the same licence number with a new validity."""
    row["issue_date"] = row["valid_to"] - dt.timedelta(days=ctx.rng.randrange(10, 60))
    row["valid_to"] = add_years(row["issue_date"], 5) - dt.timedelta(days=1)
    return row


# The fault mix of the registry, also used for the large benchmark files (large.py).
ENTERPRISE_FAULTS = (
    Fault("USCC_CHECKSUM", "uscc", 0.015),
    Fault("ID_CARD_CHECKSUM", "legal_rep_id", 0.01),
    Fault("ID_CARD_BIRTHDATE", "legal_rep_id", 0.005),
    Fault("DATE_INVALID", "founded", 0.01),
    Fault("ENUM_INVALID", "status", 0.005, values=("停业", "待核实")),
    Fault("REGION_INVALID", "region", 0.005),
    Fault("REQUIRED_MISSING", "company_name", 0.005),
    Fault("PHONE_INVALID", "phone", 0.01),
    Fault("USCC_PILOT", "uscc", count=2),
    Fault("ID_CARD_LEGACY15", "legal_rep_id", 0.01),
    Fault("DATE_MIXED_FORMAT", "founded", 0.04),
    Fault("FULLWIDTH", "uscc", 0.01),
    Fault("NULL_TOKEN", "email", 0.02),
    Fault("AMOUNT_UNIT", "capital", 0.05),
    Fault("PHONE_FORMAT", "phone", 0.03),
    Fault("ENUM_ALIAS", "status", 0.05),
    Fault("PK_DUPLICATE", rate=0.01),
)


SPECS = (
    Spec(
        "scjgj",
        "enterprise_registry",
        "scjgj/enterprise_registry.csv",
        Csv(encoding="utf-8"),
        rows=600,
        make=enterprise_registry,
        update=enterprise_update,
        faults=ENTERPRISE_FAULTS,
    ),
    Spec(
        "scjgj",
        "admin_license",
        "scjgj/admin_license.csv",
        Csv(encoding="utf-8"),
        rows=500,
        make=admin_license,
        update=license_update,
        faults=(
            Fault("USCC_CHECKSUM", "subject_uscc", 0.02),
            Fault("DATE_INVALID", "decision_date", 0.01),
            Fault("ENUM_INVALID", "license_category", 0.006, values=("其它", "一般")),
            Fault("REQUIRED_MISSING", "decision_no", 0.006),
            Fault("USCC_PILOT", "subject_uscc", count=1),
            Fault("DATE_MIXED_FORMAT", "valid_to", 0.03),
            Fault("FULLWIDTH", "subject_uscc", 0.02),
            Fault("NULL_TOKEN", "remark", 0.05),
            Fault("ENUM_ALIAS", "status", 0.05),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
    Spec(
        "scjgj",
        "food_business_license",
        "scjgj/food_business_license.txt",
        Csv(encoding="utf-8", delimiter="|"),
        rows=400,
        make=food_business_license,
        update=food_update,
        faults=(
            Fault("USCC_CHECKSUM", "uscc", 0.015),
            Fault("DATE_INVALID", "issue_date", 0.01),
            Fault("ENUM_INVALID", "business_type", 0.01, values=("食品生产者", "其他")),
            Fault("REQUIRED_MISSING", "operator", 0.005),
            Fault("DATE_MIXED_FORMAT", "valid_to", 0.03),
            Fault("ENUM_ALIAS", "business_type", 0.05),
            Fault("FULLWIDTH", "license_no", 0.02),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
)
