"""The scorecard's charts as inline SVG, drawn here in Python.

Why not a chart library or a script: the site must open from ``file://`` on an offline machine, be
forwarded as a single file and print on A4. So every chart is plain SVG inside the page, sized by its
viewBox (it scales to the screen or the paper), styled by the page's stylesheet through classes, and
every mark carries its figure as text: the meaning never rests on a colour alone, which a
black-and-white printer loses. Lines are told apart by dash pattern as well as colour.

Scores are shown rounded half up to one decimal (:func:`score`), the rule of the model.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

NOT_APPLICABLE = "不适用"


def one_decimal(value: float) -> float:
    """``value`` rounded half up to one decimal, through its shortest repr (88.25 → 88.3, where
    ``round`` and ``format`` give 88.2 because the binary float is a hair below)."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def score(value: float | None, missing: str = NOT_APPLICABLE) -> str:
    return missing if value is None else f"{one_decimal(value):.1f}"


def text_width(text: str, size: float) -> float:
    """Rough drawn width: a CJK (wide) character is one em, anything else about 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def _n(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def _svg(width: float, height: float, label: str, body: list[str], cls: str) -> Markup:
    head = (
        f'<svg class="chart {cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" aria-label="{escape(label)}">'
    )
    return Markup(head + f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, cls: str, anchor: str = "start") -> str:
    return f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}">{escape(text)}</text>'


# ---------------------------------------------------------------- bar chart of totals


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str | None = None
    mark: str | None = None
    """红榜 or 黑榜: written after the figure and used as the bar's class."""


BAR_CLASSES = {"红榜": "red", "黑榜": "black"}


def bar_chart(bars: Sequence[Bar], label: str) -> Markup:
    """Horizontal bars on a 0–100 axis, one ``rect.bar`` per department, in the order given."""
    if not bars:
        return Markup("")
    size, row, bar_h, top, plot = 13, 26, 16, 26, 680
    left = max(120.0, max(text_width(b.label, size) for b in bars) + 14)
    width, height = left + plot + 110, top + row * len(bars) + 6
    body = []
    for tick in range(0, 101, 20):
        x = left + plot * tick / 100
        body.append(f'<line class="grid" x1="{_n(x)}" y1="{top - 4}" x2="{_n(x)}" y2="{_n(height - 4)}"/>')
        body.append(_text(x, top - 10, str(tick), "tick", "middle"))
    for n, b in enumerate(bars):
        y = top + n * row + (row - bar_h) / 2
        w = plot * max(0.0, min(100.0, b.value)) / 100
        name = escape(b.label)
        if b.href:
            name = Markup(f'<a href="{escape(b.href)}">{name}</a>')
        body.append(f'<text class="label" x="{_n(left - 8)}" y="{_n(y + 12.5)}" text-anchor="end">{name}</text>')
        cls = " ".join(["bar", *([BAR_CLASSES[b.mark]] if b.mark in BAR_CLASSES else [])])
        body.append(
            f'<rect class="{cls}" x="{_n(left)}" y="{_n(y)}" width="{_n(w)}" height="{bar_h}" rx="2">'
            f"<title>{escape(b.label)}：{score(b.value)}</title></rect>"
        )
        figure = score(b.value) + (f"  {b.mark}" if b.mark else "")
        body.append(_text(left + w + 6, y + 12.5, figure, "value"))
    return _svg(width, height, label, body, "bars")


# ---------------------------------------------------------------- heatmap


@dataclass(frozen=True)
class HeatColumn:
    code: str
    dimension: str
    name: str


@dataclass(frozen=True)
class HeatRow:
    label: str
    href: str | None
    values: dict[str, float | None] = field(default_factory=dict)
    """Indicator code → score, None for 不适用; a code missing here is not scored for the department."""


HEAT_STEPS = ((90.0, "h4", "≥ 90"), (80.0, "h3", "80–90"), (60.0, "h2", "60–80"), (0.0, "h1", "< 60"))


def heat_class(value: float | None) -> str:
    if value is None:
        return "na"
    return next(cls for floor, cls, _ in HEAT_STEPS if one_decimal(value) >= floor)


def _wrap(text: str, per_line: int) -> list[str]:
    """``text`` in lines of at most ``per_line`` characters, balanced (目录更新 / 及时率, not 目录更新及时 / 率)."""
    per = math.ceil(len(text) / max(1, math.ceil(len(text) / per_line))) if text else 1
    return [text[i : i + per] for i in range(0, len(text), per)] or [""]


