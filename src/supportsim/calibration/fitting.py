"""Fitting a scenario to a contact log, and the fit report that explains each choice.

Estimators (all from :class:`~supportsim.logs.ContactLog` tables):

- Arrivals: per channel, contacts per interval of each weekday, averaged over the days of
  that weekday in the log's period (days without contacts count as zero), as
  ``rates_per_hour`` of a one-week horizon (or of the log's days when it is shorter).
  ``daily_cv`` is the day-to-day volume variation beyond Poisson, pooled over weekdays.
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
- Escalation and reopen: shares of served contacts (Wilson 95% intervals); the escalated
  tier's handle time is the difference of mean handle times of escalated and
  non-escalated contacts (a moment estimate: the log has no per-tier times).
- Staffing, when no roster is given (:func:`infer_staffing`): an agent is on duty from the
  start of a service to the end of the last service that follows with gaps of at most
  ``gap_minutes``. On a realtime channel an on-duty agent is *ready* while serving or while
  idle with nobody waiting; idle while contacts wait is not-ready time (wrap-up, other
  work). The scenario gets the mean agents on duty per weekday and interval as
  ``headcount_per_interval`` and the not-ready share as ``shrinkage``; a backtest staffs
  each interval with the ready agents observed in it. Without agent names, the peak number
  of contacts in service per interval is used (a lower bound).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special, stats

from supportsim.calibration.logs import ContactLog
from supportsim.reports.files import json_ready
from supportsim.scenario.calendar import WEEKDAYS
from supportsim.scenario.io import scenario_from_dict, scenario_to_yaml
from supportsim.scenario.model import Scenario

FAMILIES = ("exponential", "lognormal", "gamma", "weibull")
_SCIPY = {
    "exponential": stats.expon,
    "lognormal": stats.lognorm,
    "gamma": stats.gamma,
    "weibull": stats.weibull_min,
}
_MAX_CV = 10.0  # the scenario format's limit
_COLOURS = {
    "exponential": "tab:red",
    "lognormal": "tab:orange",
    "gamma": "tab:green",
    "weibull": "tab:blue",
}

FloatArray = NDArray[np.float64]


# --- distributions -------------------------------------------------------------------------------


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
        return _SCIPY[self.family](*self.params)

    def spec(self, scale: float = 1.0) -> dict[str, Any]:
        """As a scenario distribution, the mean multiplied by ``scale`` (e.g. 1/60 for minutes)."""
        if self.family == "exponential":
            return {"dist": "exponential", "mean": _round(self.mean * scale)}
        return {"dist": self.family, "mean": _round(self.mean * scale), "cv": _round(self.cv)}


def _round(value: float, digits: int = 5) -> float:
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
    dist = _SCIPY[family]
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
            start = _SCIPY[family].fit(x, floc=0)
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


# --- arrivals ------------------------------------------------------------------------------------


def period_weekdays(log: ContactLog) -> list[str]:
    """Weekday of each day of the log's period."""
    first = WEEKDAYS.index(log.start_weekday)
    return [WEEKDAYS[(first + d) % 7] for d in range(log.days)]


