"""Metrics of one replication, each with one written definition.

Only what happens in the measured window counts: tickets that *arrived* at time >= 0
(after the warm-up), and time-weighted quantities over ``[0, horizon end)``. Ticket
metrics per interval are attributed to the interval in which the ticket arrived.

The interval table (:func:`interval_frame`) has, per interval, rows for each channel, each
category and ``overall`` (name ``all``) with every ticket metric below but the resolution
percentiles, counting the tickets that arrived in the interval: so the counts of the
category rows and of the channel rows each add up to the overall row, and summed over the
intervals to the whole-horizon totals. A ratio whose denominator is 0 in an interval is
NaN. Channel rows add ``mean_waiting`` / ``max_waiting`` during the interval; the overall
row adds ``service_level_realtime``, ``service_level_async``, ``asa_seconds_realtime`` and
``mean_waiting`` (tickets waiting in any queue); skill rows have ``mean_waiting`` /
``max_waiting`` of the skill's queue; group rows ``headcount``, ``staffed``, ``busy``,
``occupancy``, ``utilization`` (its deprecated alias), ``paid_utilization``,
``engaged_share`` and ``served`` for the interval. Async channel rows add
``oldest_age_hours`` and, in the last interval of each day, ``backlog_end_of_day``.

Definitions (also in ``docs/metrics.md``; ``T`` is the channel's target threshold,
``answer_within_seconds`` or ``respond_within_hours``):

- ``offered``: contacts that arrived (new contacts and follow-ups).
- ``deflected``: resolved by automation without a human. ``bot_abandoned``: left inside the bot.
- ``queued``: reached a human queue (after any bot). Waits are counted from that moment.
- ``answered``: queued contacts a human started to serve. ``abandoned``: queued contacts that
  gave up before being served (realtime channels only).
- ``service_level``: answered within ``T`` ÷ queued contacts whose fate against the target is
  known, by the target's ``formula``: ``all_offered`` (default) answered, abandoned or
  disconnected (however early), or still waiting at the end after more than ``T``;
  ``answered_only`` answered; ``exclude_short_abandons`` as ``all_offered`` without the
  abandons within ``short_abandon_seconds``. ``service_level_answered``: answered within
  ``T`` ÷ answered.
- ``asa_seconds``: mean wait of answered contacts, from joining the human queue to the start
  of service.
- ``abandon_rate``: abandoned ÷ (answered + abandoned), attempts.
- ``customers`` (first attempts), ``retrials`` (later attempts), ``blocked`` (busy signal),
  ``blocked_rate`` (blocked ÷ offered), ``disconnected`` (at close), ``customer_abandon_rate``
  (customers who finally gave up, abandoned or blocked and not trying again, ÷ customers).
- ``first_contact_resolution``: customers resolved by a human at their first attempt with no
  follow-up within ``fcr_window_days`` ÷ customers (not follow-ups) resolved by a human.
- ``responses`` (survey responses) and ``csat`` (satisfied ÷ responses), with ``feedback:``.
- Async channels: ``oldest_age_hours`` (largest age from arrival reached in the backlog; per
  interval and its horizon maximum), ``backlog_end_of_day`` (backlog at 24:00, mean over days).
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
  finished tier ``j - 1`` (went on, or were resolved there).
- ``deflection_rate``: deflected ÷ offered. ``reopen_rate``: resolved tickets that come back
  as a follow-up ÷ resolved (a follow-up due after the horizon still counts).
- Overall only: ``service_level_realtime`` / ``service_level_async`` and
  ``asa_seconds_realtime`` pool the realtime / async channels; ``total_cost`` = agent cost +
  bot cost; ``in_system_at_end``: tickets still open when the horizon ends, warm-up arrivals included. A channel
  without a target has no ``service_level`` (NaN).
- Groups: ``headcount`` (mean rostered people, breaks included), ``headcount_peak`` (most
  people rostered at once), ``staffed`` (mean agents
  taking contacts: on duty, off break, net of shrinkage, plus any overtime to finish a
  contact), ``occupancy`` (handling ÷ available: busy capacity ÷ staffed time, a chat counting
  ``1/max`` concurrency), ``utilization`` (deprecated alias of ``occupancy`` for one release),
  ``paid_utilization`` (staffed ÷ paid time: the industry's utilization), ``engaged_share``
  (time with at least one contact ÷ staffed time; ``occupancy`` before), ``served``
  (services started), ``paid_hours``, ``agent_cost``.
- Cost: ``agent_cost`` (paid hours × cost per hour), ``bot_cost`` (bot conversations ×
  cost per conversation), ``cost_per_resolved`` (total cost ÷ (resolved + deflected)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.engine.entities import DEFLECTED, OUTCOME_NAMES, RESOLVED
from supportsim.engine.output import ReplicationOutput
from supportsim.engine.records import TicketLog
from supportsim.scenario.calendar import interval_label_columns
from supportsim.scenario.model import Scenario

Metrics = dict[str, float]
"""Metric name -> value for one scope of one replication."""


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def _ratio(part: NDArray[np.float64], whole: NDArray[np.float64]) -> NDArray[np.float64]:
    """``part / whole`` elementwise, NaN where ``whole`` is 0."""
    out: NDArray[np.float64] = np.full(np.shape(part), math.nan)
    np.divide(part, whole, out=out, where=whole != 0)
    return out


def counter_metrics(counts: Mapping[str, Any]) -> dict[str, Any]:
    """Ticket metrics from summed counters, by the definitions above: ``counts[name]`` is the
    counter ``name`` of :data:`supportsim.engine.records.COUNTERS`, a number (whole horizon)
    or an array (one value per interval). Everything but the resolution-time percentiles,
    which need the times.
    """
    answered = counts["answered"]
    return {
        "offered": counts["offered"],
        "queued": counts["queued"],
        "answered": answered,
        "abandoned": counts["abandoned"],
        "deflected": counts["deflected"],
        "bot_abandoned": counts["bot_abandoned"],
        "resolved": counts["resolved"],
        "open_at_end": counts["open_at_end"],
        "service_level": _ratio(counts["answered_within"], counts["target_known"]),
        "service_level_answered": _ratio(counts["answered_within"], counts["answered_with_target"]),
        "asa_seconds": _ratio(counts["wait_sum"], answered),
        "abandon_rate": _ratio(counts["abandoned"], answered + counts["abandoned"]),
        "first_response_minutes": _ratio(counts["first_response_sum"], answered) / 60.0,
        "resolution_minutes": _ratio(counts["resolution_sum"], counts["resolved"] + counts["deflected"]),
        "escalation_rate": _ratio(counts["escalated_answered"], answered),
        "deflection_rate": _ratio(counts["deflected"], counts["offered"]),
        "reopen_rate": _ratio(counts["reopened"], counts["resolved"]),
        "customers": counts["customers"],
        "retrials": counts["retrials"],
        "blocked": counts["blocked"],
        "blocked_rate": _ratio(counts["blocked"], counts["offered"]),
        "disconnected": counts["disconnected"],
        "customer_abandon_rate": _ratio(counts["gave_up"], counts["customers"]),
        "first_contact_resolution": _ratio(counts["resolved_first_contact"], counts["resolved_new"]),
        "responses": counts["responses"],
        "csat": _ratio(counts["satisfied"], counts["responses"]),
    }


def _percentiles(log: TicketLog, pairs: list[tuple[int, int]]) -> tuple[float, float]:
    """Median and 90th percentile of the resolution times (minutes) of the given pairs' tickets."""
    times = [np.frombuffer(log.resolution_minutes[c][k], dtype=np.float32) for c, k in pairs]
    times = [t for t in times if t.size]
    if not times:
        return math.nan, math.nan
    # one copy of the float32 times (the concatenation, or a copy of the one array), which both
    # percentiles then partition in place: not three copies (a percentile depends on the values
    # only, not their order)
    resolution = times[0].copy() if len(times) == 1 else np.concatenate(times)
    p50 = float(np.percentile(resolution, 50, overwrite_input=True))
    return p50, float(np.percentile(resolution, 90, overwrite_input=True))


