"""The 考核晾晒 site: the HTML a department head opens each month, under
``$GONGSHU_HOME/scorecards/<period>/`` (the caller chooses the folder).

``index.html`` starts with the ranking (rank, total, change, 红榜/黑榜, usage beside the score), then
the charts: totals as bars, trends over past periods, a department × indicator heatmap.
``departments/<id>.html`` gives one department its rank and change first, then each indicator with
its weight, formula and the points it lost, a 整改清单 and the evidence behind every figure.
``print.html`` is the whole set for printing on A4, a page break before each department, the
评分说明 last. ``rules.html`` (评分说明) says how the scores are made: each indicator's weight and
formula as this scorecard computed them, and the rules a department would otherwise dispute (不适用,
红榜/黑榜, 暂定 and versions, 逾期未办结, 一事一扣, 及时率 by fresh data, 数据利用, 申诉).

Pages are readable on a phone (390 px): the stylesheet reflows the ranking and the indicator table
into cards below 640 px and lets charts scroll in their own box; print keeps the A4 layout.

Every page is one self-contained file (the stylesheet inlined, charts as inline SVG from
:mod:`.charts`, no script, no font or CDN): it opens from ``file://`` offline, survives being
forwarded on its own, and a link ``index.html#d-<id>`` highlights that department's row. Pages are
rendered from the :class:`~.model.Scorecard` alone (plus earlier scorecards for the trends) with
autoescaping Jinja; bytes depend only on the arguments. Times are shown in Beijing time, naive ones
taken as UTC (as in the feedback workbook).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..clock import local_time, period_label, resolve_generated_at
from ..files import write_atomic
from .charts import Bar, HeatColumn, HeatRow, Series, bar_chart, heatmap, score, sparkline, trend_chart
from .config import RankingConfig
from .model import DepartmentScore, Evidence, Fix, IndicatorScore, Scorecard
from .platform import NOT_RAN, platform_lines
from .status import headline, revision_note

TITLE = "台州市公共数据工作考核晾晒"
HERE = Path(__file__).parent
TREND_PERIODS = 12
"""Months shown in the trends, the current one last."""
DEPARTMENT_ID = re.compile(r"[a-z][a-z0-9_]*")
KIND_LABELS = {
    "resource": "资源",
    "run": "运行",
    "issue": "问题",
    "request": "共享申请",
    "release": "开放发布",
    "catalog": "目录",
}


@dataclass(frozen=True)
class Row:
    """One department as the ranking shows it."""

    d: DepartmentScore
    tied: bool
    trend: tuple[float | None, ...]
    """Its totals over :attr:`View.periods`."""
    ranks: tuple[int | None, ...]


@dataclass(frozen=True)
class IndicatorRow:
    i: IndicatorScore
    lost: float | None
    """Points of the total lost on this indicator: (100 − score) × its share of the applicable weight."""
    bad: tuple[Evidence, ...]
    good: tuple[Evidence, ...]
    charged: tuple[tuple[Evidence, str], ...] = ()
    """Faults charged in another indicator (one fault, one deduction), with that indicator's name:
    shown as 已扣分, never as a second 未达标."""


@dataclass(frozen=True)
class Group:
    dimension: str
    items: tuple[IndicatorRow, ...]


@dataclass(frozen=True)
class View:
    card: Scorecard
    rows: tuple[Row, ...]
    periods: tuple[str, ...]
    columns: tuple[HeatColumn, ...]
    weights: tuple[IndicatorScore, ...]
    """One of each indicator, in the order first met: the weights and formulas of 评分说明."""


# ---------------------------------------------------------------- shaping the scorecard for the pages


def _trends(card: Scorecard, history: Sequence[Scorecard]) -> tuple[tuple[str, ...], dict[str, Scorecard]]:
    """The last :data:`TREND_PERIODS` periods up to ``card``'s (later ones are ignored), ``card``
    standing for its own period."""
    by_period = {h.period: h for h in history if h.period < card.period}
    by_period[card.period] = card
    periods = tuple(sorted(by_period)[-TREND_PERIODS:])
    return periods, by_period


def build_view(card: Scorecard, history: Sequence[Scorecard]) -> View:
    for d in card.departments:
        if not DEPARTMENT_ID.fullmatch(d.department):
            raise ValueError(f"department id {d.department!r} cannot name a page (expected [a-z][a-z0-9_]*)")
    periods, by_period = _trends(card, history)
    totals = {p: {d.department: d for d in by_period[p].departments} for p in periods}
    counts: dict[int, int] = {}
    for d in card.departments:
        if d.rank is not None:
            counts[d.rank] = counts.get(d.rank, 0) + 1
    rows = []
    for d in card.departments:
        past = [totals[p].get(d.department) for p in periods]
        rows.append(
            Row(
                d=d,
                tied=d.rank is not None and counts[d.rank] > 1,
                trend=tuple(s.total if s else None for s in past),
                ranks=tuple(s.rank if s else None for s in past),
            )
        )
    first: dict[str, IndicatorScore] = {}
    for d in card.departments:
        for i in d.indicators:
            first.setdefault(i.code, i)
    columns = tuple(HeatColumn(i.code, i.dimension, i.name) for i in first.values())
    return View(card, tuple(rows), periods, columns, tuple(first.values()))


def lost_points(d: DepartmentScore) -> dict[str, float] | None:
    """Points lost per applicable indicator, under the model's rule (a 不适用 indicator's weight goes
    to the others in proportion). None when they do not add up to 100 − total: the scorecard was
    computed some other way, and a column that does not add up would mislead."""
    applicable = [i for i in d.indicators if i.value is not None]
    weight = sum(i.weight for i in applicable)
    if d.total is None or weight <= 0:
        return None
    lost = {i.code: (100 - i.value) * i.weight / weight for i in applicable}  # type: ignore[operator]
    return lost if abs(100 - sum(lost.values()) - d.total) < 0.05 else None


def groups(d: DepartmentScore) -> tuple[tuple[Group, ...], bool]:
    """The department's indicators by 维度 (in their order), and whether 失分 can be shown."""
    lost = lost_points(d)
    names = {i.code: i.name for i in d.indicators}
    by_dim: dict[str, list[IndicatorRow]] = {}
    for i in d.indicators:
        row = IndicatorRow(
            i=i,
            lost=lost.get(i.code) if lost else None,
            bad=tuple(e for e in i.evidence if not e.ok and e.charged_in is None),
            good=tuple(e for e in i.evidence if e.ok and e.charged_in is None),
            charged=tuple((e, names.get(e.charged_in, "其他指标")) for e in i.evidence if e.charged_in is not None),
        )
        by_dim.setdefault(i.dimension, []).append(row)
    return tuple(Group(dim, tuple(items)) for dim, items in by_dim.items()), lost is not None


