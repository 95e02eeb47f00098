"""台州市气象局: hourly station observations and warning signals, served by ``api_server.py``.

The records use the element codes of the CMA data interfaces (``Station_Id_C``, ``TEM``,
``PRE_1h`` ...). Regional stations have no pressure or visibility sensor: those values are null.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from ..build import Context, Row, Spec
from ..faults import Fault
from ..taizhou import CITY_CODE, COUNTIES, random_datetime
from ..writers import JsonApi

# (区站号, 站名, county, national station with pressure and visibility)
STATIONS = (
    ("58665", "洪家", "331002", True), ("58666", "大陈", "331002", True),
    ("K8201", "椒江前所", "331002", False), ("K8202", "椒江三甲", "331002", False),
    ("K8211", "黄岩北洋", "331003", False), ("K8212", "黄岩院桥", "331003", False),
    ("K8221", "路桥金清", "331004", False), ("K8222", "路桥桐屿", "331004", False),
    ("K8231", "临海括苍山", "331082", True), ("K8232", "临海杜桥", "331082", False),
    ("K8233", "临海东塍", "331082", False), ("K8241", "温岭石塘", "331081", True),
    ("K8242", "温岭泽国", "331081", False), ("K8243", "温岭松门", "331081", False),
    ("K8251", "玉环坎门", "331083", True), ("K8252", "玉环楚门", "331083", False),
    ("K8261", "三门健跳", "331022", False), ("K8262", "三门海游", "331022", True),
    ("K8271", "天台华顶山", "331023", True), ("K8272", "天台平桥", "331023", False),
    ("K8281", "仙居白塔", "331024", False), ("K8282", "仙居安洲", "331024", True),
    ("K8291", "黄岩长潭", "331003", False), ("K8292", "仙居横溪", "331024", False),
)  # fmt: skip
FIRST_HOUR = dt.datetime(2025, 11, 19, 9, 0)
HIGH = {"K8231": 1300, "K8271": 1100}  # 括苍山, 华顶山: mountain stations, colder and windier


def weather_observations(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    rows = []
    for hour in range(math.ceil(n / len(STATIONS))):
        at = FIRST_HOUR + dt.timedelta(hours=hour)
        rain = 0.0 if hour < 14 else max(0.0, rng.gauss(1.2, 1.5))  # a front arrives in the night
        wet = rain > 0
        for sid, name, county, national in STATIONS:
            if len(rows) == n:
                break
            altitude = HIGH.get(sid, rng.randrange(3, 60))
            daily = 4 * math.cos((at.hour - 14) / 24 * 2 * math.pi)
            temp = 15 + daily - altitude * 0.006 + rng.gauss(0, 0.6)
            rows.append(
                {
                    "station_id": sid,
                    "station_name": name,
                    "region": county,
                    "observed_at": at,
                    "temperature": Decimal(f"{temp:.1f}"),
                    "precipitation": Decimal(f"{max(0.0, rain + rng.gauss(0, 0.4)) if wet else 0.0:.1f}"),
                    "humidity": min(100, int(70 + 15 * wet - daily * 3 + rng.gauss(0, 5))),
                    "wind_speed": Decimal(f"{abs(rng.gauss(3 if altitude < 500 else 9, 1.5)):.1f}"),
                    "wind_direction": rng.randrange(0, 360),
                    "pressure": Decimal(f"{1021 - altitude * 0.115 + rng.gauss(0, 0.5):.1f}") if national else None,
                    "visibility": int(min(30000, max(800, rng.gauss(15000 - 6000 * wet, 4000)))) if national else None,
                }
            )
    return rows


def observation_update(ctx: Context, row: Row) -> Row:
    """A corrected record sent again after quality control."""
    row["temperature"] = row["temperature"] + Decimal("0.3")
    return row


# 预警类型 by season, with a line of text and a guide.
WARNINGS = {
    "台风": (
        "受台风影响，预计未来24小时内我市沿海海面将出现10～12级大风，沿海地区有暴雨。",
        "做好防台风应急准备，船只回港避风，加固户外设施。",
        (7, 8, 9, 10),
    ),
    "暴雨": (
        "预计未来6小时内累计雨量将达50毫米以上，可能引发山洪、城市内涝等灾害。",
        "注意防范强降水可能引发的山洪、地质灾害和城市积涝。",
        (4, 5, 6, 7, 8, 9),
    ),
    "高温": ("预计未来3天日最高气温将达35℃以上。", "注意防暑降温，避免午后高温时段户外作业。", (6, 7, 8, 9)),
    "雷电": (
        "预计未来6小时内可能发生雷电活动，并伴有短时强降水和雷雨大风。",
        "户外人员应当躲入有防雷设施的建筑物内。",
        (4, 5, 6, 7, 8, 9),
    ),
    "大风": ("预计未来24小时内沿海海面将出现8～9级大风。", "海上作业船只注意防风，回港避风。", tuple(range(1, 13))),
    "寒潮": (
        "受强冷空气影响，预计未来48小时内气温将下降10℃以上。",
        "注意防寒保暖，做好农作物和水产养殖防冻措施。",
        (11, 12, 1, 2),
    ),
    "大雾": (
        "预计未来12小时内将出现能见度小于500米的雾。",
        "驾驶人员注意雾天行车安全，减速慢行。",
        (1, 2, 3, 4, 11, 12),
    ),
    "霜冻": ("预计未来24小时内地面最低温度将下降到0℃以下。", "对农作物、蔬菜、花卉等采取防霜冻措施。", (12, 1, 2)),
    "道路结冰": ("预计未来12小时内山区将出现道路结冰。", "行人和车辆注意防滑，山区道路谨慎驾驶。", (12, 1, 2)),
}
LEVELS = {"蓝色": 40, "黄色": 35, "橙色": 20, "红色": 5}
OFFICES = {CITY_CODE: "台州市气象台"} | {code: f"{name}气象台" for code, (name, _s, _w) in COUNTIES.items()}


def weather_warnings(ctx: Context, n: int) -> list[Row]:
    rng = ctx.rng
    rows = []
    taken: set[str] = set()
    while len(rows) < n:
        at = random_datetime(rng, dt.date(2024, 1, 1), dt.date(2025, 11, 19)).replace(second=0)
        kinds = [k for k, v in WARNINGS.items() if at.month in v[2]]
        kind = rng.choice(kinds)
        level = rng.choices(list(LEVELS), weights=list(LEVELS.values()))[0]
        region = CITY_CODE if rng.random() < 0.3 else rng.choice(list(COUNTIES))
        warning_id = f"{region}41600000_{at:%Y%m%d%H%M%S}"
        if warning_id in taken:
            continue
        taken.add(warning_id)
        text, guide, _months = WARNINGS[kind]
        status = rng.choices(["发布", "更新", "解除"], weights=[70, 10, 20])[0]
        ended = at + dt.timedelta(hours=rng.randrange(6, 72)) if status == "解除" else None
        rows.append(
            {
                "warning_id": warning_id,
                "sender": OFFICES[region],
                "published_at": at,
                "title": f"{OFFICES[region]}{'解除' if status == '解除' else '发布'}{kind}{level}预警信号",
                "warning_type": kind,
                "warning_level": level,
                "status": status,
                "region": region,
                "text": f"{OFFICES[region]}{at.year}年{at.month}月{at.day}日{at.hour}时{at.minute}分"
                f"发布{kind}{level}预警信号：{text}",
                "guide": guide,
                "cancelled_at": ended,
            }
        )
    rows.sort(key=lambda r: r["published_at"])
    return rows


def warning_update(ctx: Context, row: Row) -> Row:
    row["status"] = "解除"
    row["cancelled_at"] = row["published_at"] + dt.timedelta(hours=ctx.rng.randrange(6, 48))
    return row


SPECS = (
    Spec(
        "qxj",
        "weather_observations",
        "qxj/weather_observations.json",
        JsonApi(),
        rows=24 * len(STATIONS),
        make=weather_observations,
        update=observation_update,
        extra={"url_path": "/qxj/weather_observations"},
        faults=(
            Fault("DATE_INVALID", "observed_at", 0.005),
            Fault("REGION_INVALID", "region", 0.005),
            Fault("REQUIRED_MISSING", "station_id", 0.005),
            Fault("DATE_MIXED_FORMAT", "observed_at", 0.03),
            Fault("NULL_TOKEN", "visibility", 0.02),
            Fault("PK_DUPLICATE", rate=0.01),
        ),
    ),
    Spec(
        "qxj",
        "weather_warnings",
        "qxj/weather_warnings.json",
        JsonApi(),
        rows=240,
        make=weather_warnings,
        update=warning_update,
        extra={"url_path": "/qxj/weather_warnings"},
        faults=(
            Fault("ENUM_INVALID", "warning_type", 0.01, values=("强对流", "台风暴雨")),
            Fault("DATE_INVALID", "published_at", 0.01),
            Fault("REQUIRED_MISSING", "title", 0.01),
            Fault("REGION_INVALID", "region", 0.008),
            Fault("DATE_MIXED_FORMAT", "published_at", 0.03),
            Fault("ENUM_ALIAS", "warning_level", 0.06),
            Fault("NULL_TOKEN", "cancelled_at", 0.04),
            Fault("PK_DUPLICATE", rate=0.015),
        ),
    ),
)
