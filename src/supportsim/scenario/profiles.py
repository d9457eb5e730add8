"""Time profiles of a scenario: arrival rates per interval and agents on duty over time.

Simulated time is in seconds; 0 is 00:00 of day 1, the warm-up runs at negative times.
Interval ``k`` covers ``[k * L, (k + 1) * L)``; warm-up intervals have negative ``k`` and
repeat the profile of the same time of day on the day before day 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.scenario.calendar import weekday_of_day
from supportsim.scenario.model import Arrivals, Group, Horizon

FloatArray = NDArray[np.float64]


def first_interval(horizon: Horizon) -> int:
    """Index of the first (warm-up) interval simulated; 0 without warm-up."""
    return -math.ceil(horizon.warmup_hours * 60 / horizon.interval_minutes)


def agents_for(headcount: Any, shrinkage: float) -> Any:
    """Agents taking contacts out of ``headcount`` rostered people (a number or an array):
    ``round(headcount × (1 − shrinkage))``, halves rounded up. The one rule of shrinkage.
    """
    agents = np.floor(np.asarray(headcount) * (1.0 - shrinkage) + 0.5).astype(np.int64)
    return int(agents) if agents.ndim == 0 else agents


def headcount_for(agents: int, shrinkage: float) -> int:
    """Fewest rostered people that :func:`agents_for` turns into ``agents`` taking contacts."""
    if agents <= 0:
        return 0
    keep = 1.0 - shrinkage
    h = max(0, math.ceil((agents - 0.5) / keep) - 1)
    while agents_for(h, shrinkage) < agents:
        h += 1
    return h


def _table_value(table: list[float] | list[int], k: int, per_day: int) -> float:
    return float(table[k] if 0 <= k < len(table) else table[k % per_day])


def arrival_rates(arrivals: Arrivals, horizon: Horizon) -> FloatArray:
    """Arrivals per hour in every simulated interval, from the first warm-up one to the last."""
    per_day = horizon.intervals_per_day
    ks = range(first_interval(horizon), horizon.intervals)
    if arrivals.per_hour is not None:
        return np.full(len(ks), arrivals.per_hour)
    if arrivals.rates_per_hour is not None:
        return np.array([_table_value(arrivals.rates_per_hour, k, per_day) for k in ks])
    assert arrivals.per_day is not None
    if arrivals.intraday is None:
        weights = np.full(per_day, 1.0 / per_day)
    else:
        raw = np.asarray(arrivals.intraday, dtype=float)
        if len(raw) == 24 and per_day != 24:
            raw = np.repeat(raw, per_day // 24)
        weights = raw / raw.sum()
    weekday: dict[str, float] = {str(day): factor for day, factor in (arrivals.weekday or {}).items()}
    days = range(ks[0] // per_day, (ks[-1] // per_day) + 1) if ks else range(0)
    factor = {day: weekday.get(weekday_of_day(horizon, day), 1.0) for day in days}
    hours = horizon.interval_minutes / 60
    return np.array([arrivals.per_day * factor[k // per_day] * weights[k % per_day] / hours for k in ks])


def roster_steps(
    group: Group, horizon: Horizon, *, with_breaks: bool = True
) -> tuple[FloatArray, NDArray[np.int64], NDArray[np.int64]]:
    """Rostered and available agents of ``group`` as step functions.

    Returns ``(times_seconds, rostered, available)``: from ``times_seconds[i]`` on (until the
    next time), ``rostered[i]`` people are paid (breaks included) and ``available[i]`` take
    contacts (breaks excluded, net of shrinkage: ``round(on_duty * (1 - shrinkage))``).
    With ``with_breaks=False`` breaks are left out of ``available`` (the engine then sends
    agents on break one by one, see :func:`break_starts`). The first time is the start of
    the warm-up.
    """
    interval_s = horizon.interval_minutes * 60
    start_s = first_interval(horizon) * interval_s
    end_s = horizon.intervals * interval_s
    if group.shifts is None:
        if group.headcount is not None:
            times = np.array([float(start_s)])
            counts = np.array([group.headcount])
        else:
            assert group.headcount_per_interval is not None
            ks = np.arange(first_interval(horizon), horizon.intervals)
            times = ks * float(interval_s)
            counts = np.array(
                [_table_value(group.headcount_per_interval, int(k), horizon.intervals_per_day) for k in ks]
            ).astype(np.int64)
        on_duty = counts
    else:
        times, counts, on_duty = _shift_steps(group, horizon, start_s, end_s, with_breaks)
    available = agents_for(on_duty, group.shrinkage)
    return times.astype(float), np.asarray(counts, dtype=np.int64), available


def break_starts(group: Group, horizon: Horizon) -> list[tuple[float, int, float]]:
    """Every break of ``group``'s shifts that starts inside the simulated time, as
    ``(start_seconds, people, break_seconds)``, sorted by start.
    """
    if group.shifts is None:
        return []
    interval_s = horizon.interval_minutes * 60
    start_s = first_interval(horizon) * interval_s
    end_s = horizon.intervals * interval_s
    out = []
    for day in range(math.floor(start_s / 86400) - 1, math.ceil(end_s / 86400) + 1):
        weekday = weekday_of_day(horizon, day)
        for shift in group.shifts:
            if weekday not in shift.weekdays or shift.count == 0 or shift.break_ is None:
                continue
            pause = day * 86400 + shift.start_minutes * 60 + shift.break_.after_hours * 3600
            if start_s <= pause < end_s:
                out.append((float(pause), shift.count, shift.break_.minutes * 60.0))
    out.sort(key=lambda b: b[0])
    return out


def _shift_steps(
    group: Group, horizon: Horizon, start_s: float, end_s: float, with_breaks: bool = True
) -> tuple[FloatArray, NDArray[np.int64], NDArray[np.int64]]:
    """Step functions of rostered and on-duty agents from a group's shifts."""
    assert group.shifts is not None
    paid: list[tuple[float, int]] = []
    duty: list[tuple[float, int]] = []
    first_day = math.floor(start_s / 86400) - 1
    last_day = math.ceil(end_s / 86400)
    for day in range(first_day, last_day + 1):
        weekday = weekday_of_day(horizon, day)
        for shift in group.shifts:
            if weekday not in shift.weekdays or shift.count == 0:
                continue
            begin = day * 86400 + shift.start_minutes * 60
            end = begin + shift.hours * 3600
            paid += [(begin, shift.count), (end, -shift.count)]
            duty += [(begin, shift.count), (end, -shift.count)]
            if shift.break_ is not None and with_breaks:
                pause = begin + shift.break_.after_hours * 3600
                duty += [(pause, -shift.count), (pause + shift.break_.minutes * 60, shift.count)]
    times = np.unique([start_s] + [t for t, _ in paid + duty if start_s < t < end_s])

    def level(changes: list[tuple[float, int]]) -> NDArray[np.int64]:
        if not changes:
            return np.zeros(len(times), dtype=np.int64)
        at = np.array([t for t, _ in changes])
        delta = np.array([d for _, d in changes])
        order = np.argsort(at, kind="stable")
        at, cumulative = at[order], np.cumsum(delta[order])
        index = np.searchsorted(at, times, side="right") - 1
        return np.where(index >= 0, cumulative[np.maximum(index, 0)], 0).astype(np.int64)

    return times, level(paid), level(duty)
