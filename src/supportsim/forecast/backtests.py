"""Rolling-origin backtests inside the training history: which candidate, and how wide a band.

Origins step back a week at a time from the end of the training history (at most
:data:`MAX_ORIGINS`), each keeping at least :data:`MIN_TRAIN_DAYS` days before it; with too
few, shorter windows at later origins are added. At each origin the opening hours and the
outliers are found again on the history before it only: nothing after an origin is seen.
Candidates are scored by interval WAPE against the raw counts that followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from supportsim.forecast.accuracy import calibrated_alpha, dispersion, wape
from supportsim.forecast.candidates import Candidate
from supportsim.forecast.open_hours import detect_open_hours
from supportsim.forecast.outliers import clean

MIN_TRAIN_DAYS = 14
MAX_ORIGINS = 5
MAX_WINDOW_DAYS = 28


@dataclass
class Scores:
    """One candidate's backtests: the open intervals' actual and forecast counts, and daily totals."""

    actual: list[NDArray[np.float64]] = field(default_factory=list)
    forecast: list[NDArray[np.float64]] = field(default_factory=list)
    daily_actual: list[NDArray[np.float64]] = field(default_factory=list)
    daily_forecast: list[NDArray[np.float64]] = field(default_factory=list)

    def joined(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """All origins' interval counts: ``(actual, forecast)``."""
        if not self.actual:
            return np.array([]), np.array([])
        return np.concatenate(self.actual), np.concatenate(self.forecast)

    def summary(self, calibrate: bool = True) -> dict[str, float]:
        """Interval WAPE, daily WAPE, dispersion, and (``calibrate``) the band's alpha and its coverage."""
        actual, forecast = self.joined()
        if actual.size == 0:
            return {}
        days_actual, days_forecast = np.concatenate(self.daily_actual), np.concatenate(self.daily_forecast)
        phi = dispersion(actual, forecast)
        alpha, covered = calibrated_alpha(actual, forecast, phi) if calibrate else (float("nan"), float("nan"))
        return {
            "wape": wape(actual, forecast),
            "daily_wape": wape(days_actual, days_forecast),
            "dispersion": phi,
            "alpha": alpha,
            "coverage": covered,
            "daily_cv": float(np.sqrt(dispersion(days_actual, days_forecast))),
        }


def origins(days: int, horizon_days: int) -> list[tuple[int, int]]:
    """``(origin, window)`` pairs: forecast days ``origin .. origin + window - 1`` from the days before."""
    window = min(horizon_days, MAX_WINDOW_DAYS, days - MIN_TRAIN_DAYS)
    if window < 1:
        return []
    out: list[tuple[int, int]] = []
    origin = days - window
    while origin >= MIN_TRAIN_DAYS and len(out) < MAX_ORIGINS:
        out.append((origin, window))
        origin -= 7
    later = days - window + 2
    while len(out) < 3 and later < days:
        out.append((later, days - later))
        later += 2
    return sorted(out)


def run_backtests(
    volumes: NDArray[np.float64],
    weekdays: NDArray[np.int64],
    horizon_days: int,
    candidates: dict[str, Candidate],
) -> dict[str, Scores]:
    """Every candidate's forecasts at every origin, against the raw counts of the open intervals."""
    scores = {name: Scores() for name in candidates}
    for origin, window in origins(volumes.shape[0], horizon_days):
        past, wd = volumes[:origin], weekdays[:origin]
        hours = detect_open_hours(past, wd)
        cleaned, _ = clean(past, wd, hours)
        future = weekdays[origin : origin + window]
        actual = volumes[origin : origin + window]
        mask = hours.slots[future]
        for name, candidate in candidates.items():
            mean, _ = candidate(cleaned, wd, hours, future)
            scores[name].actual.append(actual[mask])
            scores[name].forecast.append(mean[mask])
            open_day = hours.weekdays[future]
            scores[name].daily_actual.append((actual * mask).sum(axis=1)[open_day])
            scores[name].daily_forecast.append(mean.sum(axis=1)[open_day])
    return scores