def heatmap(rows: Sequence[HeatRow], columns: Sequence[HeatColumn], label: str) -> Markup:
    """Departments down, indicators across (grouped under their 维度); each cell prints its score,
    or 不适用 on grey."""
    if not rows or not columns:
        return Markup("")
    size, cell_w, cell_h, band = 13, 84, 24, 24
    lines = max(len(_wrap(c.name, 6)) for c in columns)
    head = band + 6 + lines * 15 + 6
    left = max(120.0, max(text_width(r.label, size) for r in rows) + 14)
    width = left + cell_w * len(columns) + 4
    height = head + cell_h * len(rows) + 44
    body = []
    start = 0
    for n in range(1, len(columns) + 1):  # one band per run of columns of the same dimension
        if n == len(columns) or columns[n].dimension != columns[start].dimension:
            x, w = left + start * cell_w, (n - start) * cell_w
            body.append(f'<rect class="dim" x="{_n(x + 1)}" y="0" width="{_n(w - 2)}" height="{band - 2}" rx="3"/>')
            body.append(_text(x + w / 2, band - 8, columns[start].dimension, "dim-label", "middle"))
            start = n
    for n, c in enumerate(columns):
        for k, part in enumerate(_wrap(c.name, 6)):
            body.append(_text(left + (n + 0.5) * cell_w, band + 20 + k * 15, part, "col-label", "middle"))
    for r_n, r in enumerate(rows):
        y = head + r_n * cell_h
        name = escape(r.label)
        if r.href:
            name = Markup(f'<a href="{escape(r.href)}">{name}</a>')
        body.append(f'<text class="label" x="{_n(left - 8)}" y="{_n(y + 16)}" text-anchor="end">{name}</text>')
        for c_n, c in enumerate(columns):
            x = left + c_n * cell_w
            if c.code not in r.values:
                body.append(_text(x + cell_w / 2, y + 16, "—", "cell-text none", "middle"))
                continue
            value = r.values[c.code]
            cls = heat_class(value)
            tip = f"{r.label} · {c.name}：{score(value)}"
            body.append(
                f'<rect class="cell {cls}" x="{_n(x + 1)}" y="{_n(y + 1)}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}"><title>{escape(tip)}</title></rect>'
            )
            body.append(_text(x + cell_w / 2, y + 16, score(value), f"cell-text {cls}", "middle"))
    y = height - 22
    x = left
    for _, cls, text in (*HEAT_STEPS, (None, "na", NOT_APPLICABLE)):
        body.append(f'<rect class="cell {cls}" x="{_n(x)}" y="{_n(y)}" width="18" height="14"/>')
        body.append(_text(x + 24, y + 11.5, text, "legend"))
        x += 24 + text_width(text, 12) + 20
    return _svg(width, height, label, body, "heatmap")


# ---------------------------------------------------------------- trend lines


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float | None, ...]
    """One per period; None where the series has no figure (a gap in the line)."""
    kind: str = "main"
    """CSS class: ``main`` (drawn heavy and labelled at every point), ``avg``, ``max``, ``min``."""


def _y_range(values: list[float]) -> tuple[float, float]:
    lo = max(0.0, math.floor((min(values) - 5) / 10) * 10)
    hi = min(100.0, math.ceil((max(values) + 5) / 10) * 10)
    if hi - lo < 20:
        lo, hi = max(0.0, hi - 20), max(20.0, hi)
    return lo, hi


def _segments(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def trend_chart(periods: Sequence[str], series: Sequence[Series], label: str) -> Markup:
    """A line per series over the periods (oldest left); gaps where a period has no figure."""
    values = [v for s in series for v in s.values if v is not None]
    if not periods or not values:
        return Markup("")
    width, height, left, right, top, bottom, inset = 900, 280, 44, 16, 44, 30, 36
    lo, hi = _y_range(values)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = (plot_w - 2 * inset) / max(1, len(periods) - 1)

    def x_at(i: int) -> float:  # points inset from the axis, so that their labels clear the ticks
        return left + inset + (i * step if len(periods) > 1 else plot_w / 2 - inset)

    def y_at(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    body = []
    for tick in range(int(lo), int(hi) + 1, 10):
        y = y_at(tick)
        body.append(f'<line class="grid" x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}"/>')
        body.append(_text(left - 8, y + 4, str(tick), "tick", "end"))
    for i, period in enumerate(periods):
        body.append(_text(x_at(i), height - 10, period, "tick", "middle"))
    x: float = left
    for s in series:  # legend: a sample of the line, then its name
        body.append(f'<line class="line {s.kind}" x1="{_n(x)}" y1="14" x2="{_n(x + 26)}" y2="14"/>')
        body.append(_text(x + 32, 18, s.label, "legend"))
        x += 32 + text_width(s.label, 12) + 22
    for s in series:
        points = [None if v is None else (x_at(i), y_at(v)) for i, v in enumerate(s.values)]
        for run in _segments(points):
            if len(run) > 1:
                coords = " ".join(f"{_n(px)},{_n(py)}" for px, py in run)
                body.append(
                    f'<polyline class="line {s.kind}" points="{coords}"><title>{escape(s.label)}</title></polyline>'
                )
        for i, v in enumerate(s.values):
            if v is None:
                continue
            body.append(f'<circle class="dot {s.kind}" cx="{_n(x_at(i))}" cy="{_n(y_at(v))}" r="3.5"/>')
            if s.kind == "main":  # above the point, or below it where another line passes just above
                others = [o.values[i] for o in series if o is not s and o.values[i] is not None]
                crowded = any(0 <= (o - v) * plot_h / (hi - lo) <= 22 for o in others)  # type: ignore[operator]
                body.append(_text(x_at(i), y_at(v) + (20 if crowded else -9), score(v), "point-label", "middle"))
    return _svg(width, height, label, body, "trend")


def sparkline(values: Sequence[float | None], label: str) -> Markup:
    """A small line of one department's totals for the ranking table; empty under two figures."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return Markup("")
    width, height, pad = 96, 26, 4
    lo, hi = min(known), max(known)
    if hi - lo < 10:  # a flat-looking line for small moves, not a dramatic one
        mid = (hi + lo) / 2
        lo, hi = mid - 5, mid + 5
    step = (width - 2 * pad) / (len(values) - 1)
    points = [
        None if v is None else (pad + i * step, pad + (height - 2 * pad) * (hi - v) / (hi - lo))
        for i, v in enumerate(values)
    ]
    body = [
        f'<polyline class="line spark" points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in run)}"/>'
        for run in _segments(points)
        if len(run) > 1
    ]
    last = next(p for p in reversed(points) if p is not None)
    body.append(f'<circle class="dot spark" cx="{_n(last[0])}" cy="{_n(last[1])}" r="2.5"/>')
    return _svg(width, height, label, body, "sparkline")
