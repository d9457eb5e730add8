"""The day replayed interval by interval: what came in, what ended and what is still in the system.

Every figure of a row belongs to its interval: ``arrived`` counts contacts arriving in it;
``resolved``, ``abandoned``, ``deflected``, ``bot_abandoned``, ``blocked`` and
``disconnected`` count contacts *ending* in it (whenever they arrived); ``in_system`` counts
contacts that arrived in the measured window and are not finished at the interval's end. So,
in every interval, ``arrived = (every ending) + (in_system - in_system_before)``, and over
the day the arrivals equal the contacts ended plus those still in the system.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supportsim.results.simulation import SimulationResult

ENDINGS = ("resolved", "abandoned", "deflected", "bot_abandoned", "blocked", "disconnected")


def _end_minutes(tickets: pd.DataFrame) -> np.ndarray:
    """Minute each ticket ended (NaN: still open at the horizon's end).

    Resolved and deflected tickets end ``resolution_minutes`` after arriving; abandoned ones
    after their wait in the human queue, as do disconnected ones; blocked ones when they
    arrived. The time spent in a bot before abandoning (in the
    queue or in the bot) is not recorded, so those tickets count as ending when their queue
    wait ends (bot leavers: when they arrived).
    """
    outcome = tickets["outcome"].astype(str).to_numpy()
    arrival = tickets["arrival_minute"].to_numpy(dtype=float)
    resolution = tickets["resolution_minutes"].to_numpy(dtype=float)
    wait = np.nan_to_num(tickets["wait_seconds"].to_numpy(dtype=float)) / 60.0
    end = np.full(len(tickets), np.nan)
    done = np.isin(outcome, ("resolved", "deflected"))
    end[done] = arrival[done] + resolution[done]
    gone = np.isin(outcome, ("abandoned", "disconnected"))
    end[gone] = arrival[gone] + wait[gone]
    left = np.isin(outcome, ("bot_abandoned", "blocked"))
    end[left] = arrival[left]
    return end


def flow_by_interval(result: SimulationResult) -> pd.DataFrame:
    """One row per measured interval, means over replications (contacts): ``interval``,
    ``day``, ``time``, ``arrived``, one column per ending of :data:`ENDINGS`,
    ``in_system_before`` and ``in_system`` (at the interval's start and end).

    Needs the ticket table (``simulate(..., keep_tickets=True)``).
    """
    horizon = result.scenario.horizon
    width = float(horizon.interval_minutes)
    count = horizon.days * horizon.intervals_per_day
    tickets = result.tickets
    reps = max(result.replications, 1)
    arrival_bin = np.floor(tickets["arrival_minute"].to_numpy(dtype=float) / width).astype(int)
    end = _end_minutes(tickets)
    end_bin = np.where(np.isnan(end), count, np.floor(np.nan_to_num(end, nan=0.0) / width)).astype(int)
    end_bin = np.clip(end_bin, 0, count)  # an end past the horizon counts as still open
    outcome = tickets["outcome"].astype(str).to_numpy()
    rows = pd.DataFrame({"interval": np.arange(count)})
    rows["day"] = rows["interval"] // horizon.intervals_per_day + 1
    minutes = (rows["interval"] % horizon.intervals_per_day) * int(width)
    rows["time"] = [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]
    rows["arrived"] = np.bincount(np.clip(arrival_bin, 0, count), minlength=count + 1)[:count] / reps
    ended_total = np.zeros(count)
    for name in ENDINGS:
        mask = (outcome == name) & (end_bin < count)
        counts = np.bincount(end_bin[mask], minlength=count + 1)[:count] / reps
        rows[name] = counts
        ended_total += counts
    in_system = np.cumsum(rows["arrived"].to_numpy() - ended_total)
    rows["in_system_before"] = np.concatenate([[0.0], in_system[:-1]])
    rows["in_system"] = in_system
    return rows
