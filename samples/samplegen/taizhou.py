"""Realistic values of Taizhou (台州市): places, people, enterprises and their codes.

Every function takes a ``random.Random`` so that the samples are reproducible from one seed. The
vocabularies are also used by the vectorised large-file generator (``large.py``).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from .codes import USCC_ALPHABET, id_check, org_code_check, uscc_check

CITY_CODE = "331000"

# GB/T 2260 county-level units of Taizhou, with a weight roughly following the number of enterprises.
COUNTIES: dict[str, tuple[str, str, float]] = {
    # code: (name, short name, weight)
    "331002": ("椒江区", "椒江", 0.13),
    "331003": ("黄岩区", "黄岩", 0.11),
    "331004": ("路桥区", "路桥", 0.13),
    "331022": ("三门县", "三门", 0.05),
    "331023": ("天台县", "天台", 0.06),
    "331024": ("仙居县", "仙居", 0.05),
    "331081": ("温岭市", "温岭", 0.20),
    "331082": ("临海市", "临海", 0.14),
    "331083": ("玉环市", "玉环", 0.13),
}
REGION_CODES = tuple(COUNTIES)

# The address code an ID number carries depends on the birth year: codes are valid only while the
# county existed under that code (台州地区 3327xx until 1982, 3326xx until 1994, then 3310xx).
# Ranges follow python-stdnum's GB/T 2260 history, which ``stdnum.cn.ric`` checks.
ID_ADDRESS_HISTORY: dict[str, tuple[tuple[int, str], ...]] = {
    # county: ((first birth year, code), ...) in ascending order
    "331002": ((0, "332722"), (1981, "332701"), (1982, "332601"), (1994, "331002")),
    "331003": ((0, "332722"), (1982, "332622"), (1989, "332603"), (1994, "331003")),
    "331004": ((0, "332722"), (1982, "332622"), (1989, "332603"), (1994, "331004")),
    "331022": ((0, "332726"), (1982, "332626"), (1994, "331022")),
    "331023": ((0, "332725"), (1982, "332625"), (1994, "331023")),
    "331024": ((0, "332724"), (1982, "332624"), (1994, "331024")),
    "331081": ((0, "332723"), (1982, "332623"), (1994, "331081")),
    "331082": ((0, "332721"), (1982, "332621"), (1986, "332602"), (1994, "331082")),
    "331083": ((0, "332727"), (1982, "332627"), (1994, "331021"), (2017, "331083")),
}

# Towns/streets (街道/镇) and roads per county.
STREETS: dict[str, dict[str, tuple[str, ...]]] = {
    "331002": {
        "海门街道": ("东海大道", "解放南路", "青年路"),
        "白云街道": ("市府大道", "白云山南路", "中山西路"),
        "葭沚街道": ("葭沚路", "东环大道"),
        "洪家街道": ("洪家路", "康平路"),
        "三甲街道": ("三甲路", "海虹大道"),
        "下陈街道": ("下陈路", "开发大道"),
    },
    "331003": {
        "东城街道": ("东城开发大道", "劳动北路"),
        "西城街道": ("天长南路", "西城路"),
        "南城街道": ("环城南路", "南城大道"),
        "新前街道": ("新前路", "模具城路"),
        "江口街道": ("江口路", "黄椒路"),
        "院桥镇": ("院桥路", "中街"),
    },
    "331004": {
        "路桥街道": ("路桥大道", "银安街"),
        "路南街道": ("南官大道", "腾达路"),
        "路北街道": ("商城街", "西路桥大道"),
        "螺洋街道": ("螺洋路",),
        "桐屿街道": ("桐屿路", "凤栖路"),
        "金清镇": ("金清大道", "新金清大道"),
    },
    "331022": {
        "海游街道": ("广场路", "上洋路"),
        "沙柳街道": ("沙柳路",),
        "珠岙镇": ("珠岙路",),
        "健跳镇": ("健跳路",),
        "浦坝港镇": ("浦坝路",),
    },
    "331023": {
        "赤城街道": ("赤城路", "劳动路"),
        "始丰街道": ("始丰路", "工人西路"),
        "福溪街道": ("福溪路", "玉龙路"),
        "平桥镇": ("平桥大道",),
        "白鹤镇": ("白鹤路",),
    },
    "331024": {
        "南峰街道": ("环城南路", "南峰路"),
        "安洲街道": ("穿城北路", "城东路"),
        "福应街道": ("福应大道",),
        "白塔镇": ("白塔路",),
        "横溪镇": ("横溪路",),
    },
    "331081": {
        "太平街道": ("万昌中路", "东辉北路"),
        "城东街道": ("三星大道", "东辉南路"),
        "城西街道": ("横湖路",),
        "横峰街道": ("横峰路", "利吉路"),
        "泽国镇": ("牧北路", "文昌路"),
        "大溪镇": ("大溪大道",),
        "松门镇": ("松门大道",),
        "箬横镇": ("箬横路",),
    },
    "331082": {
        "古城街道": ("紫阳街", "回浦路"),
        "大洋街道": ("大洋路", "柏叶中路"),
        "江南街道": ("靖江南路", "望江门大道"),
        "大田街道": ("大田路",),
        "杜桥镇": ("杜桥大道", "杜川路"),
        "东塍镇": ("东塍大道",),
    },
    "331083": {
        "玉城街道": ("玉兴路", "环城西路"),
        "坎门街道": ("坎门大道",),
        "大麦屿街道": ("港区路",),
        "楚门镇": ("楚门大道", "中山路"),
        "清港镇": ("清港路",),
        "沙门镇": ("沙门路",),
    },
}

# Industries by county (the local clusters: 温岭 pumps, 玉环 valves, 黄岩 moulds, 临海 glasses ...)
# with the opening words of a 经营范围.
INDUSTRIES: dict[str, tuple[str, ...]] = {
    "331002": ("医药", "缝纫机", "机电", "汽车部件", "水产"),
    "331003": ("模具", "塑业", "模塑", "工艺品", "食品"),
    "331004": ("机电", "电器", "五金", "再生资源", "汽车配件"),
    "331022": ("橡胶", "水产", "农业开发"),
    "331023": ("汽车用品", "滤料", "橡塑"),
    "331024": ("工艺品", "医药化工", "农业开发"),
    "331081": ("泵业", "机电", "鞋业", "工量刃具", "电机"),
    "331082": ("眼镜", "休闲用品", "医化", "汽车零部件"),
    "331083": ("阀门", "水暖", "汽摩配件", "机床"),
}
GENERIC_INDUSTRIES = ("科技", "贸易", "建设工程", "物流", "网络科技", "电子商务", "装饰工程", "环保科技")
SCOPES: dict[str, str] = {
    "医药": "药品生产；原料药、医药中间体研发、制造、销售",
    "缝纫机": "缝纫机、缝纫机零配件制造、销售",
    "机电": "机电设备、电机、五金配件制造、销售",
    "汽车部件": "汽车零部件及配件制造、销售",
    "汽车配件": "汽车零部件及配件制造、销售",
    "汽车零部件": "汽车零部件及配件制造、销售",
    "汽摩配件": "汽车零部件、摩托车零配件制造、销售",
    "水产": "水产品收购、加工、销售；水产养殖",
    "模具": "模具制造、销售；塑料制品制造",
    "塑业": "塑料制品、日用塑料制品制造、销售",
    "模塑": "模具、塑料制品制造、销售",
    "工艺品": "工艺美术品及礼仪用品制造、销售",
    "食品": "食品生产；食品销售；农副产品销售",
    "电器": "家用电器、电器配件制造、销售",
    "五金": "五金产品制造、批发、零售",
    "再生资源": "再生资源回收、加工、销售",
    "橡胶": "橡胶制品制造、销售",
    "农业开发": "农作物种植；水果种植；农产品初加工、销售",
    "汽车用品": "汽车装饰用品、汽车坐垫、脚垫制造、销售",
    "滤料": "过滤材料、环保设备制造、销售",
    "橡塑": "橡胶制品、塑料制品制造、销售",
    "医药化工": "医药中间体（不含危险化学品）制造、销售",
    "泵业": "泵及真空设备、电机制造、销售",
    "鞋业": "鞋、服装、箱包制造、销售",
    "工量刃具": "金属切削工具、量具制造、销售",
    "电机": "电动机、发电机及发电机组制造、销售",
    "眼镜": "眼镜、眼镜配件制造、销售",
    "休闲用品": "户外休闲用品、家具制造、销售",
    "医化": "化工产品（不含危险化学品）、医药中间体制造、销售",
    "阀门": "阀门、管件、水暖器材制造、销售",
    "水暖": "水暖管道零件、卫生洁具制造、销售",
    "机床": "机床、数控机床及配件制造、销售",
    "科技": "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广",
    "贸易": "日用百货、五金产品、建筑材料批发、零售",
    "建设工程": "房屋建筑工程、市政公用工程施工",
    "物流": "普通货物仓储服务；国内货物运输代理；道路货物运输",
    "网络科技": "软件开发；信息系统集成服务；互联网销售",
    "电子商务": "互联网销售；日用百货、服装销售",
    "装饰工程": "住宅室内装饰装修；建筑装饰材料销售",
    "环保科技": "环保技术开发、咨询；环境保护专用设备销售",
}
SCOPE_TAIL = "；货物进出口、技术进出口。（依法须经批准的项目，经相关部门批准后方可开展经营活动）"

SHOP_FIRST = "永宏恒金华鑫瑞德盛泰嘉隆锦信达兴正海东新博源丰凯越弘天万开创"
SHOP_SECOND = "信达盛发源泰丰隆昌祥利宇通远鸿辉成诚茂升达宝洋汇峰帆"

# Surnames common in Taizhou (陈 and 王 lead), with pinyin for e-mail addresses.
SURNAMES: tuple[tuple[str, str, int], ...] = (
    ("陈", "chen", 60), ("王", "wang", 40), ("林", "lin", 30), ("李", "li", 25), ("张", "zhang", 22),
    ("黄", "huang", 18), ("郑", "zheng", 16), ("周", "zhou", 14), ("叶", "ye", 14), ("徐", "xu", 12),
    ("金", "jin", 12), ("杨", "yang", 10), ("应", "ying", 9), ("蒋", "jiang", 8), ("梁", "liang", 8),
    ("卢", "lu", 8), ("吴", "wu", 8), ("赵", "zhao", 6), ("朱", "zhu", 6), ("胡", "hu", 6),
    ("何", "he", 5), ("郭", "guo", 5), ("潘", "pan", 5), ("罗", "luo", 4), ("许", "xu", 4),
    ("戴", "dai", 4), ("章", "zhang", 4), ("牟", "mou", 3), ("陶", "tao", 3), ("项", "xiang", 3),
    ("蔡", "cai", 3), ("管", "guan", 2), ("泮", "pan", 2), ("屈", "qu", 2), ("柯", "ke", 2),
    ("毛", "mao", 2), ("孙", "sun", 2), ("马", "ma", 2), ("丁", "ding", 2), ("邵", "shao", 2),
)  # fmt: skip
GIVEN_MALE = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("斌", "bin"), ("辉", "hui"), ("刚", "gang"),
    ("健", "jian"), ("峰", "feng"), ("波", "bo"), ("华", "hua"), ("平", "ping"), ("建", "jian"),
    ("国", "guo"), ("志", "zhi"), ("文", "wen"), ("海", "hai"), ("东", "dong"), ("宇", "yu"),
    ("浩", "hao"), ("鹏", "peng"), ("俊", "jun"), ("凯", "kai"), ("晨", "chen"), ("永", "yong"),
)  # fmt: skip
GIVEN_FEMALE = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("燕", "yan"), ("玲", "ling"), ("婷", "ting"), ("雪", "xue"),
    ("慧", "hui"), ("萍", "ping"), ("红", "hong"), ("琴", "qin"), ("云", "yun"), ("洁", "jie"),
    ("颖", "ying"), ("倩", "qian"), ("佳", "jia"), ("欣", "xin"), ("怡", "yi"), ("素", "su"),
)  # fmt: skip
# Characters outside GBK (in GB 18030 only): a few people have them in their names.
RARE_GIVEN = (("䶮", "yan"), ("㛃", "jie"))

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "173", "176", "177", "178", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "193", "195", "198", "199",
)  # fmt: skip
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "139.com", "sina.com")

TODAY = dt.date(2025, 11, 20)  # the samples' "now": fixed so that every run writes the same files


def weighted_county(rng: random.Random) -> str:
    return rng.choices(REGION_CODES, weights=[c[2] for c in COUNTIES.values()])[0]


def county_name(code: str) -> str:
    return COUNTIES[code][0]


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def random_datetime(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    day = random_date(rng, start, end)
    return dt.datetime(day.year, day.month, day.day, rng.randrange(7, 22), rng.randrange(60), rng.randrange(60))


# ---- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    pinyin: str
    male: bool
    birth: dt.date
    id_number: str
    county: str


def id_address_code(county: str, birth_year: int) -> str:
    """The address code an ID number of someone born in ``county`` in ``birth_year`` carries."""
    code = ID_ADDRESS_HISTORY[county][0][1]
    for first_year, candidate in ID_ADDRESS_HISTORY[county]:
        if birth_year >= first_year:
            code = candidate
    return code


def id_number(rng: random.Random, county: str, birth: dt.date, male: bool) -> str:
    """An 18-digit 公民身份号码 with a correct GB 11643 check digit; the 17th digit's parity is the sex."""
    seq = rng.randrange(0, 100) * 10 + rng.randrange(1 if male else 0, 10, 2)
    first17 = f"{id_address_code(county, birth.year)}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check(first17)