def _pooled(log: TicketLog, scopes: list[list[tuple[int, int]]]) -> list[Metrics]:
    """Metrics of each scope, a scope's tickets (those of its (channel, category) pairs) taken
    together: :func:`counter_metrics` once, on arrays with a value per scope.
    """
    totals = [log.horizon_counts(pairs) for pairs in scopes]
    counts = {name: np.array([t[name] for t in totals], dtype=np.float64) for name in totals[0]}
    columns = {name: np.asarray(value, dtype=np.float64).tolist() for name, value in counter_metrics(counts).items()}
    pooled: list[Metrics] = []
    for i, pairs in enumerate(scopes):
        p50, p90 = _percentiles(log, pairs)
        metrics: Metrics = {}
        for name, values in columns.items():
            metrics[name] = values[i]
            if name == "resolution_minutes":
                metrics["resolution_minutes_p50"] = p50
                metrics["resolution_minutes_p90"] = p90
        pooled.append(metrics)
    return pooled


def _pooled_channels(scenario: Scenario) -> list[list[int]]:
    """The channels of the overall scope's pools, in this order: all, the realtime ones, the async ones."""
    realtime = [c for c, channel in enumerate(scenario.channels) if channel.mode == "realtime"]
    every = list(range(len(scenario.channels)))
    return [every, realtime, [c for c in every if c not in realtime]]


