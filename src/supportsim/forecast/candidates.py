"""The candidate methods: each turns a cleaned history into mean counts for the days ahead.

Every candidate but the seasonal naive one forecasts **daily totals** and spreads them over
the day with the weekday's **intraday profile** (:func:`intraday_profile`), borrowed across
the recent weeks: a per-interval model of a few contacts per interval would fit noise.

- ``seasonal_naive``: the same interval one week earlier (the last week, repeated).
- ``weekday_mean``: each weekday's mean total over its last four occurrences.
- ``ets``: exponential smoothing (statsmodels Holt-Winters, no trend or a damped trend,
  chosen by AICc) on the weekday-adjusted totals of open days.
- ``ets_seasonal``: Holt-Winters with a multiplicative weekly season (one season = the open
  days of a week) and a damped trend, on the daily totals themselves.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.forecast.open_hours import OpenHours

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Candidate = Callable[[FloatArray, IntArray, OpenHours, IntArray], tuple[FloatArray, dict[str, Any]]]

PROFILE_WEEKS = 8
MEAN_WEEKS = 4


def intraday_profile(volumes: FloatArray, weekdays: IntArray, hours: OpenHours) -> FloatArray:
    """``shares[w, s]``: share of weekday ``w``'s contacts in interval ``s``, from its last
    :data:`PROFILE_WEEKS` occurrences, shrunk towards all open days' shape (weight of one day),
    and smoothed over ±15 minutes when intervals are shorter than 30 minutes.
    """
    recent = slice(-7 * PROFILE_WEEKS, None)
    volumes, weekdays = volumes[recent], weekdays[recent]
    pooled = volumes[hours.weekdays[weekdays]].sum(axis=0)
    shares = np.zeros(hours.slots.shape)
    for w in np.flatnonzero(hours.weekdays):
        mask = hours.slots[w]
        days = volumes[weekdays == w] * mask
        prior = pooled * mask
        prior = prior / prior.sum() if prior.sum() > 0 else mask / mask.sum()
        total = days.sum()
        own = days.sum(axis=0) / total if total > 0 else prior
        n = days.shape[0]
        shares[w] = _smoothed((n * own + prior) / (n + 1), mask)
    return shares


def _smoothed(share: FloatArray, mask: NDArray[np.bool_]) -> FloatArray:
    """``share`` averaged over ±15 minutes (a triangular kernel) when intervals are shorter
    than 30 minutes, kept to the open intervals and summing to 1 again.
    """
    half = 15 * share.size // 1440
    if half < 1 or share.sum() <= 0:
        return share
    kernel = np.concatenate([np.arange(1, half + 2), np.arange(half, 0, -1)]).astype(float)
    smooth = np.convolve(share, kernel / kernel.sum(), mode="same") * mask
    return smooth / smooth.sum() if smooth.sum() > 0 else share


def _spread(totals: FloatArray, future: IntArray, shares: FloatArray) -> FloatArray:
    return totals[:, None] * shares[future]


def _weekday_means(totals: FloatArray, weekdays: IntArray, weeks: int) -> FloatArray:
    means = np.zeros(7)
    for w in range(7):
        days = totals[weekdays == w]
        if days.size:
            means[w] = days[-weeks:].mean()
    return means


def seasonal_naive(
    volumes: FloatArray, weekdays: IntArray, hours: OpenHours, future: IntArray
) -> tuple[FloatArray, dict[str, Any]]:
    """The same interval one week earlier (the last seven days repeated), closed hours zero."""
    last_week = volumes[-7:]
    rows = np.array([last_week[np.flatnonzero(weekdays[-7:] == w)[0]] for w in future])
    return rows * hours.slots[future], {}


def weekday_mean(
    volumes: FloatArray, weekdays: IntArray, hours: OpenHours, future: IntArray
) -> tuple[FloatArray, dict[str, Any]]:
    """Each weekday's mean total over its last four occurrences, times the intraday profile."""
    means = _weekday_means(volumes.sum(axis=1), weekdays, MEAN_WEEKS)
    totals = means[future] * hours.weekdays[future]
    return _spread(totals, future, intraday_profile(volumes, weekdays, hours)), {"weeks": MEAN_WEEKS}


