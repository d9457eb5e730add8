"""Shift scheduling: the cheapest shifts that cover a headcount requirement, as a MILP.

The requirement is people rostered per plan interval and group (headcount after shrinkage,
as :func:`supportsim.scenario.profiles.headcount_for` gives it). Each group is scheduled on its own:
choose a whole number ``x_j`` of people for every allowed shift option ``j`` so that in every
plan interval the people on duty (on shift and not on their break) are at least the
requirement, minimising the total cost of paid hours (paid hours × the group's
``cost_per_hour``; paid hours alone when no group has a cost). This is a set-covering
integer program, solved exactly by ``scipy.optimize.milp`` (HiGHS).

**Coverage.** A shift covers an interval only if its agents are on duty for the whole
interval (a break or a start or end inside an interval leaves it uncovered), so the engine,
which staffs the time-weighted step function, never has fewer people than the requirement.
Shifts running past midnight cover the next plan day's first intervals (the plan is cyclic,
as the planning timeline is).

**Allowed shift options** of a group:

- the group's own shift lines in the scenario, if it has any (``start``, ``hours``,
  ``break``, ``weekdays``; their ``count`` is ignored): a line works every plan day whose
  weekday it lists;
- plus, for every group, the default options (:func:`default_options`): starts on every interval boundary within
  the group's opening hours (from the first to the last interval of the day in which any
  day requires someone of the group), lengths of 4, 6 and 8 paid hours (:data:`DEFAULT_HOURS`)
  ending by the close of the opening hours where they fit, a 30-minute break for shifts of 6
  hours or more placed at the middle of the shift or one interval either side (so breaks can
  be staggered: the engine sends one shift line on its break together), each worked on one
  plan day.

In the roster scenario each chosen option becomes a shift line with its count. A plan
shorter than a week repeats: a line for plan day ``d`` works every weekday that falls on
``d`` modulo the plan length (a one-day plan's lines work every day, so the engine's
warm-up days look like the plan day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csc_matrix

from supportsim.scenario.calendar import WEEKDAYS, clock_text, weekday_of_day
from supportsim.scenario.edit import edited
from supportsim.scenario.model import Break, Scenario, Shift

__all__ = ["Roster", "ShiftOption", "schedule", "shift_options"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

DEFAULT_HOURS = (4.0, 6.0, 8.0)
"""Paid lengths of the default shift options."""

DEFAULT_BREAK_MINUTES = 30.0
"""The one break of a default shift of :data:`BREAK_FROM_HOURS` or longer."""

BREAK_FROM_HOURS = 6.0
"""Default shifts this long or longer have a break."""


@dataclass(frozen=True)
class ShiftOption:
    """One allowed shift of a group: ``start_minutes`` after midnight of each of ``days``
    (plan day indices, 0 is day 1), ``hours`` paid, an optional break.
    """

    group: int
    start_minutes: int
    hours: float
    break_after_hours: float | None
    break_minutes: float | None
    days: tuple[int, ...]

    @property
    def start(self) -> str:
        """``"HH:MM"``."""
        return clock_text(self.start_minutes)

    def duty_seconds(self) -> list[tuple[float, float]]:
        """On-duty spans of one working day, seconds after its midnight."""
        begin = self.start_minutes * 60.0
        end = begin + self.hours * 3600.0
        if self.break_after_hours is None or self.break_minutes is None:
            return [(begin, end)]
        pause = begin + self.break_after_hours * 3600.0
        return [(begin, pause), (pause + self.break_minutes * 60.0, end)]


def coverage(options: list[ShiftOption], scenario: Scenario) -> FloatArray:
    """``A[k, j] = 1`` when option ``j`` has its people on duty for the whole plan interval ``k``."""
    horizon = scenario.horizon
    interval_s = horizon.interval_minutes * 60.0
    plan = horizon.intervals
    matrix = np.zeros((plan, len(options)))
    for j, option in enumerate(options):
        for day in option.days:
            for begin, end in option.duty_seconds():
                first = math.ceil(begin / interval_s - 1e-9)
                last = math.floor(end / interval_s + 1e-9)  # exclusive
                for k in range(first, last):
                    matrix[(day * horizon.intervals_per_day + k) % plan, j] = 1.0
    return matrix


def _opening(required: IntArray, per_day: int) -> tuple[int, int] | None:
    """First and one-past-last interval of the day in which any day requires someone."""
    by_time = required.reshape(-1, per_day).max(axis=0)
    open_ = np.flatnonzero(by_time > 0)
    if open_.size == 0:
        return None
    return int(open_[0]), int(open_[-1]) + 1


def default_options(scenario: Scenario, g: int, required: IntArray) -> list[ShiftOption]:
    """The default shift options of group ``g`` for a requirement (see the module docstring)."""
    horizon = scenario.horizon
    per_day, minutes = horizon.intervals_per_day, horizon.interval_minutes
    opening = _opening(required, per_day)
    if opening is None:
        return []
    first, last = opening
    options = []
    for hours in DEFAULT_HOURS:
        length = round(hours * 60 / minutes)
        latest = max(first, min(last - length, per_day - length))
        breaks: list[float | None] = [None]
        if hours >= BREAK_FROM_HOURS:
            middle = hours / 2 - DEFAULT_BREAK_MINUTES / 120
            breaks = [middle + shift * minutes / 60 for shift in (-1, 0, 1)]
        for start in range(first, latest + 1):
            for after in breaks:
                for day in range(horizon.days):
                    options.append(ShiftOption(
                        g, start * minutes, hours, after, None if after is None else DEFAULT_BREAK_MINUTES, (day,),
                    ))
    return options


def scenario_options(scenario: Scenario, g: int) -> list[ShiftOption]:
    """The group's own shift lines as options (counts ignored), deduplicated."""
    group = scenario.groups[g]
    seen: dict[tuple[object, ...], ShiftOption] = {}
    for shift in group.shifts or []:
        days = tuple(d for d in range(scenario.horizon.days) if weekday_of_day(scenario.horizon, d) in shift.weekdays)
        if not days:
            continue
        pause = shift.break_
        option = ShiftOption(
            g, shift.start_minutes, shift.hours, None if pause is None else pause.after_hours,
            None if pause is None else pause.minutes, days,
        )
        key = (option.start_minutes, option.hours, option.break_after_hours, option.break_minutes, days)
        seen.setdefault(key, option)
    return list(seen.values())


