"""The categories of a fitted channel: shares, handle time, escalation and reopening.

Handle time is fitted per category when it has at least ``min_sample`` services, else pooled
over the channel. Escalation and reopen are shares of served contacts (Wilson 95% intervals);
the escalated tier's handle time is the difference of mean handle times of escalated and
non-escalated contacts (a moment estimate: the log has no per-tier times).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from supportsim.calibration.durations import (
    DistributionFit,
    candidates_report,
    fit_durations,
    round_significant,
    wilson,
)


def category_names(contacts: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Name each (channel, category) for the scenario.

    The category's own name, or ``"category (channel)"`` when several channels carry it (a
    scenario category has one skill).
    """
    spread = contacts.groupby("category")["channel"].nunique()
    pairs = contacts[["channel", "category"]].drop_duplicates().itertuples(index=False)
    return {(str(ch), str(cat)): str(cat) if spread[cat] == 1 else f"{cat} ({ch})" for ch, cat in pairs}


def escalated_skill(channel: str) -> str:
    """The skill of a channel's escalated tier."""
    return f"{channel}_escalated"


def _share(flags: pd.Series) -> tuple[int, int]:
    known = flags.dropna().astype(bool)
    return int(known.sum()), len(known)


@dataclass(frozen=True)
class _Channel:
    """A channel's contacts as the category fits use them, and what is pooled over the channel."""

    name: str
    rows: pd.DataFrame
    served_all: pd.DataFrame  # served contacts
    served: pd.DataFrame  # served contacts with a handle time
    plain: pd.DataFrame  # ... not escalated (all served ones when escalation is unknown)
    pool: pd.DataFrame  # the handle times of a pooled fit
    pooled_fits: list[DistributionFit]
    known_escalation: bool
    resolution: float  # of the log's timestamps, seconds
    min_sample: int  # fewer services than this: pooled over the channel
    reopen_delay_hours: float  # assumed when the log has no reopen delays

    @classmethod
    def of(cls, rows: pd.DataFrame, channel: str, resolution: float, min_sample: int, delay_hours: float) -> _Channel:
        served_all = rows[rows["outcome"] == "served"]
        served = served_all[served_all["handle_seconds"].notna()]
        known_escalation = bool(served_all["escalated"].notna().any())
        plain = served[~served["escalated"].fillna(False).astype(bool)] if known_escalation else served
        pool = plain if len(plain) else served
        pooled_fits = fit_durations(pool["handle_seconds"].to_numpy(float), resolution=resolution) if len(pool) else []
        return cls(
            channel,
            rows,
            served_all,
            served,
            plain,
            pool,
            pooled_fits,
            known_escalation,
            resolution,
            min_sample,
            delay_hours,
        )