def _fit_ets(series: FloatArray, **spec: Any) -> Any:
    """Holt-Winters exponential smoothing (statsmodels), fitted by maximum likelihood without the brute grid."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    init = "heuristic" if spec.get("seasonal") else "estimated"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ExponentialSmoothing(series, initialization_method=init, **spec).fit(use_brute=False)


def _weekday_factors(totals: FloatArray, weekdays: IntArray, open_weekdays: NDArray[np.bool_]) -> FloatArray:
    means = _weekday_means(totals, weekdays, PROFILE_WEEKS)
    level = means[open_weekdays].mean() if open_weekdays.any() else 1.0
    factors = np.where(open_weekdays, means / level if level > 0 else 1.0, 0.0)
    return np.where(open_weekdays & (factors <= 0), 1.0, factors)


def ets(
    volumes: FloatArray, weekdays: IntArray, hours: OpenHours, future: IntArray
) -> tuple[FloatArray, dict[str, Any]]:
    """ETS on weekday-adjusted daily totals of open days; trend chosen by AICc."""
    totals = volumes.sum(axis=1)
    open_day = hours.weekdays[weekdays]
    factors = _weekday_factors(totals, weekdays, hours.weekdays)
    adjusted = totals[open_day] / factors[weekdays[open_day]]
    steps = int(hours.weekdays[future].sum())
    if adjusted.size < 10 or steps == 0:
        return weekday_mean(volumes, weekdays, hours, future)
    fits = {
        "none": _fit_ets(adjusted),
        "damped": _fit_ets(adjusted, trend="add", damped_trend=True),
    }
    trend = min(fits, key=lambda k: fits[k].aicc if np.isfinite(fits[k].aicc) else np.inf)
    path = np.asarray(fits[trend].forecast(steps), dtype=float)
    totals_ahead = np.zeros(len(future))
    totals_ahead[hours.weekdays[future]] = np.maximum(path, 0.0) * factors[future[hours.weekdays[future]]]
    params = {"trend": trend, "aicc": round(float(fits[trend].aicc), 2)}
    params |= {
        k: round(float(v), 4)
        for k, v in fits[trend].params.items()
        if k.startswith(("smoothing", "damping")) and v is not None and np.isfinite(v)
    }
    return _spread(totals_ahead, future, intraday_profile(volumes, weekdays, hours)), params


def ets_seasonal(
    volumes: FloatArray, weekdays: IntArray, hours: OpenHours, future: IntArray
) -> tuple[FloatArray, dict[str, Any]]:
    """ETS with a multiplicative weekly season over open days and a damped trend."""
    totals = volumes.sum(axis=1)
    open_day = hours.weekdays[weekdays]
    period = int(hours.weekdays.sum())
    series = np.maximum(totals[open_day], 1.0)
    steps = int(hours.weekdays[future].sum())
    if period < 2 or series.size < 3 * period or steps == 0:
        return ets(volumes, weekdays, hours, future)
    # The season is indexed by position: open days follow each other in the same weekday order.
    fit = _fit_ets(series, trend="add", damped_trend=True, seasonal="mul", seasonal_periods=period)
    path = np.asarray(fit.forecast(steps), dtype=float)
    if not np.all(np.isfinite(path)):
        return ets(volumes, weekdays, hours, future)
    totals_ahead = np.zeros(len(future))
    totals_ahead[hours.weekdays[future]] = np.maximum(path, 0.0)
    params = {"season_days": period, "aicc": round(float(fit.aicc), 2)}
    return _spread(totals_ahead, future, intraday_profile(volumes, weekdays, hours)), params


CANDIDATES: dict[str, Candidate] = {
    "seasonal_naive": seasonal_naive,
    "weekday_mean": weekday_mean,
    "ets": ets,
    "ets_seasonal": ets_seasonal,
}
"""The candidate methods by name, tried on every series by rolling-origin backtests."""

METHODS = tuple(CANDIDATES)
"""Names of the candidate methods."""