def person_name(rng: random.Random, male: bool, rare: float = 0.0) -> tuple[str, str]:
    surnames = [s for s in SURNAMES]
    surname, sur_py, _ = rng.choices(surnames, weights=[s[2] for s in surnames])[0]
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    chars = [rng.choice(pool) for _ in range(1 if rng.random() < 0.3 else 2)]
    if rare and rng.random() < rare:
        chars[-1] = rng.choice(RARE_GIVEN)
    return surname + "".join(c for c, _ in chars), sur_py + "".join(p for _, p in chars)


def person(
    rng: random.Random,
    born_from: int = 1955,
    born_to: int = 2000,
    county: str | None = None,
    rare: float = 0.0,
    male_share: float = 0.62,
) -> Person:
    """Someone born in ``born_from``..``born_to``, mostly in ``county``; ``rare``: the share of names
    with a character outside GBK."""
    male = rng.random() < male_share
    name, pinyin = person_name(rng, male, rare)
    birth = random_date(rng, dt.date(born_from, 1, 1), dt.date(born_to, 12, 31))
    home = county if county and rng.random() < 0.85 else weighted_county(rng)
    return Person(name, pinyin, male, birth, id_number(rng, home, birth, male), home)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    return f"0576-8{rng.randrange(10**7):07d}"


