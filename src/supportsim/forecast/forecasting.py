"""Forecasting a volume history: per channel, the candidate that did best in backtests, with a
calibrated 80% band, and its accuracy on the held-out days when the history goes on.

:func:`forecast_volume` fits on the days before ``train_until`` and forecasts the
``horizon_days`` calendar days from that date, on the open intervals only (closed days and
hours are left out, not forecast as zero). See ``docs/forecasting.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.forecast.accuracy import band, coverage, wape
from supportsim.forecast.backtests import origins, run_backtests
from supportsim.forecast.candidates import CANDIDATES, intraday_profile, seasonal_naive
from supportsim.forecast.history import VolumeHistory
from supportsim.forecast.open_hours import OpenHours, detect_open_hours
from supportsim.forecast.outliers import clean
from supportsim.scenario.calendar import WEEKDAYS, clock_text

FORECAST_COLUMNS = ("interval_start", "channel", "volume", "volume_lo80", "volume_hi80")
"""Columns of a forecast table (and ``aht_seconds`` when the history had AHT)."""

FALLBACK = {"dispersion": 0.05, "alpha": 0.1, "daily_cv": 0.1}
"""Band parameters used when the training history is too short for backtests."""


@dataclass(frozen=True)
class ChannelFit:
    """How one channel was forecast: the method chosen, its rivals' backtest scores, the outliers
    replaced, the opening hours, and the band's parameters (``dispersion``, ``alpha``, ``daily_cv``).
    """

    channel: str
    method: str
    parameters: dict[str, Any]
    candidates: pd.DataFrame
    outliers: pd.DataFrame
    open_hours: dict[str, str]
    profile: pd.DataFrame
    dispersion: float
    alpha: float
    daily_cv: float


@dataclass(frozen=True)
class VolumeForecast:
    """A forecast: ``intervals`` (columns :data:`FORECAST_COLUMNS`), ``daily`` totals with their
    band, the fit of each channel, and ``accuracy`` on held-out days (None without any).
    """

    history: VolumeHistory
    train_until: pd.Timestamp
    horizon_days: int
    intervals: pd.DataFrame
    daily: pd.DataFrame
    fits: dict[str, ChannelFit]
    accuracy: dict[str, Any] | None

    @property
    def interval_minutes(self) -> int:
        """Length of an interval (minutes)."""
        return self.history.interval_minutes


def _choose(summaries: dict[str, dict[str, float]]) -> tuple[str, dict[str, float]]:
    scored = {k: v for k, v in summaries.items() if v and np.isfinite(v["wape"])}
    if not scored:
        return "weekday_mean", dict(FALLBACK)
    best = min(scored, key=lambda k: scored[k]["wape"])
    return best, scored[best]


def _candidates_table(summaries: dict[str, dict[str, float]], chosen: str) -> pd.DataFrame:
    rows = [{"candidate": name, **values, "chosen": name == chosen} for name, values in summaries.items() if values]
    columns = ["candidate", "wape", "daily_wape", "coverage", "dispersion", "alpha", "daily_cv", "chosen"]
    return pd.DataFrame(rows, columns=columns)


def _outlier_table(touched: list[Any], days: pd.DatetimeIndex, minutes: int) -> pd.DataFrame:
    rows = [
        {
            "date": days[t.day].date().isoformat(),
            "from": clock_text(t.first * minutes),
            "to": clock_text((t.last + 1) * minutes),
            "kind": t.kind,
            "observed": round(t.observed, 1),
            "replaced_by": round(t.replaced, 1),
        }
        for t in touched
    ]
    return pd.DataFrame(rows, columns=["date", "from", "to", "kind", "observed", "replaced_by"])


def _aht(aht: NDArray[np.float64], volumes: NDArray[np.float64], weekdays: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per (weekday, slot): volume-weighted mean AHT over the last eight weeks, else the slot's, else the mean."""
    aht, volumes, weekdays = aht[-56:], volumes[-56:], weekdays[-56:]
    weight = np.where(np.isfinite(aht), volumes, 0.0)
    value = np.where(np.isfinite(aht), aht, 0.0) * weight
    overall = value.sum() / weight.sum() if weight.sum() > 0 else np.nan
    slot = np.where(weight.sum(axis=0) > 0, value.sum(axis=0) / np.maximum(weight.sum(axis=0), 1e-12), overall)
    out = np.tile(slot, (7, 1))
    for w in range(7):
        rows = weekdays == w
        wsum = weight[rows].sum(axis=0)
        out[w] = np.where(wsum > 0, value[rows].sum(axis=0) / np.maximum(wsum, 1e-12), slot)
    return out


