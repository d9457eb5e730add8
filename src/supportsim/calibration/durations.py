"""Durations: family fits by AIC with KS distances, censored patience, Kaplan–Meier, Wilson intervals.

- Durations (handle, IVR): maximum likelihood in each of the exponential, lognormal, gamma
  and Weibull families (``scipy.stats``, location 0); the lowest AIC wins; the KS statistic
  of every candidate is reported. Values recorded as 0 (below the log's time resolution)
  are set to half the resolution.
- Patience (realtime channels): censored maximum likelihood in the same four families. An
  abandoned contact's patience is its wait; a served contact's patience is only known to
  exceed its wait (right-censored). In the exponential family this is the Erlang A
  estimator, mean patience = total wait of queued contacts ÷ abandonments, always reported.
  The Kaplan–Meier estimate (:func:`kaplan_meier`) is the non-parametric check: the KS
  distance of each family is measured against it, and it is drawn in the report.
- Shares (escalation, reopen): Wilson 95% intervals (:func:`wilson`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

FAMILIES = ("exponential", "lognormal", "gamma", "weibull")
_SCIPY_NAMES = {"exponential": "expon", "lognormal": "lognorm", "gamma": "gamma", "weibull": "weibull_min"}


def _scipy(family: str) -> Any:
    """The ``scipy.stats`` distribution of ``family`` (``scipy.stats`` is imported on first use)."""
    from scipy import stats

    return getattr(stats, _SCIPY_NAMES[family])


_MAX_CV = 10.0  # the scenario format's limit

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DistributionFit:
    """One family fitted to durations, in the unit of the data.

    ``loglik`` and ``aic`` (= 2k − 2 loglik) are over all observations, censored ones
    included; ``ks`` is the Kolmogorov–Smirnov distance to the empirical distribution (to
    the Kaplan–Meier curve for censored data, over the observed range). ``n`` counts
    observations, ``events`` the uncensored ones.
    """

    family: str
    mean: float
    cv: float
    loglik: float
    aic: float
    ks: float
    n: int
    events: int
    params: tuple[float, ...]

    @property
    def frozen(self) -> Any:
        """The fitted ``scipy.stats`` distribution."""
        return _scipy(self.family)(*self.params)

    def spec(self, scale: float = 1.0) -> dict[str, Any]:
        """As a scenario distribution, the mean multiplied by ``scale`` (e.g. 1/60 for minutes)."""
        if self.family == "exponential":
            return {"dist": "exponential", "mean": round_significant(self.mean * scale)}
        return {"dist": self.family, "mean": round_significant(self.mean * scale), "cv": round_significant(self.cv)}


def round_significant(value: float, digits: int = 5) -> float:
    """``value`` to ``digits`` significant digits (keeps scenario files readable)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


def _params(family: str, fitted: tuple[float, ...]) -> tuple[tuple[float, ...], float, float]:
    """Scipy parameters (location 0) → (params, mean, cv)."""
    if family == "exponential":
        scale = fitted[-1]
        return (0.0, scale), scale, 1.0
    shape, _, scale = fitted
    if family == "lognormal":
        mean = scale * math.exp(shape**2 / 2)
        cv = math.sqrt(math.expm1(shape**2))
    elif family == "gamma":
        mean, cv = shape * scale, 1 / math.sqrt(shape)
    else:
        g1, g2 = special.gammaln(1 + 1 / shape), special.gammaln(1 + 2 / shape)
        mean = scale * math.exp(g1)
        cv = math.sqrt(max(math.expm1(g2 - 2 * g1), 0.0))
    return (shape, 0.0, scale), mean, cv


def floor_zeros(values: FloatArray, resolution: float) -> FloatArray:
    """Durations recorded as 0 or less (below the time ``resolution``) set to half of it."""
    return np.where(values <= 0, resolution / 2.0, values)


def fit_durations(
    values: FloatArray, censored: FloatArray | None = None, *, resolution: float = 1.0
) -> list[DistributionFit]:
    """Fit the four families to ``values`` (and right-``censored`` values); best AIC first.

    A family whose fit fails or whose cv exceeds the scenario format's limit is left out.
    With fewer than 2 distinct uncensored values only the exponential is fitted; with none,
    ``ValueError``.
    """
    x = floor_zeros(np.asarray(values, dtype=float), resolution)
    c = np.asarray(censored if censored is not None else [], dtype=float)
    c = c[c > 0]  # censored at 0 says nothing: every patience exceeds 0
    if x.size == 0:
        raise ValueError("no values to fit")
    families = FAMILIES if np.unique(x).size >= 2 else ("exponential",)
    fits = []
    for family in families:
        fit = _fit_family(family, x, c)
        if fit is not None and fit.cv <= _MAX_CV:
            fits.append(fit)
    return sorted(fits, key=lambda f: f.aic)


def _fit_family(family: str, x: FloatArray, c: FloatArray) -> DistributionFit | None:
    from scipy import stats

    dist = _scipy(family)
    try:
        if family == "exponential":
            fitted: tuple[float, ...] = (0.0, float((x.sum() + c.sum()) / x.size))
        elif family == "lognormal" and c.size == 0:
            logs = np.log(x)
            fitted = (float(logs.std()), 0.0, float(np.exp(logs.mean())))
        elif c.size == 0:
            fitted = tuple(float(v) for v in dist.fit(x, floc=0))
        else:
            data = stats.CensoredData(uncensored=x, right=c)
            start = _scipy(family).fit(x, floc=0)
            fitted = tuple(float(v) for v in dist.fit(data, start[0], floc=0, scale=start[-1]))
    except (ValueError, RuntimeError, FloatingPointError):
        return None
    params, mean, cv = _params(family, fitted)
    frozen = dist(*params)
    loglik = float(frozen.logpdf(x).sum() + (frozen.logsf(c).sum() if c.size else 0.0))
    if not (math.isfinite(loglik) and math.isfinite(mean) and mean > 0 and cv > 0):
        return None
    k = 1 if family == "exponential" else 2
    ks = _ks_censored(x, c, frozen) if c.size else float(stats.kstest(x, frozen.cdf).statistic)
    return DistributionFit(family, mean, cv, loglik, 2 * k - 2 * loglik, ks, x.size + c.size, x.size, params)


