"""Scores of a backtest: KPIs per group of contacts, their errors, and the by-hour score pooled over
chosen weekdays (see :mod:`supportsim.calibration.backtesting` for the definitions).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def interval_kpis(
    table: pd.DataFrame, thresholds: dict[str, float], keys: list[str], replications: int = 1
) -> pd.DataFrame:
    """Compute the KPIs (:data:`BACKTEST_KPIS`) per group of ``keys`` of a contact table.

    The table has ``channel``, ``queued``, ``answered``, ``abandoned`` (booleans) and
    ``wait_seconds``, and may have ``waiting_at_end`` (still waiting for an answer when the
    replay ended; ``wait_seconds`` is then the wait so far); ``thresholds`` are the targets
    in seconds by channel. Counts are divided by ``replications`` and ratios pooled over them.
    """
    t = table.copy()
    t["threshold"] = t["channel"].map(thresholds).astype(float)
    known_wait = t["answered"] & t["wait_seconds"].notna()
    t["known_wait"] = known_wait
    t["wait_known"] = t["wait_seconds"].where(known_wait, 0.0)
    t["within"] = known_wait & (t["wait_seconds"] <= t["threshold"])
    waiting = t["waiting_at_end"].astype(bool) if "waiting_at_end" in t else False
    t["fate"] = known_wait | t["abandoned"] | (waiting & (t["wait_seconds"] > t["threshold"]))
    t["has_target"] = t["threshold"].notna()
    g = t.groupby(keys, observed=True)
    sums = g[["queued", "answered", "abandoned", "known_wait", "wait_known", "within", "fate"]].sum()
    out = pd.DataFrame(index=sums.index)
    out["offered"] = g.size() / replications
    out["queued"] = sums["queued"] / replications
    out["answered"] = sums["answered"] / replications
    out["abandoned"] = sums["abandoned"] / replications
    with np.errstate(invalid="ignore", divide="ignore"):
        out["abandon_rate"] = sums["abandoned"] / (sums["answered"] + sums["abandoned"])
        out["mean_wait_seconds"] = sums["wait_known"] / sums["known_wait"]
        out["service_level"] = (sums["within"] / sums["fate"]).where(g["has_target"].all())
    return out.replace([np.inf, -np.inf], np.nan)


def kpi_errors(observed: pd.Series, simulated: pd.Series) -> dict[str, Any]:
    """Bias, relative bias, MAPE and WAPE of ``simulated`` against ``observed`` where both are known."""
    both = observed.notna() & simulated.notna()
    o, s = observed[both], simulated[both]
    nonzero = o != 0
    total = float(o.sum())
    return {
        "intervals": int(both.sum()),
        "bias": float((s - o).mean()) if len(o) else math.nan,
        "relative_bias": float((s - o).sum() / total) if total else math.nan,
        "mape": float(((s - o).abs() / o.abs())[nonzero].mean()) if nonzero.any() else math.nan,
        "wape": float((s - o).abs().sum() / o.abs().sum()) if o.abs().sum() else math.nan,
        "intervals_observed_zero": int((~nonzero).sum()),
    }


def pooled_by_hour(
    tables: tuple[pd.DataFrame, pd.DataFrame],
    thresholds: dict[str, float],
    replications: int,
    day_weekdays: Sequence[str],
    interval_minutes: int,
    weekdays: tuple[str, ...] | None,
    min_contacts: int,
) -> dict[str, Any]:
    """Abandonment rate and mean wait per channel and hour of day, pooled over the days whose
    weekday (``day_weekdays[d]`` for day ``d``) is in ``weekdays`` (all days if None), for the
    observed and simulated contact ``tables`` (with ``interval`` from the period start), and
    their errors over the hours with at least ``min_contacts`` queued contacts per pooled day.
    """
    per_day = 1440 // interval_minutes
    days = np.asarray(day_weekdays)
    chosen = set(weekdays) if weekdays else set(days.tolist())
    n_days = int(np.isin(days, list(chosen)).sum())

    def pooled(frame: pd.DataFrame) -> pd.DataFrame:
        day = (frame["interval"] // per_day).to_numpy()
        keep = (day < days.size) & np.isin(days[np.minimum(day, days.size - 1)], list(chosen))
        hour = ((frame["interval"] % per_day) * interval_minutes // 60).to_numpy()
        return frame[keep].assign(hour=hour[keep])

    keys = ["channel", "hour"]
    observed = interval_kpis(pooled(tables[0]), thresholds, keys, max(n_days, 1))
    simulated = interval_kpis(pooled(tables[1]), thresholds, keys, max(n_days, 1) * replications)
    simulated = simulated.reindex(observed.index)
    scored = observed["queued"] >= min_contacts
    errors = {
        kpi: kpi_errors(observed[kpi][scored], simulated[kpi][scored]) for kpi in ("abandon_rate", "mean_wait_seconds")
    }
    rows = pd.concat([observed.add_suffix("_observed"), simulated.add_suffix("_simulated")], axis=1)
    return {
        "weekdays": [d for d in dict.fromkeys(days.tolist()) if d in chosen],
        "days": n_days,
        "min_contacts": min_contacts,
        "hours_scored": int(scored.sum()),
        "kpis": errors,
        "table": rows.reset_index().assign(scored=scored.to_numpy()).to_dict(orient="records"),
    }
