"""Reference metrics computed from the per-ticket table, vectorised with numpy.

An independent second implementation of the metric definitions in README.md: the engine
computes its metrics from streaming sufficient statistics, and tests check both agree.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

Metrics = dict[str, float]
OPEN, RESOLVED, DEFLECTED, ABANDONED, BOT_ABANDONED = range(5)  # codes used by from_ticket_table

def _mean(values: NDArray[np.float64]) -> float:
    return float(values.mean()) if values.size else math.nan


def _share(part: int | np.integer[Any], whole: int | np.integer[Any]) -> float:
    return float(part) / float(whole) if whole else math.nan


def ticket_metrics(t: dict[str, NDArray[Any]], threshold: NDArray[np.float64]) -> Metrics:
    """Ticket-based metrics of a set of tickets; ``threshold`` is each ticket's target in seconds."""
    outcome = t["outcome"]
    queued = ~np.isnan(t["queued_s"])
    answered = ~np.isnan(t["responded_s"])
    abandoned = outcome == ABANDONED
    resolved = outcome == RESOLVED
    deflected = outcome == DEFLECTED
    wait = t["first_wait_s"]
    has_target = ~np.isnan(threshold)
    within = answered & (wait <= threshold)
    late_waiting = t["waiting_at_end"] & (wait > threshold)
    known = (answered | abandoned | late_waiting) & has_target
    closed = resolved | deflected
    resolution_min = (t["resolved_s"][closed] - t["arrival_s"][closed]) / 60.0
    escalations = t["escalations"]
    n_answered = int(answered.sum())
    metrics: Metrics = {
        "offered": float(len(outcome)),
        "queued": float(queued.sum()),
        "answered": float(n_answered),
        "abandoned": float(abandoned.sum()),
        "deflected": float(deflected.sum()),
        "bot_abandoned": float((outcome == BOT_ABANDONED).sum()),
        "resolved": float(resolved.sum()),
        "open_at_end": float((outcome == OPEN).sum()),
        "service_level": _share(int((within & has_target).sum()), int(known.sum())),
        "service_level_answered": _share(int((within & has_target).sum()), int((answered & has_target).sum())),
        "asa_seconds": _mean(wait[answered]),
        "abandon_rate": _share(int(abandoned.sum()), n_answered + int(abandoned.sum())),
        "first_response_minutes": _mean((t["responded_s"][answered] - t["arrival_s"][answered]) / 60.0),
        "resolution_minutes": _mean(resolution_min),
        "resolution_minutes_p50": float(np.percentile(resolution_min, 50)) if resolution_min.size else math.nan,
        "resolution_minutes_p90": float(np.percentile(resolution_min, 90)) if resolution_min.size else math.nan,
        "escalation_rate": _share(int((answered & (escalations > 0)).sum()), n_answered),
        "deflection_rate": _share(int(deflected.sum()), len(outcome)),
        "reopen_rate": _share(int(t["reopened"].sum()), int(resolved.sum())),
    }
    return metrics


def escalation_rates(t: dict[str, NDArray[Any]], tiers: int) -> Metrics:
    """``escalation_rate_tier{j}``: went on to tier ``j`` ÷ finished tier ``j - 1``."""
    escalations = t["escalations"]
    resolved = t["outcome"] == RESOLVED
    rates: Metrics = {}
    for j in range(1, tiers + 1):
        went_on = escalations >= j
        finished_before = went_on | (resolved & (escalations == j - 1))
        rates[f"escalation_rate_tier{j}"] = _share(int(went_on.sum()), int(finished_before.sum()))
    return rates




def from_ticket_table(tickets: pd.DataFrame, thresholds: dict[str, float], end_minute: float) -> Metrics:
    """The ticket metrics of a ticket table (one replication), by the README's definitions."""
    outcome_codes = {"open": 0, "resolved": 1, "deflected": 2, "abandoned": 3, "bot_abandoned": 4}
    arrival = tickets["arrival_minute"].to_numpy() * 60
    queued = tickets["queued"].to_numpy()
    answered = tickets["answered"].to_numpy()
    wait = tickets["wait_seconds"].to_numpy()
    outcome = tickets["outcome"].map(outcome_codes).to_numpy()
    t = {
        "outcome": outcome,
        "queued_s": np.where(queued, 0.0, np.nan),
        "responded_s": np.where(answered, arrival + tickets["first_response_minutes"].to_numpy() * 60, np.nan),
        "first_wait_s": wait,
        "waiting_at_end": queued & ~answered & (outcome == 0) & ~np.isnan(wait),
        "resolved_s": arrival + tickets["resolution_minutes"].to_numpy() * 60,
        "arrival_s": arrival,
        "escalations": tickets["escalations"].to_numpy(),
        "reopened": tickets["reopened"].to_numpy(),
    }
    threshold = tickets["channel"].astype(str).map(thresholds).to_numpy(dtype=float)
    return ticket_metrics(t, threshold)


def per_interval(
    tickets: pd.DataFrame, thresholds: dict[str, float], end_minute: float, intervals: int
) -> pd.DataFrame:
    """The ticket metrics of each arrival interval (rows ``0 .. intervals - 1``, an interval
    without arrivals included), computed interval by interval with :func:`from_ticket_table`;
    no resolution-time percentiles (the interval table has none).
    """
    groups = dict(iter(tickets.groupby("interval", observed=True)))
    rows = [from_ticket_table(groups.get(i, tickets.iloc[:0]), thresholds, end_minute) for i in range(intervals)]
    return pd.DataFrame(rows).drop(columns=["resolution_minutes_p50", "resolution_minutes_p90"])