def _scopes(scenario: Scenario) -> list[list[tuple[int, int]]]:
    """The (channel, category) pairs of each scope :func:`replication_metrics` pools: every
    channel, every category, then the pools of :func:`_pooled_channels`.
    """
    n_channels, n_categories = len(scenario.channels), len(scenario.categories)

    def pairs(channels: Sequence[int], categories: Sequence[int]) -> list[tuple[int, int]]:
        return [(c, k) for c in channels for k in categories]

    return [
        *(pairs([c], range(n_categories)) for c in range(n_channels)),
        *(pairs(range(n_channels), [k]) for k in range(n_categories)),
        *(pairs(channels, range(n_categories)) for channels in _pooled_channels(scenario)),
    ]


def replication_metrics(scenario: Scenario, output: ReplicationOutput) -> dict[str, dict[str, Metrics]]:
    """All metrics of one replication: ``{"channels": {name: metrics}, "categories": ...,
    "groups": ..., "overall": {"all": metrics}}``.
    """
    log = output.log
    horizon_s = output.end_seconds
    n_channels, n_categories = len(scenario.channels), len(scenario.categories)
    pooled = _pooled(log, _scopes(scenario))
    by_channel, by_category = pooled[:n_channels], pooled[n_channels : n_channels + n_categories]
    overall, live, background_metrics = pooled[n_channels + n_categories :]

    channels: dict[str, Metrics] = {}
    for c, channel in enumerate(scenario.channels):
        metrics = by_channel[c]
        waiting = output.waiting_by_channel[c]
        metrics["mean_waiting"] = float(waiting.interval_areas.sum() / horizon_s)
        metrics["max_waiting"] = float(waiting.interval_maxima.max())
        backlog = log.backlog[c]
        if backlog is not None:
            metrics["oldest_age_hours"] = float(backlog.oldest_age_seconds().max() / 3600.0)
            metrics["backlog_end_of_day"] = float(_day_ends(scenario, backlog.waiting_at_interval_ends()).mean())
        channels[channel.name] = metrics

    categories: dict[str, Metrics] = {}
    for k, category in enumerate(scenario.categories):
        metrics = by_category[k]
        for j in range(1, len(category.escalation) + 1):
            went_on = sum(log.went_on[c][k][j] for c in range(n_channels))
            finished = sum(log.finished_before[c][k][j] for c in range(n_channels))
            metrics[f"escalation_rate_tier{j}"] = _share(went_on, finished)
        categories[category.name] = metrics

    groups: dict[str, Metrics] = {}
    agent_cost = 0.0
    for g, group in enumerate(scenario.groups):
        staffed = float(output.staffed[g].interval_areas.sum())
        overtime = float(output.overtime_seconds[g].sum())
        paid_seconds = float(output.rostered_seconds[g].sum()) + overtime
        paid_hours = paid_seconds / 3600.0
        cost = paid_hours * group.cost_per_hour
        agent_cost += cost
        occupancy = _share(float(output.busy[g].interval_areas.sum()), staffed)
        groups[group.name] = {
            "headcount": float(output.rostered_seconds[g].sum() / horizon_s),
            "headcount_peak": float(output.rostered_peak[g]),
            "staffed": staffed / horizon_s,
            "occupancy": occupancy,
            "utilization": occupancy,  # deprecated alias of occupancy, for one release
            "paid_utilization": _share(staffed, paid_seconds),
            "engaged_share": _share(float(output.occupied[g].interval_areas.sum()), staffed),
            "served": float(output.served[g].sum()),
            "paid_hours": paid_hours,
            "overtime_hours": overtime / 3600.0,
            "agent_cost": cost,
        }

    overall["service_level_realtime"] = live["service_level"]
    overall["asa_seconds_realtime"] = live["asa_seconds"]
    overall["service_level_async"] = background_metrics["service_level"]
    overall["mean_waiting"] = float(sum(level.interval_areas.sum() for level in output.waiting_by_skill) / horizon_s)
    bot_cost = float(
        sum(n * a.cost_per_conversation for n, a in zip(output.bot_conversations, scenario.automation, strict=True))
    )
    overall["agent_cost"] = agent_cost
    overall["bot_cost"] = bot_cost
    overall["total_cost"] = agent_cost + bot_cost
    overall["cost_per_resolved"] = _share(agent_cost + bot_cost, overall["resolved"] + overall["deflected"])
    overall["in_system_at_end"] = float(output.in_system_at_end)
    return {"channels": channels, "categories": categories, "groups": groups, "overall": {"all": overall}}