def kaplan_meier(durations: FloatArray, observed: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """Kaplan–Meier survival: at each distinct event time ``t``, S(t) = Π (1 − dᵢ/nᵢ).

    ``observed`` marks events (abandonments); the others are right-censored (served).
    A contact censored at ``t`` is still at risk at ``t`` (events before censoring on ties).
    Returns ``(times, survival just after each time)``.
    """
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    times = np.unique(durations[observed])
    ordered = np.sort(durations)
    at_risk = ordered.size - np.searchsorted(ordered, times, side="left")
    events = np.bincount(np.searchsorted(times, durations[observed]), minlength=times.size)
    return times, np.asarray(np.cumprod(1.0 - events / at_risk), dtype=np.float64)


def _ks_censored(x: FloatArray, c: FloatArray, frozen: Any) -> float:
    """Largest gap between the fitted cdf and 1 − Kaplan–Meier, on both sides of each step."""
    durations = np.concatenate([x, c])
    observed = np.concatenate([np.ones(x.size, bool), np.zeros(c.size, bool)])
    times, survival = kaplan_meier(durations, observed)
    before = np.concatenate([[1.0], survival[:-1]])
    fitted = frozen.sf(times)
    return float(max(np.abs(fitted - survival).max(), np.abs(fitted - before).max()))


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95% by default)."""
    if trials == 0:
        return (math.nan, math.nan)
    p = successes / trials
    centre = (p + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    return (max(centre - half, 0.0), min(centre + half, 1.0))


def candidates_report(fits: list[DistributionFit], unit: str, scale: float) -> dict[str, Any]:
    """The fitted families as report rows, best first; means multiplied by ``scale`` into ``unit``."""
    return {
        "unit": unit,
        "chosen": fits[0].family if fits else None,
        "candidates": [
            {
                "family": f.family,
                "mean": f.mean * scale,
                "cv": f.cv,
                "aic": f.aic,
                "ks": f.ks,
                "loglik": f.loglik,
            }
            for f in fits
        ],
    }


def fit_patience(rows: pd.DataFrame, resolution: float) -> dict[str, Any]:
    """Patience in seconds from the waits of queued contacts (``rows`` of the contact table).

    Abandoned contacts are events, served ones right-censored at their wait. Returns the
    best ``fit`` (None with fewer than 2 abandonments), all ``fits``, the ``report`` entry,
    and the ``waits`` and ``abandoned`` flags the Kaplan–Meier plot is drawn from.
    """
    queued = rows[rows["outcome"].isin(["served", "abandoned"]) & rows["wait_seconds"].notna()]
    abandoned = queued["outcome"] == "abandoned"
    waits = queued["wait_seconds"].to_numpy(float)
    events = waits[abandoned.to_numpy()]
    censored = waits[~abandoned.to_numpy()]
    total_wait = float(waits.sum())
    report: dict[str, Any] = {
        "estimator": ("censored maximum likelihood, family by AIC; exponential = Erlang A (total wait ÷ abandonments)"),
        "queued_with_wait": len(queued),
        "abandonments": int(abandoned.sum()),
        "total_wait_seconds": total_wait,
        "erlang_a_mean_seconds": total_wait / int(abandoned.sum()) if abandoned.any() else None,
    }
    if abandoned.sum() < 2:
        report["note"] = "fewer than 2 abandonments: patience not estimated (customers never abandon)"
        return {
            "fit": None,
            "fits": [],
            "report": report,
            "waits": waits,
            "abandoned": abandoned.to_numpy(),
        }
    durations = np.where(waits <= 0, resolution / 2, waits)
    times, survival = kaplan_meier(durations, abandoned.to_numpy())
    below = np.flatnonzero(survival <= 0.5)
    report["kaplan_meier_median_seconds"] = float(times[below[0]]) if below.size else None
    report["kaplan_meier_survival_at_max_wait"] = float(survival[-1])
    candidates = fit_durations(events, censored, resolution=resolution)
    report |= candidates_report(candidates, "seconds", 1.0)
    return {
        "fit": candidates[0] if candidates else None,
        "fits": candidates,
        "report": report,
        "waits": durations,
        "abandoned": abandoned.to_numpy(),
    }


def fit_ivr(rows: pd.DataFrame, resolution: float) -> dict[str, Any] | None:
    """IVR time in seconds and the share leaving in the IVR; None with fewer than 2 distinct times."""
    ivr = rows["ivr_seconds"].dropna().to_numpy(float)
    if ivr.size < 2 or np.unique(ivr).size < 2:
        return None
    reached = rows["outcome"].isin(["served", "abandoned", "left_ivr"])
    left = int((rows["outcome"] == "left_ivr").sum())
    candidates = fit_durations(ivr, resolution=resolution)
    abandon = left / int(reached.sum()) if reached.any() else 0.0
    report = candidates_report(candidates, "seconds", 1.0) | {
        "n": int(ivr.size),
        "mean_seconds": float(ivr.mean()),
        "left_in_ivr": left,
        "abandon": abandon,
    }
    return {
        "fit": candidates[0],
        "fits": candidates,
        "report": report,
        "values": ivr,
        "abandon": abandon,
    }
