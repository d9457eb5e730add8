"""Today's roster: the scenario's own staffing, measured like a plan's roster.

People on duty per plan interval (throughout it, breaks excluded, before shrinkage, as
``scheduled_headcount`` is for a plan) and paid hours per roster week (seven days: a
scenario shorter than a week repeats its days, a longer one is averaged per week), so the
plan and today are compared on the same footing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.planning.shifts import SLOT_MINUTES, throughout
from supportsim.planning.weekly import ROSTER_DAYS
from supportsim.scenario.calendar import weekday_of_day
from supportsim.scenario.model import Group, Horizon, Scenario

__all__ = ["current_headcount", "weekly_paid_hours"]

FloatArray = NDArray[np.float64]


def _shift_duty(group: Group, horizon: Horizon, first_day: int, days: int) -> tuple[FloatArray, FloatArray]:
    """Person-seconds on duty and paid per 15-minute slot of days ``first_day .. first_day + days − 1``
    from the group's shift lines (shifts from the day before count where they run over).
    """
    assert group.shifts is not None
    interval_s = SLOT_MINUTES * 60.0
    n = days * 1440 // SLOT_MINUTES
    duty, paid = np.zeros(n), np.zeros(n)
    origin = first_day * 86400.0

    def add(table: FloatArray, begin: float, end: float, count: int) -> None:
        first, last = math.floor((begin - origin) / interval_s), math.ceil((end - origin) / interval_s)
        for k in range(max(0, first), min(n, last)):
            overlap = min(end, origin + (k + 1) * interval_s) - max(begin, origin + k * interval_s)
            if overlap > 0:
                table[k] += overlap * count

    for day in range(first_day - 1, first_day + days):
        weekday = weekday_of_day(horizon, day)
        for shift in group.shifts:
            if weekday not in shift.weekdays or shift.count == 0:
                continue
            begin = day * 86400.0 + shift.start_minutes * 60.0
            end = begin + shift.hours * 3600.0
            add(paid, begin, end, shift.count)
            if shift.break_ is None:
                add(duty, begin, end, shift.count)
            else:
                pause = begin + shift.break_.after_hours * 3600.0
                add(duty, begin, pause, shift.count)
                add(duty, pause + shift.break_.minutes * 60.0, end, shift.count)
    return duty, paid


def _table(group: Group, horizon: Horizon) -> FloatArray:
    """People per measured interval of a group staffed by headcount or a per-interval table."""
    if group.headcount is not None:
        return np.full(horizon.intervals, float(group.headcount))
    assert group.headcount_per_interval is not None
    table = np.asarray(group.headcount_per_interval, dtype=float)
    return table[np.arange(horizon.intervals) % len(table)]


def current_headcount(scenario: Scenario) -> pd.DataFrame:
    """One row per plan interval and group: ``current_headcount``, people on duty throughout
    the interval (the fewest at any moment, on a 15-minute grid; breaks excluded, before
    shrinkage) in the scenario as staffed.
    """
    horizon = scenario.horizon
    frames = []
    for group in scenario.groups:
        if group.shifts is None:
            people = _table(group, horizon)
        else:
            people = throughout(_shift_duty(group, horizon, 0, horizon.days)[0] / (SLOT_MINUTES * 60.0),
                                horizon.interval_minutes)
        frames.append(pd.DataFrame({"interval": np.arange(horizon.intervals), "group": group.name,
                                    "current_headcount": np.round(people, 6)}))
    return pd.concat(frames, ignore_index=True)


def weekly_paid_hours(scenario: Scenario) -> dict[str, float]:
    """Paid hours per roster week of each group as the scenario staffs it (breaks are paid)."""
    horizon = scenario.horizon
    hours: dict[str, float] = {}
    for group in scenario.groups:
        if group.shifts is not None:
            paid = sum(shift.count * shift.hours * len(set(shift.weekdays)) for shift in group.shifts)
        else:
            per_interval = _table(group, horizon) * horizon.interval_minutes / 60
            paid = float(per_interval.sum()) * ROSTER_DAYS / horizon.days
        hours[group.name] = float(paid)
    return hours