def email(rng: random.Random, pinyin: str, birth_year: int | None = None) -> str:
    kind = rng.random()
    if kind < 0.45:
        return f"{rng.randrange(10**5, 4 * 10**9)}@qq.com"
    suffix = str(birth_year) if birth_year and rng.random() < 0.5 else str(rng.randrange(10, 1000))
    return f"{pinyin}{suffix}@{rng.choice(MAIL_DOMAINS[1:])}"


def address(rng: random.Random, county: str, detail: bool = True, town: str | None = None) -> str:
    town = town or rng.choice(list(STREETS[county]))
    road = rng.choice(STREETS[county][town])
    text = f"浙江省台州市{county_name(county)}{town}{road}{rng.randrange(1, 999)}号"
    if detail and rng.random() < 0.3:
        text += f"{rng.randrange(1, 12)}幢{rng.randrange(1, 25)}{rng.randrange(1, 6):02d}室"
    return text


# ---- codes ------------------------------------------------------------------------------------


def uscc_code(rng: random.Random, registry: str, county: str, issued: dt.date, taken: set[str]) -> str:
    """A 统一社会信用代码: registry+type (e.g. ``91`` enterprise, ``92`` 个体工商户, ``12`` 事业单位),
    region, 主体标识码 (the old 组织机构代码 before 2016, ``MA`` codes after), GB 32100 check."""
    while True:
        if issued.year >= 2016 or registry == "92":
            subject = "MA2" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
        else:
            first8 = f"{rng.choice('1234567'):s}{rng.randrange(10**7):07d}"
            subject = first8 + org_code_check(first8)
        first17 = f"{registry}{county}{subject}"
        code = first17 + uscc_check(first17)
        if code not in taken:
            taken.add(code)
            return code


