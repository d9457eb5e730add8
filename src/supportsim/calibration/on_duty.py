"""Agents on duty and ready, inferred from a log's services (when no roster is given).

An agent is on duty from the start of a service to the end of the last service that follows
with gaps of at most ``gap_minutes``. On a realtime channel an on-duty agent is *ready* while
serving or while idle with nobody waiting; idle while contacts wait is not-ready time
(wrap-up, other work). A fit gives the scenario the mean agents on duty per weekday and
interval as ``headcount_per_interval`` and the not-ready share as ``shrinkage``; a backtest
staffs each interval with the ready agents observed in it. Without agent names, the peak
number of contacts in service per interval is used (a lower bound).

"On duty" is what the log shows; "staffing" is the planner's requirement
(:mod:`supportsim.planning`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.calibration.logs import ContactLog

FloatArray = NDArray[np.float64]


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
class OnDuty:
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


def infer_on_duty(log: ContactLog, interval_minutes: int, gap_minutes: float) -> OnDuty:
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
    return OnDuty(**out)


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


def closed_line(log: ContactLog, on_duty: OnDuty, interval_minutes: int) -> NDArray[np.bool_]:
    """Mark contacts that left in the IVR while no agent of their channel was on duty.

    The line was closed. The engine has no opening hours and would queue them, so they are
    kept out of the arrival rates and the IVR shares (and reported).
    """
    contacts = log.contacts
    index = (log.arrival_minutes() // interval_minutes).astype(np.int64)
    closed = np.zeros(len(contacts), dtype=bool)
    for channel, agents in on_duty.on_duty.items():
        mine = (contacts["channel"] == channel).to_numpy() & (contacts["outcome"] == "left_ivr").to_numpy()
        closed[mine] = agents[np.minimum(index[mine], agents.size - 1)] <= 0
    return closed
