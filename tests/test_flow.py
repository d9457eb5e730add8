"""The process-flow graph of a result (``supportsim.results.flow``) and its bottleneck."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import supportsim
from supportsim import Flow, FlowEdge, FlowNode
from supportsim.scenario import scenario_from_dict
from tests.conftest import exp

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def queue() -> supportsim.Scenario:
    return supportsim.one_day(supportsim.load_scenario(SCENARIOS / "single_queue.yaml"))


def two_groups(starved_headcount: int, other_headcount: int = 10) -> supportsim.Scenario:
    """One phone line, two skills half the calls each (2.5 erlangs), one group per skill:
    ``a_team`` with ``other_headcount`` agents, ``b_team`` with ``starved_headcount``.
    """
    data: dict[str, Any] = {
        "name": "two groups",
        "horizon": {"days": 1, "interval_minutes": 60, "warmup_hours": 2},
        "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 60}}],
        "categories": [
            {"name": "a", "channels": {"phone": 0.5}, "skill": "a", "handle_minutes": exp(5)},
            {"name": "b", "channels": {"phone": 0.5}, "skill": "b", "handle_minutes": exp(5)},
        ],
        "groups": [
            {"name": "a_team", "skills": ["a"], "headcount": other_headcount},
            {"name": "b_team", "skills": ["b"], "headcount": starved_headcount},
        ],
    }
    return scenario_from_dict(data)


def _outcomes(flow: Flow) -> float:
    return sum(n.tickets for n in flow.nodes.values() if n.kind == "outcome")


def _arrivals(flow: Flow) -> float:
    return sum(n.tickets for n in flow.nodes.values() if n.kind == "channel")


@pytest.mark.parametrize(
    "name", ["single_queue", "helpdesk_baseline", "helpdesk_chatbot", "servicenow_desk"]
)
def test_the_flow_adds_up(name: str) -> None:
    """Every ticket that arrives ends in an outcome or is still in the operation at the end;
    every step leads on to an outcome, and only channels are entered from outside.
    """
    day = supportsim.one_day(supportsim.load_scenario(SCENARIOS / f"{name}.yaml"))
    result = supportsim.simulate(day, seed=3, replications=2)
    flow = supportsim.process_flow(result)
    assert _arrivals(flow) > 0
    assert _arrivals(flow) == pytest.approx(_outcomes(flow) + flow.open_at_end, abs=1e-9)
    assert flow.open_at_end == result.metric("overall", "", "open_at_end")

    leads_to: dict[str, set[str]] = {node: set() for node in flow.nodes}
    for edge in flow.edges:
        assert edge.source in flow.nodes and edge.target in flow.nodes, edge
        leads_to[edge.source].add(edge.target)
    entered = {e.target for e in flow.edges}
    for node in flow.nodes.values():
        reached, frontier = set(), {node.id}
        while frontier:
            reached |= frontier
            frontier = {t for s in frontier for t in leads_to[s]} - reached
        assert node.kind == "outcome" or any(flow.nodes[r].kind == "outcome" for r in reached), node.id
        assert node.kind == "channel" or node.id in entered, node.id

    per_interval = [supportsim.process_flow(result, k) for k in range(day.horizon.intervals_per_day)]
    assert sum(_arrivals(f) for f in per_interval) == pytest.approx(_arrivals(flow))


def test_the_bottleneck_is_the_starved_group() -> None:
    result = supportsim.simulate(two_groups(starved_headcount=3), seed=1, replications=2)
    flow = supportsim.process_flow(result)
    assert flow.bottleneck == "b_team"
    assert flow.nodes["g_b_team"].occupancy > 0.7 > 0.4 > flow.nodes["g_a_team"].occupancy
    assert flow.nodes["q_b"].wait_share > 0.9
    swapped = supportsim.simulate(two_groups(starved_headcount=10, other_headcount=3), seed=1)
    assert supportsim.process_flow(swapped).bottleneck == "a_team"


def test_a_queue_node_holds_the_mean_wait_of_its_tickets() -> None:
    result = supportsim.simulate(two_groups(starved_headcount=3), seed=2)
    node = supportsim.process_flow(result).nodes["q_b"]
    tickets = result.tickets
    waits = tickets[(tickets["category"] == "b") & tickets["queued"]]["wait_seconds"].dropna()
    assert node.mean_wait_seconds == pytest.approx(waits.mean())
    assert math.isnan(supportsim.process_flow(result, 5).nodes["q_b"].mean_wait_seconds)


def test_flow_and_bottleneck_follow_the_staffing(queue: supportsim.Scenario) -> None:
    result = supportsim.simulate(queue, seed=1)
    flow = supportsim.process_flow(result)
    assert {
        "ch_phone",
        "bot_ivr",
        "q_general",
        "q_tier2",
        "g_tier1",
        "g_tier2",
        "out_resolved",
    } <= set(flow.nodes)
    assert flow.bottleneck == "tier2"
    util = flow.nodes["g_tier2"].occupancy
    assert util == pytest.approx(result.metric("groups", "tier2", "occupancy"), rel=1e-9)
    more = supportsim.simulate(supportsim.scale_headcount(queue, "tier2", 2.0), seed=1)
    assert supportsim.process_flow(more).bottleneck == "tier1"


def test_flow_of_one_interval(queue: supportsim.Scenario) -> None:
    result = supportsim.simulate(queue, seed=1)
    flow = supportsim.process_flow(result, interval=20)
    assert flow.interval == 20
    groups = result.intervals[
        (result.intervals["scope"] == "group") & (result.intervals["interval"] == 20)
    ]
    expected = groups.set_index("name")["occupancy"]
    assert flow.nodes["g_tier1"].occupancy == pytest.approx(expected["tier1"])


def _two_teams(util_a: float, util_b: float, share_a: float) -> Flow:
    nodes = [
        FlowNode("q_a", "queue", "a", wait_share=share_a),
        FlowNode("q_b", "queue", "b", wait_share=1 - share_a),
        FlowNode("g_a", "group", "a", occupancy=util_a),
        FlowNode("g_b", "group", "b", occupancy=util_b),
    ]
    edges = [FlowEdge("q_a", "g_a", "route"), FlowEdge("q_b", "g_b", "route")]
    return Flow({n.id: n for n in nodes}, edges)


def test_bottleneck_is_the_busiest_group_ties_going_to_the_longer_queue() -> None:
    assert supportsim.bottleneck(_two_teams(0.9, 0.5, share_a=0.1)) == "a"
    assert supportsim.bottleneck(_two_teams(0.5, 0.9, share_a=0.9)) == "b"
    assert supportsim.bottleneck(_two_teams(0.9, 0.895, share_a=0.1)) == "b"  # within 1 point
    assert supportsim.bottleneck(_two_teams(0.9, 0.88, share_a=0.1)) == "a"


def test_bottleneck_is_none_without_staff() -> None:
    flow = Flow({"g_a": FlowNode("g_a", "group", "a", occupancy=math.nan)}, [])
    assert supportsim.bottleneck(flow) is None


def test_trainer_resimulation_of_one_day() -> None:
    """The trainer's slider re-simulates one day (its speed is measured by benchmarks/run.py case 3)."""
    baseline = supportsim.load_scenario(SCENARIOS / "helpdesk_baseline.yaml")
    day = supportsim.one_day(baseline)
    result = supportsim.simulate(supportsim.scale_headcount(day, "tier2", 1.5), seed=2)
    flow = supportsim.process_flow(result)
    assert result.scenario.horizon.days == 1
    assert supportsim.bottleneck(flow) is not None


