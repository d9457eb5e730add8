"""Arrivals in a log: counts per interval, the weekly profile, day-to-day variation.

Per channel, contacts per interval of each weekday are averaged over the days of that
weekday in the log's period (days without contacts count as zero). ``daily_cv`` is the
day-to-day volume variation beyond Poisson, pooled over weekdays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.calibration.logs import ContactLog
from supportsim.scenario.calendar import Weekday, weekday_after


def period_weekdays(log: ContactLog) -> list[Weekday]:
    """Weekday of each day of the log's period."""
    return [weekday_after(log.start_weekday, d) for d in range(log.days)]


def arrival_counts(log: ContactLog, interval_minutes: int, keep: NDArray[np.bool_] | None = None) -> pd.DataFrame:
    """Count contacts (those in ``keep``) per channel, day and interval of the day.

    Every day of the period and every channel of the log has its rows, zeros too.
    """
    per_day = 1440 // interval_minutes
    minutes = log.arrival_minutes()
    frame = pd.DataFrame(
        {
            "channel": log.contacts["channel"].to_numpy(),
            "day": (minutes // 1440).astype(np.int64),
            "slot": ((minutes % 1440) // interval_minutes).astype(np.int64),
        }
    )
    channels = sorted(frame["channel"].unique())
    if keep is not None:
        frame = frame[keep]
    counts = frame.groupby(["channel", "day", "slot"]).size()
    full = pd.MultiIndex.from_product([channels, range(log.days), range(per_day)], names=["channel", "day", "slot"])
    out = counts.reindex(full, fill_value=0).rename("contacts").reset_index()
    out["weekday"] = np.array(period_weekdays(log))[out["day"].to_numpy()]
    return out


def weekly_profile(values: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean of ``column`` per channel, weekday and slot, over the days of each weekday."""
    return values.groupby(["channel", "weekday", "slot"], sort=False)[column].mean().reset_index()


def daily_cv(counts: pd.DataFrame) -> dict[str, float]:
    """Per channel: coefficient of variation of daily volume beyond Poisson noise.

    For each weekday seen on at least two days, (variance − mean) / mean² of its daily
    totals estimates cv²; the estimates are averaged over weekdays, and negative values
    (less spread than Poisson) give 0.
    """
    daily = counts.groupby(["channel", "day", "weekday"])["contacts"].sum().reset_index()
    out = {}
    for channel, rows in daily.groupby("channel"):
        estimates = []
        for _, days in rows.groupby("weekday"):
            totals = days["contacts"].to_numpy(dtype=float)
            if totals.size >= 2 and totals.mean() > 0:
                estimates.append((totals.var(ddof=1) - totals.mean()) / totals.mean() ** 2)
        out[str(channel)] = float(min(math.sqrt(max(float(np.mean(estimates)), 0.0)), 2.0)) if estimates else 0.0
    return out


def hourly(table: pd.Series, weekdays: Sequence[str], per_day: int, *, total: bool = False) -> dict[str, list[float]]:
    """Per weekday, 24 hourly values of a (weekday, slot) ``table``: sums of the slots (``total``) or their means."""
    out = {}
    slots_per_hour = per_day // 24
    for weekday in dict.fromkeys(weekdays):
        values = np.array([float(table.get((weekday, s), 0.0)) for s in range(per_day)]).reshape(24, slots_per_hour)
        per_hour = values.sum(axis=1) if total else values.mean(axis=1)
        out[weekday] = [round(float(v), 4) for v in per_hour]
    return out