def amount(rng: random.Random, choices: tuple[int, ...], odd: float = 0.1, places: int = 4) -> Decimal:
    """A round amount most of the time, now and then an odd one with decimals."""
    if rng.random() < odd:
        return Decimal(rng.randrange(10 ** (places + 1), 10 ** (places + 4))).scaleb(-places).normalize()
    return Decimal(rng.choice(choices))


# ---- enterprises ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    name: str
    kind: str  # 企业类型
    county: str
    industry: str
    legal_rep: Person
    founded: dt.date
    capital: Decimal  # 万元
    address: str
    phone: str
    email: str


ENTERPRISE_FORMS = (
    # (name suffix, 企业类型, weight)
    ("有限公司", "有限责任公司（自然人投资或控股）", 60),
    ("有限公司", "有限责任公司（自然人独资）", 18),
    ("有限公司", "有限责任公司（非自然人投资或控股的法人独资）", 4),
    ("股份有限公司", "股份有限公司（非上市、自然人投资或控股）", 5),
    ("股份有限公司", "股份有限公司（上市、自然人投资或控股）", 1),
    ("商行", "个人独资企业", 6),
    ("投资合伙企业（有限合伙）", "有限合伙企业", 3),
    ("有限公司分公司", "有限责任公司分公司（自然人投资或控股）", 3),
)


