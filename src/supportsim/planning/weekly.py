"""Weekly rosters: which days each anonymous agent works, and which shift on each of them.

An agent works one shift length all week (a contract of ``hours`` a day) on the days of a
**work pattern**: ``k`` days of the seven, the other ``7 − k`` days off, with ``k`` chosen
so that ``k × hours`` lies within the weekly hours of the rules and ``7 − k`` is at least
``days_off_per_week``; with ``consecutive_days_off`` the days off include that many in a
row (the week seen as a cycle, so Sunday and Monday are consecutive). The shift MILP
(:mod:`supportsim.planning.shifts`) chooses how many agents work each pattern, so each
day's shifts of a length are exactly the agents of that length working the day; handing
the day's shifts to those agents is then any matching (:func:`assign_agents`), since the
rules depend on days and hours, not on start times.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supportsim.scenario.planning_rules import PlanningRules

__all__ = ["ROSTER_DAYS", "Pattern", "assign_agents", "staff_patterns", "work_patterns"]

ROSTER_DAYS = 7
"""Days of a roster week."""


@dataclass(frozen=True)
class Pattern:
    """A contract and its week: ``length`` (index into the rules' shift lengths), ``days`` worked (roster days)."""

    length: int
    days: tuple[int, ...]


def _off_ok(off: tuple[int, ...], needed: int, consecutive: bool) -> bool:
    """Whether the days ``off`` hold ``needed`` days off (in a row, cyclically, if ``consecutive``)."""
    if len(off) < needed:
        return False
    if not consecutive or needed <= 1:
        return True
    rest = set(off)
    return any(all((d + i) % ROSTER_DAYS in rest for i in range(needed)) for d in range(ROSTER_DAYS))


def work_patterns(rules: PlanningRules) -> list[Pattern]:
    """Every allowed (shift length, days worked) pair under ``rules`` (see the module docstring)."""
    patterns = []
    for index, length in enumerate(rules.shift_lengths):
        for k in range(ROSTER_DAYS - rules.days_off_per_week, 0, -1):
            weekly = k * length.hours
            if not rules.min_weekly_hours - 1e-9 <= weekly <= rules.max_weekly_hours + 1e-9:
                continue
            for days in itertools.combinations(range(ROSTER_DAYS), k):
                off = tuple(d for d in range(ROSTER_DAYS) if d not in days)
                if _off_ok(off, rules.days_off_per_week, rules.consecutive_days_off):
                    patterns.append(Pattern(index, days))
    return patterns


def assign_agents(
    group: str,
    first_agent: int,
    patterns: list[Pattern],
    agents: list[int],
    shifts_by_day: dict[tuple[int, int], list[str]],
    hours: list[float],
    part_time: list[bool],
    day_names: Sequence[str],
) -> pd.DataFrame:
    """One row per agent of ``group``: ``agent`` (numbered from ``first_agent``), ``group``,
    ``contract``, ``shift_hours``, ``weekly_hours`` and one column per roster day (``day_names``)
    with the shift worked (``"08:00-16:00"``) or ``"off"``.

    ``agents[i]`` people work ``patterns[i]``; ``shifts_by_day[(day, length)]`` lists the
    day's shifts of that length, one per person (as many as agents of the length work the day).
    """
    queues = {key: list(shifts) for key, shifts in shifts_by_day.items()}
    rows = []
    number = first_agent
    for pattern, count in zip(patterns, agents, strict=True):
        for _ in range(count):
            row: dict[str, object] = {
                "agent": number, "group": group,
                "contract": "part-time" if part_time[pattern.length] else "full-time",
                "shift_hours": hours[pattern.length],
                "weekly_hours": hours[pattern.length] * len(pattern.days),
            }
            for day, name in enumerate(day_names):
                if day not in pattern.days:
                    row[name] = "off"
                    continue
                queue = queues.get((day, pattern.length), [])
                if not queue:
                    raise AssertionError(f"an agent of group '{group}' works day {day + 1} without a shift")
                row[name] = queue.pop(0)
            rows.append(row)
            number += 1
    left = sum(len(q) for q in queues.values())
    if left:
        raise AssertionError(f"{left} shifts of group '{group}' have no agent (the MILP's days do not match)")
    return pd.DataFrame(rows, columns=["agent", "group", "contract", "shift_hours", "weekly_hours", *day_names])


def fte(weekly_hours: float, rules: PlanningRules) -> float:
    """Full-time equivalents of ``weekly_hours`` paid hours a week."""
    return weekly_hours / rules.fte_weekly_hours if rules.fte_weekly_hours > 0 else math.nan


def staff_patterns(
    shifts: dict[tuple[int, int], int], patterns: list[Pattern], hours: list[float], max_agents: int | None,
    *, part_time: list[bool] | None = None, max_part_time_share: float = 1.0, time_limit: float = 30.0,
) -> tuple[list[int], dict[tuple[int, int], int]]:
    """Agents per work pattern so that on every roster day the agents of each length working
    it match ``shifts[(day, length)]`` (a MILP, HiGHS), at most ``max_agents`` in all.

    Where they cannot match exactly, the change to the day's shifts is returned (positive:
    shifts to add, paid for but not needed; negative: shifts nobody can work, costing their
    coverage): first as few hours dropped as possible, then as few added, then fewest agents;
    the week's part-time paid hours stay within ``max_part_time_share`` (lengths flagged in
    ``part_time``) when the day's shifts already were.
    """
    from scipy.optimize import LinearConstraint, milp  # heavy: imported when patterns are staffed

    keys = sorted(set(shifts) | {(d, p.length) for p in patterns for d in p.days})
    row = {key: i for i, key in enumerate(keys)}
    n_p, n_k = len(patterns), len(keys)
    works = np.zeros((n_k, n_p))
    for i, pattern in enumerate(patterns):
        for d in pattern.days:
            works[row[(d, pattern.length)], i] = 1.0
    eye = np.eye(n_k)
    need = np.array([float(shifts.get(key, 0)) for key in keys])
    key_hours = np.array([hours[length] for _, length in keys])
    # columns: agents per pattern, shifts added, shifts dropped
    balance = LinearConstraint(np.hstack([works, -eye, eye]), lb=need, ub=need)
    constraints = [balance]
    if part_time is not None:
        lean = key_hours * (np.array([float(part_time[length]) for _, length in keys]) - max_part_time_share)
        room = -float(lean @ need)
        constraints.append(LinearConstraint(np.concatenate([np.zeros(n_p), lean, -lean]).reshape(1, -1),
                                            lb=-np.inf, ub=max(room, 0.0) + 1e-9))
    if max_agents is not None:
        cap = np.concatenate([np.ones(n_p), np.zeros(2 * n_k)])
        constraints.append(LinearConstraint(cap.reshape(1, -1), lb=0.0, ub=float(max_agents)))
    costs = np.concatenate([np.full(n_p, 1e-3), key_hours, 1e3 * key_hours])
    result = milp(costs, constraints=constraints, integrality=np.ones(n_p + 2 * n_k), bounds=(0, np.inf),
                  options={"time_limit": time_limit})
    if result.x is None:  # cannot happen (dropping every shift is feasible), but never raise
        return [0] * n_p, {key: -int(v) for key, v in zip(keys, need, strict=True) if v}
    x = np.rint(result.x).astype(np.int64)
    agents = [int(v) for v in x[:n_p]]
    change = {key: int(x[n_p + i] - x[n_p + n_k + i]) for i, key in enumerate(keys) if x[n_p + i] != x[n_p + n_k + i]}
    return agents, change
