"""A volume history: contacts offered per channel and interval, from an interval report or a log.

Times are wall-clock (the centre's local time, as the report writes it). Every interval of
every day from the first to the last day is present: an interval without a row counts zero
(ACD reports leave empty intervals out), so a closed day reads as a day of zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.calibration import ContactLog, count_problems

VOLUME_COLUMNS = ("interval_start", "channel", "volume", "aht_seconds")
"""Columns of :attr:`VolumeHistory.volumes`."""

PLANNING_INTERVALS = (5, 15, 30, 60)
"""Interval lengths (minutes) a forecast can be made at."""


@dataclass(frozen=True)
class VolumeHistory:
    """Offered contacts per channel and interval (``volumes``, columns :data:`VOLUME_COLUMNS`).

    ``aht_seconds`` is NaN where unknown (no AHT column, or no contact handled);
    ``problems`` lists the rows not usable as they stand (line, column, reason, action).
    """

    source: str
    interval_minutes: int
    volumes: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int
    has_aht: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def channels(self) -> list[str]:
        """Channel names, sorted."""
        return sorted(str(c) for c in self.volumes["channel"].unique())

    @property
    def slots_per_day(self) -> int:
        """Intervals in a day."""
        return 1440 // self.interval_minutes

    def days(self) -> pd.DatetimeIndex:
        """Every calendar day of the history (midnights)."""
        starts = self.volumes["interval_start"]
        return pd.date_range(starts.min().normalize(), starts.max().normalize(), freq="D")

    def matrix(self, channel: str, column: str = "volume") -> tuple[pd.DatetimeIndex, NDArray[np.float64]]:
        """``(days, values)``: ``values[d, s]`` is ``column`` on day ``d`` in interval ``s``."""
        rows = self.volumes[self.volumes["channel"] == channel]
        days = self.days()
        day = ((rows["interval_start"].dt.normalize() - days[0]) // pd.Timedelta(days=1)).to_numpy(np.int64)
        minutes = rows["interval_start"].dt.hour * 60 + rows["interval_start"].dt.minute
        slot = (minutes // self.interval_minutes).to_numpy(np.int64)
        fill = 0.0 if column == "volume" else np.nan
        out = np.full((len(days), self.slots_per_day), fill)
        out[day, slot] = rows[column].to_numpy(float)
        return days, out

    def problem_counts(self) -> pd.DataFrame:
        """One row per (reason, action): how many rows, and the first few lines."""
        return count_problems(self.problems)


def complete_grid(counts: pd.DataFrame, interval_minutes: int) -> pd.DataFrame:
    """``counts`` (interval_start, channel, volume, aht_seconds) with every interval of every day
    from the first to the last present, per channel: missing intervals count zero.
    """
    first = counts["interval_start"].min().normalize()
    last = counts["interval_start"].max().normalize() + pd.Timedelta(days=1)
    starts = pd.date_range(first, last, freq=f"{interval_minutes}min", inclusive="left")
    channels = sorted(counts["channel"].unique())
    full = pd.MultiIndex.from_product([starts, channels], names=["interval_start", "channel"])
    out = counts.set_index(["interval_start", "channel"]).reindex(full).reset_index()
    out["volume"] = out["volume"].fillna(0.0).astype(float)
    out["aht_seconds"] = out["aht_seconds"].astype(float)
    return out.sort_values(["channel", "interval_start"], kind="stable").reset_index(drop=True)[list(VOLUME_COLUMNS)]


def history_from_log(log: ContactLog, interval_minutes: int = 30) -> VolumeHistory:
    """Contacts of a per-contact log counted per channel and interval (AHT from handle times)."""
    if interval_minutes not in PLANNING_INTERVALS:
        raise ValueError(f"interval_minutes must be one of {PLANNING_INTERVALS}, got {interval_minutes}")
    contacts = log.contacts
    frame = pd.DataFrame(
        {
            "interval_start": contacts["created"].dt.floor(f"{interval_minutes}min"),
            "channel": contacts["channel"].astype(str).to_numpy(),
            "handle": contacts["handle_seconds"].astype(float).to_numpy(),
        }
    )
    grouped = frame.groupby(["interval_start", "channel"])
    counts = grouped.size().rename("volume").astype(float).to_frame()
    counts["aht_seconds"] = grouped["handle"].mean()
    history = complete_grid(counts.reset_index(), interval_minutes)
    return VolumeHistory(
        source=log.source,
        interval_minutes=interval_minutes,
        volumes=history,
        problems=log.problems,
        rows_read=log.rows_read,
        has_aht=bool(np.isfinite(frame["handle"]).any()),
        notes=[f"{len(contacts)} contacts of a {log.format} log counted per {interval_minutes}-minute interval"],
    )