# ---------------------------------------------------------------- small texts the templates show


def change(d: DepartmentScore) -> tuple[str, str]:
    """The change of total against the previous period as (text, CSS class)."""
    if d.total is None:
        return "—", "none"
    if d.change is None:
        return "上期无总分", "new"
    if d.change > 0:
        return f"↑ {score(d.change)}", "up"
    if d.change < 0:
        return f"↓ {score(-d.change)}", "down"
    return "持平", "flat"


def rank_move(d: DepartmentScore) -> tuple[str, str]:
    if d.rank is None or d.previous_rank is None:
        return "—", "none"
    moved = d.previous_rank - d.rank
    if moved > 0:
        return f"↑ {moved} 位", "up"
    if moved < 0:
        return f"↓ {-moved} 位", "down"
    return "不变", "flat"


def marks(d: DepartmentScore) -> list[str]:
    return [m for m, on in (("红榜", d.red), ("黑榜", d.black)) if on]


def figure(value: float | None) -> str:
    """A numerator or denominator: counts as integers with separators, other figures to 2 decimals."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def usage(d: DepartmentScore, key: str) -> str:
    return f"{d.usage[key]:,}" if key in d.usage else "—"


def beijing(moment: dt.datetime) -> str:
    return local_time(moment).strftime("%Y-%m-%d %H:%M")


def fix_groups(d: DepartmentScore) -> list[tuple[str, list[tuple[IndicatorScore, list[tuple[int, Fix]]]]]]:
    """整改清单: by 维度, then indicator, items numbered through the whole list."""
    out: dict[str, list[tuple[IndicatorScore, list[tuple[int, Fix]]]]] = {}
    n = 0
    for i in d.indicators:
        if not i.fixes:
            continue
        items = []
        for fix in i.fixes:
            n += 1
            items.append((n, fix))
        out.setdefault(i.dimension, []).append((i, items))
    return list(out.items())


def weight_groups(view: View) -> list[tuple[str, float, list[IndicatorScore]]]:
    """评分说明's table: each 维度 with the sum of its indicators' configured weights, then them."""
    out: dict[str, list[IndicatorScore]] = {}
    for i in view.weights:
        out.setdefault(i.dimension, []).append(i)
    return [(dim, sum(i.weight for i in items), items) for dim, items in out.items()]


# ---------------------------------------------------------------- charts


def charts(view: View, link: Callable[[str], str]) -> dict[str, Markup]:
    rows = view.rows
    ranked = [r.d for r in rows if r.d.total is not None]
    bars = [Bar(d.name, d.total or 0.0, link(d.department), next(iter(marks(d)), None)) for d in ranked]
    stats = []
    for n, _ in enumerate(view.periods):
        got = [t for r in rows if (t := r.trend[n]) is not None]
        stats.append((max(got), sum(got) / len(got), min(got)) if got else (None, None, None))
    series = [
        Series("最高分", tuple(s[0] for s in stats), "max"),
        Series("平均分", tuple(s[1] for s in stats), "main"),
        Series("最低分", tuple(s[2] for s in stats), "min"),
    ]
    heat_rows = [HeatRow(r.d.name, link(r.d.department), {i.code: i.value for i in r.d.indicators}) for r in rows]
    return {
        "bars": bar_chart(bars, "各部门总分"),
        "trend": trend_chart(view.periods, series, "历次考核全市最高分、平均分、最低分"),
        "heat": heatmap(heat_rows, view.columns, "各部门指标得分热力图"),
    }


def department_trend(view: View, row: Row) -> Markup:
    avg = []
    for n, _ in enumerate(view.periods):
        got = [t for r in view.rows if (t := r.trend[n]) is not None]
        avg.append(sum(got) / len(got) if got else None)
    series = [Series("本部门总分", row.trend, "main"), Series("全市平均分", tuple(avg), "avg")]
    return trend_chart(view.periods, series, f"{row.d.name}历次总分")


# ---------------------------------------------------------------- rendering


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(score=score, figure=figure, beijing=beijing)
    env.globals.update(
        title=TITLE,
        change=change,
        rank_move=rank_move,
        marks=marks,
        usage=usage,
        groups=groups,
        fix_groups=fix_groups,
        fix_count=lambda d: sum(len(i.fixes) for i in d.indicators),
        kind_labels=KIND_LABELS,
        spark=lambda row: sparkline(row.trend, f"{row.d.name}近期总分"),
        status_headline=headline,
        platform_lines=platform_lines,
        platform_not_ran=NOT_RAN,
        revision_note=revision_note,
    )
    return env


@cache
def _css() -> Markup:
    """The stylesheet, inlined: a <style> element is raw text, so it must not be HTML-escaped."""
    return Markup((HERE / "static" / "scorecard.css").read_text(encoding="utf-8"))


def write_site(
    scorecard: Scorecard,
    history: list[Scorecard],
    out: Path,
    *,
    generated_at: dt.datetime | None = None,
    ranking: RankingConfig | None = None,
) -> Path:
    """Render the site for ``scorecard`` into ``out`` and return ``out/index.html``.

    ``history`` holds earlier scorecards (any order; the current period and later ones are ignored)
    for the trends. ``ranking``: the 红榜/黑榜 rules the scorecard was ranked by, for 评分说明 to give
    their numbers (without it the page states the rules in words). Department pages are written
    before the index that links them; pages of departments no longer in the scorecard are removed
    afterwards.
    """
    out = Path(out)
    view = build_view(scorecard, history)
    env = _env()
    common = {
        "card": scorecard,
        "view": view,
        "css": _css(),
        "period_label": period_label(scorecard.period),
        "computed": beijing(scorecard.computed_at),
        "generated": beijing(resolve_generated_at(generated_at)),
        "ranked": sum(1 for r in view.rows if r.d.rank is not None),
        "printing": False,
        "ranking": ranking,
        "weight_groups": weight_groups(view),
    }

    def render(name: str, **extra: object) -> bytes:
        return env.get_template(name).render({**common, **extra}).encode("utf-8")

    pages = out / "departments"
    for row in view.rows:
        page = render(
            "department.html",
            root="../",
            row=row,
            link=lambda dept: f"{dept}.html",
            dept_trend=department_trend(view, row),
        )
        write_atomic(pages / f"{row.d.department}.html", page)
    in_print = {row.d.department: department_trend(view, row) for row in view.rows}
    print_link = lambda dept: f"#dept-{dept}"  # noqa: E731
    write_atomic(
        out / "print.html",
        render("print.html", root="", link=print_link, printing=True, trends=in_print, **charts(view, print_link)),
    )
    write_atomic(out / "rules.html", render("rules.html", root="", link=lambda dept: f"departments/{dept}.html"))
    index_link = lambda dept: f"departments/{dept}.html"  # noqa: E731
    index = write_atomic(out / "index.html", render("index.html", root="", link=index_link, **charts(view, index_link)))
    keep = {f"{r.d.department}.html" for r in view.rows}
    for stale in pages.glob("*.html"):
        if stale.name not in keep:
            stale.unlink()
    return index
