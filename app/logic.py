"""The app's logic, free of Streamlit: reading uploads, editing scenarios, shaping results.

Pages stay thin and call these helpers; every helper only uses ``supportsim``'s public API
and is tested with plain pytest (``tests/test_app_logic.py``).
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from supportsim import Scenario, ScenarioError, SimulationResult, parse_scenario, scenario_to_yaml
from supportsim.planning.requirement import StaffingPlan
from supportsim.results.comparison import LOWER_IS_BETTER, Kpi, comparison_table, default_kpis
from supportsim.scenario.io import scenario_from_dict
from supportsim.scenario.profiles import arrival_rates

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
MAX_UPLOAD_BYTES = 1_000_000


class UploadError(ValueError):
    """An uploaded scenario that cannot be used; ``problems`` are plain sentences."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --------------------------------------------------------------------------- scenarios


def example_files(directory: Path = SCENARIO_DIR) -> list[Path]:
    """List the example scenario files, sorted by name."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def scenario_from_yaml(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario YAML (raises :class:`ScenarioError`)."""
    return parse_scenario(text, source=source, base_dir=SCENARIO_DIR)


def problem_lines(error: ScenarioError) -> list[str]:
    """One readable line per problem, ``field: message``."""
    return [f"{path}: {message}" if path else message for path, message in error.problems]


def read_upload(name: str, data: bytes) -> Scenario:
    """Validate an uploaded file; refuse big, binary, non-YAML or non-self-contained ones."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            [f"{name} is {len(data) / 1e6:.1f} MB; scenario files are limited to 1 MB."]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadError([f"{name} is not a text file (it is not UTF-8)."]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        raw = None  # parse_scenario below gives the precise message
    if isinstance(raw, dict):
        if "extends" in raw:
            raise UploadError([f"{name} uses 'extends:'; upload a self-contained scenario file."])
        channels = raw.get("channels")
        if isinstance(channels, list) and any(
            isinstance(c, dict) and isinstance(c.get("arrivals"), dict) and "csv" in c["arrivals"]
            for c in channels
        ):
            raise UploadError(
                [f"{name} reads arrivals from a CSV file; write rates_per_hour instead."]
            )
    try:
        return scenario_from_yaml(text, source=name)
    except ScenarioError as exc:
        raise UploadError(problem_lines(exc)) from None


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    """Dump the scenario as plain data, ready to edit and validate again."""
    return scenario.model_dump(by_alias=True, exclude_none=True)


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _PATH_PART.findall(path)]


def get_path(data: Any, path: str) -> Any:
    """Get the value at a path like ``channels[0].arrivals.per_day``."""
    for part in _parts(path):
        data = data[part]
    return data


def set_path(data: Any, path: str, value: Any) -> None:
    """Set the value at a path like ``groups[1].headcount`` (in place)."""
    parts = _parts(path)
    for part in parts[:-1]:
        data = data[part]
    data[parts[-1]] = value


def with_values(scenario: Scenario, values: dict[str, Any], name: str | None = None) -> Scenario:
    """``scenario`` with the values at the given paths replaced (raises :class:`ScenarioError`)."""
    data = copy.deepcopy(scenario_dict(scenario))
    for path, value in values.items():
        set_path(data, path, value)
    if name is not None:
        data["name"] = name
    return scenario_from_dict(data, source=name or scenario.name)


def canonical_yaml(scenario: Scenario) -> str:
    """Write the YAML text the app stores and caches results under."""
    return scenario_to_yaml(scenario)


# --------------------------------------------------------------------------- one-thing changes


def one_day(scenario: Scenario, weekday: str | None = None) -> Scenario:
    """Cut ``scenario`` to one day (warm-up at most a day) for fast, live runs."""
    data = scenario_dict(scenario)
    horizon = data["horizon"]
    horizon["days"] = 1
    horizon["warmup_hours"] = min(float(horizon.get("warmup_hours", 0.0)), 24.0)
    if weekday is not None:
        horizon["start_weekday"] = weekday
    for channel in data["channels"]:
        rates = channel["arrivals"].get("rates_per_hour")
        per_day = scenario.horizon.intervals_per_day
        if rates is not None and len(rates) != per_day:
            channel["arrivals"]["rates_per_hour"] = rates[:per_day]
    for group in data["groups"]:
        counts = group.get("headcount_per_interval")
        if counts is not None:
            group["headcount_per_interval"] = counts[: scenario.horizon.intervals_per_day]
    return scenario_from_dict(data, source=scenario.name)


def scale_distribution(dist: dict[str, Any], factor: float) -> dict[str, Any]:
    """Multiply every time of a distribution (as data) by ``factor`` (cv unchanged)."""
    scaled = dict(dist)
    for key in ("mean", "value", "low", "high"):
        if key in scaled:
            scaled[key] = scaled[key] * factor
    if "values" in scaled:
        scaled["values"] = [v * factor for v in scaled["values"]]
    return scaled


def scale_headcount(scenario: Scenario, group: str, factor: float) -> Scenario:
    """Multiply ``group``'s people (headcount, per-interval or shift counts) by ``factor``."""
    data = scenario_dict(scenario)
    for g in data["groups"]:
        if g["name"] != group:
            continue
        if "headcount" in g:
            g["headcount"] = round(g["headcount"] * factor)
        if "headcount_per_interval" in g:
            g["headcount_per_interval"] = [round(c * factor) for c in g["headcount_per_interval"]]
        for shift in g.get("shifts", []):
            shift["count"] = round(shift["count"] * factor)
    return scenario_from_dict(data, source=scenario.name)