def _profile_table(shares: NDArray[np.float64], hours: OpenHours, minutes: int) -> pd.DataFrame:
    slots = np.arange(shares.shape[1])
    return pd.DataFrame(
        {
            "weekday": np.repeat(WEEKDAYS, len(slots)),
            "minute": np.tile(slots * minutes, 7),
            "share": shares.ravel(),
            "open": hours.slots.ravel(),
        }
    )


def _fit_channel(
    history: VolumeHistory, channel: str, train_until: pd.Timestamp, horizon_days: int
) -> tuple[ChannelFit, dict[str, Any]]:
    """One channel's fit, and the arrays the forecast table and accuracy are built from."""
    days, volumes = history.matrix(channel)
    train = days < train_until
    if train.sum() < 7:
        raise ValueError(f"channel {channel!r}: {int(train.sum())} days before {train_until.date()}; need at least 7")
    weekdays = days.day_of_week.to_numpy(np.int64)
    past, wd = volumes[train], weekdays[train]
    gap = int((train_until - (days[train][-1] + pd.Timedelta(days=1))) / pd.Timedelta(days=1))
    ahead = pd.date_range(days[train][-1] + pd.Timedelta(days=1), periods=gap + horizon_days, freq="D")
    future = ahead.day_of_week.to_numpy(np.int64)
    scores = run_backtests(past, wd, horizon_days, CANDIDATES)
    summaries = {name: s.summary(calibrate=False) for name, s in scores.items()}
    method, _ = _choose(summaries)
    for name in {method, "seasonal_naive"} & set(scores):
        summaries[name] = scores[name].summary()
    method, chosen = _choose(summaries)
    hours = detect_open_hours(past, wd)
    cleaned, touched = clean(past, wd, hours)
    mean, parameters = CANDIDATES[method](cleaned, wd, hours, future)
    minutes = history.interval_minutes
    fit = ChannelFit(
        channel=channel,
        method=method,
        parameters=parameters,
        candidates=_candidates_table(summaries, method),
        outliers=_outlier_table(touched, days[train], minutes),
        open_hours=hours.describe(minutes),
        profile=_profile_table(intraday_profile(cleaned, wd, hours), hours, minutes),
        dispersion=float(chosen["dispersion"]),
        alpha=float(chosen["alpha"]),
        daily_cv=float(chosen["daily_cv"]),
    )
    arrays: dict[str, Any] = {
        "days": ahead[gap:],
        "mean": mean[gap:],
        "open": hours.slots[future[gap:]],
        "naive": seasonal_naive(past, wd, hours, future)[0][gap:],
        "naive_band": summaries.get("seasonal_naive") or FALLBACK,
        "actual": None,
        "aht": _aht(history.matrix(channel, "aht_seconds")[1][train], past, wd)[future[gap:]]
        if history.has_aht
        else None,
    }
    held_out = days[(days >= train_until) & (days < train_until + pd.Timedelta(days=horizon_days))]
    if len(held_out):
        arrays["actual"] = volumes[np.searchsorted(days, held_out)]
        arrays["actual_days"] = len(held_out)
    return fit, arrays


def _rows(fit: ChannelFit, arrays: dict[str, Any], minutes: int) -> pd.DataFrame:
    mean, is_open = arrays["mean"], arrays["open"]
    low, high = band(mean, fit.dispersion, fit.alpha)
    day, slot = np.nonzero(is_open)
    starts = arrays["days"][day] + pd.to_timedelta(slot * minutes, unit="min")
    rows = pd.DataFrame(
        {
            "interval_start": starts,
            "channel": fit.channel,
            "volume": np.round(mean[day, slot], 3),
            "volume_lo80": low[day, slot],
            "volume_hi80": high[day, slot],
        }
    )
    if arrays["aht"] is not None:
        rows["aht_seconds"] = np.round(arrays["aht"][day, slot], 1)
    return rows


def _daily(fit: ChannelFit, arrays: dict[str, Any]) -> pd.DataFrame:
    totals = (arrays["mean"] * arrays["open"]).sum(axis=1)
    low, high = band(totals, fit.daily_cv**2, 0.1)
    return pd.DataFrame(
        {
            "date": arrays["days"].date,
            "channel": fit.channel,
            "volume": np.round(totals, 3),
            "volume_lo80": low,
            "volume_hi80": high,
            "open": arrays["open"].any(axis=1),
        }
    )


