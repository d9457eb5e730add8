"""Callbacks after abandonment, and priority classes, estimated from a log that names its customers.

Retrials. Only customers the log identifies (``customer_id`` not '') can be linked; anonymous
callers are left out and assumed to behave like identified ones. For each identified contact
the *delay* is the time from its end (abandonment, or end of service) to the same customer's
next arrival. Customers also call again for reasons unrelated to an abandonment, so a repeat
after an abandonment is not always a retrial. The repeat curve after *served* contacts
measures that background: with ``G(d)`` the share of abandonments followed by a call within
``d`` minutes and ``B(d)`` the same after served contacts, and retrials competing with the
background, ``1 − G = (1 − p·F)(1 − B)``, so the retrial curve is
``H(d) = p·F(d) = (G(d) − B(d)) / (1 − B(d))``. ``H`` rises while retrials come in and
flattens once they are done; the *window* is the first grid point after which ``H`` never
rises by more than one standard error, and ``p`` is the mean of ``H`` over the grid from the
window on (the plateau: ``H(window)`` alone falls short by what the rule lets rise later);
its standard error is the largest of theirs (the points are correlated, so not less). Only contacts that end at least
the largest grid window before the log's last arrival are used (no censoring).

The delay distribution is ``F(d) = H(d) / p`` on ``[0, window]``, which is free of the
background: each family (exponential, lognormal, gamma) is fitted to it by least squares at
the observed delays within the window; the smallest KS distance wins. Maximum likelihood on the raw
delays (:func:`supportsim.calibration.durations.fit_durations`) is not used: up to a fifth of
the repeats within a window of hours are background calls, which would lengthen the delays.

Priority credit. Under a waiting credit of ``c`` seconds, a priority contact is queued as if
it had arrived ``c`` earlier: when waits are long compared with ``c``, priority contacts of the
same call type arriving in the same 15 minutes wait about ``c`` less. The estimate is the mean
difference of served waits (others − priority) over such slots where the slot's mean wait of
all queued contacts is at least ``min_wait_seconds``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

WINDOW_GRID_MINUTES = (5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 240.0, 360.0, 480.0, 720.0)
"""Windows (minutes) at which the retrial curve is evaluated; the window is chosen among them."""

DELAY_FAMILIES = ("exponential", "lognormal", "gamma")


@dataclass(frozen=True)
class DelayFit:
    """One family fitted to the retrial delays (minutes) by least squares on the retrial curve."""

    family: str
    mean_minutes: float
    cv: float
    ks: float

    def spec(self) -> dict[str, Any]:
        """As a scenario distribution in minutes."""
        if self.family == "exponential":
            return {"dist": "exponential", "mean": _round(self.mean_minutes)}
        return {"dist": self.family, "mean": _round(self.mean_minutes), "cv": _round(self.cv)}

    def cdf(self, minutes: FloatArray) -> FloatArray:
        """The fitted cumulative distribution at ``minutes``."""
        return np.asarray(_frozen(self.family, self.mean_minutes, self.cv).cdf(minutes), dtype=float)


@dataclass
class RetrialFit:
    """Estimated retrial probability (with its standard error), window and delay distribution.

    ``curve`` holds, per grid window (minutes), ``G``, ``B``, ``H`` and the standard error of ``H``.
    """

    probability: float
    probability_se: float
    window_minutes: float
    delay: DelayFit | None
    delays: list[DelayFit]
    abandonments: int
    served: int
    curve: pd.DataFrame = field(repr=False)

    def report(self) -> dict[str, Any]:
        """The estimate and its working, as plain data for the fit report."""
        return {
            "estimator": "excess repeat-call curve after abandonment over the background after service",
            "probability": self.probability,
            "probability_se": self.probability_se,
            "window_minutes": self.window_minutes,
            "identified_abandonments": self.abandonments,
            "identified_served": self.served,
            "chosen_delay": self.delay.family if self.delay else None,
            "delay_candidates": [
                {"family": d.family, "mean_minutes": d.mean_minutes, "cv": d.cv, "ks": d.ks} for d in self.delays
            ],
            "curve": self.curve.round(5).to_dict(orient="records"),
        }


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _frozen(family: str, mean: float, cv: float) -> Any:
    from scipy import stats  # heavy: imported when delays are fitted

    if family == "exponential":
        return stats.expon(scale=mean)
    if family == "lognormal":
        sigma = math.sqrt(math.log1p(cv * cv))
        return stats.lognorm(sigma, scale=mean * math.exp(-sigma * sigma / 2))
    shape = 1.0 / (cv * cv)
    return stats.gamma(shape, scale=mean / shape)


def repeat_delays(contacts: pd.DataFrame) -> pd.DataFrame:
    """Identified abandoned and served contacts with ``delay_minutes`` to the same customer's next
    arrival (inf if none) and ``room_minutes`` from their end to the log's last arrival.
    """
    known = contacts[contacts["customer_id"] != ""].sort_values(["customer_id", "created"], kind="stable")
    left_queue = known["created"] + pd.to_timedelta(
        known["ivr_seconds"].fillna(0) + known["wait_seconds"].fillna(0), unit="s"
    )
    end = known["ended"].where(known["outcome"] == "served").fillna(left_queue)
    following = known.groupby("customer_id", sort=False)["created"].shift(-1)
    delay = ((following - end).dt.total_seconds() / 60.0).clip(lower=0.0).fillna(np.inf)
    room = (contacts["created"].max() - end).dt.total_seconds() / 60.0
    out = pd.DataFrame({"outcome": known["outcome"], "delay_minutes": delay, "room_minutes": room})
    return out[out["outcome"].isin(["abandoned", "served"])]


def _curve(abandoned: FloatArray, served: FloatArray, grid: FloatArray) -> pd.DataFrame:
    """G, B, H = (G − B)/(1 − B) and the delta-method standard error of H at each ``grid`` point."""
    g = np.searchsorted(np.sort(abandoned), grid, side="right") / abandoned.size
    b = np.searchsorted(np.sort(served), grid, side="right") / served.size
    h = (g - b) / (1 - b)
    var = g * (1 - g) / abandoned.size / (1 - b) ** 2 + (1 - g) ** 2 * b * (1 - b) / served.size / (1 - b) ** 4
    return pd.DataFrame({"minutes": grid, "G": g, "B": b, "H": h, "se": np.sqrt(var)})


def _window(curve: pd.DataFrame) -> int:
    """Index of the first window after which H never rises by more than its standard error."""
    h, se = curve["H"].to_numpy(), curve["se"].to_numpy()
    for i in range(len(h)):
        if (h[i + 1 :] - h[i] <= se[i]).all():
            return i
    return len(h) - 1  # pragma: no cover - the last point always qualifies


def fit_retrials(contacts: pd.DataFrame, grid: tuple[float, ...] = WINDOW_GRID_MINUTES) -> RetrialFit | None:
    """Retrial probability, window and delay from a contact table; None with fewer than 30
    identified abandonments or served contacts that end early enough.
    """
    rows = repeat_delays(contacts)
    rows = rows[rows["room_minutes"] >= max(grid)]
    abandoned = rows.loc[rows["outcome"] == "abandoned", "delay_minutes"].to_numpy(float)
    served = rows.loc[rows["outcome"] == "served", "delay_minutes"].to_numpy(float)
    if abandoned.size < 30 or served.size < 30:
        return None
    curve = _curve(abandoned, served, np.asarray(grid, dtype=float))
    i = _window(curve)
    window = float(curve["minutes"][i])
    p, se = float(curve["H"][i:].mean()), float(curve["se"][i:].max())
    delays = _fit_delays(abandoned, served, window, p) if p > 0 else []  # within the window
    return RetrialFit(
        max(p, 0.0), se, window, delays[0] if delays else None, delays, abandoned.size, served.size, curve
    )


def _fit_delays(abandoned: FloatArray, served: FloatArray, window: float, p: float) -> list[DelayFit]:
    """Families fitted to F(d) = H(d)/p at the observed delays within the window; best KS first."""
    from scipy import optimize  # heavy: imported when delays are fitted

    points = np.unique(abandoned[abandoned <= window])
    points = points[points > 0]
    if points.size < 3:
        return []
    target = _curve(abandoned, served, points)["H"].to_numpy() / p
    scale = float(np.median(points))
    fits = []
    for family in DELAY_FAMILIES:

        def model(theta: FloatArray, family: str = family) -> FloatArray:
            mean, cv = scale * math.exp(theta[0]), math.exp(theta[1]) if family != "exponential" else 1.0
            return np.asarray(_frozen(family, mean, cv).cdf(points), dtype=float)

        found = optimize.least_squares(lambda t: model(t) - target, np.zeros(2), bounds=([-8, -3], [8, 2.3]))
        mean = scale * math.exp(found.x[0])
        cv = math.exp(found.x[1]) if family != "exponential" else 1.0
        ks = float(np.abs(model(found.x) - target).max())
        fits.append(DelayFit(family, mean, cv, ks))
    return sorted(fits, key=lambda f: f.ks)


@dataclass(frozen=True)
class PriorityFit:
    """Priority customers: their share per call type and overall, and the waiting credit (seconds)."""

    level: str
    share: float
    share_by_category: dict[str, float]
    credit_seconds: float | None
    credit_se: float | None
    slots: int
    by_threshold: list[dict[str, float]]

    def report(self) -> dict[str, Any]:
        """As plain data for the fit report."""
        return {
            "priority_level": self.level,
            "share": self.share,
            "share_by_category": self.share_by_category,
            "credit_seconds": self.credit_seconds,
            "credit_se": self.credit_se,
            "slots": self.slots,
            "credit_by_min_wait": self.by_threshold,
        }


def fit_priority(
    contacts: pd.DataFrame,
    level: str = "2",
    regular: str = "1",
    min_wait_seconds: float = 120.0,
    slot_minutes: int = 15,
) -> PriorityFit | None:
    """Share of contacts with ``priority == level`` and their waiting credit over contacts with
    ``priority == regular``; None if no contact has ``level``.

    The credit is estimated over (slot, category) cells with at least 3 served contacts of each
    class and a mean wait of their queued contacts of at least ``min_wait_seconds``; None with
    fewer than 5 such cells. ``by_threshold`` repeats the estimate for other thresholds.
    """
    vip = contacts["priority"] == level
    if not vip.any():
        return None
    by_category = vip.groupby(contacts["category"]).mean()
    compared = contacts["priority"].isin([level, regular])
    queued = contacts[contacts["outcome"].isin(["served", "abandoned"]) & compared].copy()
    queued["cell"] = queued["created"].dt.floor(f"{slot_minutes}min").astype(str) + "|" + queued["category"]
    queued["vip"] = queued["priority"] == level
    pooled = queued.groupby("cell")["wait_seconds"].mean()
    served = queued[queued["outcome"] == "served"]
    waits = served.groupby(["cell", "vip"])["wait_seconds"].agg(["mean", "size"]).unstack()
    waits = waits.dropna()
    waits = waits[(waits[("size", True)] >= 3) & (waits[("size", False)] >= 3)]
    gap = waits[("mean", False)] - waits[("mean", True)]
    level_wait = pooled.reindex(gap.index)
    rows = []
    for threshold in (60.0, 120.0, 180.0, 240.0, 300.0):
        chosen = gap[level_wait >= threshold]
        if len(chosen) >= 5:
            rows.append(
                {
                    "min_wait_seconds": threshold,
                    "slots": float(len(chosen)),
                    "credit_seconds": float(chosen.mean()),
                    "se": float(chosen.std(ddof=1) / math.sqrt(len(chosen))),
                }
            )
    chosen = gap[level_wait >= min_wait_seconds]
    credit = float(chosen.mean()) if len(chosen) >= 5 else None
    credit_se = float(chosen.std(ddof=1) / math.sqrt(len(chosen))) if len(chosen) >= 5 else None
    return PriorityFit(
        level,
        float(vip.mean()),
        {str(k): float(v) for k, v in by_category.items()},
        credit,
        credit_se,
        len(chosen),
        rows,
    )


def expected_retrials(
    abandon_minutes: FloatArray, fit: RetrialFit, days: int, interval_minutes: int, horizon_minutes: float = 720.0
) -> FloatArray:
    """Expected retrial arrivals per (day, interval) of the log's period, shape ``(days, per_day)``.

    Each abandonment at minute ``a`` (after the period's start) brings ``p·(F(end − a) −
    F(start − a))`` retrials into the interval ``[start, end)``, counted for ``horizon_minutes``
    after it; retrials that would fall after the period are dropped.
    """
    per_day = 1440 // interval_minutes
    out = np.zeros(days * per_day)
    if fit.delay is None or fit.probability <= 0 or abandon_minutes.size == 0:
        return out.reshape(days, per_day)
    steps = math.ceil(horizon_minutes / interval_minutes) + 1
    first = np.floor(abandon_minutes / interval_minutes).astype(np.int64)
    for k in range(steps):
        slot = first + k
        start = np.maximum(slot * interval_minutes - abandon_minutes, 0.0)
        end = (slot + 1) * interval_minutes - abandon_minutes
        share = fit.probability * (fit.delay.cdf(end) - fit.delay.cdf(start))
        inside = slot < out.size
        np.add.at(out, slot[inside], share[inside])
    return out.reshape(days, per_day)