def automation_share(scenario: Scenario, channel: str) -> float:
    """Share of ``channel``'s contacts its bot resolves (0 without a bot)."""
    bot = next((a for a in scenario.automation if channel in a.channels), None)
    if bot is None:
        return 0.0
    shares = {c.name: c.channels.get(channel, 0.0) for c in scenario.categories}
    return float(sum(share * bot.resolves.get(name, 0.0) for name, share in shares.items()))


def set_automation_share(scenario: Scenario, channel: str, share: float) -> Scenario:
    """Let the bot on ``channel`` resolve ``share`` of every category.

    A channel without a bot gets a simple one (2-minute conversations) when ``share`` > 0.
    """
    data = scenario_dict(scenario)
    bots = [a for a in data.get("automation", []) if channel in a["channels"]]
    categories = [c["name"] for c in data["categories"] if channel in c["channels"]]
    if bots:
        bots[0]["resolves"] = dict.fromkeys(categories, share) | {
            k: v for k, v in bots[0]["resolves"].items() if k not in categories
        }
    elif share > 0:
        data.setdefault("automation", []).append(
            {
                "name": f"{channel}_bot",
                "channels": [channel],
                "resolves": dict.fromkeys(categories, share),
                "bot_minutes": {"dist": "exponential", "mean": 2.0},
            }
        )
    return scenario_from_dict(data, source=scenario.name)


def scale_handle_time(scenario: Scenario, category: str, factor: float) -> Scenario:
    """``category``'s first-contact handle time times ``factor``."""
    data = scenario_dict(scenario)
    for c in data["categories"]:
        if c["name"] == category:
            c["handle_minutes"] = scale_distribution(c["handle_minutes"], factor)
    return scenario_from_dict(data, source=scenario.name)


def add_surge(scenario: Scenario, channel: str, interval: int, extra: float) -> Scenario:
    """``channel``'s arrivals in one interval of a one-day scenario times ``1 + extra``."""
    if extra == 0:
        return scenario
    data = scenario_dict(scenario)
    per_day = scenario.horizon.intervals_per_day
    rates = arrival_rates(scenario.channel(channel).arrivals, scenario.horizon)[-per_day:].copy()
    rates[interval % per_day] *= 1 + extra
    for c in data["channels"]:
        if c["name"] == channel:
            daily_cv = c["arrivals"].get("daily_cv", 0.0)
            c["arrivals"] = {"rates_per_hour": [float(r) for r in rates], "daily_cv": daily_cv}
    return scenario_from_dict(data, source=scenario.name)


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class CardSpec:
    """A KPI card: what it shows and how to format it."""

    label: str
    kpi: Kpi
    unit: str  # "min", "s", "%", "", "cost"


@dataclass(frozen=True)
class Card:
    """A KPI card's numbers for one scenario against the base."""

    label: str
    value: str
    delta: str | None
    ci: str
    verdict: str
    lower_is_better: bool


def busiest_group(result: SimulationResult) -> str:
    """Name the group with the highest mean utilization."""
    groups = result.summary["groups"]
    return max(groups, key=lambda g: groups[g]["utilization"]["mean"] or -1.0)


PREFERRED_PAIR = ("Helpdesk baseline week", "Helpdesk week with chatbot and self-service")


def default_pair(names: list[str]) -> list[str]:
    """Pick the scenarios preselected on the Compare page: the helpdesk pair if present."""
    if all(n in names for n in PREFERRED_PAIR):
        return list(PREFERRED_PAIR)
    return names[:2]


