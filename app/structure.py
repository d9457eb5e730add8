"""The editor's structural changes: add or remove a bot on a channel, a channel, a group, a shift line.

Each returns a new, validated scenario (:func:`supportsim.edited`; a change that breaks the
scenario raises :class:`supportsim.ScenarioError` naming the fields), so the page only asks
for the inputs and shows the problems. Free of Streamlit.
"""

from __future__ import annotations

import re
from typing import Any

import supportsim
from supportsim import Scenario


def add_bot(scenario: Scenario, channel: str, share: float) -> Scenario:
    """A bot on ``channel`` that resolves ``share`` (0-1) of what it sees (a simple one with
    2-minute conversations if the channel has none; an existing one is set to ``share``).
    """
    if share <= 0:
        raise ValueError("a bot must resolve a share above 0")
    return supportsim.set_automation_share(scenario, channel, share)


def remove_bot(scenario: Scenario, channel: str) -> Scenario:
    """``channel`` without a bot (a bot on several channels keeps the others)."""
    return supportsim.edited(scenario, lambda data: _without_bot_on(data, channel), source=scenario.name)


def _without_bot_on(data: dict[str, Any], channel: str) -> None:
    """Take ``channel`` off every bot of the scenario ``data``; drop the bots left without one."""
    kept = []
    for bot in data.get("automation", []):
        bot["channels"] = [c for c in bot["channels"] if c != channel]
        if bot["channels"]:
            kept.append(bot)
    data["automation"] = kept


def add_channel(scenario: Scenario, name: str, mode: str, per_hour: float, category: str) -> Scenario:
    """A new channel with a constant ``per_hour`` arrival rate whose contacts are all ``category``."""

    def change(data: dict[str, Any]) -> None:
        data["channels"].append({"name": name, "mode": mode, "arrivals": {"per_hour": per_hour}})
        for c in data["categories"]:
            if c["name"] == category:
                c["channels"][name] = 1.0

    return supportsim.edited(scenario, change, source=scenario.name)


def remove_channel(scenario: Scenario, name: str) -> Scenario:
    """The scenario without ``name``: its contacts, bots and follow-ups to it go with it
    (a category left without channels is removed too).
    """

    def change(data: dict[str, Any]) -> None:
        data["channels"] = [c for c in data["channels"] if c["name"] != name]
        categories = []
        for c in data["categories"]:
            c["channels"].pop(name, None)
            if c.get("follow_up", {}).get("channel") == name:
                del c["follow_up"]
            if c["channels"]:
                categories.append(c)
        data["categories"] = categories
        _without_bot_on(data, name)

    return supportsim.edited(scenario, change, source=scenario.name)


def add_group(scenario: Scenario, name: str, skills: list[str], headcount: int, cost_per_hour: float) -> Scenario:
    """A new agent group with a fixed ``headcount`` and the given skills."""

    def change(data: dict[str, Any]) -> None:
        data["groups"].append({"name": name, "skills": list(skills), "headcount": int(headcount),
                               "cost_per_hour": float(cost_per_hour)})

    return supportsim.edited(scenario, change, source=scenario.name)


def remove_group(scenario: Scenario, name: str) -> Scenario:
    """The scenario without group ``name`` (and without routes to it)."""

    def change(data: dict[str, Any]) -> None:
        data["groups"] = [g for g in data["groups"] if g["name"] != name]
        routing = data.get("routing", {})
        for skill, routes in list(routing.get("skills", {}).items()):
            routing["skills"][skill] = [r for r in routes if r["group"] != name]
            if not routing["skills"][skill]:
                del routing["skills"][skill]

    return supportsim.edited(scenario, change, source=scenario.name)


def add_shift_line(scenario: Scenario, group: str, start: str, hours: float, count: int) -> Scenario:
    """A shift line (every day) on ``group``; a group staffed by a fixed headcount keeps it as
    a first line covering the whole day.
    """

    def change(data: dict[str, Any]) -> None:
        g = next(g for g in data["groups"] if g["name"] == group)
        if "shifts" not in g:
            for key in ("headcount", "headcount_per_interval"):
                g.pop(key, None)
            g["shifts"] = []
        g["shifts"].append({"start": start, "hours": float(hours), "count": int(count)})

    return supportsim.edited(scenario, change, source=scenario.name)