def test_the_flow_shows_callbacks_blocking_closing_and_the_survey() -> None:
    data = supportsim.load_scenario(SCENARIOS / "callbacks_lines_choice.yaml").model_dump(by_alias=True)
    data["horizon"]["days"] = 1
    data["channels"][0]["at_close"] = "disconnect"
    data["feedback"] = {"response_rate": 0.5}
    result = supportsim.simulate(supportsim.scenario_from_dict(data), seed=3)
    flow = supportsim.process_flow(result)
    edges = {(e.source, e.target, e.kind) for e in flow.edges}
    assert ("ch_phone", "out_blocked", "block") in edges
    assert ("out_blocked", "ch_phone", "retrial") in edges
    assert ("out_abandoned", "ch_phone", "retrial") in edges
    assert {("q_sales", "out_disconnected", "disconnect"), ("q_service", "out_disconnected", "disconnect")} <= edges
    assert ("out_resolved", "survey", "survey") in edges
    overall = result.summary["overall"]
    assert flow.nodes["survey"].tickets == overall["responses"]["mean"] > 0
    assert flow.nodes["survey"].csat == pytest.approx(overall["csat"]["mean"])
    outcomes = sum(n.tickets for n in flow.nodes.values() if n.kind == "outcome")
    assert outcomes + flow.open_at_end == pytest.approx(overall["offered"]["mean"])  # every attempt ends somewhere


def test_a_plain_scenario_has_no_callback_or_survey_steps() -> None:
    result = supportsim.simulate(supportsim.one_day(supportsim.load_scenario(SCENARIOS / "single_queue.yaml")), seed=1)
    flow = supportsim.process_flow(result)
    assert not {"out_blocked", "out_disconnected", "survey"} & set(flow.nodes)
    assert not [e for e in flow.edges if e.kind in ("block", "retrial", "disconnect", "survey")]