def _scores(parts: list[dict[str, NDArray[np.float64]]], method: str) -> dict[str, float]:
    """Interval and daily WAPE and band coverage of ``method`` over the held-out parts of every channel."""

    def joined(key: str) -> NDArray[np.float64]:
        return np.concatenate([p[key] for p in parts])

    return {
        "wape_interval": wape(joined("actual"), joined(method)),
        "wape_daily": wape(joined("daily_actual"), joined(f"daily_{method}")),
        "coverage_80": coverage(joined("actual"), joined(f"{method}_lo"), joined(f"{method}_hi")),
    }


def _held_out(fit: ChannelFit, arrays: dict[str, Any]) -> dict[str, NDArray[np.float64]]:
    """The held-out open intervals: actual counts, each method's forecast and band, daily totals."""
    n = arrays["actual_days"]
    actual, is_open = arrays["actual"], arrays["open"][:n]
    mean, naive = arrays["mean"][:n], arrays["naive"][:n]
    low, high = band(mean, fit.dispersion, fit.alpha)
    naive_low, naive_high = band(naive, arrays["naive_band"]["dispersion"], arrays["naive_band"]["alpha"])
    open_day = is_open.any(axis=1)
    return {
        "actual": actual[is_open],
        "forecast": mean[is_open],
        "forecast_lo": low[is_open],
        "forecast_hi": high[is_open],
        "seasonal_naive": naive[is_open],
        "seasonal_naive_lo": naive_low[is_open],
        "seasonal_naive_hi": naive_high[is_open],
        "daily_actual": (actual * is_open).sum(axis=1)[open_day],
        "daily_forecast": (mean * is_open).sum(axis=1)[open_day],
        "daily_seasonal_naive": (naive * is_open).sum(axis=1)[open_day],
        "outside": np.array([actual[~is_open].sum()]),
        "days": np.array([n]),
    }


def _accuracy(parts: dict[str, dict[str, NDArray[np.float64]]]) -> dict[str, Any]:
    """Accuracy on the held-out days, pooled over channels and per channel."""

    def block(chosen: list[dict[str, NDArray[np.float64]]]) -> dict[str, Any]:
        return {
            "days": int(max(p["days"][0] for p in chosen)),
            "intervals": int(sum(p["actual"].size for p in chosen)),
            "volume": float(sum(p["actual"].sum() for p in chosen)),
            "volume_outside_open_hours": float(sum(p["outside"][0] for p in chosen)),
            "forecast": _scores(chosen, "forecast"),
            "seasonal_naive": _scores(chosen, "seasonal_naive"),
        }

    return block(list(parts.values())) | {"channels": {c: block([p]) for c, p in parts.items()}}


def forecast_volume(history: VolumeHistory, train_until: str | pd.Timestamp, horizon_days: int) -> VolumeForecast:
    """Forecast every channel of ``history`` for ``horizon_days`` days from ``train_until``,
    fitted on the days before it. Raises ``ValueError`` with fewer than 7 training days.
    """
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    until = pd.Timestamp(train_until).normalize()
    fits, tables, daily, held_out = {}, [], [], {}
    for channel in history.channels:
        fit, arrays = _fit_channel(history, channel, until, horizon_days)
        fits[channel] = fit
        tables.append(_rows(fit, arrays, history.interval_minutes))
        daily.append(_daily(fit, arrays))
        if arrays["actual"] is not None:
            held_out[channel] = _held_out(fit, arrays)
    intervals = pd.concat(tables, ignore_index=True).sort_values(["interval_start", "channel"], kind="stable")
    return VolumeForecast(
        history=history,
        train_until=until,
        horizon_days=horizon_days,
        intervals=intervals.reset_index(drop=True),
        daily=pd.concat(daily, ignore_index=True),
        fits=fits,
        accuracy=_accuracy(held_out) if held_out else None,
    )


def backtest_origins(history: VolumeHistory, train_until: str | pd.Timestamp, horizon_days: int) -> list[str]:
    """The backtest origins (dates) a forecast from ``train_until`` uses, each with its window in days."""
    days = history.days()
    train = int((days < pd.Timestamp(train_until).normalize()).sum())
    return [f"{days[o].date()} ({w} d)" for o, w in origins(train, horizon_days)]