def remove_shift_line(scenario: Scenario, group: str, index: int) -> Scenario:
    """``group`` without its shift line number ``index`` (from 0)."""

    def change(data: dict[str, Any]) -> None:
        g = next(g for g in data["groups"] if g["name"] == group)
        del g["shifts"][index]

    return supportsim.edited(scenario, change, source=scenario.name)


def renamed(scenario: Scenario, name: str) -> Scenario:
    """The same scenario under another name."""
    return supportsim.with_values(scenario, {}, name=name)


GROUP_CHOICES = {
    "preference": "the first listed group with a free agent (in the routing's order)",
    "longest_idle": "the agent idle longest, across the listed groups",
    "proportional_to_free": "a group with probability proportional to its free agents",
    "random_free": "a free agent at random",
}
"""The router's ways of picking a group for a new contact (``routing.group_choice``)."""


def channel_behaviour(scenario: Scenario, channel: str) -> dict[str, float]:
    """The channel's ``lines`` (0: no limit) and callbacks: ``retrial_probability``,
    ``retrial_delay_minutes`` (mean) and ``blocked_probability`` (all 0 without callbacks).
    """
    c = scenario.channel(channel)
    retrial = c.retrial
    return {
        "lines": float(c.lines or 0),
        "retrial_probability": retrial.probability if retrial else 0.0,
        "retrial_delay_minutes": retrial.delay_minutes.mean if retrial else 15.0,
        "blocked_probability": retrial.blocked_probability if retrial else 0.0,
    }


def set_channel_behaviour(
    scenario: Scenario, channel: str, lines: int, retrial_probability: float, retrial_delay_minutes: float,
    blocked_probability: float = 0.0,
) -> Scenario:
    """``channel`` with at most ``lines`` contacts in the system (0: no limit) and callbacks:
    ``retrial_probability`` of those who abandon (``blocked_probability`` of those blocked)
    call again after a delay of mean ``retrial_delay_minutes`` (the channel's delay family is
    kept, exponential if it had none); both shares 0 remove the callbacks.
    """

    def change(data: dict[str, Any]) -> None:
        c = next(c for c in data["channels"] if c["name"] == channel)
        c.pop("lines", None)
        if lines:
            c["lines"] = lines
        old = c.pop("retrial", None)
        if retrial_probability or blocked_probability:
            delay = dict(old["delay_minutes"]) if old else {"dist": "exponential", "mean": 1.0}
            key = "mean" if "mean" in delay else "value" if "value" in delay else None
            if key is None:  # a family without one mean parameter: an exponential of that mean
                delay = {"dist": "exponential", "mean": 1.0}
                key = "mean"
            delay[key] = retrial_delay_minutes
            c["retrial"] = {**(old or {}), "probability": retrial_probability, "delay_minutes": delay,
                            "blocked_probability": blocked_probability}

    return supportsim.edited(scenario, change, source=scenario.name)


def set_group_choice(scenario: Scenario, choice: str) -> Scenario:
    """The scenario with the router picking groups by ``choice`` (see :data:`GROUP_CHOICES`)."""

    def change(data: dict[str, Any]) -> None:
        data.setdefault("routing", {})["group_choice"] = choice

    return supportsim.edited(scenario, change, source=scenario.name)


_NAMES = {
    "lines": "lines",
    "retrial.probability": "callback share",
    "retrial.delay_minutes.mean": "callback delay",
    "retrial.delay_minutes.value": "callback delay",
    "retrial.blocked_probability": "blocked callers who call back",
    "routing.group_choice": "group choice",
}


def field_messages(error: supportsim.ScenarioError, scenario: Scenario) -> list[str]:
    """One line per problem naming the field as the editor does: ``channel phone, lines: must be >= 1``."""
    out = []
    for path, message in error.problems:
        match = re.match(r"channels\[(\d+)\]\.?(.*)", path)
        if match and int(match.group(1)) < len(scenario.channels):
            where = f"channel {scenario.channels[int(match.group(1))].name}"
            field = _NAMES.get(match.group(2), match.group(2))
            out.append(f"{where}, {field}: {message}" if field else f"{where}: {message}")
        else:
            out.append(f"{_NAMES.get(path, path) or 'scenario'}: {message}")
    return out