def card_specs(base: SimulationResult) -> list[CardSpec]:
    """Choose the eight KPI cards of the Compare page."""
    realtime = any(c.mode == "realtime" for c in base.scenario.channels)
    busiest = busiest_group(base)
    return [
        CardSpec("Resolution time", Kpi("overall", "", "resolution_minutes"), "min"),
        CardSpec("First response", Kpi("overall", "", "first_response_minutes"), "min"),
        CardSpec("ASA" + (" (live)" if realtime else ""),
                 Kpi("overall", "", "asa_seconds_realtime" if realtime else "asa_seconds"), "s"),
        CardSpec(
            "Service level" + (" (live)" if realtime else " (async)"),
            Kpi("overall", "", "service_level_realtime" if realtime else "service_level_async"),
            "%",
        ),
        CardSpec("Abandonment", Kpi("overall", "", "abandon_rate"), "%"),
        CardSpec("Queue length", Kpi("overall", "", "mean_waiting"), ""),
        CardSpec(f"Utilization {busiest}", Kpi("groups", busiest, "utilization"), "%"),
        CardSpec("Cost per resolved", Kpi("overall", "", "cost_per_resolved"), "cost"),
    ]


def fmt(value: float, unit: str, signed: bool = False) -> str:
    """Format a number with its unit, e.g. ``87.3%``, ``12.4 min``, ``+3.1 s``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    if unit == "s" and abs(value) >= 120:
        return f"{value / 60:{sign},.1f} min"
    if unit == "%":
        return f"{value * 100:{sign}.1f}{' pp' if signed else '%'}"
    if unit == "cost":
        return f"{value:{sign},.2f}"
    suffix = f" {unit}" if unit else ""
    return f"{value:{sign},.1f}{suffix}" if abs(value) < 1000 else f"{value:{sign},.0f}{suffix}"


def comparison_kpis(base: SimulationResult) -> list[Kpi]:
    """Every KPI of the comparison table: the cards' and the library's defaults."""
    kpis = default_kpis(base.scenario)
    for spec in card_specs(base):
        if spec.kpi not in kpis:
            kpis.append(spec.kpi)
    return kpis


def comparison_frame(results: list[SimulationResult]) -> pd.DataFrame:
    """Build the paired comparison table (first result is the base)."""
    return comparison_table(results, comparison_kpis(results[0]))


def cards(table: pd.DataFrame, specs: list[CardSpec], scenario: str, is_base: bool) -> list[Card]:
    """Fill the cards of ``scenario``: value and (variants) difference from the base with CI."""
    out = []
    for spec in specs:
        rows = table[(table["kpi"] == spec.kpi.label) & (table["scenario"] == scenario)]
        if rows.empty:
            out.append(Card(spec.label, "n/a", None, "", "not available", True))
            continue
        row = rows.iloc[0]
        half = fmt(row["difference_ci95"], spec.unit).replace("%", " pp")
        ci = "" if is_base or half == "n/a" else f"±{half}"
        delta = fmt(row["difference"], spec.unit, signed=True)
        out.append(
            Card(
                label=spec.label,
                value=fmt(row["mean"], spec.unit),
                delta=None if is_base or delta == "n/a" else delta,
                ci=ci,
                verdict="" if is_base else str(row["verdict"]),
                lower_is_better=spec.kpi.metric in LOWER_IS_BETTER
                or spec.kpi.metric == "utilization",
            )
        )
    return out


def _by_time(result: SimulationResult, scope: str, column: str) -> pd.DataFrame:
    frame = result.intervals[result.intervals["scope"] == scope]
    out = frame.groupby(["name", "time"], observed=True, as_index=False)[column].mean()
    return out.assign(scenario=result.scenario.name)


def queue_by_time(results: list[SimulationResult]) -> pd.DataFrame:
    """Mean number waiting per channel by time of day (over days and replications)."""
    frames = [_by_time(r, "channel", "mean_waiting") for r in results]
    return pd.concat(frames, ignore_index=True).rename(columns={"name": "channel"})


def service_level_by_time(results: list[SimulationResult]) -> pd.DataFrame:
    """Service level per channel by time of day, with the channel's target."""
    frames = []
    for r in results:
        frame = _by_time(r, "channel", "service_level")
        targets = {
            c.name: (c.target.service_level if c.target else math.nan) for c in r.scenario.channels
        }
        frames.append(frame.assign(target=frame["name"].map(targets)))
    return (
        pd.concat(frames, ignore_index=True)
        .rename(columns={"name": "channel"})
        .dropna(subset=["service_level"])
    )