def arrival_counts(log: ContactLog, interval_minutes: int, keep: NDArray[np.bool_] | None = None) -> pd.DataFrame:
    """Count contacts (those in ``keep``) per channel, day and interval of the day.

    Every day of the period and every channel of the log has its rows, zeros too.
    """
    per_day = 1440 // interval_minutes
    minutes = log.arrival_minutes()
    frame = pd.DataFrame(
        {
            "channel": log.contacts["channel"].to_numpy(),
            "day": (minutes // 1440).astype(np.int64),
            "slot": ((minutes % 1440) // interval_minutes).astype(np.int64),
        }
    )
    channels = sorted(frame["channel"].unique())
    if keep is not None:
        frame = frame[keep]
    counts = frame.groupby(["channel", "day", "slot"]).size()
    full = pd.MultiIndex.from_product([channels, range(log.days), range(per_day)], names=["channel", "day", "slot"])
    out = counts.reindex(full, fill_value=0).rename("contacts").reset_index()
    out["weekday"] = np.array(period_weekdays(log))[out["day"].to_numpy()]
    return out


def weekly_profile(values: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean of ``column`` per channel, weekday and slot, over the days of each weekday."""
    return values.groupby(["channel", "weekday", "slot"], sort=False)[column].mean().reset_index()


def daily_cv(counts: pd.DataFrame) -> dict[str, float]:
    """Per channel: coefficient of variation of daily volume beyond Poisson noise.

    For each weekday seen on at least two days, (variance − mean) / mean² of its daily
    totals estimates cv²; the estimates are averaged over weekdays, and negative values
    (less spread than Poisson) give 0.
    """
    daily = counts.groupby(["channel", "day", "weekday"])["contacts"].sum().reset_index()
    out = {}
    for channel, rows in daily.groupby("channel"):
        estimates = []
        for _, days in rows.groupby("weekday"):
            totals = days["contacts"].to_numpy(dtype=float)
            if totals.size >= 2 and totals.mean() > 0:
                estimates.append((totals.var(ddof=1) - totals.mean()) / totals.mean() ** 2)
        out[str(channel)] = float(min(math.sqrt(max(float(np.mean(estimates)), 0.0)), 2.0)) if estimates else 0.0
    return out


# --- staffing ------------------------------------------------------------------------------------


def _seconds_from_start(log: ContactLog, column: str, mask: pd.Series) -> FloatArray:
    """Seconds from the period start of ``column`` for the contacts in ``mask``."""
    delta = log.contacts.loc[mask, column] - log.period_start
    return np.asarray(delta.dt.total_seconds(), dtype=np.float64)


def _service_spans(log: ContactLog, channel: str, *, named: bool) -> pd.DataFrame:
    """Services of ``channel`` with known start and end (and agent, if ``named``), in seconds."""
    contacts = log.contacts
    mask = (contacts["channel"] == channel) & contacts["answered"].notna() & contacts["ended"].notna()
    if named:
        mask &= contacts["agent"].notna()
    return pd.DataFrame(
        {
            "agent": contacts.loc[mask, "agent"].to_numpy(),
            "start": _seconds_from_start(log, "answered", mask),
            "end": _seconds_from_start(log, "ended", mask),
        }
    )


def agent_sessions(log: ContactLog, channel: str, gap_minutes: float) -> pd.DataFrame:
    """Spells on duty per agent: services of ``channel`` chained while gaps are ≤ ``gap_minutes``.

    Returns ``agent``, ``start``, ``end`` in seconds from the period start.
    """
    spans = _service_spans(log, channel, named=True).sort_values(["agent", "start"], kind="stable")
    if spans.empty:
        return spans
    reach = spans.groupby("agent")["end"].cummax()
    previous = reach.groupby(spans["agent"]).shift()
    new = previous.isna() | (spans["start"] > previous + gap_minutes * 60)
    spans["session"] = new.cumsum()
    sessions = spans.groupby("session").agg(agent=("agent", "first"), start=("start", "min"), end=("end", "max"))
    return sessions.reset_index(drop=True)


def _steps(starts: FloatArray, ends: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Count open spans ``[start, end)`` as a step function: (event times, level after each)."""
    t = np.concatenate([starts, ends])
    step = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    order = np.lexsort((step, t))  # ends before starts at the same instant
    return t[order], np.cumsum(step[order])


def _level_at(steps: tuple[FloatArray, FloatArray], x: FloatArray) -> FloatArray:
    t, level = steps
    if t.size == 0:
        return np.zeros(x.size)
    index = np.searchsorted(t, x, side="right") - 1
    return np.where(index >= 0, level[np.maximum(index, 0)], 0.0)


def _pieces(
    edges: FloatArray, *steps: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Cut the period at every event and interval edge: (midpoints, lengths, interval index)."""
    cuts = np.unique(np.concatenate([edges, *[t[(t > edges[0]) & (t < edges[-1])] for t, _ in steps]]))
    mid = (cuts[:-1] + cuts[1:]) / 2
    index = np.searchsorted(edges, mid, side="right") - 1
    return mid, np.diff(cuts), index


def _per_interval(values: FloatArray, lengths: FloatArray, index: NDArray[np.int64], edges: FloatArray) -> FloatArray:
    sums = np.bincount(index, weights=values * lengths, minlength=edges.size - 1)
    return np.asarray(sums / np.diff(edges), dtype=np.float64)


@dataclass(frozen=True)
class Staffing:
    """Agents per interval of the log's period, per channel, and how they were inferred.

    ``ready``: agents taking contacts (time-averaged); ``on_duty``: agents in a session;
    ``shrinkage``: the share of on-duty time not ready, over the whole period.
    """

    ready: dict[str, FloatArray]
    on_duty: dict[str, FloatArray]
    shrinkage: dict[str, float]
    method: dict[str, str]
    concurrency: dict[str, int]
    agents: dict[str, int]


def infer_staffing(log: ContactLog, interval_minutes: int, gap_minutes: float) -> Staffing:
    """Agents on duty and ready, per channel and interval of the log's period.

    An agent is on duty in a session (services chained with gaps ≤ ``gap_minutes``). On a
    realtime channel, an on-duty agent is ready while serving, or while idle with no contact
    of the channel waiting; idle while contacts wait means not ready (wrap-up, other work):
    the switch would have given them a call. Async channels always have a backlog, so on-duty
    agents count as ready. Without agent names, the peak number of contacts in service per
    interval stands for both (a lower bound).
    """
    edges = np.arange(log.days * 1440 // interval_minutes + 1, dtype=np.float64) * (interval_minutes * 60.0)
    out: dict[str, dict[str, Any]] = {
        k: {} for k in ("ready", "on_duty", "shrinkage", "method", "concurrency", "agents")
    }
    for channel in sorted(log.contacts["channel"].unique()):
        sessions = agent_sessions(log, channel, gap_minutes)
        if sessions.empty:
            peak = _peak_level(_service_spans(log, channel, named=False), edges)
            out["ready"][channel] = out["on_duty"][channel] = peak
            out["shrinkage"][channel] = 0.0
            out["method"][channel] = "no agent names: peak contacts in service per interval (a lower bound)"
            out["concurrency"][channel], out["agents"][channel] = 1, 0
            continue
        services = _service_spans(log, channel, named=True)
        on = _steps(sessions["start"].to_numpy(float), sessions["end"].to_numpy(float))
        busy = _steps(services["start"].to_numpy(float), services["end"].to_numpy(float))
        waiting = _waiting_steps(log, channel)
        mid, lengths, index = _pieces(edges, on, busy, waiting)
        on_level, busy_level = _level_at(on, mid), _level_at(busy, mid)
        concurrency = _concurrency(services)
        if log.mode == "realtime":
            serving = np.minimum(busy_level, on_level)
            idle = np.maximum(on_level - busy_level, 0.0)
            ready_level = serving + np.where(_level_at(waiting, mid) > 0, 0.0, idle)
            rule = "ready = serving, or idle while no contact waited"
        else:
            ready_level = on_level
            rule = "all on-duty agents ready (a backlog is always there)"
        on_duty = _per_interval(on_level, lengths, index, edges)
        ready = _per_interval(ready_level, lengths, index, edges)
        out["on_duty"][channel], out["ready"][channel] = on_duty, ready
        out["shrinkage"][channel] = float(1 - ready.sum() / on_duty.sum()) if on_duty.sum() > 0 else 0.0
        out["method"][channel] = f"agent sessions (services chained with gaps of at most {gap_minutes:g} min); {rule}"
        out["concurrency"][channel] = concurrency
        out["agents"][channel] = int(sessions["agent"].nunique())
    return Staffing(**out)


def _waiting_steps(log: ContactLog, channel: str) -> tuple[FloatArray, FloatArray]:
    """Contacts of ``channel`` waiting in the human queue over time (joined after any IVR)."""
    contacts = log.contacts
    mask = (
        (contacts["channel"] == channel)
        & contacts["outcome"].isin(["served", "abandoned"])
        & (contacts["wait_seconds"] > 0)
    )
    join = _seconds_from_start(log, "created", mask) + contacts.loc[mask, "ivr_seconds"].fillna(0).to_numpy(float)
    return _steps(join, join + contacts.loc[mask, "wait_seconds"].to_numpy(float))


def _peak_level(spans: pd.DataFrame, edges: FloatArray) -> FloatArray:
    """Largest number of spans open at any moment of each interval between ``edges``."""
    peaks = np.zeros(edges.size - 1)
    if spans.empty:
        return peaks
    t, level = _steps(spans["start"].to_numpy(float), spans["end"].to_numpy(float))
    inside = (t >= edges[0]) & (t < edges[-1])
    np.maximum.at(peaks, np.searchsorted(edges, t[inside], side="right") - 1, level[inside])
    return np.maximum(peaks, _level_at((t, level), edges[:-1]))


def _concurrency(services: pd.DataFrame) -> int:
    """Contacts one agent holds at once: 95th percentile over the time agents hold any (1..10)."""
    levels, weights = [], []
    for _, spans in services.groupby("agent"):
        t, level = _steps(spans["start"].to_numpy(float), spans["end"].to_numpy(float))
        held = level[:-1] > 0
        levels.append(level[:-1][held])
        weights.append(np.diff(t)[held])
    level, weight = np.concatenate(levels), np.concatenate(weights)
    if weight.sum() <= 0:
        return 1
    order = np.argsort(level, kind="stable")
    cumulative = np.cumsum(weight[order]) / weight.sum()
    return int(min(max(level[order][np.searchsorted(cumulative, 0.95)], 1), 10))


# --- the fit -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitOptions:
    """Choices the log cannot tell: interval length, targets, session gap, minimum samples."""

    interval_minutes: int = 30
    answer_within_seconds: float = 20.0
    respond_within_hours: float = 24.0
    service_level: float = 0.8
    gap_minutes: float = 30.0
    min_sample: int = 30
    reopen_delay_hours: float = 24.0
    name: str | None = None


@dataclass
class FitResult:
    """A fitted scenario (validated) and everything the fit report shows."""

    scenario: Scenario
    data: dict[str, Any]
    report: dict[str, Any]
    log: ContactLog
    staffing: Staffing
    fits: dict[str, Any] = field(default_factory=dict)


def _sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text.strip()) or "x"


def fit(log: ContactLog, options: FitOptions | None = None) -> FitResult:
    """Fit a scenario to ``log``; see the module notes for each estimator."""
    options = options or FitOptions()
    if 1440 % options.interval_minutes or options.interval_minutes not in (15, 30, 60):
        raise ValueError("interval_minutes must be 15, 30 or 60")
    contacts = log.contacts
    per_day = 1440 // options.interval_minutes
    days = min(7, log.days)
    weekdays = period_weekdays(log)[:days]
    staffing = infer_staffing(log, options.interval_minutes, options.gap_minutes)
    closed = closed_line(log, staffing, options.interval_minutes)
    observed_counts = arrival_counts(log, options.interval_minutes)
    counts = arrival_counts(log, options.interval_minutes, ~closed)
    profile = weekly_profile(counts, "contacts")
    observed_profile = weekly_profile(observed_counts, "contacts")
    cvs = daily_cv(counts)
    report: dict[str, Any] = {
        "source": log.source,
        "sha256": _sha256(log.source),
        "format": log.format,
        "mode": log.mode,
        "rows_read": log.rows_read,
        "contacts": len(contacts),
        "rows_excluded": log.excluded,
        "problems": log.problem_counts().to_dict(orient="records"),
        "notes": list(log.notes),
        "period": {
            "start": str(log.period_start.date()),
            "days": log.days,
            "start_weekday": log.start_weekday,
        },
        "options": options.__dict__,
        "choices": [],
        "channels": {},
        "categories": {},
    }
    fits: dict[str, Any] = {"handle": {}, "patience": {}, "ivr": {}}
    names = category_names(contacts)
    channels, categories, automation, groups = [], [], [], []
    for channel in sorted(contacts["channel"].unique()):
        all_rows = contacts[contacts["channel"] == channel]
        rows = contacts[(contacts["channel"] == channel).to_numpy() & ~closed]
        table = profile[profile["channel"] == channel].set_index(["weekday", "slot"])["contacts"]
        observed_table = observed_profile[observed_profile["channel"] == channel].set_index(["weekday", "slot"])[
            "contacts"
        ]
        rates = [
            _round(float(table.get((w, s), 0.0)) * 60.0 / options.interval_minutes, 6)
            for w in weekdays
            for s in range(per_day)
        ]
        entry: dict[str, Any] = {
            "name": channel,
            "mode": log.mode,
            "arrivals": {"rates_per_hour": rates},
        }
        if cvs.get(channel, 0.0) > 0:
            entry["arrivals"]["daily_cv"] = _round(cvs[channel], 3)
        info = _channel_summary(log, all_rows, observed_counts[observed_counts["channel"] == channel], options)
        info["left_ivr_while_closed"] = len(all_rows) - len(rows)
        if log.mode == "realtime":
            entry["target"] = {
                "answer_within_seconds": options.answer_within_seconds,
                "service_level": options.service_level,
            }
            patience = _fit_patience(rows, log.resolution_seconds)
            info["patience"] = patience["report"]
            if patience["fit"] is not None:
                entry["patience_seconds"] = patience["fit"].spec()
                fits["patience"][channel] = patience
        else:
            entry["target"] = {
                "respond_within_hours": options.respond_within_hours,
                "service_level": options.service_level,
            }
        concurrency = staffing.concurrency[channel]
        if concurrency > 1:
            entry["concurrency"] = {"max": concurrency}
        channels.append(entry)

        ivr = _fit_ivr(rows, log.resolution_seconds)
        if ivr is not None:
            fits["ivr"][channel] = ivr
            info["ivr"] = ivr["report"]
            automation.append(
                {
                    "name": f"ivr_{_safe_name(channel)}",
                    "channels": [channel],
                    "resolves": {},
                    "bot_minutes": ivr["fit"].spec(1 / 60),
                    "abandon": _round(ivr["abandon"], 4),
                }
            )

        skill = str(channel)
        tier_skill = f"{channel}_escalated"
        needs_tier = False
        cat_entries, cat_reports = _fit_categories(rows, channel, skill, tier_skill, log, options, fits, names)
        for cat_entry in cat_entries:
            needs_tier |= bool(cat_entry.get("escalation"))
        categories += cat_entries
        report["categories"][channel] = cat_reports
        headcount = staffing.on_duty[channel]
        weekly = weekly_profile(
            pd.DataFrame(
                {
                    "channel": channel,
                    "weekday": np.repeat(period_weekdays(log), per_day),
                    "slot": np.tile(np.arange(per_day), log.days),
                    "agents": headcount,
                }
            ),
            "agents",
        ).set_index(["weekday", "slot"])["agents"]
        roster = [round(float(weekly.get((w, s), 0.0))) for w in weekdays for s in range(per_day)]
        group: dict[str, Any] = {
            "name": f"{_safe_name(channel)}_agents",
            "skills": [skill, tier_skill] if needs_tier else [skill],
            "headcount_per_interval": roster,
        }
        if staffing.shrinkage[channel] > 0:
            group["shrinkage"] = _round(staffing.shrinkage[channel], 4)
        groups.append(group)
        info["staffing"] = {
            "method": staffing.method[channel],
            "shrinkage": staffing.shrinkage[channel],
            "mean_on_duty": float(staffing.on_duty[channel].mean()),
            "mean_ready": float(staffing.ready[channel].mean()),
            "agents_named": staffing.agents[channel],
            "concurrency": concurrency,
            "mean_on_duty_per_weekday_hour": _hourly(weekly, weekdays, per_day),
        }
        info["arrivals_per_weekday_hour"] = _hourly(observed_table, weekdays, per_day, total=True)
        info["scenario_arrivals_per_weekday_hour"] = _hourly(table, weekdays, per_day, total=True)
        info["daily_cv"] = cvs.get(channel, 0.0)
        report["channels"][channel] = info

    start = log.period_start.date()
    data: dict[str, Any] = {
        "name": options.name or f"Fitted to {Path(log.source).name}",
        "description": (
            f"Fitted by supportsim fit to {Path(log.source).name} ({log.format} format), "
            f"{log.days} days from {start} ({log.start_weekday}); {len(contacts)} contacts."
        ),
        "horizon": {
            "days": days,
            "interval_minutes": options.interval_minutes,
            "start_weekday": log.start_weekday,
        },
        "channels": channels,
        "categories": categories,
        "groups": groups,
    }
    if automation:
        data["automation"] = automation
    report["choices"] = _choices(report, options, log)
    scenario = scenario_from_dict(data, source="<fitted scenario>")
    return FitResult(scenario, data, report, log, staffing, fits)


def _hourly(table: pd.Series, weekdays: list[str], per_day: int, *, total: bool = False) -> dict[str, list[float]]:
    """Per weekday, 24 hourly values: sums of the slots (``total``) or their means."""
    out = {}
    slots_per_hour = per_day // 24
    for weekday in dict.fromkeys(weekdays):
        values = np.array([float(table.get((weekday, s), 0.0)) for s in range(per_day)]).reshape(24, slots_per_hour)
        hourly = values.sum(axis=1) if total else values.mean(axis=1)
        out[weekday] = [round(float(v), 4) for v in hourly]
    return out


def _channel_summary(log: ContactLog, rows: pd.DataFrame, counts: pd.DataFrame, options: FitOptions) -> dict[str, Any]:
    served = int((rows["outcome"] == "served").sum())
    abandoned = int((rows["outcome"] == "abandoned").sum())
    queued = served + abandoned
    waits = rows.loc[rows["outcome"] == "served", "wait_seconds"].dropna()
    per_day = (
        counts.groupby("weekday", sort=False)["contacts"].sum() / counts.groupby("weekday", sort=False)["day"].nunique()
    )
    return {
        "contacts": len(rows),
        "served": served,
        "abandoned": abandoned,
        "left_ivr": int((rows["outcome"] == "left_ivr").sum()),
        "open": int((rows["outcome"] == "open").sum()),
        "queued": queued,
        "abandon_share_of_queued": abandoned / queued if queued else None,
        "asa_seconds": float(waits.mean()) if len(waits) else None,
        "mean_per_day_by_weekday": {str(k): round(float(v), 3) for k, v in per_day.items()},
    }


def _fit_report(fits: list[DistributionFit], unit: str, scale: float) -> dict[str, Any]:
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


def _fit_patience(rows: pd.DataFrame, resolution: float) -> dict[str, Any]:
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
    report |= _fit_report(candidates, "seconds", 1.0)
    return {
        "fit": candidates[0] if candidates else None,
        "fits": candidates,
        "report": report,
        "waits": durations,
        "abandoned": abandoned.to_numpy(),
    }


def _fit_ivr(rows: pd.DataFrame, resolution: float) -> dict[str, Any] | None:
    ivr = rows["ivr_seconds"].dropna().to_numpy(float)
    if ivr.size < 2 or np.unique(ivr).size < 2:
        return None
    reached = rows["outcome"].isin(["served", "abandoned", "left_ivr"])
    left = int((rows["outcome"] == "left_ivr").sum())
    candidates = fit_durations(ivr, resolution=resolution)
    abandon = left / int(reached.sum()) if reached.any() else 0.0
    report = _fit_report(candidates, "seconds", 1.0) | {
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


def closed_line(log: ContactLog, staffing: Staffing, interval_minutes: int) -> NDArray[np.bool_]:
    """Mark contacts that left in the IVR while no agent of their channel was on duty.

    The line was closed. The engine has no opening hours and would queue them, so they are
    kept out of the arrival rates and the IVR shares (and reported).
    """
    contacts = log.contacts
    index = (log.arrival_minutes() // interval_minutes).astype(np.int64)
    closed = np.zeros(len(contacts), dtype=bool)
    for channel, on_duty in staffing.on_duty.items():
        mine = (contacts["channel"] == channel).to_numpy() & (contacts["outcome"] == "left_ivr").to_numpy()
        closed[mine] = on_duty[np.minimum(index[mine], on_duty.size - 1)] <= 0
    return closed


def category_names(contacts: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Name each (channel, category) for the scenario.

    The category's own name, or ``"category (channel)"`` when several channels carry it (a
    scenario category has one skill).
    """
    spread = contacts.groupby("category")["channel"].nunique()
    pairs = contacts[["channel", "category"]].drop_duplicates().itertuples(index=False)
    return {(str(ch), str(cat)): str(cat) if spread[cat] == 1 else f"{cat} ({ch})" for ch, cat in pairs}


def _fit_categories(
    rows: pd.DataFrame,
    channel: str,
    skill: str,
    tier_skill: str,
    log: ContactLog,
    options: FitOptions,
    fits: dict[str, Any],
    all_names: dict[tuple[str, str], str],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Category entries of one channel: shares, handle time, escalation, follow-up."""
    names = {cat: all_names[(channel, cat)] for cat in rows["category"].unique()}
    resolution = log.resolution_seconds
    served_all = rows[rows["outcome"] == "served"]
    served = served_all[served_all["handle_seconds"].notna()]
    known_escalation = served_all["escalated"].notna().any()
    plain = served[~served["escalated"].fillna(False).astype(bool)] if known_escalation else served
    pool = plain if len(plain) else served
    pooled_fits = fit_durations(pool["handle_seconds"].to_numpy(float), resolution=resolution) if len(pool) else []
    pooled_p = _share(served_all["escalated"]) if known_escalation else (0, 0)
    pooled_reopen = _share(served_all["reopened"])
    shares = rows["category"].value_counts()
    entries, reports = [], {}
    for category in sorted(shares.index):
        name = names[category]
        mine = served[served["category"] == category]
        mine_plain = plain[plain["category"] == category]
        report: dict[str, Any] = {
            "scenario_category": name,
            "contacts": int(shares[category]),
            "share": float(shares[category] / shares.sum()),
            "served_with_handle": len(mine),
            "mean_handle_seconds": float(mine["handle_seconds"].mean()) if len(mine) else None,
        }
        if len(mine_plain) >= options.min_sample and np.unique(mine_plain["handle_seconds"]).size >= 2:
            candidates = fit_durations(mine_plain["handle_seconds"].to_numpy(float), resolution=resolution)
            report["handle_source"] = "this category"
            report["handle_fit_n"] = len(mine_plain)
        else:
            candidates = pooled_fits
            report["handle_source"] = f"pooled over channel '{channel}' (fewer than {options.min_sample} services)"
            report["handle_fit_n"] = len(pool)
        if not candidates:
            raise ValueError(f"channel '{channel}': no handle times to fit (no served contact with a service time)")
        fits["handle"][name] = {
            "fit": candidates[0],
            "fits": candidates,
            "values": mine_plain["handle_seconds"].to_numpy(float),
            "pooled": report["handle_source"] != "this category",
        }
        report["handle"] = _fit_report(candidates, "minutes", 1 / 60)
        entry: dict[str, Any] = {
            "name": name,
            "channels": {channel: _round(float(shares[category] / shares.sum()), 8)},
            "skill": skill,
            "handle_minutes": candidates[0].spec(1 / 60),
        }
        if known_escalation:
            k, n = _share(served_all.loc[served_all["category"] == category, "escalated"])
            if n < options.min_sample:
                k, n = pooled_p
                report["escalation_source"] = "pooled over channel"
            p = k / n if n else 0.0
            report["escalation"] = {"probability": p, "ci95": wilson(k, n), "n": n}
            if p > 0:
                escalated = mine[mine["escalated"].fillna(False).astype(bool)]["handle_seconds"]
                if len(escalated) < 2 or len(mine_plain) < 2:
                    escalated = served[served["escalated"].fillna(False).astype(bool)]["handle_seconds"]
                    base = plain["handle_seconds"]
                else:
                    base = mine_plain["handle_seconds"]
                extra = float(escalated.mean() - base.mean()) if len(escalated) else 0.0
                floor = resolution / 2
                report["escalation"]["extra_handle_seconds"] = extra
                tier_mean = max(extra, floor) / 60
                tier = candidates[0].spec(1 / 60) | {"mean": _round(tier_mean)}
                entry["escalation"] = [{"skill": tier_skill, "probability": _round(p, 6), "handle_minutes": tier}]
        k, n = _share(served_all.loc[served_all["category"] == category, "reopened"])
        if n and n < options.min_sample:
            k, n = pooled_reopen
            report["reopen_source"] = "pooled over channel"
        if n:
            p = k / n
            delays = rows["reopen_delay_hours"].dropna()
            delay = float(delays.mean()) if len(delays) else options.reopen_delay_hours
            report["reopen"] = {
                "probability": p,
                "ci95": wilson(k, n),
                "n": n,
                "delay_hours_mean": delay,
                "delay_source": f"{len(delays)} observed reopen delays" if len(delays) else "assumed (not in the log)",
            }
            if p > 0:
                entry["follow_up"] = {
                    "probability": _round(p, 6),
                    "delay_hours": {"dist": "exponential", "mean": _round(delay)},
                    "channel": channel,
                }
        entries.append(entry)
        reports[category] = report
    # shares must add up to exactly 1 after rounding
    total = sum(e["channels"][channel] for e in entries)
    entries[-1]["channels"][channel] = _round(entries[-1]["channels"][channel] + 1.0 - total, 12)
    return entries, reports


def _share(flags: pd.Series) -> tuple[int, int]:
    known = flags.dropna().astype(bool)
    return int(known.sum()), len(known)


def _choices(report: dict[str, Any], options: FitOptions, log: ContactLog) -> list[str]:
    """Plain-language notes on what was chosen and why."""
    resolution = log.resolution_seconds
    notes = [
        f"Arrivals: mean contacts per {options.interval_minutes}-minute interval of each weekday "
        f"over the {log.days} days of the log (days with no contacts count as zero), as "
        f"rates_per_hour of a {min(7, log.days)}-day horizon starting on {log.start_weekday}.",
        "Handle times: maximum likelihood in the exponential, lognormal, gamma and Weibull "
        "families; the lowest AIC is chosen. KS statistics are distances only: with estimated "
        f"parameters and times rounded to {resolution:g} s their p-values would not be valid. "
        f"Durations recorded as 0 are set to {resolution / 2:g} s.",
        "Staffing: agents on duty per interval are inferred from agent activity (sessions of "
        f"services with gaps of at most {options.gap_minutes:g} min), averaged per weekday and "
        "interval, as headcount_per_interval; shrinkage is the share of on-duty time agents "
        "were not ready.",
    ]
    if log.mode == "realtime":
        notes.append(
            "Patience: censored maximum likelihood (a served customer's patience only exceeds "
            "their wait); family by AIC. The exponential fit is the Erlang A estimator (total "
            "wait ÷ abandonments). Kaplan-Meier is the non-parametric check (KS distance) and is "
            "plotted."
        )
        notes.append(
            f"Service target answer_within_seconds {options.answer_within_seconds:g} at "
            f"{options.service_level:g} is an assumption (logs hold no targets)."
        )
    else:
        notes.append(
            "Async channel: handle time is the elapsed time from first response to resolution "
            "(logs of this kind record no effort), so handle times and staffing describe work in "
            "progress: an agent holds up to `concurrency` tickets at once. Work of the same "
            "agents on tickets outside the log is invisible to the fit. Target "
            f"respond_within_hours {options.respond_within_hours:g} is an assumption."
        )
    closed = sum(info.get("left_ivr_while_closed", 0) for info in report["channels"].values())
    if closed:
        notes.append(
            f"{closed} contacts arrived while no agent was on duty and left in the IVR (the line "
            "was closed): they are in the observed arrival table but not in the scenario's rates "
            "or IVR shares, because the engine has no opening hours and would queue them until "
            "they abandon."
        )
    given = log.contacts["priority"][log.contacts["priority"] != ""]
    priorities = given.value_counts(normalize=True)
    if len(priorities) > 1:
        mix = ", ".join(f"{k}: {v:.1%}" for k, v in priorities.sort_index().items())
        notes.append(
            f"Priority classes in the log ({mix}) are not modelled: contacts are served first "
            "come, first served (the engine's VIP priority is strict, not a waiting-time credit, "
            "and a trace carries no per-contact priority)."
        )
    if any("escalation" in c for ch in report["categories"].values() for c in ch.values()):
        notes.append(
            "Escalation: probability = escalated share of served contacts; the escalated tier's "
            "handle time is the difference of mean handle times of escalated and other contacts "
            "(the log has no per-tier times), served by the same agents."
        )
    return notes


# --- output --------------------------------------------------------------------------------------


def scenario_yaml(result: FitResult, header: list[str]) -> str:
    """Render the fitted scenario as YAML with ``header`` lines as comments on top."""
    lines = [f"# {line}" if line else "#" for line in header]
    return "\n".join(lines) + "\n" + scenario_to_yaml(result.scenario)


def _md_table(frame: pd.DataFrame, floatfmt: str | None = None) -> str:
    """Render ``frame`` as a Markdown table.

    Floats use ``floatfmt``; by default 4 significant digits, and one decimal from 1000 on
    (so AIC differences stay visible).
    """

    def cell(value: Any) -> str:
        if isinstance(value, float | np.floating):
            number = float(value)
            if math.isnan(number):
                return "–"
            if floatfmt is not None:
                return floatfmt.format(number)
            return f"{number:,.1f}" if abs(number) >= 1000 else f"{number:.4g}"
        return str(value).replace("|", "\\|")

    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def report_markdown(result: FitResult, figures: dict[str, str]) -> str:
    """Render the fit report as Markdown; ``figures`` maps a figure key to its file name."""
    r = result.report
    out = [
        f"# Fit report: {Path(r['source']).name}",
        "",
        f"Source `{r['source']}` ({r['format']} format, sha256 `{r['sha256']}`). "
        f"{r['rows_read']} rows read, {r['contacts']} contacts used, "
        f"{r['rows_excluded']} rows excluded. Period: {r['period']['days']} days from "
        f"{r['period']['start']} ({r['period']['start_weekday']}).",
        "",
        "## Choices",
        "",
        *[f"- {c}" for c in r["choices"]],
        "",
        "## Rows not used as they stand",
        "",
    ]
    problems = pd.DataFrame(r["problems"])
    out.append(_md_table(problems) if len(problems) else "None.")
    out += ["", *[f"- {note}" for note in r["notes"]], ""]
    for channel, info in r["channels"].items():
        out += [f"## Channel `{channel}`", ""]
        summary = {k: v for k, v in info.items() if not isinstance(v, dict)}
        out.append(_md_table(pd.DataFrame([summary])))
        out += ["", "### Arrivals per weekday and hour (mean per day)", ""]
        hourly = pd.DataFrame(info["arrivals_per_weekday_hour"], index=[f"{h:02d}" for h in range(24)])
        out.append(_md_table(hourly.reset_index(names="hour"), "{:.2f}"))
        if "arrivals" in figures:
            out += ["", f"![arrival profile]({figures['arrivals']})"]
        out += ["", f"Daily volume cv beyond Poisson: {info['daily_cv']:.3f}.", ""]
        if "patience" in info:
            p = info["patience"]
            out += ["### Patience (seconds)", "", f"Estimator: {p['estimator']}.", ""]
            out.append(
                _md_table(
                    pd.DataFrame([{k: v for k, v in p.items() if not isinstance(v, list | dict) and k != "estimator"}])
                )
            )
            if p.get("candidates"):
                out += ["", _md_table(pd.DataFrame(p["candidates"]))]
            key = f"patience:{channel}"
            if key in figures:
                out += ["", f"![patience]({figures[key]})"]
            out.append("")
        if "ivr" in info:
            out += [
                "### IVR time (seconds)",
                "",
                _md_table(pd.DataFrame(info["ivr"]["candidates"])),
                "",
                f"Share leaving in the IVR: {info['ivr']['abandon']:.4f}.",
                "",
            ]
        out += ["### Categories", ""]
        rows = []
        for _name, cat in r["categories"][channel].items():
            best = cat["handle"]["candidates"][0]
            rows.append(
                {
                    "category": cat["scenario_category"],
                    "contacts": cat["contacts"],
                    "share": cat["share"],
                    "served": cat["served_with_handle"],
                    "mean handle (s)": cat["mean_handle_seconds"]
                    if cat["mean_handle_seconds"] is not None
                    else math.nan,
                    "chosen": best["family"],
                    "fitted mean (min)": best["mean"],
                    "cv": best["cv"],
                    "KS": best["ks"],
                    "escalation p": cat.get("escalation", {}).get("probability", math.nan),
                    "reopen p": cat.get("reopen", {}).get("probability", math.nan),
                    "handle from": cat["handle_source"],
                }
            )
        out.append(_md_table(pd.DataFrame(rows)))
        out += ["", "AIC of each family (lower is better):", ""]
        aic_rows = [
            {"category": name, **{c["family"]: c["aic"] for c in cat["handle"]["candidates"]}}
            for name, cat in r["categories"][channel].items()
        ]
        out.append(_md_table(pd.DataFrame(aic_rows), "{:.1f}"))
        key = f"handle:{channel}"
        if key in figures:
            out += ["", f"![handle times]({figures[key]})"]
        staffing = info["staffing"]
        out += [
            "",
            "### Staffing",
            "",
            f"Method: {staffing['method']}; {staffing['agents_named']} agents named; "
            f"concurrency {staffing['concurrency']}. Mean agents on duty "
            f"{staffing['mean_on_duty']:.2f}, ready {staffing['mean_ready']:.2f}: shrinkage "
            f"{staffing['shrinkage']:.1%}.",
            "",
        ]
        if "staffing" in figures:
            out += [f"![staffing]({figures['staffing']})", ""]
    return "\n".join(out) + "\n"


def write_figures(result: FitResult, folder: Path) -> dict[str, str]:
    """PNG plots of the fit into ``folder``; returns figure key → file name."""
    from matplotlib.figure import Figure

    figures: dict[str, str] = {}
    per_day = 1440 // result.report["options"]["interval_minutes"]
    fig = Figure(figsize=(10, 4 * len(result.report["channels"])), layout="constrained")
    axes = fig.subplots(len(result.report["channels"]), 2, squeeze=False)
    for row, (channel, info) in enumerate(result.report["channels"].items()):
        hours = np.arange(24)
        for weekday, values in info["arrivals_per_weekday_hour"].items():
            axes[row, 0].step(hours, values, where="post", label=weekday)
        axes[row, 0].set(
            title=f"{channel}: arrivals per hour (mean per day)",
            xlabel="hour of day",
            ylabel="contacts",
        )
        axes[row, 0].legend(ncols=4, fontsize="small")
        for weekday, values in info["staffing"]["mean_on_duty_per_weekday_hour"].items():
            axes[row, 1].step(hours, values, where="post", label=weekday)
        axes[row, 1].set(title=f"{channel}: agents on duty (inferred)", xlabel="hour of day", ylabel="agents")
    fig.savefig(folder / "arrivals.png", dpi=90)
    figures["arrivals"] = figures["staffing"] = "arrivals.png"
    del per_day

    for channel, patience in result.fits["patience"].items():
        fig = Figure(figsize=(6, 4), layout="constrained")
        ax = fig.subplots()
        times, survival = kaplan_meier(patience["waits"], patience["abandoned"])
        ax.step(times, survival, where="post", color="black", label="Kaplan-Meier")
        grid = np.linspace(0, float(times.max()), 200)
        for f in patience["fits"]:
            ax.plot(
                grid,
                f.frozen.sf(grid),
                label=f"{f.family} (AIC {f.aic:.1f})",
                lw=2.5 if f is patience["fit"] else 1,
                color=_COLOURS[f.family],
            )
        ax.set(
            title=f"{channel}: patience survival",
            xlabel="seconds in queue",
            ylabel="P(patience > t)",
        )
        ax.legend(fontsize="small")
        name = f"patience_{_safe_name(channel)}.png"
        fig.savefig(folder / name, dpi=90)
        figures[f"patience:{channel}"] = name

    by_channel: dict[str, list[str]] = {}
    for category_entry in result.data["categories"]:
        by_channel.setdefault(next(iter(category_entry["channels"])), []).append(category_entry["name"])
    for channel, names in by_channel.items():
        names = sorted(names, key=lambda n: -len(result.fits["handle"][n]["values"]))[:12]
        cols = min(3, len(names))
        rows = math.ceil(len(names) / cols)
        fig = Figure(figsize=(4 * cols, 3 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, name in zip(axes.flat, names, strict=False):
            handle = result.fits["handle"][name]
            values = np.sort(floor_zeros(handle["values"], result.log.resolution_seconds)) / 60
            if values.size:
                ax.step(
                    values,
                    np.arange(1, values.size + 1) / values.size,
                    where="post",
                    color="black",
                    label="observed",
                )
            grid = np.geomspace(
                max(values.min() if values.size else 0.01, 1e-3),
                max(values.max() if values.size else 10, 1e-2),
                200,
            )
            for f in handle["fits"]:
                ax.plot(
                    grid,
                    f.frozen.cdf(grid * 60),
                    lw=2.5 if f is handle["fit"] else 1,
                    color=_COLOURS[f.family],
                    label=f.family,
                )
            ax.set_xscale("log")
            pooled = ", pooled fit" if handle["pooled"] else ""
            ax.set(
                title=f"{name}: {handle['fit'].family}{pooled}",
                xlabel="handle minutes",
                ylabel="cdf",
            )
        for ax in list(axes.flat)[len(names) :]:
            ax.set_visible(False)
        axes[0, 0].legend(fontsize="small")
        name = f"handle_{_safe_name(channel)}.png"
        fig.savefig(folder / name, dpi=90)
        figures[f"handle:{channel}"] = name
    return figures


def write_report(result: FitResult, folder: Path) -> None:
    """Write ``fit_report.md``, ``fit_report.json`` and the PNG plots into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = write_figures(result, folder)
    (folder / "fit_report.md").write_text(report_markdown(result, figures), encoding="utf-8")
    (folder / "fit_report.json").write_text(json.dumps(json_ready(result.report), indent=2) + "\n", encoding="utf-8")
