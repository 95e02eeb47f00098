"""Scorecards made by hand for the site and workbook tests: six departments over four months.

Built directly from the model (not by the indicators) so that these tests pin what the outputs do
with a scorecard, whatever computes one. The current month (2026-11) has every case an output must
show: a tie for second place, a 不适用 indicator (qxj received no share requests), a department
with no total at all (tyj has nothing due), a 红榜 and a 黑榜, a department new since last month
(gaj: no previous total) and one unchanged (qxj). Totals follow the model's rule (weighted over
the applicable indicators), so the pages' 失分 add up.
"""

from __future__ import annotations

import datetime as dt
import random

from gongshu.scorecard.model import DepartmentScore, Evidence, Fix, IndicatorScore, Scorecard

BEIJING = dt.timezone(dt.timedelta(hours=8))
COMPUTED_AT = dt.datetime(2026, 12, 1, 2, 0, tzinfo=BEIJING)
GENERATED_AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=BEIJING)
PERIOD = "2026-11"

# code: (维度, 指标, 权重, 计算公式)
INDICATORS = {
    "metadata_completeness": ("目录编制", "元数据完整度", 15.0, "已填写的必填元数据项 ÷ 应填写的必填元数据项 × 100"),
    "catalog_timeliness": ("目录编制", "目录更新及时率", 10.0, "按期更新的目录数 ÷ 应更新的目录数 × 100"),
    "collection_timeliness": ("数据归集", "按时归集率", 20.0, "按时归集次数 ÷ 应归集次数 × 100"),
    "collection_success": ("数据归集", "归集成功率", 10.0, "成功的归集运行数 ÷ 归集运行总数 × 100"),
    "quality_pass_rate": ("数据治理", "数据质量合格率", 15.0, "入库记录数 ÷ 接收记录数 × 100"),
    "issue_fix_rate": ("数据治理", "问题整改率", 10.0, "已整改问题数 ÷ 应整改问题数 × 100"),
    "share_response": ("数据共享", "共享申请响应率", 10.0, "5个工作日内处理的申请数 ÷ 收到的申请数 × 100"),
    "open_release": ("数据开放", "开放数据发布率", 10.0, "按期发布的开放数据集数 ÷ 应发布的开放数据集数 × 100"),
}

NAMES = {
    "scjgj": "台州市市场监督管理局",
    "wjw": "台州市卫生健康委员会",
    "gaj": "台州市公安局",
    "qxj": "台州市气象局",
    "zjj": "台州市住房和城乡建设局",
    "tyj": "台州市体育局",
}

# (numerator, denominator) per indicator, None: 不适用. wjw and gaj differ only between two indicators
# of equal weight, so they tie.
CURRENT = {
    "scjgj": [(58, 60), (4, 4), (29, 30), (30, 30), (9650, 10000), (45, 48), (12, 12), (5, 5)],
    "wjw": [(57, 60), (3, 4), (27, 30), (29, 30), (8000, 10000), (40, 48), (9, 10), (4, 5)],
    "gaj": [(48, 60), (3, 4), (27, 30), (29, 30), (9500, 10000), (40, 48), (9, 10), (4, 5)],
    "qxj": [(40, 50), (2, 3), (20, 30), (25, 30), (900, 1000), (10, 12), None, (2, 4)],
    "zjj": [(30, 60), (1, 4), (12, 30), (20, 30), (6000, 10000), (5, 20), (3, 8), (1, 5)],
    "tyj": [None] * 8,
}

PAST = {  # earlier totals, oldest first; None: not assessed that month
    "scjgj": [81.0, 84.6, 86.2],
    "wjw": [85.2, 86.0, 87.0],
    "gaj": [None, None, None],
    "qxj": [66.4, 70.9, None],  # filled with this month's total below: unchanged
    "zjj": [70.3, 67.8, 64.0],
    "tyj": [None, None, None],
}
PAST_PERIODS = ("2026-08", "2026-09", "2026-10")


def _value(pair: tuple[float, float] | None) -> float | None:
    return None if pair is None else round(pair[0] / pair[1] * 100, 4)


def _evidence(dept: str, code: str, value: float | None) -> tuple[Evidence, ...]:
    if value is None:
        return ()
    at = dt.datetime(2026, 11, 3, 2, 0, tzinfo=BEIJING)
    good = Evidence("resource", f"{dept}.enterprise_registry", "企业登记信息 2026-11-03 按时归集", True, at)
    if value >= 99.9:
        return (good,)
    kind = {"issue_fix_rate": "issue", "share_response": "request", "open_release": "release"}.get(code, "run")
    ref = {"issue": "issue-1842", "request": "req-0031", "release": "rel-0007", "run": "run-20261115-0200"}[kind]
    bad = Evidence(
        kind, ref, f"双随机抽查结果 2026-11-15 {INDICATORS[code][1]}未达标", False, at + dt.timedelta(days=12)
    )
    return (good, bad)


def _fixes(dept: str, code: str, value: float | None) -> tuple[Fix, ...]:
    if value is None or value >= 99.9:
        return ()
    name = INDICATORS[code][1]
    items = [
        Fix(
            f"「双随机抽查结果」{name}为 {value:.1f}：请核对本部门业务系统后补齐",
            dt.date(2026, 12, 10),
            "数据质量问题反馈表「问题明细」第 3 行",
        )
    ]
    if value < 70:
        items.append(Fix(f"「企业年报信息」{name}偏低：请指定专人负责，按月报送"))
    return tuple(items)