def interval_frame(scenario: Scenario, output: ReplicationOutput) -> pd.DataFrame:
    """One row per measured interval and scope (channel, category, overall, skill, group)
    with that interval's metrics; ticket metrics count the tickets that arrived in the interval.
    """
    interval_s = scenario.horizon.interval_minutes * 60.0
    counts = output.log.interval_counts()  # name -> [channel, category, interval]
    by_channel = {name: values.sum(axis=1) for name, values in counts.items()}  # [channel, interval]
    by_category = {name: values.sum(axis=0) for name, values in counts.items()}
    n_channels, n_categories = len(scenario.channels), len(scenario.categories)
    # every channel, every category, then the pools of _pooled_channels: one row each
    rows = {
        name: np.concatenate(
            [by_channel[name], by_category[name]]
            + [by_channel[name][channels].sum(axis=0)[np.newaxis] for channels in _pooled_channels(scenario)]
        )
        for name in counts
    }
    metrics = counter_metrics(rows)  # name -> [row, interval]

    def row(i: int) -> dict[str, NDArray[np.float64]]:
        return {name: values[i] for name, values in metrics.items()}

    blocks: list[tuple[str, str, dict[str, NDArray[np.float64]]]] = []
    for c, channel in enumerate(scenario.channels):
        waiting = output.waiting_by_channel[c]
        columns = row(c)
        columns |= {"mean_waiting": waiting.interval_means, "max_waiting": waiting.interval_maxima}
        backlog = output.log.backlog[c]
        if backlog is not None:
            columns["oldest_age_hours"] = backlog.oldest_age_seconds() / 3600.0
            columns["backlog_end_of_day"] = _at_day_ends(scenario, backlog.waiting_at_interval_ends())
        blocks.append(("channel", channel.name, columns))
    for k, category in enumerate(scenario.categories):
        blocks.append(("category", category.name, row(n_channels + k)))
    overall, live, background_metrics = (row(n_channels + n_categories + i) for i in range(3))
    overall |= {
        "service_level_realtime": live["service_level"],
        "asa_seconds_realtime": live["asa_seconds"],
        "service_level_async": background_metrics["service_level"],
        "mean_waiting": np.sum([level.interval_means for level in output.waiting_by_skill], axis=0),
    }
    blocks.append(("overall", "all", overall))
    for s, skill in enumerate(output.skills):
        level = output.waiting_by_skill[s]
        blocks.append(("skill", skill, {"mean_waiting": level.interval_means, "max_waiting": level.interval_maxima}))
    for g, group in enumerate(scenario.groups):
        staffed = output.staffed[g].interval_areas
        occupancy = _ratio(output.busy[g].interval_areas, staffed)
        blocks.append(
            (
                "group",
                group.name,
                {
                    "headcount": output.rostered_seconds[g] / interval_s,
                    "staffed": staffed / interval_s,
                    "busy": output.busy[g].interval_means,
                    "occupancy": occupancy,
                    "utilization": occupancy,  # deprecated alias of occupancy, for one release
                    "paid_utilization": _ratio(staffed, output.rostered_seconds[g]),
                    "engaged_share": _ratio(output.occupied[g].interval_areas, staffed),
                    "served": output.served[g].astype(float),
                },
            )
        )
    return _stack(interval_label_columns(scenario.horizon), blocks)