def shift_options(scenario: Scenario, g: int, required: IntArray) -> list[ShiftOption]:
    """Allowed options of group ``g``: its own shift lines plus the default options."""
    return scenario_options(scenario, g) + default_options(scenario, g, required)


@dataclass(frozen=True)
class Roster:
    """Shifts chosen for every group.

    Attributes:
        shifts: One row per chosen shift option: ``group``, ``start``, ``hours``,
            ``break_after_hours``, ``break_minutes``, ``days`` (plan days, e.g. ``"1,2"``),
            ``weekdays``, ``count``, ``paid_hours`` (over the plan), ``cost``.
        coverage: One row per plan interval and group: ``required_headcount`` and
            ``scheduled_headcount`` (people on duty for the whole interval).
        scenario: The scenario with every scheduled group's staffing replaced by its shifts.
        paid_hours: Total paid hours over the plan.
        cost: Total cost of the paid hours.
        optimal: Whether HiGHS proved every group's schedule optimal.
    """

    shifts: pd.DataFrame
    coverage: pd.DataFrame
    scenario: Scenario
    paid_hours: float
    cost: float
    optimal: bool


def solve_cover(
    matrix: FloatArray, required: IntArray, costs: FloatArray, *, time_limit: float = 60.0
) -> tuple[IntArray, bool]:
    """Whole numbers ``x >= 0`` minimising ``costs @ x`` with ``matrix @ x >= required`` (HiGHS).

    Returns ``(x, optimal)``. Raises ValueError when an interval needing people is covered by
    no option.
    """
    uncovered = (required > 0) & (matrix.sum(axis=1) == 0)
    if uncovered.any():
        raise ValueError(f"no allowed shift covers plan interval(s) {np.flatnonzero(uncovered).tolist()}")
    if not (required > 0).any():
        return np.zeros(matrix.shape[1], dtype=np.int64), True
    rows = required > 0
    result = milp(
        costs,
        constraints=LinearConstraint(csc_matrix(matrix[rows]), lb=required[rows].astype(float), ub=np.inf),
        integrality=np.ones(matrix.shape[1]),
        bounds=(0, np.inf),
        options={"time_limit": time_limit},
    )
    if result.x is None:
        raise ValueError(f"shift scheduling failed: {result.message}")
    return np.rint(result.x).astype(np.int64), bool(result.status == 0)