def utilization_by_time(results: list[SimulationResult]) -> pd.DataFrame:
    """Utilization per group by time of day (NaN where nobody is staffed is dropped)."""
    frames = [_by_time(r, "group", "utilization") for r in results]
    return (
        pd.concat(frames, ignore_index=True)
        .rename(columns={"name": "group"})
        .dropna(subset=["utilization"])
    )


def resolution_cdf(results: list[SimulationResult], points: int = 150) -> pd.DataFrame:
    """Empirical CDF of resolution time (minutes) per scenario, on ``points`` quantiles."""
    frames = []
    q = np.linspace(0.0, 1.0, points)
    for r in results:
        if r.tickets.empty:
            continue
        minutes = r.tickets["resolution_minutes"].dropna().to_numpy()
        if minutes.size == 0:
            continue
        frames.append(
            pd.DataFrame(
                {"minutes": np.quantile(minutes, q), "share": q, "scenario": r.scenario.name}
            )
        )
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["minutes", "share", "scenario"])
    )


# --------------------------------------------------------------------------- flow diagram


@dataclass
class Node:
    """One step of the process flow with its annotations."""

    id: str
    kind: str  # channel, bot, queue, group, outcome
    title: str
    lines: list[str] = field(default_factory=list)
    utilization: float = math.nan
    waiting: float = math.nan
    wait_share: float = math.nan


@dataclass
class Edge:
    """A path tickets take between two steps."""

    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass
class Flow:
    """The process flow of a scenario, annotated with one result (whole day or one interval)."""

    nodes: dict[str, Node]
    edges: list[Edge]
    bottleneck: str | None = None


