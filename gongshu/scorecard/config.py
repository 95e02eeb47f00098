"""The scorecard configuration (``scorecard.yaml``): dimensions and their weights, the indicators of
each, the 红榜/黑榜 rules, the issue deadline, the 申诉 window and the working-day calendar.

Weights are points of the total: the dimensions add up to 100. An indicator without a weight gets
an equal share of what its dimension's weighted indicators leave. An indicator left out of the file
is not scored. Errors name the file and the key (``scorecard.yaml: dimensions[1].weight: ...``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..clock import WorkCalendar

DEFAULT_PATH = Path("scorecard.yaml")
INDICATOR_CODES = (
    "metadata_completeness",
    "catalog_validity",
    "collection_rate",
    "collection_timeliness",
    "cycle_accuracy",
    "gate_pass_rate",
    "row_pass_rate",
    "issue_fix_rate",
    "share_degree",
    "request_timeliness",
    "open_rate",
    "open_timeliness",
    "share_use",  # 数据利用 (indicators_use.py)
    "open_use",
)
_EPS = 1e-9


class ConfigError(ValueError):
    """The configuration is wrong; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class IndicatorConfig(_Strict):
    code: str
    weight: float | None = Field(None, ge=0)
    """Points of the total; None: an equal share of the dimension's remaining weight."""

    @field_validator("code")
    @classmethod
    def _known(cls, code: str) -> str:
        if code not in INDICATOR_CODES:
            raise ValueError(f"unknown indicator '{code}'; known: {', '.join(INDICATOR_CODES)}")
        return code


