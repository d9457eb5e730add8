"""The trainer's process-flow diagram: Graphviz DOT text of :func:`supportsim.process_flow`.

The graph and its bottleneck come from the library; this module only writes the labels and
picks the colours.
"""

from __future__ import annotations

import math

from app.formats import fmt_duration
from supportsim import Flow, FlowEdge, FlowNode

_FILL = {"channel": "#e3f2fd", "bot": "#ede7f6", "outcome": "#f5f5f5", "survey": "#fffde7"}


def node_title(node: FlowNode) -> str:
    """The first line of a node's box, e.g. ``phone (realtime)`` or ``queue: tier2``."""
    if node.kind == "channel":
        return f"{node.name} ({node.mode})"
    if node.kind == "bot":
        return f"{node.name} (bot)"
    if node.kind == "queue":
        return f"queue: {node.name}"
    if node.kind == "outcome":
        return node.name.replace("_", " ")
    if node.kind == "survey":
        return "feedback survey"
    return node.name


def _channel_lines(node: FlowNode, whole: bool) -> list[str]:
    if whole:
        lines = [f"{node.tickets:,.0f} contacts"]
        if node.mode == "realtime":
            lines.append(f"ASA {fmt_duration(node.asa_seconds or math.nan)}")
        else:
            lines.append(f"1st response {fmt_duration(60 * (node.first_response_minutes or math.nan))}")
    else:
        lines = [f"{node.tickets:,.0f} arriving"]
    if math.isfinite(node.service_level):
        lines.append(f"service level {node.service_level:.0%}")
    return lines


def node_lines(node: FlowNode, whole: bool = True) -> list[str]:
    """The numbers written under a node's title (``whole``: the flow covers the whole horizon)."""
    if node.kind == "channel":
        return _channel_lines(node, whole)
    if node.kind == "bot":
        return [f"resolves {node.resolved_share:.0%}"]
    if node.kind == "queue":
        lines = [f"waiting {node.waiting:.1f} avg · {node.max_waiting:.0f} max"]
        if math.isfinite(node.mean_wait_seconds):
            lines.append(f"mean wait {fmt_duration(node.mean_wait_seconds)}")
        return [*lines, f"{node.wait_share:.0%} of all waiting"]
    if node.kind == "group":
        util = node.occupancy
        return [
            f"staffed {node.staffed:.1f} · busy {node.busy:.1f}",
            f"occupancy {util:.0%}" if math.isfinite(util) else "nobody staffed",
        ]
    if node.kind == "survey":
        csat = f"CSAT {node.csat:.0%}" if math.isfinite(node.csat) else "CSAT –"
        return [f"{node.tickets:,.0f} responses", csat]
    return [f"{node.tickets:,.0f} tickets"]


def edge_label(edge: FlowEdge) -> str:
    """The text on an arrow: a route's delay, ``overflow``, ``escalate``, ``follow-up``,
    ``call back``, ``busy signal``, ``at close`` or ``survey``.
    """
    if edge.kind == "route":
        if edge.after_seconds:
            return f"after {edge.after_seconds:g} s"
        return "overflow" if edge.overflow else ""
    labels = {
        "escalate": "escalate",
        "follow_up": "follow-up",
        "retrial": "call back",
        "block": "busy signal",
        "disconnect": "at close",
        "survey": "survey",
    }
    return labels.get(edge.kind, "")


def edge_dashed(edge: FlowEdge) -> bool:
    """Delayed routes, follow-ups, callbacks, abandonment, blocking and disconnection are dashed."""
    if edge.kind == "route":
        return bool(edge.after_seconds)
    return edge.kind in ("follow_up", "abandon", "retrial", "block", "disconnect")


def node_fill(node: FlowNode) -> str:
    """A box's fill: fixed per kind, or by how loaded a group (occupancy) or queue (share of the waiting) is."""
    if node.kind in _FILL:
        return _FILL[node.kind]
    level = node.occupancy if node.kind == "group" else node.wait_share
    if not math.isfinite(level):
        return "#fafafa"
    if node.kind == "group":
        return "#e8f5e9" if level < 0.7 else ("#fff3e0" if level < 0.85 else "#ffe0e0")
    return "#fafafa" if level < 0.2 else ("#fff3e0" if level < 0.5 else "#ffe0e0")


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def flow_dot(flow: Flow) -> str:
    """Graphviz DOT text of the flow; the bottleneck group and its queues are drawn in red."""
    hot = {f"g_{flow.bottleneck}"} if flow.bottleneck else set()
    hot |= {e.source for e in flow.edges if e.target in hot and e.source.startswith("q_")}
    lines = [
        "digraph flow {",
        '  rankdir=LR; bgcolor="transparent"; nodesep=0.25; ranksep=0.45;',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, '
        'color="#90a4ae"];',
        '  edge [color="#78909c", fontname="Helvetica", fontsize=9, arrowsize=0.7];',
    ]
    for node in flow.nodes.values():
        title = node_title(node)
        if f"g_{flow.bottleneck}" == node.id:
            title = f"BOTTLENECK: {title}"
        label = "\\n".join(_quote(t) for t in [title, *node_lines(node, flow.interval is None)])
        extra = ', color="#d62728", penwidth=3, fontcolor="#b71c1c"' if node.id in hot else ""
        shape = ", shape=ellipse" if node.kind == "outcome" else ""
        lines.append(f'  "{node.id}" [label="{label}", fillcolor="{node_fill(node)}"{extra}{shape}];')
    for edge in flow.edges:
        if edge.source in flow.nodes and edge.target in flow.nodes:
            style = ", style=dashed" if edge_dashed(edge) else ""
            lines.append(
                f'  "{edge.source}" -> "{edge.target}" [label="{_quote(edge_label(edge))}"{style}];'
            )
    lines.append("}")
    return "\n".join(lines)