def fmt_duration(seconds: float) -> str:
    """``25 s``, ``4.2 min`` or ``3.1 h``."""
    if not math.isfinite(seconds):
        return "n/a"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def stage_waits(result: SimulationResult) -> dict[str, float]:
    """Mean wait (seconds) of tickets in each skill's queue.

    First contacts count for their category's skill, escalated work for the skill of its
    first escalation tier (needs the ticket table).
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
            later = (
                tickets["total_wait_seconds"].to_numpy(dtype=float)[escalated] - first[escalated]
            )
            waits.setdefault(tier[name], []).append(later[~np.isnan(later)])
    return {k: float(np.concatenate(v).mean()) for k, v in waits.items() if np.concatenate(v).size}


def _interval_values(result: SimulationResult, interval: int | None) -> pd.DataFrame:
    """Per scope and name: means over replications (and intervals, unless one is chosen)."""
    frame = result.intervals
    if interval is not None:
        frame = frame[frame["interval"] == interval]
    numeric = [
        "offered",
        "service_level",
        "asa_seconds",
        "mean_waiting",
        "staffed",
        "busy",
        "utilization",
    ]
    means = frame.groupby(["scope", "name"], observed=True)[numeric].mean()
    means["max_waiting"] = frame.groupby(["scope", "name"], observed=True)["max_waiting"].max()
    if (
        interval is None
    ):  # whole horizon: utilization is busy time over staffed time, not a mean of ratios
        sums = frame.groupby(["scope", "name"], observed=True)[["busy", "staffed"]].sum()
        means["utilization"] = sums["busy"] / sums["staffed"].replace(0, np.nan)
    return means


def _get(values: pd.DataFrame, scope: str, name: str, column: str) -> float:
    try:
        return float(values.loc[(scope, name), column])
    except KeyError:
        return math.nan


def _channel_node(result: SimulationResult, values: pd.DataFrame, name: str, whole: bool) -> Node:
    channel = result.scenario.channel(name)
    node = Node(f"ch_{name}", "channel", f"{name} ({channel.mode})")
    m = result.summary["channels"][name]
    if whole:
        node.lines.append(f"{m['offered']['mean']:,.0f} contacts")
        if channel.mode == "realtime":
            node.lines.append(f"ASA {fmt_duration(m['asa_seconds']['mean'] or math.nan)}")
        else:
            node.lines.append(
                f"1st response {fmt_duration(60 * (m['first_response_minutes']['mean'] or math.nan))}"
            )
    else:
        node.lines.append(f"{_get(values, 'channel', name, 'offered'):,.0f} arriving")
    sl = _get(values, "channel", name, "service_level")
    if math.isfinite(sl):
        node.lines.append(f"service level {sl:.0%}")
    return node


def _group_node(values: pd.DataFrame, name: str) -> Node:
    staffed = _get(values, "group", name, "staffed")
    busy = _get(values, "group", name, "busy")
    util = _get(values, "group", name, "utilization")
    node = Node(f"g_{name}", "group", name, utilization=util)
    node.lines.append(f"staffed {staffed:.1f} · busy {busy:.1f}")
    node.lines.append(f"utilization {util:.0%}" if math.isfinite(util) else "nobody staffed")
    return node


def build_flow(result: SimulationResult, interval: int | None = None) -> Flow:
    """Annotate the scenario's process flow with ``result`` (whole horizon, or one interval)."""
    s = result.scenario
    values = _interval_values(result, interval)
    whole = interval is None
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    waits = stage_waits(result) if whole else {}
    bots = {ch: a for a in s.automation for ch in a.channels}

    for channel in s.channels:
        nodes[f"ch_{channel.name}"] = _channel_node(result, values, channel.name, whole)
    for bot in s.automation:
        deflected = sum(
            result.summary["channels"][c]["deflected"]["mean"] or 0 for c in bot.channels
        )
        offered = sum(result.summary["channels"][c]["offered"]["mean"] or 0 for c in bot.channels)
        share = deflected / offered if offered else math.nan
        nodes[f"bot_{bot.name}"] = Node(
            f"bot_{bot.name}", "bot", f"{bot.name} (bot)", [f"resolves {share:.0%}"]
        )
        for c in bot.channels:
            edges.append(Edge(f"ch_{c}", f"bot_{bot.name}"))
        edges.append(Edge(f"bot_{bot.name}", "out_deflected"))
        if bot.abandon > 0:
            edges.append(Edge(f"bot_{bot.name}", "out_bot_abandoned"))

    total_waiting = sum(_get(values, "skill", k, "mean_waiting") for k in s.skills_needed())
    for skill in s.skills_needed():
        waiting = _get(values, "skill", skill, "mean_waiting")
        share = waiting / total_waiting if total_waiting > 0 else 0.0
        node = Node(f"q_{skill}", "queue", f"queue: {skill}", waiting=waiting, wait_share=share)
        node.lines.append(
            f"waiting {waiting:.1f} avg · {_get(values, 'skill', skill, 'max_waiting'):.0f} max"
        )
        if skill in waits:
            node.lines.append(f"mean wait {fmt_duration(waits[skill])}")
        node.lines.append(f"{share:.0%} of all waiting")
        nodes[node.id] = node
        for j, route in enumerate(s.routes(skill)):
            label = (
                f"after {route.after_seconds:g} s"
                if route.after_seconds
                else ("" if j == 0 else "overflow")
            )
            edges.append(Edge(node.id, f"g_{route.group}", label, dashed=bool(route.after_seconds)))

    for group in s.groups:
        nodes[f"g_{group.name}"] = _group_node(values, group.name)
        edges.append(Edge(f"g_{group.name}", "out_resolved"))

    seen: set[tuple[str, str]] = set()
    patient_skills = set()
    for category in s.categories:
        for ch, share in category.channels.items():
            if share <= 0:
                continue
            source = f"bot_{bots[ch].name}" if ch in bots else f"ch_{ch}"
            seen.add((source, f"q_{category.skill}"))
            if s.channel(ch).patience_seconds is not None:
                patient_skills.add(category.skill)
        previous = category.skill
        for tier in category.escalation:
            first_group = s.routes(previous)[0].group
            key = (f"g_{first_group}", f"q_{tier.skill}")
            if key not in seen:
                seen.add(key)
                edges.append(Edge(*key, "escalate"))
            previous = tier.skill
        if category.follow_up is not None and category.follow_up.probability > 0:
            key = ("out_resolved", f"ch_{category.follow_up.channel}")
            if key not in seen:
                seen.add(key)
                edges.append(Edge(*key, "follow-up", dashed=True))
    edges += [Edge(a, b) for a, b in sorted(seen) if a.startswith(("ch_", "bot_"))]
    edges += [Edge(f"q_{k}", "out_abandoned", dashed=True) for k in sorted(patient_skills)]

    overall = result.summary["overall"]
    outcome_counts = {
        "resolved": overall["resolved"]["mean"],
        "abandoned": overall["abandoned"]["mean"],
        "deflected": overall["deflected"]["mean"],
        "bot_abandoned": overall["bot_abandoned"]["mean"],
    }
    used = {e.target for e in edges} | {e.source for e in edges}
    for outcome, count in outcome_counts.items():
        if f"out_{outcome}" in used:
            label = outcome.replace("_", " ")
            nodes[f"out_{outcome}"] = Node(
                f"out_{outcome}", "outcome", label, [f"{count or 0:,.0f} tickets"]
            )
    flow = Flow(nodes, edges)
    flow.bottleneck = bottleneck(flow)
    return flow


