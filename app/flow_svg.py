"""The trainer's process-flow diagram as SVG, sized for a projector: text 16-18 px at 1280 px wide.

Columns left to right: channels, bots, queues, agent groups, outcomes and the contacts still in
the system. The bottleneck group and its queues are drawn in red. Numbers come from
:mod:`app.flow_frames`; this module only writes and places them.
"""

from __future__ import annotations

import html
import math

from app.flow_chart import edge_dashed, edge_label, node_fill
from app.flow_frames import Frame
from app.formats import fmt_duration
from supportsim import FlowNode

WIDTH = 1100  # px of the drawing: the page's content width at 1280 px, so text keeps its size
FONT, TITLE_FONT, LINE = 16, 18, 21
GAP_X, GAP_Y, PAD = 44, 12, 10
HEADER = 64
COLUMNS = ("channel", "bot", "queue", "group", "outcome", "survey")
OUTCOME_NAMES = {"resolved": "resolved", "abandoned": "abandoned", "deflected": "resolved by bot",
                 "bot_abandoned": "left in the bot", "blocked": "blocked (busy signal)",
                 "disconnected": "disconnected at close"}
SYSTEM_FILL = "#fffde7"  # the "in the system" box


def _count(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"


def _lines(node: FlowNode, frame: Frame) -> list[str]:
    whole = frame.flow.interval is None
    if node.kind == "channel":
        lines = [f"{_count(node.tickets)} arrived"]
        if math.isfinite(node.service_level):
            lines.append(f"service level {node.service_level:.0%}")
        if whole and math.isfinite(node.asa_seconds):
            lines.append(f"ASA {fmt_duration(node.asa_seconds)}")
        return lines
    if node.kind == "bot":
        return [f"resolves {node.resolved_share:.0%}"]
    if node.kind == "queue":
        lines = [f"{node.waiting:.1f} waiting (avg)", f"{node.max_waiting:.0f} at most"]
        if whole and math.isfinite(node.mean_wait_seconds):
            lines.append(f"mean wait {fmt_duration(node.mean_wait_seconds)}")
        return lines
    if node.kind == "group":
        if not math.isfinite(node.occupancy):
            return ["nobody staffed"]
        return [f"staffed {node.staffed:.1f}, busy {node.busy:.1f}", f"occupancy {node.occupancy:.0%}"]
    if node.kind == "survey":
        csat = f"CSAT {node.csat:.0%}" if math.isfinite(node.csat) else "CSAT n/a"
        return [f"{_count(node.tickets)} responses", csat]
    return [_count(frame.ended.get(node.name, node.tickets)) + (" in the day" if whole else " ended")]


def _title(node: FlowNode) -> str:
    return {"bot": f"{node.name} (bot)", "queue": f"queue {node.name}", "survey": "feedback survey"}.get(
        node.kind, OUTCOME_NAMES.get(node.name, node.name) if node.kind == "outcome" else node.name
    )


def _system_lines(frame: Frame) -> list[str]:
    if frame.flow.interval is None:
        return [f"{_count(frame.in_system)} open at the end"]
    return [f"{_count(frame.in_system)} at the end", f"(was {_count(frame.in_system_before)})"]


def headline(frame: Frame) -> str:
    """The flow in one line: ``08:00–08:30: 58 arrived = 41 resolved + 0 abandoned + 17 more in the system``."""
    parts = [f"{_count(v)} {OUTCOME_NAMES[k]}" for k, v in frame.ended.items()
             if v or k in ("resolved", "abandoned") or any(n.name == k for n in frame.flow.nodes.values())]
    change = frame.in_system - frame.in_system_before
    word = "more" if change >= 0 else "fewer"
    system = (f"{_count(frame.in_system)} still in the system" if frame.flow.interval is None
              else f"{_count(abs(change))} {word} in the system")
    return f"{frame.label}: {_count(frame.arrived)} arrived = " + " + ".join([*parts, system])


def _box_width(title: str, lines: list[str]) -> float:
    return max(len(title) * 10.5, *(len(t) * 9.0 for t in lines)) + 2 * PAD


def _layout(boxes: dict[str, tuple[int, str, list[str]]]) -> tuple[dict[str, tuple[float, float, float, float]], float]:
    """Place the boxes: (x, y, width, height) per node id, and the drawing's height."""
    used = sorted({c for c, _, _ in boxes.values()})
    widths = {c: max(_box_width(t, ls) for cc, t, ls in boxes.values() if cc == c) for c in used}
    heights = {i: LINE * (1 + len(ls)) + 2 * PAD for i, (_, _, ls) in boxes.items()}
    column_height = {c: sum(heights[i] + GAP_Y for i, (cc, _, _) in boxes.items() if cc == c) - GAP_Y for c in used}
    total = max(column_height.values())
    spare = max(WIDTH - sum(widths.values()) - GAP_X * (len(used) - 1), 0) / max(len(used) - 1, 1)
    place, x = {}, 0.0
    for c in used:
        y = HEADER + (total - column_height[c]) / 2
        for i, (cc, _, _) in boxes.items():
            if cc == c:
                place[i] = (x + (widths[c] - _box_width(boxes[i][1], boxes[i][2])) / 2, y,
                            _box_width(boxes[i][1], boxes[i][2]), heights[i])
                y += heights[i] + GAP_Y
        x += widths[c] + GAP_X + spare
    return place, HEADER + total + 40


def _edge_path(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> tuple[str, float, float]:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    if bx > ax + aw:  # forwards: right side to left side
        x1, y1, x2, y2 = ax + aw, ay + ah / 2, bx, by + bh / 2
        mid = (x1 + x2) / 2
        return f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2 - 2:.0f},{y2:.0f}", mid, (y1 + y2) / 2
    x1, y1, x2, y2 = ax + aw / 2, ay + ah, bx + bw / 2, by + bh  # backwards: under the boxes
    low = max(y1, y2) + 34
    return f"M{x1:.0f},{y1:.0f} C{x1:.0f},{low:.0f} {x2:.0f},{low:.0f} {x2:.0f},{y2 + 2:.0f}", (x1 + x2) / 2, low - 6


def frame_svg(frame: Frame) -> str:
    """One frame of the diagram as an SVG element (scales to its container's width)."""
    flow = frame.flow
    hot = {f"g_{flow.bottleneck}"} if flow.bottleneck else set()
    hot |= {e.source for e in flow.edges if e.target in hot and e.source.startswith("q_")}
    boxes: dict[str, tuple[int, str, list[str]]] = {}
    for node in flow.nodes.values():
        lines = _lines(node, frame)
        if node.id == f"g_{flow.bottleneck}":
            lines = ["BOTTLENECK", *lines]
        boxes[node.id] = (COLUMNS.index(node.kind), _title(node), lines)
    boxes["in_system"] = (COLUMNS.index("outcome"), "in the system", _system_lines(frame))
    place, height = _layout(boxes)
    width = max(WIDTH, max(x + w for x, _, w, _ in place.values()))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
           f'font-family="Helvetica, Arial, sans-serif" data-frame="{html.escape(frame.label)}">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#78909c"/></marker></defs>']
    node = flow.nodes.get(f"g_{flow.bottleneck}") if flow.bottleneck else None
    top = (f"Bottleneck: {flow.bottleneck} (occupancy {node.occupancy:.0%})" if node
           else "No group is staffed at this time.")
    out.append(f'<text x="0" y="22" font-size="{TITLE_FONT}" font-weight="bold" class="headline">'
               f"{html.escape(top)}</text>")
    out.append(f'<text x="0" y="48" font-size="{FONT}" class="balance">{html.escape(headline(frame))}</text>')
    for edge in flow.edges:
        if edge.source in place and edge.target in place:
            path, lx, ly = _edge_path(place[edge.source], place[edge.target])
            dash = ' stroke-dasharray="6,4"' if edge_dashed(edge) else ""
            out.append(f'<path d="{path}" fill="none" stroke="#78909c" stroke-width="1.6"{dash} '
                       'marker-end="url(#arrow)"/>')
            label = edge_label(edge)
            if label:
                out.append(f'<text x="{lx:.0f}" y="{ly:.0f}" font-size="{FONT}" fill="#455a64" '
                           f'text-anchor="middle">{html.escape(label)}</text>')
    for key, (x, y, w, h) in place.items():
        flow_node = flow.nodes.get(key)
        fill = node_fill(flow_node) if flow_node else SYSTEM_FILL
        stroke = ' stroke="#d62728" stroke-width="3"' if key in hot else ' stroke="#90a4ae" stroke-width="1.2"'
        rx = 22 if flow_node is not None and flow_node.kind == "outcome" else 8
        out.append(f'<g data-node="{html.escape(key)}"><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" '
                   f'height="{h:.0f}" rx="{rx}" fill="{fill}"{stroke}/>')
        _, title, lines = boxes[key]
        ty = y + PAD + LINE - 4
        colour = "#b71c1c" if key in hot else "#212121"
        out.append(f'<text x="{x + w / 2:.0f}" y="{ty:.0f}" font-size="{TITLE_FONT}" font-weight="bold" '
                   f'text-anchor="middle" fill="{colour}">{html.escape(title)}</text>')
        for k, line in enumerate(lines, start=1):
            bold = ' font-weight="bold"' if line == "BOTTLENECK" else ""
            out.append(f'<text x="{x + w / 2:.0f}" y="{ty + k * LINE:.0f}" font-size="{FONT}" text-anchor="middle" '
                       f'fill="{colour}"{bold}>{html.escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def display_height(svgs: list[str], width: float = WIDTH) -> int:
    """Height (px) the tallest frame takes when drawn ``width`` px wide."""
    tallest = 0.0
    for svg in svgs:
        w, h = (float(v) for v in svg.split('viewBox="0 0 ', 1)[1].split('"', 1)[0].split())
        tallest = max(tallest, h * width / w)
    return int(tallest) + 1