class DimensionConfig(_Strict):
    name: str = Field(min_length=1)
    weight: float = Field(ge=0)
    indicators: list[IndicatorConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights_fit(self) -> DimensionConfig:
        given = sum(i.weight for i in self.indicators if i.weight is not None)
        unweighted = sum(i.weight is None for i in self.indicators)
        if given > self.weight + _EPS or (not unweighted and abs(given - self.weight) > _EPS):
            raise ValueError(f"the indicator weights of {self.name} add up to {given:g}, its weight is {self.weight:g}")
        return self

    def weights(self) -> dict[str, float]:
        """Each indicator's points, the unweighted ones sharing what is left equally."""
        given = sum(i.weight for i in self.indicators if i.weight is not None)
        unweighted = [i for i in self.indicators if i.weight is None]
        share = (self.weight - given) / len(unweighted) if unweighted else 0.0
        return {i.code: (i.weight if i.weight is not None else share) for i in self.indicators}


class RankingConfig(_Strict):
    red_top: int = Field(3, ge=0)
    """红榜: the departments ranked 1..N (ties at N included)."""
    black_bottom: int = Field(3, ge=0)
    """黑榜: the departments in the last N ranks (ties included) ..."""
    black_below: float | None = Field(60.0, ge=0, le=100)
    """... and every department whose total is below this (None: no threshold)."""


class DateSpan(_Strict):
    name: str
    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(None, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> DateSpan:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"{self.name}: 'to' {self.end} is before 'from' {self.start}")
        return self

    def days(self) -> list[dt.date]:
        last = self.end or self.start
        return [self.start + dt.timedelta(days=n) for n in range((last - self.start).days + 1)]


class CalendarConfig(_Strict):
    holidays: list[DateSpan] = []
    """放假调休 days per the State Council notices (weekends inside a span included, harmlessly)."""
    workdays: list[DateSpan] = []
    """调休上班: weekend days worked."""
    extra_holidays: list[dt.date] = []
    """Local overrides: days off the notices do not list."""
    extra_workdays: list[dt.date] = []
    """Local overrides: days worked the notices do not list (win over any holiday)."""

    @model_validator(mode="after")
    def _no_overlap(self) -> CalendarConfig:
        self.calendar()
        return self

    def calendar(self) -> WorkCalendar:
        extra_work = set(self.extra_workdays)
        holidays = {d for span in self.holidays for d in span.days()} | set(self.extra_holidays)
        workdays = {d for span in self.workdays for d in span.days()} | extra_work
        return WorkCalendar.of(holidays - extra_work, workdays - set(self.extra_holidays) | extra_work)

    def years(self) -> set[int]:
        return {span.start.year for span in self.holidays}


def _default_dimensions() -> list[DimensionConfig]:
    table: tuple[tuple[str, float, tuple[str | tuple[str, float], ...]], ...] = (
        ("目录编制", 15, ("metadata_completeness", "catalog_validity")),
        ("数据归集", 25, (("collection_rate", 10), ("collection_timeliness", 10), ("cycle_accuracy", 5))),
        ("数据质量", 25, ("gate_pass_rate", "row_pass_rate", "issue_fix_rate")),
        ("数据共享", 15, ("share_degree", "request_timeliness")),
        ("数据开放", 10, ("open_rate", "open_timeliness")),
        ("数据利用", 10, ("share_use", "open_use")),
    )
    return [DimensionConfig(name=n, weight=w, indicators=[_indicator(c) for c in codes]) for n, w, codes in table]


def _indicator(spec: str | tuple[str, float]) -> IndicatorConfig:
    """An indicator of the built-in weighting: its code, or (code, points)."""
    return IndicatorConfig(code=spec) if isinstance(spec, str) else IndicatorConfig(code=spec[0], weight=spec[1])


class ScorecardConfig(_Strict):
    dimensions: list[DimensionConfig] = Field(default_factory=_default_dimensions, min_length=1)
    ranking: RankingConfig = RankingConfig()
    issue_fix_days: int = Field(5, ge=1, le=60)
    """Working days a department has to fix a data-quality issue (问题整改时限)."""
    appeal_days: int = Field(10, ge=1, le=60)
    """Working days after a month's version is issued in which a department may file a 申诉 against it."""
    evidence_limit: int = Field(100, ge=1)
    """Items listed one by one per indicator and department; the rest are counted in one line."""
    calendar: CalendarConfig = CalendarConfig()

    @field_validator("dimensions")
    @classmethod
    def _consistent(cls, dimensions: list[DimensionConfig]) -> list[DimensionConfig]:
        seen: set[str] = set()
        for dim in dimensions:
            for ind in dim.indicators:
                if ind.code in seen:
                    raise ValueError(f"indicator '{ind.code}' is listed twice")
                seen.add(ind.code)
        total = sum(d.weight for d in dimensions)
        if abs(total - 100) > 1e-6:
            raise ValueError(f"the dimension weights add up to {total:g}, not 100")
        return dimensions

    def weights(self) -> dict[str, tuple[str, float]]:
        """indicator code -> (dimension name, points), in the configured order."""
        return {code: (d.name, w) for d in self.dimensions for code, w in d.weights().items()}

    def work_calendar(self) -> WorkCalendar:
        return self.calendar.calendar()

    def digest(self) -> str:
        """SHA-256 of the configuration as validated: the same weighting always hashes the same."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), ensure_ascii=False, sort_keys=True)
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, Mapping):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base.get(key), value)
        return out
    return over


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_config(data: Mapping[str, Any] | None, source: str = "scorecard.yaml") -> ScorecardConfig:
    try:
        return ScorecardConfig.model_validate(dict(data or {}))
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{source}: {_where(tuple(err['loc']))}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_config(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> ScorecardConfig:
    """Read ``path`` (default ``./scorecard.yaml``; the built-in defaults when that file does not
    exist and no path was given), deep-merge ``overrides`` (e.g. ``{"ranking": {"red_top": 5}}``)
    over it, and validate."""
    explicit = path is not None
    path = path or DEFAULT_PATH
    data: Any = {}
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: (top level): expected a mapping, got {type(data).__name__}")
    elif explicit:
        raise ConfigError(f"{path}: no such file")
    return parse_config(_merge(data, overrides or {}), str(path))