def bottleneck(flow: Flow) -> str | None:
    """Name the agent group with the highest utilization (None if nobody was staffed).

    Ties within 1 point go to the group whose queues hold the larger share of the waiting.
    """
    groups = [n for n in flow.nodes.values() if n.kind == "group" and math.isfinite(n.utilization)]
    if not groups:
        return None

    def feeding_share(node: Node) -> float:
        sources = [
            e.source for e in flow.edges if e.target == node.id and e.source.startswith("q_")
        ]
        return sum(
            flow.nodes[s].wait_share for s in sources if math.isfinite(flow.nodes[s].wait_share)
        )

    top = max(n.utilization for n in groups)
    close = [n for n in groups if n.utilization >= top - 0.01]
    return max(close, key=feeding_share).id.removeprefix("g_")


_FILL = {"channel": "#e3f2fd", "bot": "#ede7f6", "outcome": "#f5f5f5"}


def _fill(node: Node) -> str:
    if node.kind in _FILL:
        return _FILL[node.kind]
    level = node.utilization if node.kind == "group" else node.wait_share
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
        title = node.title
        if f"g_{flow.bottleneck}" == node.id:
            title = f"BOTTLENECK: {title}"
        label = "\\n".join(_quote(t) for t in [title, *node.lines])
        extra = ', color="#d62728", penwidth=3, fontcolor="#b71c1c"' if node.id in hot else ""
        shape = ", shape=ellipse" if node.kind == "outcome" else ""
        lines.append(f'  "{node.id}" [label="{label}", fillcolor="{_fill(node)}"{extra}{shape}];')
    for edge in flow.edges:
        if edge.source in flow.nodes and edge.target in flow.nodes:
            style = ", style=dashed" if edge.dashed else ""
            lines.append(
                f'  "{edge.source}" -> "{edge.target}" [label="{_quote(edge.label)}"{style}];'
            )
    lines.append("}")
    return "\n".join(lines)


def waiting_by_step(result: SimulationResult) -> pd.DataFrame:
    """Mean number waiting in each skill's queue per interval (for the replay chart)."""
    frame = result.intervals[result.intervals["scope"] == "skill"]
    out = frame.groupby(["interval", "time", "name"], observed=True, as_index=False)[
        "mean_waiting"
    ].mean()
    return out.rename(columns={"name": "queue"})


# --------------------------------------------------------------------------- staffing plan

WEEKDAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}

REQUIREMENT_SERIES = {
    "analytic_headcount": "Erlang",
    "simulated_headcount": "Simulated",
    "scheduled_headcount": "Scheduled",
}

_KPI_LABELS = {
    "service_level": ("Service level", "%"),
    "abandon_rate": ("Abandonment", "%"),
    "asa_seconds": ("ASA", "s"),
    "first_response_minutes": ("First response", "min"),
    "occupancy": ("Occupancy", "%"),
    "utilization": ("Utilization", "%"),
    "paid_hours": ("Paid hours", "h"),
    "agent_cost": ("Agent cost", "cost"),
}
_SENSE = {"service_level": "at least ", "abandon_rate": "at most "}


def planning_scenario(scenario: Scenario, weekday: str | None) -> Scenario:
    """The scenario to plan: one day falling on ``weekday``, or the whole scenario (None)."""
    return scenario if weekday is None else one_day(scenario, weekday)


def plan_progress(rounds: int) -> float:
    """Progress bar fraction after ``rounds`` rounds of the requirement search.

    The number of rounds is not known in advance: the fraction grows with every round but
    stays below 0.9, leaving the rest for choosing the shifts and checking them.
    """
    return 0.9 * (1.0 - 0.9 ** max(rounds, 0))


def requirement_by_time(plan: StaffingPlan) -> pd.DataFrame:
    """Headcount per interval and group in long form for the charts: ``group``, ``when``
    (a timestamp on a week whose day 1 falls on the plan's first weekday), ``source``
    (Erlang, Simulated, Scheduled) and ``headcount``.
    """
    req = plan.requirement
    monday = pd.Timestamp("2024-01-01")  # a Monday: the timestamps only carry weekday and time
    first = str(req["weekday"].iloc[0]) if len(req) else "mon"
    start = monday + pd.Timedelta(days=list(WEEKDAY_NAMES).index(first))
    when = (
        start
        + pd.to_timedelta(req["day"] - 1, unit="D")
        + pd.to_timedelta(req["time"] + ":00")
    )
    wide = req[["group", *REQUIREMENT_SERIES]].assign(when=when)
    long = wide.melt(
        id_vars=["group", "when"], var_name="source", value_name="headcount"
    )
    long["source"] = long["source"].map(REQUIREMENT_SERIES)
    return long


