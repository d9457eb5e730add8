"""Calendar arithmetic shared by every layer: weekdays, clock times and interval labels.

Day indices count from 0 (day 1 of a horizon is day 0); clock times are ``"HH:MM"`` and
minutes after midnight.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

if TYPE_CHECKING:
    from supportsim.scenario.model import Horizon

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_after(start: str, days: int) -> Weekday:
    """The weekday ``days`` days after weekday ``start`` (negative: before)."""
    return WEEKDAYS[(WEEKDAYS.index(start) + days) % 7]


def weekday_of_day(horizon: Horizon, day: int) -> Weekday:
    """Weekday (``mon`` .. ``sun``) of day index ``day`` of ``horizon`` (0 is day 1)."""
    return weekday_after(horizon.start_weekday, day)


@lru_cache(maxsize=4096)  # read per shift and day each run: parse each text once
def clock_minutes(text: str) -> int:
    """Minutes after midnight of an ``"HH:MM"`` clock time; ValueError for anything else."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text)
    if not match:
        raise ValueError(f"'{text}' is not a clock time HH:MM")
    return int(match.group(1)) * 60 + int(match.group(2))


def clock_text(minutes: int) -> str:
    """``"HH:MM"`` of a whole number of minutes after midnight (24:00 and later wrap hours)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def interval_label_columns(horizon: Horizon) -> dict[str, NDArray[Any]]:
    """The columns of :func:`interval_labels` as arrays (``weekday`` and ``time`` of Python strings)."""
    k = np.arange(horizon.intervals)
    per_day = horizon.intervals_per_day
    weekdays = np.array([weekday_of_day(horizon, d) for d in range(horizon.days)], dtype=object)
    times = np.array([clock_text(m * horizon.interval_minutes) for m in range(per_day)], dtype=object)
    return {
        "interval": k,
        "day": k // per_day + 1,
        "weekday": np.repeat(weekdays, per_day),
        "time": np.tile(times, horizon.days),
    }


def interval_labels(horizon: Horizon) -> pd.DataFrame:
    """``interval``, ``day`` (from 1), ``weekday`` and ``time`` (hh:mm start) of every measured interval."""
    return pd.DataFrame(interval_label_columns(horizon))
