"""台州市综合行政执法局: 双公示 penalties (GBK, pinyin columns) and complaint tickets (GB 18030)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..build import Context, Row, Spec
from ..faults import Fault
from ..taizhou import (
    COUNTIES,
    STREETS,
    TODAY,
    add_years,
    address,
    mobile,
    organ_uscc,
    person,
    random_date,
    random_datetime,
    sole_trader,
)
from ..writers import Csv

DEPT_NAME = "台州市综合行政执法局"
DEPT_USCC = "11331000MB1D13867C"
BUREAUS = {
    code: (f"台州市{name}综合行政执法局" if name.endswith("区") else f"{name}综合行政执法局", short)
    for code, (name, short, _) in COUNTIES.items()
}
BUREAU_USCC = {code: organ_uscc(code, f"MB1D{i:04d}{i % 7}") for i, code in enumerate(COUNTIES, start=3301)}

# (违法行为类型, 事实, 依据, 处罚类别, 罚款区间 (元), 没收, weight)
VIOLATIONS = (
    ("擅自占用城市道路", "未经批准擅自占用城市道路摆放经营物品",
     "《城市道路管理条例》第二十七条第（五）项、第四十二条", "罚款", (200, 2000), False, 30),
    ("擅自设置户外广告", "未经批准擅自设置大型户外广告牌",
     "《浙江省城市市容和环境卫生管理条例》第十五条、第四十三条", "罚款", (1000, 10000), False, 12),
    ("未按规定处置建筑垃圾", "未按规定核准的时间、路线处置建筑垃圾",
     "《城市建筑垃圾管理规定》第二十六条", "罚款", (5000, 30000), False, 10),
    ("运输车辆泄漏遗撒", "运输渣土车辆未采取密闭措施，造成泄漏遗撒",
     "《浙江省城市市容和环境卫生管理条例》第三十条、第四十七条", "罚款", (1000, 5000), False, 10),
    ("违法建设", "未取得建设工程规划许可证擅自搭建建筑物",
     "《中华人民共和国城乡规划法》第四十条、第六十四条", "罚款", (10000, 100000), False, 8),
    ("餐饮油烟直排", "排放油烟的餐饮服务业经营者未安装油烟净化设施",
     "《中华人民共和国大气污染防治法》第八十一条、第一百一十八条", "罚款", (5000, 50000), False, 10),
    ("夜间施工噪声污染", "未经批准在噪声敏感建筑物集中区域夜间进行产生噪声的建筑施工作业",
     "《中华人民共和国噪声污染防治法》第四十三条、第七十七条", "罚款", (10000, 50000), False, 6),
    ("擅自砍伐城市树木", "未经批准擅自砍伐城市树木",
     "《城市绿化条例》第二十条、第二十六条", "罚款", (2000, 20000), False, 4),
    ("未分类投放生活垃圾", "未按规定分类投放生活垃圾，经劝告拒不改正",
     "《浙江省生活垃圾管理条例》第二十一条、第六十一条", "警告", (0, 0), False, 6),
    ("无证经营户外摊点", "未取得许可在城市道路设置户外摊点经营",
     "《浙江省城市管理相对集中行政处罚权条例》第二十条", "没收违法所得、没收非法财物", (0, 0), True, 4),
)  # fmt: skip


def _wan(yuan: int) -> Decimal:
    return (Decimal(yuan) / 10000).normalize()


def admin_penalty(ctx: Context, n: int) -> list[Row]:
    rng, world = ctx.rng, ctx.world
    taken: set[str] = set()
    rows = []
    for _ in range(n):
        kind, fact, basis, ptype, (low, high), confiscate, _w = rng.choices(
            VIOLATIONS, weights=[v[6] for v in VIOLATIONS]
        )[0]
        day = random_date(rng, dt.date(2023, 1, 1), TODAY - dt.timedelta(days=3))
        if rng.random() < 0.55:
            e = world.enterprises[rng.randrange(len(world.enterprises))]
            name, stype, uscc, rep, county = e.name, "法人及非法人组织", e.uscc, e.legal_rep, e.county
        else:
            t = sole_trader(rng, taken)
            name, stype, uscc, rep, county = t.name, "个体工商户", t.uscc, t.owner, t.county
        fine_yuan = rng.randrange(low // 100, high // 100 + 1) * 100 if high else 0
        seized = rng.randrange(2, 120) * 50 if confiscate else 0
        content = {"罚款": f"罚款人民币{fine_yuan}元", "警告": "警告"}.get(ptype, f"没收违法所得人民币{seized}元")
        if kind == "违法建设":
            content = f"责令限期拆除，并处罚款人民币{fine_yuan}元"
        where = address(rng, county, detail=False)
        bureau, short = BUREAUS[county]
        rows.append(
            {
                "decision_no": short,  # numbered below, in date order
                "subject_name": name,
                "subject_type": stype,
                "subject_uscc": uscc,
                "legal_rep": rep.name,
                "legal_rep_id_type": "身份证",
                "legal_rep_id": rep.id_number,
                "violation": kind,
                "facts": f"当事人于{day.year}年{day.month}月{day.day}日在{where[6:]}{fact}。",
                "basis": basis,
                "penalty_type": ptype,
                "penalty_content": content,
                "fine": _wan(fine_yuan) if fine_yuan else None,
                "confiscated": _wan(seized) if seized else None,
                "decision_date": day,
                "valid_until": add_years(day, 3) if fine_yuan else None,
                "publicity_until": add_years(day, 1 if ptype == "警告" else 3),
                "authority": bureau,
                "authority_uscc": BUREAU_USCC[county],
                "source_unit": DEPT_NAME,
                "source_unit_uscc": DEPT_USCC,
                "remark": None,
            }
        )
    rows.sort(key=lambda r: r["decision_date"])
    seq: dict[tuple[str, int], int] = {}
    for row in rows:
        key = (row["decision_no"], row["decision_date"].year)
        seq[key] = seq.get(key, 0) + rng.randrange(1, 5)
        row["decision_no"] = f"台{key[0]}综执罚决字〔{key[1]}〕第{seq[key]:05d}号"
    return rows


def penalty_update(ctx: Context, row: Row) -> Row:
    row["remark"] = "更正当事人信息后重新报送"
    return row


# ---- complaints -------------------------------------------------------------------------------

COMPLAINTS = {
    "占道经营": "附近有流动摊贩长期占道经营，影响行人通行，请求处理。",
    "违章搭建": "有住户在楼顶违章搭建彩钢棚，存在安全隐患，请核实处理。",
    "噪声扰民": "工地夜间施工噪声很大，严重影响周边居民休息。",
    "渣土抛洒": "渣土车运输过程中沿路抛洒，路面脏乱，请加强管理。",
    "户外广告": "店铺门口设置的广告牌破损松动，大风天气存在坠落风险。",
    "市容环境": "路边垃圾堆放多日无人清理，气味难闻。",
    "油烟扰民": "楼下餐饮店油烟直排，居民无法开窗，请求整治。",
    "其他": "共享单车乱停放堵塞人行道，请协调清理。",
}
CHANNELS = {"12345热线": 55, "浙里办": 20, "微信公众号": 12, "市长信箱": 5, "现场投诉": 8}


def citizen_complaints(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    rows = []
    for _ in range(n):
        county = rng.choice(list(COUNTIES))
        received = random_datetime(rng, dt.date(2025, 8, 1), TODAY - dt.timedelta(days=1))
        category = rng.choice(list(COMPLAINTS))
        town = rng.choice(list(STREETS[county]))
        road = rng.choice(STREETS[county][town])
        state = rng.choices(["已办结", "办理中", "已退回"], weights=[80, 15, 5])[0]
        closed = received + dt.timedelta(hours=rng.randrange(2, 240)) if state != "办理中" else None
        anonymous = rng.random() < 0.1
        rows.append(
            {
                "ticket_no": "",  # numbered below, in time order
                "received_at": received,
                "channel": rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0],
                "category": category,
                "complainant": None if anonymous else person(rng, 1950, 2005, county, rare=0.012).name,
                "phone": mobile(rng),
                "location": f"{COUNTIES[county][0]}{town}{road}{rng.randrange(1, 600)}号附近",
                "region": county,
                "content": f"{road}{COMPLAINTS[category]}",
                "handler": f"{BUREAUS[county][0]}{town}中队",
                "closed_at": closed,
                "state": state,
                "satisfaction": rng.choices(["满意", "基本满意", "不满意", None], weights=[55, 20, 8, 17])[0]
                if state == "已办结"
                else None,
            }
        )
    rows.sort(key=lambda r: r["received_at"])
    for i, row in enumerate(rows, start=1):
        row["ticket_no"] = f"GD{row['received_at']:%Y%m%d}{i:05d}"
    return rows


def complaint_update(ctx: Context, row: Row) -> Row:
    """The ticket sent again once handled."""
    row["state"] = "已办结"
    row["closed_at"] = row["received_at"] + dt.timedelta(hours=ctx.rng.randrange(24, 300))
    row["satisfaction"] = "满意"
    return row


SPECS = (
    Spec(
        "zhzfj",
        "admin_penalty",
        "zhzfj/admin_penalty.csv",
        Csv(encoding="gbk", newline="\r\n"),
        rows=500,
        make=admin_penalty,
        update=penalty_update,
        faults=(
            Fault("USCC_CHECKSUM", "subject_uscc", 0.02),
            Fault("ID_CARD_CHECKSUM", "legal_rep_id", 0.015),
            Fault("DATE_INVALID", "decision_date", 0.01),
            Fault("ENUM_INVALID", "penalty_type", 0.006, values=("处罚", "罚没")),
            Fault("ID_CARD_LEGACY15", "legal_rep_id", 0.01),
            Fault("AMOUNT_UNIT", "fine", 0.04),
            Fault("DATE_MIXED_FORMAT", "decision_date", 0.03),
            Fault("NULL_TOKEN", "confiscated", 0.03),
            Fault("FULLWIDTH", "subject_uscc", 0.01),
            Fault("ENUM_ALIAS", "subject_type", 0.05),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
    Spec(
        "zhzfj",
        "citizen_complaints",
        "zhzfj/citizen_complaints.csv",
        Csv(encoding="gb18030", newline="\r\n"),
        rows=600,
        make=citizen_complaints,
        update=complaint_update,
        faults=(
            Fault("DATE_INVALID", "received_at", 0.01),
            Fault("PHONE_INVALID", "phone", 0.015),
            Fault("ENUM_INVALID", "category", 0.01, values=("城管类", "综合")),
            Fault("REGION_INVALID", "region", 0.01),
            Fault("REQUIRED_MISSING", "content", 0.005),
            Fault("DATE_MIXED_FORMAT", "received_at", 0.03),
            Fault("PHONE_FORMAT", "phone", 0.04),
            Fault("NULL_TOKEN", "closed_at", 0.03),
            Fault("ENUM_ALIAS", "state", 0.04),
            Fault("PK_DUPLICATE", rate=0.015),
        ),
    ),
)