def _clock(minutes: float) -> str:
    minutes = round(minutes) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def shifts_table(plan: StaffingPlan) -> pd.DataFrame:
    """The chosen shifts, readable: group, start and end, break, days worked (plan days with
    their weekday; "every day" for a one-day plan), people, paid hours and cost.
    """
    shifts = plan.shifts
    one_day = plan.scenario.horizon.days == 1  # its shifts repeat every day
    day_names = {
        int(d): WEEKDAY_NAMES[str(w)][:3]
        for d, w in plan.requirement[["day", "weekday"]].drop_duplicates().itertuples(index=False)
    }
    rows = []
    for s in shifts.itertuples():
        start_minutes = int(s.start[:2]) * 60 + int(s.start[3:])
        end_minutes = start_minutes + s.hours * 60
        end = _clock(end_minutes) + (" (next day)" if end_minutes > 24 * 60 else "")
        pause = ""
        if not pd.isna(s.break_minutes):
            begins = start_minutes + s.break_after_hours * 60
            pause = f"{_clock(begins)}–{_clock(begins + s.break_minutes)}"
        days = (
            "every day"
            if one_day
            else ", ".join(f"{day_names.get(int(d), '')} (day {d})" for d in str(s.days).split(","))
        )
        rows.append(
            {
                "group": s.group,
                "start": s.start,
                "end": end,
                "break": pause,
                "days": days,
                "people": int(s.count),
                "paid hours": float(s.paid_hours),
                "cost": float(s.cost),
            }
        )
    columns = ["group", "start", "end", "break", "days", "people", "paid hours", "cost"]
    order = {g.name: i for i, g in enumerate(plan.scenario.groups)}
    table = pd.DataFrame(rows, columns=columns)
    table["rank"] = table["group"].map(order)
    table["first_day"] = [int(str(d).split(",")[0]) for d in shifts["days"]]
    table = table.sort_values(["rank", "first_day", "start", "end"], kind="stable")
    return table.drop(columns=["rank", "first_day"]).reset_index(drop=True)


def shifts_worked(plan: StaffingPlan) -> int:
    """Shifts worked over the plan: people on each shift line times the plan days it works."""
    return int(group_summary(plan)["shifts worked"].sum())


def group_summary(plan: StaffingPlan) -> pd.DataFrame:
    """Per group: person-hours the Erlang and simulated requirements ask for, person-hours
    the shifts put on duty, and the shifts worked, their paid hours and cost.
    """
    hours = plan.scenario.horizon.interval_minutes / 60
    req = plan.requirement.groupby("group", sort=False)[list(REQUIREMENT_SERIES)].sum() * hours
    req.columns = [f"{label} (person-h)" for label in REQUIREMENT_SERIES.values()]
    worked = plan.shifts["count"] * plan.shifts["days"].astype(str).str.split(",").str.len()
    shifts = plan.shifts.assign(worked=worked).groupby("group", sort=False)[
        ["worked", "paid_hours", "cost"]
    ].sum()
    shifts.columns = ["shifts worked", "paid hours", "cost"]
    table = req.join(shifts, how="left").fillna({"shifts worked": 0, "paid hours": 0.0, "cost": 0.0})
    table["shifts worked"] = table["shifts worked"].astype(int)
    return table.reset_index()


def achieved_table(plan: StaffingPlan) -> pd.DataFrame:
    """The roster's KPIs on fresh random numbers: ``where``, ``KPI``, ``value`` (mean ± 95%
    confidence half-width), ``target`` and ``met`` (yes / no, blank without a target).
    Paid hours and cost are left out: :func:`group_summary` has them.
    """
    rows = []
    for r in plan.achieved.itertuples():
        if r.metric in ("paid_hours", "agent_cost"):  # shown with the shifts
            continue
        label, unit = _KPI_LABELS.get(r.metric, (r.metric.replace("_", " "), ""))
        mean = math.nan if r.mean is None else float(r.mean)
        value = fmt(mean, unit)
        if r.ci95 is not None and math.isfinite(float(r.ci95)) and math.isfinite(mean):
            value += f" ± {fmt(float(r.ci95), unit)}"
        has_target = r.target is not None and not pd.isna(r.target)
        met = "" if r.met is None or pd.isna(r.met) else ("yes" if r.met else "no")
        rows.append(
            {
                "where": f"{r.scope} {r.name}",
                "KPI": label,
                "value": value,
                "target": f"{_SENSE.get(r.metric, '')}{fmt(float(r.target), unit)}"
                if has_target
                else "",
                "met": met,
            }
        )
    return pd.DataFrame(rows, columns=["where", "KPI", "value", "target", "met"])


