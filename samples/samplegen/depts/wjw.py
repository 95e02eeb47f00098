"""台州市卫生健康委员会: two Excel workbooks.

``medical_institutions.xlsx`` is laid out as people make it: a merged title row above the header, a
序号 column, and a 合计 row at the bottom that is not a data record. Dates are date cells, except
where a fault left an Excel serial number or text.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ..build import Context, Row, Spec
from ..codes import org_code_check
from ..faults import Fault
from ..taizhou import (
    COUNTIES,
    SHOP_FIRST,
    SHOP_SECOND,
    STREETS,
    TODAY,
    add_years,
    address,
    email,
    landline,
    mobile,
    organ_uscc,
    person,
    random_date,
    uscc_code,
    weighted_county,
)
from ..writers import Excel, Table

# 机构类别: (category code in the 登记号, range of 核定床位数)
KINDS = {
    "综合医院": ("A1", (250, 1200)),
    "中医医院": ("A2", (120, 600)),
    "专科医院": ("A5", (30, 300)),
    "妇幼保健院": ("B1", (80, 400)),
    "社区卫生服务中心": ("D1", (0, 60)),
    "乡镇卫生院": ("E1", (10, 80)),
    "门诊部": ("F1", (0, 10)),
    "诊所": ("G1", (0, 0)),
    "村卫生室": ("J1", (0, 0)),
}
SPECIALTIES = ("眼科医院", "口腔医院", "骨科医院", "康复医院", "精神专科医院")
CLINICS = ("口腔门诊部", "中医门诊部", "综合门诊部", "医疗美容门诊部")


@dataclass(frozen=True)
class Institution:
    name: str
    category: str
    ownership: str
    grade: str | None
    county: str
    town: str


def _institutions(rng: random.Random) -> list[Institution]:
    """Every county's public hospitals and primary care, then private hospitals and clinics."""
    out: list[Institution] = []
    for code, (name, _short, _w) in COUNTIES.items():
        towns = list(STREETS[code])
        out.append(
            Institution(f"{name}人民医院", "综合医院", "非营利性", rng.choice(["三级乙等", "二级甲等"]), code, towns[0])
        )
        out.append(Institution(f"{name}中医院", "中医医院", "非营利性", "二级甲等", code, towns[0]))
        out.append(
            Institution(
                f"{name}妇幼保健院", "妇幼保健院", "非营利性", rng.choice(["二级甲等", "二级乙等"]), code, towns[0]
            )
        )
        for town in towns:
            kind = "社区卫生服务中心" if town.endswith("街道") else "乡镇卫生院"
            title = f"{name}{town}{'社区卫生服务中心' if kind == '社区卫生服务中心' else '卫生院'}"
            out.append(Institution(title, kind, "非营利性", "一级", code, town))
    brands = [a + b for a in SHOP_FIRST for b in SHOP_SECOND]
    rng.shuffle(brands)
    while len(out) < 320:
        code = weighted_county(rng)
        name = COUNTIES[code][0]
        town = rng.choice(list(STREETS[code]))
        brand = brands.pop()
        draw = rng.random()
        if draw < 0.08:
            out.append(
                Institution(
                    f"台州{brand}{rng.choice(SPECIALTIES)}",
                    "专科医院",
                    "营利性",
                    rng.choice(["二级乙等", "未定级"]),
                    code,
                    town,
                )
            )
        elif draw < 0.25:
            out.append(Institution(f"{name}{brand}{rng.choice(CLINICS)}", "门诊部", "营利性", None, code, town))
        elif draw < 0.75:
            out.append(Institution(f"{name}{brand}诊所", "诊所", "营利性", None, code, town))
        else:
            village = rng.choice(SHOP_FIRST) + rng.choice("岙桥村洋头塘")
            out.append(Institution(f"{name}{town}{village}村卫生室", "村卫生室", "非营利性", None, code, town))
    return out


def institutions(ctx: Context) -> list[Institution]:
    return ctx.world.pool("wjw/institutions", _institutions)