def indicators(dept: str) -> tuple[IndicatorScore, ...]:
    out = []
    for (code, (dimension, name, weight, formula)), pair in zip(INDICATORS.items(), CURRENT[dept], strict=True):
        value = _value(pair)
        out.append(
            IndicatorScore(
                code=code,
                dimension=dimension,
                name=name,
                formula=formula,
                weight=weight,
                numerator=None if pair is None else float(pair[0]),
                denominator=None if pair is None else float(pair[1]),
                value=value,
                evidence=_evidence(dept, code, value),
                fixes=_fixes(dept, code, value),
            )
        )
    return tuple(out)


def weighted(items: tuple[IndicatorScore, ...]) -> float | None:
    """The model's rule: weighted over the applicable indicators only."""
    applicable = [i for i in items if i.value is not None]
    if not applicable:
        return None
    return sum(i.value * i.weight for i in applicable) / sum(i.weight for i in applicable)  # type: ignore[operator]


def ranks(totals: dict[str, float | None]) -> dict[str, int | None]:
    """Shared ranks on totals rounded to one decimal (1, 2, 2, 4); no total, no rank."""
    shown = {d: round(t, 1) for d, t in totals.items() if t is not None}
    return {d: (1 + sum(1 for o in shown.values() if o > shown[d]) if d in shown else None) for d in totals}


def _order(scores: list[DepartmentScore]) -> tuple[DepartmentScore, ...]:
    return tuple(sorted(scores, key=lambda d: (d.rank is None, d.rank or 0, d.department)))


def history() -> list[Scorecard]:
    """The three months before ``PERIOD``, totals only (a trend needs no more)."""
    current = {d: weighted(indicators(d)) for d in NAMES}
    past = {d: [*v[:2], current[d] if d == "qxj" else v[2]] for d, v in PAST.items()}
    cards = []
    for n, period in enumerate(PAST_PERIODS):
        totals = {d: past[d][n] for d in NAMES if past[d][n] is not None}
        rank = ranks(totals)
        depts = [DepartmentScore(d, NAMES[d], totals[d], rank[d], ()) for d in totals]
        month = int(period[-2:])
        cards.append(
            Scorecard(
                period=period,
                starts=dt.date(2026, month, 1),
                ends=dt.date(2026, month + 1, 1) - dt.timedelta(days=1),
                computed_at=dt.datetime(2026, month + 1, 1, 2, 0, tzinfo=BEIJING),
                departments=_order(depts),
                config_hash="0" * 64,
                sample=True,
            )
        )
    return cards


def scorecard(sample: bool = False) -> Scorecard:
    previous = {d.department: d for d in history()[-1].departments}
    items = {d: indicators(d) for d in NAMES}
    totals = {d: weighted(items[d]) for d in NAMES}
    rank = ranks(totals)
    depts = []
    for d in NAMES:
        prev = previous.get(d)
        depts.append(
            DepartmentScore(
                department=d,
                name=NAMES[d],
                total=totals[d],
                rank=rank[d],
                indicators=items[d],
                previous_total=prev.total if prev else None,
                previous_rank=prev.rank if prev else None,
                usage={
                    "share_calls": {"scjgj": 12850, "wjw": 3021, "gaj": 40210}.get(d, 0),
                    "downloads": len(d) * 37,
                    "apps": {"scjgj": 2}.get(d, 0),
                },
                red=d == "scjgj",
                black=d == "zjj",
            )
        )
    return Scorecard(
        period=PERIOD,
        starts=dt.date(2026, 11, 1),
        ends=dt.date(2026, 11, 30),
        computed_at=COMPUTED_AT,
        departments=_order(depts),
        config_hash="3f5a0c9e" + "1" * 56,
        sample=sample,
    )


def large_scorecard(n: int = 40, seed: int = 7) -> Scorecard:
    """``n`` departments with random scores: how the pages look at the scale of a real city."""
    rng = random.Random(seed)
    depts = []
    for k in range(n):
        items = tuple(
            IndicatorScore(
                code,
                dim,
                name,
                formula,
                weight,
                None,
                None,
                None if rng.random() < 0.08 else round(rng.uniform(35, 100), 1),
            )
            for code, (dim, name, weight, formula) in INDICATORS.items()
        )
        prev = round(rng.uniform(50, 98), 1)
        depts.append((f"d{k:03d}", f"台州市第{k + 1}部门", items, weighted(items), prev))
    rank = ranks({d: t for d, _, _, t, _ in depts})
    scores = [
        DepartmentScore(d, name, total, rank[d], items, previous_total=prev, previous_rank=None)
        for d, name, items, total, prev in depts
    ]
    ordered = _order(scores)
    marked = [
        DepartmentScore(**{**s.__dict__, "red": i < 3, "black": i >= len(ordered) - 3}) for i, s in enumerate(ordered)
    ]
    return Scorecard(PERIOD, dt.date(2026, 11, 1), dt.date(2026, 11, 30), COMPUTED_AT, tuple(marked), "2" * 64, True)