def checks_held(plan: StaffingPlan) -> tuple[int, int]:
    """(held, total) per-interval target checks of the roster on fresh random numbers."""
    if plan.checks.empty:
        return 0, 0
    met = plan.checks["met"].astype(bool)
    return int(met.sum()), len(met)


# --------------------------------------------------------------------------- editor fields


@dataclass(frozen=True)
class EditField:
    """A number a manager may change, at a path of the scenario's data."""

    section: str  # expander title, e.g. "Channel phone"
    path: str
    label: str
    value: float
    integer: bool = False


def _dist_field(section: str, path: str, label: str, dist: dict[str, Any]) -> list[EditField]:
    key = "mean" if "mean" in dist else ("value" if "value" in dist else None)
    return [] if key is None else [EditField(section, f"{path}.{key}", label, float(dist[key]))]


def edit_fields(scenario: Scenario) -> list[EditField]:
    """List the numbers the Scenarios page offers.

    Volumes, patience, targets, handle times, escalation, automation, headcount, shrinkage
    and cost; shift counts are edited as a table (:func:`shift_counts`).
    """
    data = scenario_dict(scenario)
    fields: list[EditField] = []
    for i, c in enumerate(data["channels"]):
        sec, p = f"Channel: {c['name']}", f"channels[{i}]"
        arrivals = c["arrivals"]
        for key, label in (("per_hour", "contacts per hour"), ("per_day", "contacts per day")):
            if key in arrivals:
                fields.append(EditField(sec, f"{p}.arrivals.{key}", label, float(arrivals[key])))
        if "patience_seconds" in c:
            fields += _dist_field(
                sec, f"{p}.patience_seconds", "mean patience (s)", c["patience_seconds"]
            )
        target = c.get("target", {})
        for key, label in (
            ("answer_within_seconds", "answer within (s)"),
            ("respond_within_hours", "respond within (h)"),
            ("service_level", "service-level target (0–1)"),
        ):
            if key in target:
                fields.append(EditField(sec, f"{p}.target.{key}", label, float(target[key])))
    for i, cat in enumerate(data["categories"]):
        sec, p = f"Category: {cat['name']}", f"categories[{i}]"
        fields += _dist_field(
            sec, f"{p}.handle_minutes", "handle time (min)", cat["handle_minutes"]
        )
        for j, tier in enumerate(cat.get("escalation", [])):
            fields.append(
                EditField(
                    sec,
                    f"{p}.escalation[{j}].probability",
                    f"escalation to {tier['skill']} (0–1)",
                    float(tier["probability"]),
                )
            )
            fields += _dist_field(
                sec,
                f"{p}.escalation[{j}].handle_minutes",
                f"{tier['skill']} handle time (min)",
                tier["handle_minutes"],
            )
    for i, bot in enumerate(data.get("automation", [])):
        sec, p = f"Automation: {bot['name']}", f"automation[{i}]"
        for name, share in bot["resolves"].items():
            fields.append(
                EditField(sec, f"{p}.resolves.{name}", f"resolves {name} (0–1)", float(share))
            )
        fields.append(
            EditField(sec, f"{p}.abandon", "leave in the bot (0–1)", float(bot.get("abandon", 0.0)))
        )
    for i, g in enumerate(data["groups"]):
        sec, p = f"Group: {g['name']}", f"groups[{i}]"
        if "headcount" in g:
            fields.append(
                EditField(sec, f"{p}.headcount", "headcount", float(g["headcount"]), integer=True)
            )
        fields.append(
            EditField(sec, f"{p}.shrinkage", "shrinkage (0–1)", float(g.get("shrinkage", 0.0)))
        )
        fields.append(
            EditField(
                sec, f"{p}.cost_per_hour", "cost per hour", float(g.get("cost_per_hour", 0.0))
            )
        )
    return fields


def shift_counts(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """Per group with shifts (by path ``groups[i].shifts``): its shift lines as a table."""
    out = {}
    for i, g in enumerate(scenario.groups):
        if g.shifts:
            out[f"groups[{i}].shifts"] = pd.DataFrame(
                [
                    {
                        "start": s.start,
                        "hours": s.hours,
                        "weekdays": ",".join(s.weekdays),
                        "count": s.count,
                    }
                    for s in g.shifts
                ]
            )
    return out


def errors_by_field(error: ScenarioError) -> dict[str, list[str]]:
    """Key the problems of a scenario error by their field path."""
    out: dict[str, list[str]] = {}
    for path, message in error.problems:
        out.setdefault(path, []).append(message)
    return out