def _weekdays(scenario: Scenario, days: tuple[int, ...]) -> list[str]:
    """Weekdays a line for these plan days works (every weekday falling on them, cyclically)."""
    horizon = scenario.horizon
    if horizon.days >= 7:
        return sorted({weekday_of_day(horizon, d) for d in days}, key=WEEKDAYS.index)
    return [w for w in WEEKDAYS if (WEEKDAYS.index(w) - WEEKDAYS.index(horizon.start_weekday)) % horizon.days in days]


def schedule(scenario: Scenario, required: IntArray, *, time_limit: float = 60.0) -> Roster:
    """Cover ``required[g, k]`` (people per group and plan interval) at least cost.

    Options come from :func:`shift_options`; cost per paid hour is each group's
    ``cost_per_hour`` (1 for every group when none has a cost, i.e. minimise paid hours).
    """
    required = np.asarray(required, dtype=np.int64)
    horizon = scenario.horizon
    any_cost = any(g.cost_per_hour > 0 for g in scenario.groups)
    rows, cover_frames = [], []
    rostered: list[list[Shift]] = []  # the shift lines of each group
    total_hours = total_cost = 0.0
    optimal = True
    interval_index = np.arange(horizon.intervals)
    for g, group in enumerate(scenario.groups):
        options = shift_options(scenario, g, required[g])
        matrix = coverage(options, scenario) if options else np.zeros((horizon.intervals, 0))
        hours = np.array([o.hours * len(o.days) for o in options])
        rate = group.cost_per_hour if any_cost else 1.0
        try:
            x, solved = solve_cover(matrix, required[g], hours * rate, time_limit=time_limit)
        except ValueError as exc:
            raise ValueError(f"group '{group.name}': {exc}") from None
        optimal &= solved
        lines = []
        for option, count in zip(options, x, strict=True):
            if count <= 0:
                continue
            paid = option.hours * len(option.days) * count
            total_hours += paid
            total_cost += paid * group.cost_per_hour
            weekdays = _weekdays(scenario, option.days)
            rows.append({
                "group": group.name, "start": option.start, "hours": option.hours,
                "break_after_hours": option.break_after_hours, "break_minutes": option.break_minutes,
                "days": ",".join(str(d + 1) for d in option.days), "weekdays": ",".join(weekdays),
                "count": int(count), "paid_hours": paid, "cost": paid * group.cost_per_hour,
            })
            pause = None if option.break_after_hours is None else Break(
                after_hours=option.break_after_hours, minutes=option.break_minutes or 0.0
            )
            lines.append(Shift(start=option.start, hours=option.hours, count=int(count),
                               weekdays=weekdays, break_=pause))
        rostered.append(lines)
        cover_frames.append(pd.DataFrame({
            "interval": interval_index, "group": group.name, "required_headcount": required[g],
            "scheduled_headcount": (matrix @ x).astype(np.int64) if options else 0,
        }))
    columns = ["group", "start", "hours", "break_after_hours", "break_minutes", "days", "weekdays", "count",
               "paid_hours", "cost"]
    return Roster(
        shifts=pd.DataFrame(rows, columns=columns),
        coverage=pd.concat(cover_frames, ignore_index=True),
        scenario=edited(scenario, partial(_with_shifts, rostered), source="<roster>"),
        paid_hours=total_hours,
        cost=total_cost,
        optimal=optimal,
    )


def _with_shifts(lines: list[list[Shift]], data: dict[str, Any]) -> None:
    """Staff every group of the scenario ``data`` by its shift ``lines`` only."""
    for group, shifts in zip(data["groups"], lines, strict=True):
        group.pop("headcount", None)
        group.pop("headcount_per_interval", None)
        group["shifts"] = [line.model_dump(by_alias=True, exclude_none=True) for line in shifts]


def greedy_cover(matrix: FloatArray, required: IntArray, costs: FloatArray) -> IntArray:
    """A greedy cover (for comparison): repeatedly add the option covering the most missing
    people-intervals per unit cost, until every interval is covered.
    """
    x = np.zeros(matrix.shape[1], dtype=np.int64)
    missing = np.asarray(required, dtype=float).copy()
    while (missing > 0).any():
        gain = matrix.T @ (missing > 0)
        if not gain.any():
            raise ValueError("no option covers the remaining requirement")
        j = int(np.argmax(gain / costs))
        x[j] += 1
        missing -= matrix[:, j]
    return x
