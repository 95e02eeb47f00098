"""scorecard.yaml: the reviewed defaults, weights split and checked, errors naming file and key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gongshu.scorecard.config import ConfigError, load_config, parse_config

DEFAULT_WEIGHTS = {
    "metadata_completeness": 7.5,
    "catalog_validity": 7.5,
    "collection_rate": 10,
    "collection_timeliness": 10,
    "cycle_accuracy": 5,
    "gate_pass_rate": 25 / 3,
    "row_pass_rate": 25 / 3,
    "issue_fix_rate": 25 / 3,
    "share_degree": 7.5,
    "request_timeliness": 7.5,
    "open_rate": 5,
    "open_timeliness": 5,
    "share_use": 5,
    "open_use": 5,
}


def test_reviewed_file_gives_the_issue_weights(config):
    weights = config.weights()
    assert sum(w for _, w in weights.values()) == pytest.approx(100)
    assert weights["share_use"][0] == weights["open_use"][0] == "数据利用"
    assert {c: w for c, (_, w) in weights.items()} == pytest.approx(DEFAULT_WEIGHTS)
    assert weights["issue_fix_rate"][0] == "数据质量"
    assert config.issue_fix_days == 5
    assert config.ranking.red_top == 3 and config.ranking.black_below == 60


def test_built_in_defaults_match_the_file(config):
    assert {c: w for c, (_, w) in parse_config({}).weights().items()} == pytest.approx(DEFAULT_WEIGHTS)


def test_indicator_weight_given_and_rest_shared():
    cfg = parse_config(
        {
            "dimensions": [
                {
                    "name": "数据质量",
                    "weight": 100,
                    "indicators": [
                        {"code": "gate_pass_rate", "weight": 50},
                        {"code": "row_pass_rate"},
                        {"code": "issue_fix_rate"},
                    ],
                }
            ]
        }
    )
    assert {c: w for c, (_, w) in cfg.weights().items()} == {
        "gate_pass_rate": 50,
        "row_pass_rate": 25,
        "issue_fix_rate": 25,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"dimensions": [{"name": "x", "weight": 100, "indicators": [{"code": "nope"}]}]},
            "dimensions[0].indicators[0].code: unknown indicator 'nope'",
        ),
        (
            {"dimensions": [{"name": "x", "weight": 90, "indicators": [{"code": "open_rate"}]}]},
            "dimensions: the dimension weights add up to 90, not 100",
        ),
        (
            {"dimensions": [{"name": "x", "weight": 100, "indicators": [{"code": "open_rate", "weight": 60}]}]},
            "dimensions[0]: the indicator weights of x add up to 60, its weight is 100",
        ),
        ({"ranking": {"red_top": -1}}, "ranking.red_top:"),
        ({"ranking": {"colour": "red"}}, "ranking.colour: Extra inputs are not permitted"),
        ({"calendar": {"holidays": [{"name": "x", "from": "2026-13-01"}]}}, "calendar.holidays[0].from:"),
    ],
)
def test_errors_name_the_file_and_key(data, message):
    with pytest.raises(ConfigError) as err:
        parse_config(data, "city/scorecard.yaml")
    assert f"city/scorecard.yaml: {message}" in str(err.value)


def test_load_config_overrides_and_missing_file(tmp_path: Path):
    path = tmp_path / "scorecard.yaml"
    path.write_text("ranking: {red_top: 5}\ncalendar:\n  extra_holidays: [2026-11-03]\n", encoding="utf-8")
    cfg = load_config(path, overrides={"ranking": {"black_below": None}})
    assert (cfg.ranking.red_top, cfg.ranking.black_bottom, cfg.ranking.black_below) == (5, 3, None)
    assert not cfg.work_calendar().is_working_day(dt.date(2026, 11, 3))
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.yaml")
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(path)


def test_extra_workday_overrides_a_notice_holiday(config, tmp_path):
    cfg = parse_config({"calendar": {**config.calendar.model_dump(by_alias=True), "extra_workdays": ["2026-10-07"]}})
    assert cfg.work_calendar().is_working_day(dt.date(2026, 10, 7))
    assert not config.work_calendar().is_working_day(dt.date(2026, 10, 7))


def test_config_hash_follows_the_weighting(config):
    assert config.digest() == load_config(Path(__file__).resolve().parents[2] / "scorecard.yaml").digest()
    assert parse_config({"ranking": {"red_top": 4}}).digest() != parse_config({}).digest()