def medical_institutions(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    taken: set[str] = set()
    rows = []
    for seq, inst in enumerate(institutions(ctx)[:n], start=1):
        code, (low, high) = KINDS[inst.category]
        public = inst.ownership == "非营利性"
        issued = random_date(rng, dt.date(2020, 1, 1), TODAY - dt.timedelta(days=20))
        if public:
            first8 = f"4{rng.randrange(10**7):07d}"
            uscc = organ_uscc(inst.county, first8 + org_code_check(first8), registry="12")
        else:
            uscc = uscc_code(rng, "92" if inst.category == "诊所" else "91", inst.county, issued, taken)
        beds = rng.randrange(low, high + 1) if high else 0
        rows.append(
            {
                "seq": seq,
                "institution_name": inst.name,
                "registration_no": f"{uscc[8:17]}{inst.county}{'11' if public else '41'}{code}{seq:03d}",
                "uscc": uscc,
                "category": inst.category,
                "ownership": inst.ownership,
                "grade": inst.grade,
                "legal_rep": person(rng, 1960, 1990, inst.county).name,
                "address": address(rng, inst.county, detail=False, town=inst.town),
                "region": inst.county,
                "beds": beds,
                "staff": int(beds * rng.uniform(1.1, 1.6)) + rng.randrange(2, 30),
                "phone": landline(rng) if inst.category != "村卫生室" or rng.random() < 0.5 else None,
                "issue_date": issued,
                "valid_to": add_years(issued, 5) - dt.timedelta(days=1) if inst.category != "诊所" else None,
            }
        )
    return rows


def institution_total(table: Table) -> list:
    """The 合计 row under the data: sums of beds and staff."""
    names = [f.name for f in table.resource.fields]
    total = ["合计"] + [None] * (len(names) - 1)
    for name in ("beds", "staff"):
        total[names.index(name)] = sum(r[name] or 0 for r in table.rows)
    return total


def institution_update(ctx: Context, row: Row) -> Row:
    row["beds"] = row["beds"] + ctx.rng.randrange(0, 20) if row["beds"] else row["beds"]
    row["issue_date"] = TODAY - dt.timedelta(days=ctx.rng.randrange(1, 15))
    return row


# ---- physicians -------------------------------------------------------------------------------

LEVEL_CODES = {"执业医师": "1", "执业助理医师": "2"}
CATEGORY_CODES = {"临床": "10", "中医": "20", "口腔": "30", "公共卫生": "40"}
SCOPES = {
    "临床": (
        "内科专业",
        "外科专业",
        "妇产科专业",
        "儿科专业",
        "急救医学专业",
        "医学影像和放射治疗专业",
        "全科医学专业",
    ),
    "中医": ("中医专业", "中西医结合专业", "针灸推拿专业"),
    "口腔": ("口腔专业",),
    "公共卫生": ("公共卫生类别专业",),
}


def licensed_physicians(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    workplaces = [i for i in institutions(ctx) if i.category != "村卫生室"]
    rows = []
    for i in range(n):
        place = rng.choice(workplaces)
        who = person(rng, 1962, 1999, place.county, male_share=0.5)
        category = "中医" if place.category == "中医医院" and rng.random() < 0.7 else None
        category = category or rng.choices(list(CATEGORY_CODES), weights=[70, 15, 10, 5])[0]
        level = "执业医师" if rng.random() < 0.85 else "执业助理医师"
        registered = random_date(rng, max(dt.date(2005, 1, 1), add_years(who.birth, 24)), TODAY - dt.timedelta(days=5))
        rows.append(
            {
                "name": who.name,
                "sex": "男" if who.male else "女",
                "id_number": who.id_number,
                "certificate_no": f"{LEVEL_CODES[level]}{CATEGORY_CODES[category]}{place.county}{i + 1:06d}",
                "physician_level": level,
                "practice_category": category,
                "practice_scope": rng.choice(SCOPES[category]),
                "institution": place.name,
                "registered": registered,
                "mobile": mobile(rng),
                "email": email(rng, who.pinyin, who.birth.year) if rng.random() < 0.7 else None,
                "region": place.county,
            }
        )
    return rows


def physician_update(ctx: Context, row: Row) -> Row:
    """变更注册: a new main workplace."""
    row["institution"] = ctx.rng.choice([i for i in institutions(ctx) if i.county == row["region"]]).name
    row["registered"] = TODAY - dt.timedelta(days=ctx.rng.randrange(1, 30))
    return row


SPECS = (
    Spec(
        "wjw",
        "medical_institutions",
        "wjw/medical_institutions.xlsx",
        Excel(
            sheet="医疗机构",
            title_rows=("台州市医疗机构基本信息表（截至2025年10月31日）",),
            footer=institution_total,
            creator="台州市卫生健康委员会",
        ),
        rows=300,
        make=medical_institutions,
        update=institution_update,
        faults=(
            Fault("USCC_CHECKSUM", "uscc", 0.015),
            Fault("ENUM_INVALID", "category", 0.01, values=("医院", "卫生所")),
            Fault("DATE_INVALID", "issue_date", 0.01),
            Fault("REGION_INVALID", "region", 0.01),
            Fault("REQUIRED_MISSING", "category", 0.007),
            Fault("DATE_MIXED_FORMAT", "issue_date", 0.05),
            Fault("ENUM_ALIAS", "grade", 0.05),
            Fault("FULLWIDTH", "uscc", 0.01),
            Fault("NULL_TOKEN", "phone", 0.02),
            Fault("PHONE_FORMAT", "phone", 0.03),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
    Spec(
        "wjw",
        "licensed_physicians",
        "wjw/licensed_physicians.xlsx",
        Excel(sheet="医师注册", creator="台州市卫生健康委员会"),
        rows=600,
        make=licensed_physicians,
        update=physician_update,
        faults=(
            Fault("ID_CARD_CHECKSUM", "id_number", 0.015),
            Fault("ID_CARD_BIRTHDATE", "id_number", 0.005),
            Fault("ENUM_INVALID", "practice_category", 0.005, values=("西医", "全科")),
            Fault("PHONE_INVALID", "mobile", 0.01),
            Fault("DATE_INVALID", "registered", 0.005),
            Fault("ID_CARD_LEGACY15", "id_number", 0.008),
            Fault("DATE_MIXED_FORMAT", "registered", 0.04),
            Fault("FULLWIDTH", "id_number", 0.01),
            Fault("PHONE_FORMAT", "mobile", 0.03),
            Fault("ENUM_ALIAS", "practice_category", 0.05),
            Fault("NULL_TOKEN", "email", 0.03),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
)
