"""Accuracy and prediction bands: WAPE, band coverage, and the count distribution of a forecast.

A forecast count is negative binomial: mean ``mu`` and variance ``mu + dispersion × mu²``
(Poisson arrivals whose rate is itself uncertain; ``dispersion`` 0 is Poisson). The band
is ``[q(alpha), q(1 − alpha)]`` of that distribution; backtests choose ``dispersion`` (by
moments) and ``alpha`` (so that the band covered 80% of backtest intervals).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

BAND = 0.8
"""Nominal coverage of the prediction band."""

ALPHAS = np.round(np.linspace(0.01, 0.25, 25), 3)
"""Tail probabilities the band's calibration chooses from (0.1 is the nominal 80% band)."""


def wape(actual: FloatArray, forecast: FloatArray) -> float:
    """Weighted absolute percentage error: ``Σ|actual − forecast| / Σ actual`` (NaN if no volume)."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    total = actual.sum()
    return float(np.abs(actual - forecast).sum() / total) if total > 0 else float("nan")


def coverage(actual: FloatArray, low: FloatArray, high: FloatArray) -> float:
    """Share of ``actual`` values inside ``[low, high]`` (bounds included)."""
    actual = np.asarray(actual, float)
    if actual.size == 0:
        return float("nan")
    return float(((actual >= low) & (actual <= high)).mean())


def dispersion(actual: FloatArray, mean: FloatArray) -> float:
    """Moment estimate of the variance beyond Poisson: ``Σ((y − mu)² − mu) / Σ mu²``, at least 0."""
    actual, mean = np.asarray(actual, float), np.asarray(mean, float)
    scale = float((mean**2).sum())
    if scale <= 0:
        return 0.0
    return max(0.0, float((((actual - mean) ** 2) - mean).sum()) / scale)


def band(mean: FloatArray, dispersion_: float, alpha: float) -> tuple[FloatArray, FloatArray]:
    """``(low, high)``: the ``alpha`` and ``1 − alpha`` quantiles of the counts' distribution."""
    from scipy import stats

    mean = np.maximum(np.asarray(mean, float), 0.0)
    if dispersion_ <= 1e-9:
        low, high = stats.poisson.ppf(alpha, mean), stats.poisson.ppf(1 - alpha, mean)
    else:
        n = 1.0 / dispersion_
        p = n / (n + mean)
        low, high = stats.nbinom.ppf(alpha, n, p), stats.nbinom.ppf(1 - alpha, n, p)
    zero = mean <= 0
    return np.where(zero, 0.0, low), np.where(zero, 0.0, high)


def calibrated_alpha(actual: FloatArray, mean: FloatArray, dispersion_: float) -> tuple[float, float]:
    """The tail probability whose band covered closest to :data:`BAND` of ``actual``, and that coverage."""
    best = (0.1, float("nan"))
    gap = np.inf
    for alpha in ALPHAS:
        low, high = band(mean, dispersion_, float(alpha))
        covered = coverage(actual, low, high)
        if abs(covered - BAND) < gap:
            gap, best = abs(covered - BAND), (float(alpha), covered)
    return best
