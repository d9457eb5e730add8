"""Per-interval results seen over the day: means by time of day and by interval.

Both read :attr:`SimulationResult.intervals` (one row per replication, interval, scope and
name), so they work for every per-interval column: ``mean_waiting`` (contacts), ``service_level``
(0-1), ``occupancy`` (0-1), ``asa_seconds`` and the others.
"""

from __future__ import annotations

from typing import cast

import pandas as pd

from supportsim.results.simulation import SimulationResult


def mean_by_time_of_day(
    result: SimulationResult, scope: str, column: str, *, total: bool = False
) -> pd.DataFrame:
    """Mean of ``column`` at each time of day ("HH:MM" interval start), over days and replications.

    ``scope`` is ``channel``, ``category``, ``skill``, ``group`` or ``overall``. Returns
    ``name``, ``time`` and ``column`` per name of the scope; with ``total``, the names are
    first added up per replication and interval (e.g. contacts waiting in all channels) and
    the frame has ``time`` and ``column`` only, sorted by time. NaN (e.g. a service level
    with nobody offered) is left out of the means.
    """
    frame = result.intervals[result.intervals["scope"] == scope]
    if total:
        per_interval = frame.groupby(["replication", "interval", "time"], observed=True)[column].sum()
        return per_interval.groupby("time").mean().reset_index()
    means = frame.groupby(["name", "time"], observed=True, as_index=False)[column].mean()
    return cast(pd.DataFrame, means)


def mean_by_interval(result: SimulationResult, scope: str, column: str) -> pd.DataFrame:
    """Mean of ``column`` over replications in every interval of the horizon.

    Returns ``interval``, ``time`` ("HH:MM"), ``name`` and ``column``, one row per interval
    and name of ``scope``.
    """
    frame = result.intervals[result.intervals["scope"] == scope]
    means = frame.groupby(["interval", "time", "name"], observed=True, as_index=False)[column].mean()
    return cast(pd.DataFrame, means)