def _day_ends(scenario: Scenario, at_ends: NDArray[np.float64]) -> NDArray[np.float64]:
    """The values at the end of each measured day (24:00), from values at each interval's end."""
    return at_ends[scenario.horizon.intervals_per_day - 1 :: scenario.horizon.intervals_per_day]


def _at_day_ends(scenario: Scenario, at_ends: NDArray[np.float64]) -> NDArray[np.float64]:
    """``at_ends`` in the last interval of each day, NaN in the others."""
    out = np.full(len(at_ends), math.nan)
    out[scenario.horizon.intervals_per_day - 1 :: scenario.horizon.intervals_per_day] = _day_ends(scenario, at_ends)
    return out


def _stack(
    base: dict[str, NDArray[Any]], blocks: list[tuple[str, str, dict[str, NDArray[np.float64]]]]
) -> pd.DataFrame:
    """The blocks' rows one under the other, each block ``base``'s columns plus its scope, name
    and columns; a column a block lacks is NaN there (like ``pd.concat``, built in one go: the
    metrics as one float array that the frame takes without copying).
    """
    n = len(next(iter(base.values())))
    names = list(dict.fromkeys(name for _, _, columns in blocks for name in columns))
    where = {name: j for j, name in enumerate(names)}
    metrics = np.full((n * len(blocks), len(names)), math.nan, order="F")  # a column per metric
    for b, (_, _, columns) in enumerate(blocks):
        for name, values in columns.items():
            metrics[b * n : (b + 1) * n, where[name]] = values
    frame = pd.DataFrame(metrics, columns=names, copy=False)
    front = {label: np.tile(labels, len(blocks)) for label, labels in base.items()}
    front["scope"] = np.repeat(np.array([scope for scope, _, _ in blocks], dtype=object), n)
    front["name"] = np.repeat(np.array([name for _, name, _ in blocks], dtype=object), n)
    for position, (label, labels) in enumerate(front.items()):
        frame.insert(position, label, labels)
    return frame


def ticket_frame(scenario: Scenario, output: ReplicationOutput) -> pd.DataFrame:
    """One row per ticket that arrived in the measured window, in arrival order, times in
    minutes from day 1 00:00 (empty when the run kept no rows).
    """
    columns = output.tickets
    order = np.argsort(columns["ticket_id"], kind="stable")
    keep = order[columns["arrival_s"][order] >= 0]
    t = {name: values[keep] for name, values in columns.items()}
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
            "outcome": pd.Categorical(
                np.array(OUTCOME_NAMES, dtype=object)[t["outcome"]], categories=list(OUTCOME_NAMES)
            ),
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
            "customer_id": t["customer_id"],
            "attempt": t["attempt"],
            "satisfied": t["satisfied"],
        }
    )