def fit_categories(
    rows: pd.DataFrame,
    channel: str,
    all_names: dict[tuple[str, str], str],
    handle_fits: dict[str, Any],
    *,
    resolution: float,
    min_sample: int,
    reopen_delay_hours: float,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Category entries of one channel, and their report entries by the log's category name.

    ``rows`` are the channel's contacts; ``resolution`` (seconds) is the log's; a category
    with fewer than ``min_sample`` services gets the channel's pooled fits and shares;
    ``reopen_delay_hours`` is assumed when the log has no reopen delays. The chosen and
    candidate handle-time fits of each scenario category are added to ``handle_fits``.
    """
    names = {cat: all_names[(channel, cat)] for cat in rows["category"].unique()}
    data = _Channel.of(rows, channel, resolution, min_sample, reopen_delay_hours)
    shares = rows["category"].value_counts()
    entries, reports = [], {}
    for category in sorted(shares.index):
        entry, report = _fit_category(category, names[category], shares, data, handle_fits)
        entries.append(entry)
        reports[category] = report
    # shares must add up to exactly 1 after rounding
    total = sum(e["channels"][channel] for e in entries)
    entries[-1]["channels"][channel] = round_significant(entries[-1]["channels"][channel] + 1.0 - total, 12)
    return entries, reports


def _fit_category(
    category: str,
    name: str,
    shares: pd.Series,
    data: _Channel,
    handle_fits: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario entry and report entry of one category."""
    mine = data.served[data.served["category"] == category]
    mine_plain = data.plain[data.plain["category"] == category]
    report: dict[str, Any] = {
        "scenario_category": name,
        "contacts": int(shares[category]),
        "share": float(shares[category] / shares.sum()),
        "served_with_handle": len(mine),
        "mean_handle_seconds": float(mine["handle_seconds"].mean()) if len(mine) else None,
    }
    candidates = _handle_candidates(mine_plain, data, report)
    handle_fits[name] = {
        "fit": candidates[0],
        "fits": candidates,
        "values": mine_plain["handle_seconds"].to_numpy(float),
        "pooled": report["handle_source"] != "this category",
    }
    report["handle"] = candidates_report(candidates, "minutes", 1 / 60)
    entry: dict[str, Any] = {
        "name": name,
        "channels": {data.name: round_significant(float(shares[category] / shares.sum()), 8)},
        "skill": str(data.name),
        "handle_minutes": candidates[0].spec(1 / 60),
    }
    if data.known_escalation:
        _add_escalation(category, mine, mine_plain, candidates[0], data, entry, report)
    _add_reopen(category, data, entry, report)
    return entry, report


def _handle_candidates(mine_plain: pd.DataFrame, data: _Channel, report: dict[str, Any]) -> list[DistributionFit]:
    """The category's own handle-time fits, or the channel's pooled ones for a small sample."""
    if len(mine_plain) >= data.min_sample and np.unique(mine_plain["handle_seconds"]).size >= 2:
        candidates = fit_durations(mine_plain["handle_seconds"].to_numpy(float), resolution=data.resolution)
        report["handle_source"] = "this category"
        report["handle_fit_n"] = len(mine_plain)
    else:
        candidates = data.pooled_fits
        report["handle_source"] = f"pooled over channel '{data.name}' (fewer than {data.min_sample} services)"
        report["handle_fit_n"] = len(data.pool)
    if not candidates:
        raise ValueError(f"channel '{data.name}': no handle times to fit (no served contact with a service time)")
    return candidates


def _add_escalation(
    category: str,
    mine: pd.DataFrame,
    mine_plain: pd.DataFrame,
    best: DistributionFit,
    data: _Channel,
    entry: dict[str, Any],
    report: dict[str, Any],
) -> None:
    """Escalation probability (pooled over the channel for a small sample) and the tier's handle time."""
    served_all, served, plain = data.served_all, data.served, data.plain
    k, n = _share(served_all.loc[served_all["category"] == category, "escalated"])
    if n < data.min_sample:
        k, n = _share(served_all["escalated"])
        report["escalation_source"] = "pooled over channel"
    p = k / n if n else 0.0
    report["escalation"] = {"probability": p, "ci95": wilson(k, n), "n": n}
    if p <= 0:
        return
    escalated = mine[mine["escalated"].fillna(False).astype(bool)]["handle_seconds"]
    if len(escalated) < 2 or len(mine_plain) < 2:
        escalated = served[served["escalated"].fillna(False).astype(bool)]["handle_seconds"]
        base = plain["handle_seconds"]
    else:
        base = mine_plain["handle_seconds"]
    extra = float(escalated.mean() - base.mean()) if len(escalated) else 0.0
    floor = data.resolution / 2
    report["escalation"]["extra_handle_seconds"] = extra
    tier_mean = max(extra, floor) / 60
    tier = best.spec(1 / 60) | {"mean": round_significant(tier_mean)}
    entry["escalation"] = [
        {"skill": escalated_skill(data.name), "probability": round_significant(p, 6), "handle_minutes": tier}
    ]


def _add_reopen(category: str, data: _Channel, entry: dict[str, Any], report: dict[str, Any]) -> None:
    """Reopen probability (pooled over the channel for a small sample) and the follow-up delay."""
    served_all = data.served_all
    k, n = _share(served_all.loc[served_all["category"] == category, "reopened"])
    if n and n < data.min_sample:
        k, n = _share(served_all["reopened"])
        report["reopen_source"] = "pooled over channel"
    if not n:
        return
    p = k / n
    delays = data.rows["reopen_delay_hours"].dropna()
    delay = float(delays.mean()) if len(delays) else data.reopen_delay_hours
    report["reopen"] = {
        "probability": p,
        "ci95": wilson(k, n),
        "n": n,
        "delay_hours_mean": delay,
        "delay_source": f"{len(delays)} observed reopen delays" if len(delays) else "assumed (not in the log)",
    }
    if p > 0:
        entry["follow_up"] = {
            "probability": round_significant(p, 6),
            "delay_hours": {"dist": "exponential", "mean": round_significant(delay)},
            "channel": data.name,
        }
