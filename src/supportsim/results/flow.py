"""The process flow of a scenario annotated with a result, and its bottleneck.

Tickets enter at the channels (or are blocked there when every line is taken), may meet a
bot, wait in one queue per skill, are answered by the agent groups the skill routes to, and
end as an outcome (resolved, abandoned, resolved by the bot, left in the bot, blocked,
disconnected at close); resolved customers may be surveyed (the feedback stage), and those
who abandoned or were blocked may call back. :func:`process_flow` builds that graph from a
:class:`SimulationResult` over the whole horizon or one interval; :func:`bottleneck` names
the group that limits it. Numbers are means over replications; drawing is left to the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from supportsim.results.simulation import SimulationResult
from supportsim.scenario.model import Scenario

OUTCOMES = ("resolved", "abandoned", "deflected", "bot_abandoned", "blocked", "disconnected")


@dataclass
class FlowNode:
    """One step of the process flow and what the result says about it (NaN: not known).

    ``kind`` is ``channel``, ``bot``, ``queue``, ``group``, ``outcome`` or ``survey``; ``name``
    is the channel, bot, skill, group, outcome or ``feedback`` it stands for. Per kind:

    - channel: ``mode``; ``tickets`` arriving (whole horizon, or in the interval);
      ``service_level`` (0-1); whole horizon only: ``asa_seconds``, ``first_response_minutes``.
    - bot: ``resolved_share``, the share (0-1) of its channels' contacts it resolves.
    - queue: ``waiting`` (mean contacts waiting), ``max_waiting``, ``wait_share`` (its share,
      0-1, of the waiting in all queues); whole horizon only: ``mean_wait_seconds``.
    - group: ``staffed`` and ``busy`` (mean agents), ``occupancy`` (0-1; ``utilization`` is
      its deprecated alias).
    - outcome: ``tickets`` ending so over the whole horizon.
    - survey (the feedback stage): ``tickets`` responses and ``csat`` (0-1), whole horizon.
    """

    id: str
    kind: str
    name: str
    mode: str = ""
    tickets: float = math.nan
    service_level: float = math.nan
    asa_seconds: float = math.nan
    first_response_minutes: float = math.nan
    resolved_share: float = math.nan
    waiting: float = math.nan
    max_waiting: float = math.nan
    wait_share: float = math.nan
    mean_wait_seconds: float = math.nan
    staffed: float = math.nan
    busy: float = math.nan
    occupancy: float = math.nan
    utilization: float = math.nan
    csat: float = math.nan


@dataclass
class FlowEdge:
    """A path tickets take between two steps.

    ``kind`` is ``contact`` (channel or bot to a queue or bot), ``route`` (queue to a group;
    ``after_seconds`` of waiting before it is tried, ``overflow`` for a later route),
    ``escalate`` (group to the next tier's queue), ``follow_up`` (resolved back to a channel),
    ``abandon`` (queue to abandoned), ``disconnect`` (queue to disconnected), ``block`` (channel
    to blocked), ``retrial`` (abandoned or blocked back to a channel), ``survey`` (resolved to
    the feedback stage) or ``outcome`` (to an outcome).
    """

    source: str
    target: str
    kind: str
    after_seconds: float = 0.0
    overflow: bool = False


@dataclass
class Flow:
    """The process flow of a scenario annotated with one result (whole horizon or one interval).

    ``interval``: the measured interval the channels, queues and groups describe (None: the
    whole horizon). ``open_at_end``: tickets still in the operation when the horizon ends (whole horizon);
    with the outcome nodes' tickets they add up to the tickets arriving at the channels.
    """

    nodes: dict[str, FlowNode]
    edges: list[FlowEdge]
    bottleneck: str | None = None
    interval: int | None = None
    open_at_end: float = math.nan


def stage_waits(result: SimulationResult) -> dict[str, float]:
    """Mean wait (seconds) of tickets in each skill's queue, by skill (needs the ticket table).

    First contacts count for their category's skill, escalated work for the skill of its
    first escalation tier.
    """
    tickets = result.tickets
    if tickets.empty:
        return {}
    skill = {c.name: c.skill for c in result.scenario.categories}
    tier = {c.name: c.escalation[0].skill for c in result.scenario.categories if c.escalation}
    category = tickets["category"].astype(str)
    waits: dict[str, list[np.ndarray]] = {}
    first = tickets["wait_seconds"].to_numpy(dtype=float)
    for name in skill:
        mask = (category == name).to_numpy() & tickets["queued"].to_numpy()
        waits.setdefault(skill[name], []).append(first[mask & ~np.isnan(first)])
        if name in tier:
            escalated = mask & (tickets["escalations"].to_numpy() > 0)
            later = tickets["total_wait_seconds"].to_numpy(dtype=float)[escalated] - first[escalated]
            waits.setdefault(tier[name], []).append(later[~np.isnan(later)])
    return {k: float(np.concatenate(v).mean()) for k, v in waits.items() if np.concatenate(v).size}


def _interval_values(result: SimulationResult, interval: int | None) -> pd.DataFrame:
    """Per scope and name: means over replications (and intervals, unless one is chosen)."""
    frame = result.intervals
    if interval is not None:
        frame = frame[frame["interval"] == interval]
    numeric = ["offered", "service_level", "asa_seconds", "mean_waiting", "staffed", "busy", "occupancy"]
    means = frame.groupby(["scope", "name"], observed=True)[numeric].mean()
    means["max_waiting"] = frame.groupby(["scope", "name"], observed=True)["max_waiting"].max()
    if interval is None:  # whole horizon: occupancy is busy time over staffed time, not a mean of ratios
        sums = frame.groupby(["scope", "name"], observed=True)[["busy", "staffed"]].sum()
        means["occupancy"] = sums["busy"] / sums["staffed"].replace(0, np.nan)
    return means


def _get(values: pd.DataFrame, scope: str, name: str, column: str) -> float:
    try:
        return float(cast(float, values.loc[(scope, name), column]))
    except KeyError:
        return math.nan


def _mean(metric: dict[str, float | None]) -> float:
    return math.nan if metric["mean"] is None else float(metric["mean"])


def _channel_node(result: SimulationResult, values: pd.DataFrame, name: str, whole: bool) -> FlowNode:
    channel = result.scenario.channel(name)
    node = FlowNode(f"ch_{name}", "channel", name, mode=channel.mode)
    m = result.summary["channels"][name]
    if whole:
        node.tickets = _mean(m["offered"])
        node.asa_seconds = _mean(m["asa_seconds"])
        node.first_response_minutes = _mean(m["first_response_minutes"])
    else:
        node.tickets = _get(values, "channel", name, "offered")
    node.service_level = _get(values, "channel", name, "service_level")
    return node


def _bot_nodes(result: SimulationResult) -> tuple[list[FlowNode], list[FlowEdge]]:
    nodes, edges = [], []
    channels = result.summary["channels"]
    for bot in result.scenario.automation:
        deflected = sum(channels[c]["deflected"]["mean"] or 0 for c in bot.channels)
        offered = sum(channels[c]["offered"]["mean"] or 0 for c in bot.channels)
        share = deflected / offered if offered else math.nan
        nodes.append(FlowNode(f"bot_{bot.name}", "bot", bot.name, resolved_share=share))
        edges += [FlowEdge(f"ch_{c}", f"bot_{bot.name}", "contact") for c in bot.channels]
        edges.append(FlowEdge(f"bot_{bot.name}", "out_deflected", "outcome"))
        if bot.abandon > 0:
            edges.append(FlowEdge(f"bot_{bot.name}", "out_bot_abandoned", "outcome"))
    return nodes, edges


def _queue_nodes(
    scenario: Scenario, values: pd.DataFrame, waits: dict[str, float]
) -> tuple[list[FlowNode], list[FlowEdge]]:
    nodes, edges = [], []
    total_waiting = sum(_get(values, "skill", k, "mean_waiting") for k in scenario.skills_needed())
    for skill in scenario.skills_needed():
        waiting = _get(values, "skill", skill, "mean_waiting")
        node = FlowNode(
            f"q_{skill}",
            "queue",
            skill,
            waiting=waiting,
            max_waiting=_get(values, "skill", skill, "max_waiting"),
            wait_share=waiting / total_waiting if total_waiting > 0 else 0.0,
            mean_wait_seconds=waits.get(skill, math.nan),
        )
        nodes.append(node)
        for j, route in enumerate(scenario.routes(skill)):
            after = float(route.after_seconds or 0.0)
            edges.append(FlowEdge(node.id, f"g_{route.group}", "route", after, overflow=j > 0))
    return nodes, edges


def _group_node(values: pd.DataFrame, name: str) -> FlowNode:
    occupancy = _get(values, "group", name, "occupancy")
    return FlowNode(
        f"g_{name}",
        "group",
        name,
        staffed=_get(values, "group", name, "staffed"),
        busy=_get(values, "group", name, "busy"),
        occupancy=occupancy,
        utilization=occupancy,
    )


def _ticket_paths(scenario: Scenario) -> list[FlowEdge]:
    """Edges from channels (or their bots) to queues, escalations, follow-ups and abandonment."""
    bots = {ch: a for a in scenario.automation for ch in a.channels}
    edges: list[FlowEdge] = []
    seen: set[tuple[str, str]] = set()
    patient_skills = set()
    for category in scenario.categories:
        for ch, share in category.channels.items():
            if share <= 0:
                continue
            source = f"bot_{bots[ch].name}" if ch in bots else f"ch_{ch}"
            seen.add((source, f"q_{category.skill}"))
            if scenario.channel(ch).patience_seconds is not None:
                patient_skills.add(category.skill)
        previous = category.skill
        for tier in category.escalation:
            key = (f"g_{scenario.routes(previous)[0].group}", f"q_{tier.skill}")
            if key not in seen:
                seen.add(key)
                edges.append(FlowEdge(*key, "escalate"))
            previous = tier.skill
        if category.follow_up is not None and category.follow_up.probability > 0:
            key = ("out_resolved", f"ch_{category.follow_up.channel}")
            if key not in seen:
                seen.add(key)
                edges.append(FlowEdge(*key, "follow_up"))
    edges += [FlowEdge(a, b, "contact") for a, b in sorted(seen) if a.startswith(("ch_", "bot_"))]
    edges += [FlowEdge(f"q_{k}", "out_abandoned", "abandon") for k in sorted(patient_skills)]
    return edges + _callback_paths(scenario)


def _callback_paths(scenario: Scenario) -> list[FlowEdge]:
    """Edges of lines (blocked), retrials and disconnection at close, where the scenario has them."""
    edges: list[FlowEdge] = []
    closing: set[str] = set()
    for channel in scenario.channels:
        retrial = channel.retrial
        if channel.lines is not None:
            edges.append(FlowEdge(f"ch_{channel.name}", "out_blocked", "block"))
            if retrial is not None and retrial.blocked_probability > 0:
                edges.append(FlowEdge("out_blocked", f"ch_{channel.name}", "retrial"))
        if retrial is not None and retrial.probability > 0 and channel.patience_seconds is not None:
            edges.append(FlowEdge("out_abandoned", f"ch_{channel.name}", "retrial"))
        if channel.at_close == "disconnect":
            closing |= {c.skill for c in scenario.categories if channel.name in c.channels}
    edges += [FlowEdge(f"q_{k}", "out_disconnected", "disconnect") for k in sorted(closing)]
    return edges


def process_flow(result: SimulationResult, interval: int | None = None) -> Flow:
    """The scenario's process flow annotated with ``result``: the whole horizon, or only
    measured interval ``interval`` (counted from 0) for the channels, queues and groups.

    The mean wait per queue needs the ticket table (``simulate(..., keep_tickets=True)``).
    """
    s = result.scenario
    values = _interval_values(result, interval)
    whole = interval is None
    nodes = [_channel_node(result, values, c.name, whole) for c in s.channels]
    bot_nodes, edges = _bot_nodes(result)
    queue_nodes, routes = _queue_nodes(s, values, stage_waits(result) if whole else {})
    nodes += bot_nodes + queue_nodes
    edges += routes
    for group in s.groups:
        nodes.append(_group_node(values, group.name))
        edges.append(FlowEdge(f"g_{group.name}", "out_resolved", "outcome"))
    edges += _ticket_paths(s)

    overall = result.summary["overall"]
    used = {e.target for e in edges} | {e.source for e in edges}
    for outcome in OUTCOMES:
        if f"out_{outcome}" in used:
            count = float(overall[outcome]["mean"] or 0)
            nodes.append(FlowNode(f"out_{outcome}", "outcome", outcome, tickets=count))
    if s.feedback is not None:
        csat = overall["csat"]["mean"]
        responses = float(overall["responses"]["mean"] or 0)
        nodes.append(
            FlowNode("survey", "survey", "feedback", tickets=responses, csat=math.nan if csat is None else csat)
        )
        edges.append(FlowEdge("out_resolved", "survey", "survey"))
    open_at_end = float(overall["open_at_end"]["mean"] or 0)
    flow = Flow({n.id: n for n in nodes}, edges, interval=interval, open_at_end=open_at_end)
    flow.bottleneck = bottleneck(flow)
    return flow


def bottleneck(flow: Flow) -> str | None:
    """Name the agent group with the highest occupancy (None if nobody was staffed).

    Ties within 1 point go to the group whose queues hold the larger share of the waiting.
    """
    groups = [n for n in flow.nodes.values() if n.kind == "group" and math.isfinite(n.occupancy)]
    if not groups:
        return None

    def feeding_share(node: FlowNode) -> float:
        sources = [e.source for e in flow.edges if e.target == node.id and e.source.startswith("q_")]
        return sum(flow.nodes[s].wait_share for s in sources if math.isfinite(flow.nodes[s].wait_share))

    top = max(n.occupancy for n in groups)
    close = [n for n in groups if n.occupancy >= top - 0.01]
    return max(close, key=feeding_share).name
