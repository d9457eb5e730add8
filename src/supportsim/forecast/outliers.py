"""Outliers in a history, found and replaced before any model sees them.

Real histories hold a partial last day, an outage hour, a holiday, a one-off surge. Each is
replaced by what the day's robust level and the weekday's intraday shape say it should have
been, and listed (:class:`Touched`) for the report:

- **outage**: a run of zero intervals in open hours where at least :data:`OUTAGE_CONTACTS`
  contacts were expected (a Poisson count is zero there with probability below 0.04%);
- **spike** / **dip**: one interval more than :data:`INTERVAL_Z` standard deviations and
  :data:`OUTAGE_CONTACTS` contacts from the expected count (variance ``e + 0.05 e²``);
- **day**: a day whose total is off its baseline (median of nearby days, weekday-adjusted) by
  more than ``max(DAY_LOG_RATIO, 4 robust standard deviations)`` in log terms (a holiday, a
  doubled day, a partial export).

The expected count of an interval is the day's level (the weighted median of ``volume / share``
over its open intervals, robust to a few bad ones) times the weekday's share of the interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from supportsim.forecast.open_hours import OpenHours

OUTAGE_CONTACTS = 8.0
INTERVAL_Z = 6.0
DAY_LOG_RATIO = 0.3
LEVEL_WINDOW_DAYS = 14
_DISPERSION = 0.05


@dataclass(frozen=True)
class Touched:
    """One replacement: ``day`` (index in the history), intervals ``first``..``last`` (inclusive)."""

    day: int
    first: int
    last: int
    kind: str
    observed: float
    replaced: float


def weekday_shares(volumes: NDArray[np.float64], weekdays: NDArray[np.int64], hours: OpenHours) -> NDArray[np.float64]:
    """``shares[w, s]``: median share of a weekday-``w`` day's contacts in interval ``s`` (open slots sum to 1)."""
    shares = np.zeros_like(hours.slots, dtype=float)
    totals = volumes.sum(axis=1)
    for w in range(7):
        days = (weekdays == w) & (totals > 0)
        if not hours.weekdays[w] or not days.any():
            continue
        per_day = volumes[days] / totals[days, None]
        profile = np.median(per_day, axis=0) * hours.slots[w]
        if profile.sum() <= 0:
            profile = per_day.mean(axis=0) * hours.slots[w]
        shares[w] = profile / profile.sum() if profile.sum() > 0 else hours.slots[w] / max(hours.slots[w].sum(), 1)
    return shares


def _day_level(y: NDArray[np.float64], share: NDArray[np.float64]) -> float:
    """Weighted median of ``y / share`` over intervals with a share (weights: the share)."""
    used = share > 0
    if not used.any():
        return float(y.sum())
    ratios, weights = y[used] / share[used], share[used]
    order = np.argsort(ratios)
    cumulative = np.cumsum(weights[order])
    return float(ratios[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def baselines(
    totals: NDArray[np.float64], weekdays: NDArray[np.int64], open_day: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Robust expected total of each day: weekday factor × median weekday-adjusted total nearby."""
    factors = np.ones(7)
    for w in range(7):
        days = open_day & (weekdays == w)
        if days.any():
            factors[w] = np.median(totals[days])
    mean = factors[[w for w in range(7) if (open_day & (weekdays == w)).any()] or [0]].mean()
    factors = factors / mean if mean > 0 else np.ones(7)
    factors = np.where(factors > 0, factors, 1.0)
    adjusted = totals / factors[weekdays]
    out = np.zeros_like(totals)
    idx = np.flatnonzero(open_day)
    for d in idx:
        near = idx[np.abs(idx - d) <= LEVEL_WINDOW_DAYS]
        out[d] = np.median(adjusted[near]) * factors[weekdays[d]]
    return out


def _interval_pass(
    y: NDArray[np.float64], share: NDArray[np.float64], open_slots: NDArray[np.bool_], day: int
) -> tuple[NDArray[np.float64], list[Touched]]:
    """One open day's outages, spikes and dips replaced by its expected counts."""
    level = _day_level(y, share)
    expected = level * share
    out, touched = y.copy(), []
    zero = open_slots & (y == 0)
    runs = np.split(np.flatnonzero(zero), np.flatnonzero(np.diff(np.flatnonzero(zero)) > 1) + 1)
    for run in runs:
        if run.size and expected[run].sum() >= OUTAGE_CONTACTS:
            out[run] = expected[run]
            touched.append(Touched(day, int(run[0]), int(run[-1]), "outage", 0.0, float(expected[run].sum())))
    z = (y - expected) / np.sqrt(expected + _DISPERSION * expected**2 + 1e-9)
    large = np.abs(y - expected) >= OUTAGE_CONTACTS
    for s in np.flatnonzero(open_slots & (np.abs(z) > INTERVAL_Z) & large & ~zero):
        out[s] = expected[s]
        touched.append(Touched(day, int(s), int(s), "spike" if z[s] > 0 else "dip", float(y[s]), float(expected[s])))
    return out, touched


def clean(
    volumes: NDArray[np.float64], weekdays: NDArray[np.int64], hours: OpenHours
) -> tuple[NDArray[np.float64], list[Touched]]:
    """``volumes[d, s]`` with outliers replaced, and what was replaced."""
    open_day = hours.weekdays[weekdays] & True
    shares = weekday_shares(volumes, weekdays, hours)
    cleaned, touched = volumes.copy(), []
    for d in np.flatnonzero(open_day):
        cleaned[d], found = _interval_pass(volumes[d], shares[weekdays[d]], hours.slots[weekdays[d]], int(d))
        touched += found
    totals = cleaned.sum(axis=1)
    base = baselines(totals, weekdays, open_day)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(np.maximum(totals, 0.5) / np.maximum(base, 0.5))
    used = log_ratio[open_day]
    spread = 1.4826 * np.median(np.abs(used - np.median(used))) if used.size else 0.0
    limit = max(DAY_LOG_RATIO, 4.0 * spread)
    for d in np.flatnonzero(open_day & (np.abs(log_ratio) > limit)):
        kind = "day high" if log_ratio[d] > 0 else "day low"
        touched = [t for t in touched if t.day != d]
        touched.append(Touched(int(d), 0, volumes.shape[1] - 1, kind, float(volumes[d].sum()), float(base[d])))
        cleaned[d] = base[d] * shares[weekdays[d]]
    return cleaned, sorted(touched, key=lambda t: (t.day, t.first))
