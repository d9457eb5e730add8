"""Opening hours recognised from a history: which weekdays, and which intervals of each, are open.

A weekday is open when at least half of its days in the recent history (the last eight
weeks) had contacts; an hour of an open weekday is open when it had contacts on at least half
of those days (a single closed hour between open ones counts open), and an interval is open
when its hour is and it had any contacts in those days. Hours, not intervals, so that sparse
5-minute intervals at the edges of the day are not cut. A centre open on weekdays 07:00-21:00
only thus reads as closed on weekends and at night, and the forecast says nothing (rather
than zero) there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from supportsim.scenario.calendar import WEEKDAYS

RECENT_DAYS = 56
"""Days of history (the most recent) the opening hours are read from."""

OPEN_DAY_SHARE = 0.5
OPEN_SLOT_SHARE = 0.5


@dataclass(frozen=True)
class OpenHours:
    """``slots[w, s]``: interval ``s`` of weekday ``w`` (0 = Monday) is open."""

    slots: NDArray[np.bool_]

    @property
    def weekdays(self) -> NDArray[np.bool_]:
        """Open weekdays (0 = Monday)."""
        return np.asarray(self.slots.any(axis=1))

    def describe(self, interval_minutes: int) -> dict[str, str]:
        """Per weekday, its open intervals as ``"HH:MM-HH:MM"`` ranges (``"closed"`` if none)."""
        out: dict[str, str] = {}
        for w, name in enumerate(WEEKDAYS):
            ranges = []
            open_slots = np.flatnonzero(self.slots[w])
            for run in np.split(open_slots, np.flatnonzero(np.diff(open_slots) > 1) + 1):
                if run.size:
                    start, end = run[0] * interval_minutes, (run[-1] + 1) * interval_minutes
                    ranges.append(f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}")
            out[name] = ", ".join(ranges) if ranges else "closed"
        return out


def detect_open_hours(volumes: NDArray[np.float64], weekdays: NDArray[np.int64]) -> OpenHours:
    """Open hours from ``volumes[d, s]`` (contacts on day ``d`` in interval ``s``) and each day's weekday."""
    volumes = volumes[-RECENT_DAYS:]
    weekdays = weekdays[-RECENT_DAYS:]
    slots = np.zeros((7, volumes.shape[1]), dtype=bool)
    for w in range(7):
        days = volumes[weekdays == w]
        if days.shape[0] == 0:
            continue
        with_contacts = days[days.sum(axis=1) > 0]
        if with_contacts.shape[0] < OPEN_DAY_SHARE * days.shape[0] or with_contacts.shape[0] == 0:
            continue
        per_hour = max(1, volumes.shape[1] // 24)
        hours = with_contacts.reshape(with_contacts.shape[0], -1, per_hour).sum(axis=2)
        hour_open = (hours > 0).mean(axis=0) >= OPEN_SLOT_SHARE
        hole = ~hour_open[1:-1] & hour_open[:-2] & hour_open[2:]
        hour_open[1:-1] |= hole
        slots[w] = np.repeat(hour_open, per_hour) & (with_contacts.sum(axis=0) > 0)
    return OpenHours(slots)
