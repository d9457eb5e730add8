"""The trainer's replay: one frame of the process flow per interval of the day, plus the whole day.

Every figure of an interval's frame belongs to that interval: arrivals per channel, mean and
peak waiting per queue, mean staffed and busy agents per group (from the result's interval
table), and the contacts that *ended* in it per outcome with those still in the system at its
end (:func:`supportsim.flow_by_interval`), so that each frame's flow adds up:
arrived = resolved + abandoned + deflected + left in bot + change in the system.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import pandas as pd

import supportsim
from supportsim import Flow, SimulationResult, clock_text

ENDINGS = ("resolved", "abandoned", "deflected", "bot_abandoned", "blocked", "disconnected")


@dataclass
class Frame:
    """One picture of the flow: ``label`` (``whole day`` or ``13:00–13:30``), the flow with
    its numbers, the contacts arrived and ended, and those in the system before and after.
    """

    label: str
    flow: Flow
    arrived: float
    ended: dict[str, float]
    in_system_before: float
    in_system: float

    @property
    def balance(self) -> float:
        """Arrived minus (ended + change in the system): 0 when the flow adds up."""
        return self.arrived - sum(self.ended.values()) - (self.in_system - self.in_system_before)


def _interval_means(result: SimulationResult) -> pd.DataFrame:
    columns = ["offered", "service_level", "mean_waiting", "staffed", "busy", "occupancy"]
    frame = result.intervals
    means = frame.groupby(["interval", "scope", "name"], observed=True)[columns].mean()
    means["max_waiting"] = frame.groupby(["interval", "scope", "name"], observed=True)["max_waiting"].max()
    return means


Means = dict[tuple[int, str, str], dict[str, float]]


def _value(means: Means, key: tuple[int, str, str], column: str) -> float:
    row = means.get(key)
    return math.nan if row is None else float(row[column])


def _interval_flow(whole: Flow, means: Means, k: int) -> Flow:
    # only the nodes' figures change: copy the nodes, share the edges
    flow = copy.copy(whole)
    flow.nodes = {name: copy.copy(node) for name, node in whole.nodes.items()}
    flow.interval = k
    queues = [n for n in flow.nodes.values() if n.kind == "queue"]
    for node in flow.nodes.values():
        if node.kind == "channel":
            node.tickets = _value(means, (k, "channel", node.name), "offered")
            node.service_level = _value(means, (k, "channel", node.name), "service_level")
            node.asa_seconds = node.first_response_minutes = math.nan
        elif node.kind == "queue":
            node.waiting = _value(means, (k, "skill", node.name), "mean_waiting")
            node.max_waiting = _value(means, (k, "skill", node.name), "max_waiting")
            node.mean_wait_seconds = math.nan
        elif node.kind == "group":
            for column in ("staffed", "busy", "occupancy"):
                setattr(node, column, _value(means, (k, "group", node.name), column))
    total = sum(q.waiting for q in queues if math.isfinite(q.waiting))
    for q in queues:
        q.wait_share = q.waiting / total if total > 0 and math.isfinite(q.waiting) else 0.0
    flow.bottleneck = supportsim.bottleneck(flow)
    return flow


def frames(result: SimulationResult) -> list[Frame]:
    """The whole day, then every interval from the first to the last with arrivals or agents
    staffed (the whole day's frame holds the contacts still in the system at its end).
    """
    whole = supportsim.process_flow(result)
    counts = supportsim.flow_by_interval(result)
    table = _interval_means(result)
    means: Means = table.to_dict("index")  # type: ignore[assignment]
    totals = {e: float(counts[e].sum()) for e in ENDINGS}
    out = [Frame("whole day", whole, float(counts["arrived"].sum()), totals, 0.0,
                 float(counts["in_system"].iloc[-1]) if len(counts) else 0.0)]
    staffed = table.xs("group", level="scope")["staffed"].groupby(level="interval").sum()
    busy = (counts["arrived"] > 0) | (counts["interval"].map(staffed).fillna(0) > 0)
    active = counts.index[busy.to_numpy()]
    if len(active) == 0:
        return out
    width = result.scenario.horizon.interval_minutes
    for row in counts.loc[active.min(): active.max()].itertuples():
        k = int(row.interval)
        start = (k % result.scenario.horizon.intervals_per_day) * width
        label = f"{clock_text(start)}–{clock_text((start + width) % (24 * 60))}"
        if result.scenario.horizon.days > 1:
            label = f"day {row.day} {label}"
        out.append(Frame(label, _interval_flow(whole, means, k), float(row.arrived),
                         {e: float(getattr(row, e)) for e in ENDINGS},
                         float(row.in_system_before), float(row.in_system)))
    return out
