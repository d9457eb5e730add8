"""Checks across the parts of a scenario: names used once, every reference known, shares
adding up, tables of the right length. Each problem is a (field path, message) pair.
"""

from __future__ import annotations

import difflib
from collections import Counter
from typing import TYPE_CHECKING, Any

from supportsim.scenario.limits import MAX_EXPECTED_TICKETS, MAX_HEADCOUNT

if TYPE_CHECKING:
    from supportsim.scenario.model import Channel, Scenario


def _unknown(kind: str, name: str, known: set[str] | dict[str, Any]) -> str:
    """'unknown channel 'phnoe' (did you mean 'phone'?)'."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"unknown {kind} '{name}'" + (f" (did you mean '{close[0]}'?)" if close else "")


def _duplicates(path: str, names: list[str]) -> list[tuple[str, str]]:
    return [(path, f"name '{n}' is used more than once") for n, k in Counter(names).items() if k > 1]


def _table_length_problems(s: Scenario) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    per_day, total = s.horizon.intervals_per_day, s.horizon.intervals
    for i, channel in enumerate(s.channels):
        arrivals = channel.arrivals
        if arrivals.intraday is not None and len(arrivals.intraday) not in (per_day, 24):
            problems.append(
                (
                    f"channels[{i}].arrivals.intraday",
                    f"needs {per_day} weights (one per interval) or 24 (one per hour), got {len(arrivals.intraday)}",
                )
            )
        if arrivals.rates_per_hour is not None and len(arrivals.rates_per_hour) not in (per_day, total):
            problems.append(
                (
                    f"channels[{i}].arrivals.rates_per_hour",
                    f"needs {per_day} rates (one day) or {total} (the whole horizon), "
                    f"got {len(arrivals.rates_per_hour)}",
                )
            )
    for i, group in enumerate(s.groups):
        counts = group.headcount_per_interval
        if counts is not None and len(counts) not in (per_day, total):
            problems.append(
                (
                    f"groups[{i}].headcount_per_interval",
                    f"needs {per_day} counts (one day) or {total} (the whole horizon), got {len(counts)}",
                )
            )
    return problems


def _expected_contacts(channel: Channel, s: Scenario) -> float:
    """An upper bound of the new contacts ``channel`` brings over the horizon and warm-up."""
    arrivals, horizon = channel.arrivals, s.horizon
    hours = horizon.days * 24 + horizon.warmup_hours
    if arrivals.per_hour is not None:
        return arrivals.per_hour * hours
    if arrivals.per_day is not None:
        peak = max([1.0, *(arrivals.weekday or {}).values()])
        return arrivals.per_day * peak * hours / 24
    rates = arrivals.rates_per_hour or []
    if not rates:
        return 0.0
    interval_hours = horizon.interval_minutes / 60
    days = horizon.days if len(rates) == horizon.intervals_per_day else 1
    return sum(rates) * interval_hours * days + max(rates) * horizon.warmup_hours


def _capacity_problems(s: Scenario) -> list[tuple[str, str]]:
    """What the scenario asks of the machine, checked against the caps before anything is allocated."""
    problems: list[tuple[str, str]] = []
    expected = [_expected_contacts(channel, s) for channel in s.channels]
    comebacks = max([0.0, *(c.follow_up.probability for c in s.categories if c.follow_up is not None)])
    for i, category in enumerate(s.categories):
        if category.follow_up is not None and category.follow_up.probability >= 1:
            problems.append(
                (f"categories[{i}].follow_up.probability", "must be < 1 (every ticket would come back forever)")
            )
    for i, channel in enumerate(s.channels):
        if channel.retrial is None:
            continue
        for key in ("probability", "blocked_probability"):
            share = getattr(channel.retrial, key)
            comebacks = max(comebacks, share)
            if share >= 1:
                problems.append((f"channels[{i}].retrial.{key}", "must be < 1 (a customer could try forever)"))
    total = sum(expected) / (1 - comebacks) if comebacks < 1 else sum(expected)
    if not total <= MAX_EXPECTED_TICKETS:  # also refuses an overflow to inf
        worst = max(range(len(expected)), key=lambda i: expected[i])
        problems.append(
            (
                f"channels[{worst}].arrivals",
                f"asks for about {total:.3g} contacts over the horizon; the cap is {MAX_EXPECTED_TICKETS:,}",
            )
        )
    for i, group in enumerate(s.groups):
        if group.shifts is not None and sum(shift.count for shift in group.shifts) > MAX_HEADCOUNT:
            problems.append(
                (f"groups[{i}].shifts", f"the shifts' counts add up to more than {MAX_HEADCOUNT:,} agents (the cap)")
            )
    return problems


def cross_check(s: Scenario) -> list[tuple[str, str]]:
    """Every reference between parts of the scenario, checked; problems as (path, message)."""
    problems: list[tuple[str, str]] = []
    problems += _duplicates("channels", [c.name for c in s.channels])
    problems += _duplicates("categories", [c.name for c in s.categories])
    problems += _duplicates("groups", [g.name for g in s.groups])
    problems += _duplicates("automation", [a.name for a in s.automation])
    channels = {c.name for c in s.channels}
    categories = {c.name for c in s.categories}
    groups = {g.name: g for g in s.groups}

    share_sum = dict.fromkeys(channels, 0.0)
    for i, category in enumerate(s.categories):
        for name, share in category.channels.items():
            if name not in channels:
                problems.append((f"categories[{i}].channels.{name}", _unknown("channel", name, channels)))
            else:
                share_sum[name] += share
        if category.follow_up is not None and category.follow_up.channel not in channels:
            problems.append(
                (f"categories[{i}].follow_up.channel", _unknown("channel", category.follow_up.channel, channels))
            )
    for name, total in share_sum.items():
        if abs(total - 1.0) > 1e-6:
            index = [c.name for c in s.channels].index(name)
            problems.append(
                (f"channels[{index}]", f"the categories' shares of channel '{name}' add up to {total:g}, not 1")
            )

    automated: dict[str, int] = {}
    for i, bot in enumerate(s.automation):
        for j, name in enumerate(bot.channels):
            if name not in channels:
                problems.append((f"automation[{i}].channels[{j}]", _unknown("channel", name, channels)))
            elif name in automated:
                problems.append(
                    (
                        f"automation[{i}].channels[{j}]",
                        f"channel '{name}' already has automation '{s.automation[automated[name]].name}'",
                    )
                )
            else:
                automated[name] = i
        for name in bot.resolves:
            if name not in categories:
                problems.append((f"automation[{i}].resolves.{name}", _unknown("category", name, categories)))

    for i, group in enumerate(s.groups):
        for name in group.proficiency:
            if name not in group.skills:
                problems.append((f"groups[{i}].proficiency.{name}", f"'{name}' is not one of the group's skills"))

    needed = s.skills_needed()
    for skill, routes in s.routing.skills.items():
        if skill not in needed:
            problems.append((f"routing.skills.{skill}", f"no ticket needs skill '{skill}'"))
        for j, route in enumerate(routes):
            if route.group not in groups:
                problems.append((f"routing.skills.{skill}[{j}].group", _unknown("group", route.group, groups)))
            elif skill not in groups[route.group].skills:
                problems.append(
                    (f"routing.skills.{skill}[{j}].group", f"group '{route.group}' does not have skill '{skill}'")
                )
    for i, category in enumerate(s.categories):
        wanted = [(f"categories[{i}].skill", category.skill)] + [
            (f"categories[{i}].escalation[{j}].skill", tier.skill) for j, tier in enumerate(category.escalation)
        ]
        for path, skill in wanted:
            if not s.routes(skill):
                problems.append((path, f"no group has skill '{skill}'"))
    problems += _initial_problems(s, channels)
    problems += _table_length_problems(s)
    problems += _capacity_problems(s)
    return problems


def _initial_problems(s: Scenario, channels: set[str]) -> list[tuple[str, str]]:
    """``initial:`` names existing channels, with ``waiting`` on realtime and ``backlog`` on async ones."""
    problems: list[tuple[str, str]] = []
    for name, queue in s.initial.items():
        if name not in channels:
            problems.append((f"initial.{name}", _unknown("channel", name, channels)))
        elif s.channel(name).mode == "realtime" and queue.backlog:
            problems.append((f"initial.{name}.backlog", f"'{name}' is realtime: give waiting, not backlog"))
        elif s.channel(name).mode == "async" and queue.waiting:
            problems.append((f"initial.{name}.waiting", f"'{name}' is async: give backlog, not waiting"))
    return problems
