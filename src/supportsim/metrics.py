"""Metrics of one replication, each with one written definition.

Only what happens in the measured window counts: tickets that *arrived* at time >= 0
(after the warm-up), and time-weighted quantities over ``[0, horizon end)``. Ticket
metrics per interval are attributed to the interval in which the ticket arrived.

Definitions (also in ``docs/metrics.md``; ``T`` is the channel's target threshold,
``answer_within_seconds`` or ``respond_within_hours``):

- ``offered``: contacts that arrived (new contacts and follow-ups).
- ``deflected``: resolved by automation without a human. ``bot_abandoned``: left inside the bot.
- ``queued``: reached a human queue (after any bot). Waits are counted from that moment.
- ``answered``: queued contacts a human started to serve. ``abandoned``: queued contacts that
  gave up before being served (realtime channels only).
- ``service_level``: answered within ``T`` ÷ queued contacts whose fate against the target is
  known: answered, abandoned (all abandoners, however early), or still waiting at the end
  after more than ``T``. ``service_level_answered``: answered within ``T`` ÷ answered.
- ``asa_seconds``: mean wait of answered contacts, from joining the human queue to the start
  of service.
- ``abandon_rate``: abandoned ÷ (answered + abandoned).
- ``mean_waiting`` / ``max_waiting``: time-average / maximum number of the channel's contacts
  waiting for their first human response, from the step function (for async channels: the
  backlog). Overall, ``mean_waiting`` counts every ticket waiting in any queue, all tiers.
- ``first_response_minutes``: arrival (including bot time) to the start of the first human
  service, mean over answered contacts.
- ``resolution_minutes`` (mean, p50, p90): arrival to final resolution, through bot, tiers
  and hand-offs, over tickets resolved by a human or deflected by automation.
- ``resolved``: tickets resolved by a human. ``open_at_end``: still in the system at the end.
- ``escalation_rate``: answered tickets escalated at least once ÷ answered.
  ``escalation_rate_tier{j}``: tickets that went on to escalation tier ``j`` ÷ tickets that
  finished tier ``j - 1``.
- ``deflection_rate``: deflected ÷ offered. ``reopen_rate``: resolved tickets that come back
  as a follow-up ÷ resolved.
- Groups: ``headcount`` (mean rostered people, breaks included), ``headcount_peak`` (most
  people rostered at once), ``staffed`` (mean agents
  taking contacts: on duty, off break, net of shrinkage, plus any overtime to finish a
  contact), ``utilization`` (busy capacity ÷ staffed time, a chat counting ``1/max``
  concurrency), ``occupancy`` (time with at least one contact ÷ staffed time), ``served``
  (services started), ``paid_hours``, ``agent_cost``.
- Cost: ``agent_cost`` (paid hours × cost per hour), ``bot_cost`` (bot conversations ×
  cost per conversation), ``cost_per_resolved`` (total cost ÷ (resolved + deflected)).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.engine import ABANDONED, BOT_ABANDONED, DEFLECTED, OPEN, OUTCOME_NAMES, RESOLVED, ReplicationOutput
from supportsim.profiles import weekday_of_day
from supportsim.scenario import Channel, Scenario

Metrics = dict[str, float]
"""Metric name -> value for one scope of one replication."""


def _mean(values: NDArray[np.float64]) -> float:
    return float(values.mean()) if values.size else math.nan


def _share(part: int | np.integer[Any], whole: int | np.integer[Any]) -> float:
    return float(part) / float(whole) if whole else math.nan


def _threshold_seconds(channel: Channel) -> float:
    target = channel.target
    if target is None:
        return math.nan
    if target.answer_within_seconds is not None:
        return target.answer_within_seconds
    assert target.respond_within_hours is not None
    return target.respond_within_hours * 3600.0


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


def _subset(t: dict[str, NDArray[Any]], mask: NDArray[np.bool_]) -> dict[str, NDArray[Any]]:
    return {k: v[mask] for k, v in t.items()}


def measured_tickets(output: ReplicationOutput) -> dict[str, NDArray[Any]]:
    """The tickets that arrived in the measured window (after the warm-up)."""
    t = output.tickets
    return _subset(t, t["arrival_s"] >= 0)


def replication_metrics(scenario: Scenario, output: ReplicationOutput) -> dict[str, dict[str, Metrics]]:
    """All metrics of one replication: ``{"channels": {name: metrics}, "categories": ...,
    "groups": ..., "overall": {"all": metrics}}``."""
    t = measured_tickets(output)
    horizon_s = output.end_seconds
    thresholds = np.array([_threshold_seconds(c) for c in scenario.channels])
    threshold = thresholds[t["channel"]] if len(t["channel"]) else np.zeros(0)

    channels: dict[str, Metrics] = {}
    for c, channel in enumerate(scenario.channels):
        mask = t["channel"] == c
        metrics = ticket_metrics(_subset(t, mask), threshold[mask])
        waiting = output.waiting_by_channel[c]
        metrics["mean_waiting"] = float(waiting.interval_areas.sum() / horizon_s)
        metrics["max_waiting"] = float(waiting.interval_maxima.max())
        channels[channel.name] = metrics

    categories: dict[str, Metrics] = {}
    for k, category in enumerate(scenario.categories):
        mask = t["category"] == k
        subset = _subset(t, mask)
        categories[category.name] = ticket_metrics(subset, threshold[mask]) | escalation_rates(
            subset, len(category.escalation)
        )

    groups: dict[str, Metrics] = {}
    agent_cost = 0.0
    for g, group in enumerate(scenario.groups):
        staffed = float(output.staffed[g].interval_areas.sum())
        paid_hours = float(output.rostered_seconds[g].sum() / 3600.0)
        cost = paid_hours * group.cost_per_hour
        agent_cost += cost
        groups[group.name] = {
            "headcount": float(output.rostered_seconds[g].sum() / horizon_s),
            "headcount_peak": float(output.rostered_peak[g]),
            "staffed": staffed / horizon_s,
            "utilization": _share_f(float(output.busy[g].interval_areas.sum()), staffed),
            "occupancy": _share_f(float(output.occupied[g].interval_areas.sum()), staffed),
            "served": float(output.served[g].sum()),
            "paid_hours": paid_hours,
            "agent_cost": cost,
        }

    overall = ticket_metrics(t, threshold)
    realtime = np.array([c.mode == "realtime" for c in scenario.channels])
    is_realtime = realtime[t["channel"]] if len(t["channel"]) else np.zeros(0, dtype=bool)
    overall["service_level_realtime"] = ticket_metrics(_subset(t, is_realtime), threshold[is_realtime])[
        "service_level"
    ]
    overall["service_level_async"] = ticket_metrics(_subset(t, ~is_realtime), threshold[~is_realtime])[
        "service_level"
    ]
    overall["mean_waiting"] = float(sum(level.interval_areas.sum() for level in output.waiting_by_skill) / horizon_s)
    bot_cost = float(
        sum(n * a.cost_per_conversation for n, a in zip(output.bot_conversations, scenario.automation, strict=True))
    )
    overall["agent_cost"] = agent_cost
    overall["bot_cost"] = bot_cost
    overall["total_cost"] = agent_cost + bot_cost
    overall["cost_per_resolved"] = _share_f(agent_cost + bot_cost, overall["resolved"] + overall["deflected"])
    overall["in_system_at_end"] = float(output.in_system_at_end)
    return {"channels": channels, "categories": categories, "groups": groups, "overall": {"all": overall}}


def _share_f(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def interval_frame(scenario: Scenario, output: ReplicationOutput) -> pd.DataFrame:
    """One row per measured interval and scope (channel, skill, group) with that interval's metrics."""
    horizon = scenario.horizon
    intervals = horizon.intervals
    interval_s = horizon.interval_minutes * 60.0
    t = measured_tickets(output)
    k = (t["arrival_s"] // interval_s).astype(np.int64)
    base = _interval_index(scenario)
    frames = []
    for c, channel in enumerate(scenario.channels):
        mask = t["channel"] == c
        kc = k[mask]
        answered = ~np.isnan(t["responded_s"][mask])
        abandoned = t["outcome"][mask] == ABANDONED
        wait = t["first_wait_s"][mask]
        threshold = _threshold_seconds(channel)
        within = answered & (wait <= threshold)
        late = t["waiting_at_end"][mask] & (wait > threshold)
        known = np.bincount(kc, weights=(answered | abandoned | late).astype(float), minlength=intervals)
        n_answered = np.bincount(kc, weights=answered.astype(float), minlength=intervals)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame = base.assign(
                scope="channel",
                name=channel.name,
                offered=np.bincount(kc, minlength=intervals).astype(float),
                answered=n_answered,
                abandoned=np.bincount(kc, weights=abandoned.astype(float), minlength=intervals),
                service_level=np.bincount(kc, weights=within.astype(float), minlength=intervals) / known
                if not math.isnan(threshold)
                else np.nan,
                asa_seconds=np.bincount(kc, weights=np.where(answered, wait, 0.0), minlength=intervals) / n_answered,
                mean_waiting=output.waiting_by_channel[c].interval_means,
                max_waiting=output.waiting_by_channel[c].interval_maxima,
            )
        frames.append(frame)
    for s, skill in enumerate(output.skills):
        frames.append(
            base.assign(
                scope="skill",
                name=skill,
                mean_waiting=output.waiting_by_skill[s].interval_means,
                max_waiting=output.waiting_by_skill[s].interval_maxima,
            )
        )
    for g, group in enumerate(scenario.groups):
        staffed = output.staffed[g].interval_areas
        with np.errstate(invalid="ignore", divide="ignore"):
            frames.append(
                base.assign(
                    scope="group",
                    name=group.name,
                    headcount=output.rostered_seconds[g] / interval_s,
                    staffed=staffed / interval_s,
                    busy=output.busy[g].interval_means,
                    utilization=output.busy[g].interval_areas / staffed,
                    occupancy=output.occupied[g].interval_areas / staffed,
                    served=output.served[g].astype(float),
                )
            )
    return pd.concat(frames, ignore_index=True)


def _interval_index(scenario: Scenario) -> pd.DataFrame:
    horizon = scenario.horizon
    k = np.arange(horizon.intervals)
    per_day = horizon.intervals_per_day
    minutes = (k % per_day) * horizon.interval_minutes
    return pd.DataFrame(
        {
            "interval": k,
            "day": k // per_day + 1,
            "weekday": [weekday_of_day(horizon, int(d)) for d in k // per_day],
            "time": [f"{m // 60:02d}:{m % 60:02d}" for m in minutes],
        }
    )


def ticket_frame(scenario: Scenario, output: ReplicationOutput) -> pd.DataFrame:
    """One row per ticket that arrived in the measured window, times in minutes from day 1 00:00."""
    t = measured_tickets(output)
    interval_s = scenario.horizon.interval_minutes * 60.0
    channel_names = np.array([c.name for c in scenario.channels], dtype=object)
    category_names = np.array([c.name for c in scenario.categories], dtype=object)
    group_names = np.array([g.name for g in scenario.groups] + [""], dtype=object)
    answered = ~np.isnan(t["responded_s"])
    closed = np.isin(t["outcome"], [RESOLVED, DEFLECTED])
    return pd.DataFrame(
        {
            "ticket_id": t["ticket_id"],
            "parent_id": t["parent_id"],
            "channel": pd.Categorical(channel_names[t["channel"]], categories=list(channel_names)),
            "category": pd.Categorical(category_names[t["category"]], categories=list(category_names)),
            "origin": np.where(t["parent_id"] >= 0, "follow_up", "new"),
            "vip": t["vip"],
            "bot": t["bot"],
            "outcome": pd.Categorical(np.array(OUTCOME_NAMES, dtype=object)[t["outcome"]], categories=list(OUTCOME_NAMES)),
            "arrival_minute": t["arrival_s"] / 60.0,
            "interval": (t["arrival_s"] // interval_s).astype(np.int64),
            "queued": ~np.isnan(t["queued_s"]),
            "answered": answered,
            "wait_seconds": t["first_wait_s"],
            "first_response_minutes": np.where(answered, (t["responded_s"] - t["arrival_s"]) / 60.0, np.nan),
            "resolution_minutes": np.where(closed, (t["resolved_s"] - t["arrival_s"]) / 60.0, np.nan),
            "escalations": t["escalations"],
            "total_wait_seconds": t["total_wait_s"],
            "handle_minutes": t["handle_s"] / 60.0,
            "first_group": group_names[t["first_group"]],
            "reopened": t["reopened"],
        }
    )
