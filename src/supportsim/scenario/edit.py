"""Scenario edits: a changed copy of a scenario, validated again like a file.

Every edit goes through :func:`edited`: the scenario as plain data (what its YAML would
say), changed in place by a function, then validated, so an edit can never produce a
scenario that a file could not. The typed edits below (headcount, automation, handle time,
a surge, one day) are the changes the app's pages and notebooks make.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from supportsim.scenario.calendar import weekday_of_day
from supportsim.scenario.io import scenario_from_dict
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import arrival_rates


def edited(
    scenario: Scenario, change: Callable[[dict[str, Any]], None], *, source: str = "<edited scenario>"
) -> Scenario:
    """``scenario`` with ``change(data)`` applied to its plain data, validated again.

    Raises:
        ScenarioError: the changed scenario is invalid; ``source`` names it in the message.
    """
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    change(data)
    return scenario_from_dict(data, source=source)


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _PATH_PART.findall(path)]


def get_path(data: Any, path: str) -> Any:
    """The value at a path like ``channels[0].arrivals.per_day`` of a scenario's plain data."""
    for part in _parts(path):
        data = data[part]
    return data


def set_path(data: Any, path: str, value: Any) -> None:
    """Set the value at a path like ``groups[1].headcount`` of a scenario's plain data (in place)."""
    parts = _parts(path)
    for part in parts[:-1]:
        data = data[part]
    data[parts[-1]] = value


def with_values(scenario: Scenario, values: dict[str, Any], name: str | None = None) -> Scenario:
    """``scenario`` with the values at the given paths replaced, renamed ``name`` if given.

    Paths are as in :func:`set_path`; values are in the units of the scenario file.

    Raises:
        ScenarioError: the changed scenario is invalid (its problems name the paths).
    """

    def change(data: dict[str, Any]) -> None:
        for path, value in values.items():
            set_path(data, path, value)
        if name is not None:
            data["name"] = name

    return edited(scenario, change, source=name or scenario.name)


def one_day(scenario: Scenario, weekday: str | None = None) -> Scenario:
    """``scenario`` cut to one day (warm-up at most 24 hours), starting on ``weekday`` if given.

    Per-interval tables of the whole horizon (arrival rates, headcounts) keep the first day
    that falls on ``weekday`` (the first day when none does, or without ``weekday``).
    """
    horizon = scenario.horizon
    per_day = horizon.intervals_per_day
    days = [d for d in range(horizon.days) if weekday_of_day(horizon, d) == weekday]
    first = (days[0] if days else 0) * per_day

    def change(data: dict[str, Any]) -> None:
        horizon = data["horizon"]
        horizon["days"] = 1
        horizon["warmup_hours"] = min(float(horizon.get("warmup_hours", 0.0)), 24.0)
        if weekday is not None:
            horizon["start_weekday"] = weekday
        for channel in data["channels"]:
            rates = channel["arrivals"].get("rates_per_hour")
            if rates is not None and len(rates) != per_day:
                channel["arrivals"]["rates_per_hour"] = rates[first:first + per_day]
        for group in data["groups"]:
            counts = group.get("headcount_per_interval")
            if counts is not None and len(counts) != per_day:
                group["headcount_per_interval"] = counts[first:first + per_day]

    return edited(scenario, change, source=scenario.name)


def _scaled(dist: dict[str, Any], factor: float) -> dict[str, Any]:
    """A distribution (as data) with every time multiplied by ``factor`` (cv unchanged)."""
    scaled = dict(dist)
    for key in ("mean", "value", "low", "high"):
        if key in scaled:
            scaled[key] = scaled[key] * factor
    if "values" in scaled:
        scaled["values"] = [v * factor for v in scaled["values"]]
    return scaled


def scale_headcount(scenario: Scenario, group: str, factor: float) -> Scenario:
    """``group``'s people (headcount, per-interval headcounts or shift counts) times ``factor``,
    rounded to whole people.
    """

    def change(data: dict[str, Any]) -> None:
        for g in data["groups"]:
            if g["name"] != group:
                continue
            if "headcount" in g:
                g["headcount"] = round(g["headcount"] * factor)
            if "headcount_per_interval" in g:
                g["headcount_per_interval"] = [round(c * factor) for c in g["headcount_per_interval"]]
            for shift in g.get("shifts", []):
                shift["count"] = round(shift["count"] * factor)

    return edited(scenario, change, source=scenario.name)


def automation_share(scenario: Scenario, channel: str) -> float:
    """Share (0-1) of ``channel``'s contacts its bot resolves, over the category mix (0 without a bot)."""
    bot = next((a for a in scenario.automation if channel in a.channels), None)
    if bot is None:
        return 0.0
    shares = {c.name: c.channels.get(channel, 0.0) for c in scenario.categories}
    return float(sum(share * bot.resolves.get(name, 0.0) for name, share in shares.items()))


def set_automation_share(scenario: Scenario, channel: str, share: float) -> Scenario:
    """Let the bot on ``channel`` resolve ``share`` (0-1) of every category it sees.

    A channel without a bot gets a simple one (exponential 2-minute conversations) when
    ``share`` > 0.
    """

    def change(data: dict[str, Any]) -> None:
        bots = [a for a in data.get("automation", []) if channel in a["channels"]]
        categories = [c["name"] for c in data["categories"] if channel in c["channels"]]
        if bots:
            bots[0]["resolves"] = dict.fromkeys(categories, share) | {
                k: v for k, v in bots[0]["resolves"].items() if k not in categories
            }
        elif share > 0:
            data.setdefault("automation", []).append(
                {
                    "name": f"{channel}_bot",
                    "channels": [channel],
                    "resolves": dict.fromkeys(categories, share),
                    "bot_minutes": {"dist": "exponential", "mean": 2.0},
                }
            )

    return edited(scenario, change, source=scenario.name)


def scale_handle_time(scenario: Scenario, category: str, factor: float) -> Scenario:
    """``category``'s first-contact handle time (minutes) times ``factor``, its cv unchanged."""

    def change(data: dict[str, Any]) -> None:
        for c in data["categories"]:
            if c["name"] == category:
                c["handle_minutes"] = _scaled(c["handle_minutes"], factor)

    return edited(scenario, change, source=scenario.name)


def add_surge(scenario: Scenario, channel: str, interval: int, extra_fraction: float) -> Scenario:
    """``channel``'s arrival rate (contacts per hour) in one interval of the day times
    ``1 + extra_fraction`` (1.0 doubles it).

    The channel's arrivals become the last day's per-interval rates, so this is meant for a
    one-day scenario (:func:`one_day`); ``interval`` counts from midnight and wraps at a day.
    ``extra_fraction`` 0 returns ``scenario`` itself.
    """
    if extra_fraction == 0:
        return scenario
    per_day = scenario.horizon.intervals_per_day
    rates = arrival_rates(scenario.channel(channel).arrivals, scenario.horizon)[-per_day:].copy()
    rates[interval % per_day] *= 1 + extra_fraction

    def change(data: dict[str, Any]) -> None:
        for c in data["channels"]:
            if c["name"] == channel:
                daily_cv = c["arrivals"].get("daily_cv", 0.0)
                c["arrivals"] = {"rates_per_hour": [float(r) for r in rates], "daily_cv": daily_cv}

    return edited(scenario, change, source=scenario.name)