def enterprise_name(rng: random.Random, county: str, industry: str, suffix: str) -> str:
    shop = rng.choice(SHOP_FIRST) + rng.choice(SHOP_SECOND)
    if suffix == "投资合伙企业（有限合伙）":
        return f"台州{shop}{suffix}"
    if suffix == "有限公司分公司":
        return f"浙江{shop}{industry}有限公司{COUNTIES[county][1]}分公司"
    prefix = rng.choice(
        [f"台州市{COUNTIES[county][1]}", county_name(county), "台州", "浙江"]
        if county in ("331002", "331003", "331004")
        else [county_name(county), COUNTIES[county][1], "台州", "浙江"]
    )
    return f"{prefix}{shop}{industry}{suffix}"


def enterprise(rng: random.Random, taken: set[str]) -> Enterprise:
    county = weighted_county(rng)
    industry = rng.choice(INDUSTRIES[county] if rng.random() < 0.7 else GENERIC_INDUSTRIES)
    suffix, kind, _ = rng.choices(ENTERPRISE_FORMS, weights=[f[2] for f in ENTERPRISE_FORMS])[0]
    founded = random_date(rng, dt.date(1993, 1, 1), TODAY - dt.timedelta(days=30))
    rep = person(rng, 1950, 1998, county)
    capital = amount(rng, (3, 10, 30, 50, 100, 100, 200, 300, 500, 500, 800, 1000, 1000, 2000, 3000, 5000, 10000))
    return Enterprise(
        uscc=uscc_code(rng, "91", county, founded, taken),
        name=enterprise_name(rng, county, industry, suffix),
        kind=kind,
        county=county,
        industry=industry,
        legal_rep=rep,
        founded=founded,
        capital=capital,
        address=address(rng, county),
        phone=mobile(rng) if rng.random() < 0.7 else landline(rng),
        email=email(rng, rep.pinyin, rep.birth.year),
    )


def business_scope(industry: str) -> str:
    return SCOPES[industry] + SCOPE_TAIL


# ---- 个体工商户 and public bodies ----------------------------------------------------------------

SOLE_TRADES = (
    "小吃店", "便利店", "副食品店", "餐饮店", "面馆", "水果店", "超市", "海鲜排档", "早餐店",
    "烧烤店", "奶茶店", "五金店", "理发店", "饭店", "食品商行",
)  # fmt: skip


@dataclass(frozen=True)
class SoleTrader:
    """个体工商户: registered under a USCC starting with ``92``, run by one person."""

    uscc: str
    name: str
    trade: str
    county: str
    owner: Person
    address: str
    founded: dt.date


def sole_trader(rng: random.Random, taken: set[str], trades: tuple[str, ...] = SOLE_TRADES) -> SoleTrader:
    county = weighted_county(rng)
    trade = rng.choice(trades)
    owner = person(rng, 1958, 2002, county)
    brand = rng.choice([owner.name[1:] or owner.name, rng.choice(SHOP_FIRST) + rng.choice(SHOP_SECOND)])
    town = rng.choice(list(STREETS[county]))
    name = (
        f"{county_name(county)}{town}{brand}{trade}" if rng.random() < 0.4 else f"{county_name(county)}{brand}{trade}"
    )
    founded = random_date(rng, dt.date(2008, 1, 1), TODAY - dt.timedelta(days=30))
    return SoleTrader(
        uscc=uscc_code(rng, "92", county, founded, taken),
        name=name,
        trade=trade,
        county=county,
        owner=owner,
        address=address(rng, county, detail=False, town=town),
        founded=founded,
    )


def organ_uscc(region: str, subject: str, registry: str = "11") -> str:
    """The USCC of a public body (``11`` 机关, ``12`` 事业单位) with a correct check character."""
    first17 = f"{registry}{region}{subject}"
    return first17 + uscc_check(first17)
