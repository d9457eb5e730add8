"""Typed scenario edits (``supportsim.scenario.edit``): each changes one thing, validated again."""

from __future__ import annotations

from pathlib import Path

import pytest

import supportsim
from supportsim import ScenarioError
from supportsim.scenario import get_path, set_path
from supportsim.scenario.io import scenario_from_dict

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def queue() -> supportsim.Scenario:
    return supportsim.one_day(supportsim.load_scenario(SCENARIOS / "single_queue.yaml"))


@pytest.fixture(scope="module")
def baseline() -> supportsim.Scenario:
    return supportsim.load_scenario(SCENARIOS / "helpdesk_baseline.yaml")


def test_paths() -> None:
    data = {"groups": [{"headcount": 3}, {"headcount": 5}]}
    assert get_path(data, "groups[1].headcount") == 5
    set_path(data, "groups[0].headcount", 4)
    assert data["groups"][0]["headcount"] == 4


def test_with_values_validates_and_names_the_field(queue: supportsim.Scenario) -> None:
    changed = supportsim.with_values(queue, {"groups[1].headcount": 7}, name="more tier 2")
    assert changed.groups[1].headcount == 7 and changed.name == "more tier 2"
    assert queue.groups[1].headcount == 5 and queue.name != "more tier 2"  # the original is untouched
    with pytest.raises(ScenarioError) as error:
        supportsim.with_values(queue, {"groups[1].headcount": -1})
    assert error.value.problems == [("groups[1].headcount", "must be >= 0")]


def test_one_day(baseline: supportsim.Scenario) -> None:
    day = supportsim.one_day(baseline, "sat")
    assert (day.horizon.days, day.horizon.start_weekday, day.horizon.warmup_hours) == (1, "sat", 24)
    assert supportsim.one_day(baseline).horizon.start_weekday == baseline.horizon.start_weekday
    rates = [100.0] * 48 + [10.0] * 48  # two days of half-hour rates: the first day is kept
    data = supportsim.with_values(
        baseline, {"channels[0].arrivals": {"rates_per_hour": rates}, "horizon.days": 2}
    )
    assert supportsim.one_day(data).channels[0].arrivals.rates_per_hour == [100.0] * 48


@pytest.mark.parametrize(("weekday", "kept"), [("wed", 3.0), ("mon", 1.0), (None, 1.0), ("sun", 1.0)])
def test_one_day_keeps_the_weekdays_own_rates(weekday: str | None, kept: float) -> None:
    """Whole-horizon tables (Monday to Saturday, 1-hour intervals: day d at d calls an hour and
    d - 1 people): one day on Wednesday keeps Wednesday's; a weekday the horizon lacks (Sunday)
    or none keeps the first day's; a one-day table stays as it is."""
    data = {
        "name": "six days", "horizon": {"days": 6, "interval_minutes": 60, "start_weekday": "mon"},
        "channels": [{"name": "phone", "mode": "realtime",
                      "arrivals": {"rates_per_hour": [float(d + 1) for d in range(6) for _ in range(24)]}}],
        "categories": [{"name": "q", "channels": {"phone": 1.0}, "skill": "s",
                        "handle_minutes": {"dist": "exponential", "mean": 4}}],
        "groups": [{"name": "a", "skills": ["s"], "headcount_per_interval": [2] * 24},
                   {"name": "b", "skills": ["s"], "headcount_per_interval": [d for d in range(6) for _ in range(24)]}],
    }
    day = supportsim.one_day(scenario_from_dict(data), weekday)
    assert day.channels[0].arrivals.rates_per_hour == [kept] * 24
    assert day.groups[0].headcount_per_interval == [2] * 24  # a one-day table is every day's
    assert day.groups[1].headcount_per_interval == [kept - 1] * 24


def test_one_thing_changes(queue: supportsim.Scenario) -> None:
    assert supportsim.scale_headcount(queue, "tier2", 2.0).groups[1].headcount == 10
    assert supportsim.scale_headcount(queue, "tier2", 2.0).groups[0] == queue.groups[0]
    assert supportsim.scale_handle_time(queue, "general", 1.5).categories[
        0
    ].handle_minutes.mean == pytest.approx(9)
    assert supportsim.automation_share(queue, "phone") == pytest.approx(0.3)
    assert supportsim.automation_share(
        supportsim.set_automation_share(queue, "phone", 0.5), "phone"
    ) == pytest.approx(0.5)
    surged = supportsim.add_surge(queue, "phone", 20, 1.0)
    rates = surged.channels[0].arrivals.rates_per_hour
    assert rates is not None and rates[20] == pytest.approx(200) and rates[19] == pytest.approx(100)
    assert supportsim.add_surge(queue, "phone", 20, 0.0) is queue


def test_a_bot_is_added_where_there_is_none(baseline: supportsim.Scenario) -> None:
    day = supportsim.one_day(baseline)
    assert supportsim.automation_share(day, "chat") == 0
    assert supportsim.automation_share(
        supportsim.set_automation_share(day, "chat", 0.4), "chat"
    ) == pytest.approx(0.4)
    assert supportsim.set_automation_share(day, "chat", 0.0) == day  # no bot for nothing


def test_scaling_shift_groups(baseline: supportsim.Scenario) -> None:
    doubled = supportsim.scale_headcount(baseline, "tier2", 2.0)
    assert [s.count for s in doubled.groups[1].shifts or []] == [
        2 * s.count for s in baseline.groups[1].shifts or []
    ]


def test_an_invalid_edit_is_refused(queue: supportsim.Scenario) -> None:
    with pytest.raises(ScenarioError, match="handle_minutes"):
        supportsim.scale_handle_time(queue, "general", -1.0)
