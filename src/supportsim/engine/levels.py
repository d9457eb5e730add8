"""Time-weighted statistics of step functions (queue length, busy agents, staffed agents).

A :class:`Level` follows a quantity that changes at event times and keeps, per interval,
the integral of the quantity over time and its maximum. Means are integrals divided by
time, never averages of samples. Time before 0 (the warm-up) is not measured.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class Level:
    """A piecewise-constant quantity observed on ``[0, intervals * interval_seconds)``."""

    __slots__ = ("_area", "_intervals", "_k", "_last", "_max", "_next", "interval_seconds", "value")

    def __init__(self, intervals: int, interval_seconds: float, value: float = 0.0):
        self.interval_seconds = interval_seconds
        self.value = value
        self._intervals = intervals
        self._area = [0.0] * intervals  # plain lists: item access is much cheaper than numpy's
        self._max = [0.0] * intervals
        self._k = 0
        self._last = 0.0
        self._next = interval_seconds
        if intervals:
            self._max[0] = value

    def add(self, now: float, delta: float) -> None:
        """Change the quantity by ``delta`` at time ``now`` (seconds, non-decreasing).

        Self-contained (no helper call): the engine calls it several times per ticket.
        """
        value = self.value + delta
        k = self._k
        if now < 0.0:  # warm-up: not measured; the value at time 0 starts interval 0
            self.value = value
            if self._intervals:
                self._max[0] = value
            return
        if now >= self._next:
            self._advance(now)
            k = self._k
        elif now > self._last:
            area = self._area
            area[k] = area[k] + self.value * (now - self._last)  # not ``+=``: compiled, a native add
            self._last = now
        self.value = value
        if k < self._intervals and value > self._max[k]:
            self._max[k] = value

    def set(self, now: float, value: float) -> None:
        """Set the quantity to ``value`` at time ``now`` (seconds, non-decreasing)."""
        self.add(now, 0.0)  # account for the time up to ``now`` at the old value
        self.value = value
        if now < 0.0:  # warm-up: not measured; the value at time 0 starts interval 0
            if self._intervals:
                self._max[0] = value
        elif self._k < self._intervals and value > self._max[self._k]:
            self._max[self._k] = value

    def _advance(self, now: float) -> None:
        """Close every interval that ends by ``now``, then accumulate up to ``now``."""
        area, maxima, value, intervals = self._area, self._max, self.value, self._intervals
        while now >= self._next and self._k < intervals:
            area[self._k] = area[self._k] + value * (self._next - self._last)
            self._last = self._next
            self._k += 1
            self._next += self.interval_seconds
            if self._k < intervals:
                maxima[self._k] = value
        if self._k < intervals:
            area[self._k] = area[self._k] + value * (now - self._last)
        self._last = now

    def close(self, end: float) -> None:
        """Account for the time up to ``end``, the end of the horizon."""
        if end > self._last:
            self._advance(end)

    @property
    def interval_means(self) -> NDArray[np.float64]:
        """Time-average of the quantity in each interval."""
        return np.array(self._area) / self.interval_seconds

    @property
    def interval_maxima(self) -> NDArray[np.float64]:
        """Largest value the quantity took in each interval."""
        return np.array(self._max)

    @property
    def interval_areas(self) -> NDArray[np.float64]:
        """Integral of the quantity over each interval (quantity x seconds)."""
        return np.array(self._area)
