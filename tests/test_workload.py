import math
from pathlib import Path

import numpy as np

from supportsim import load_scenario
from supportsim.planning.analytic import required_agents
from supportsim.planning.workload import analytic_requirement, offered_load, timeline
from supportsim.scenario.profiles import agents_for, headcount_for

DATA = Path(__file__).parent / "data" / "planning"


def test_headcount_for_inverts_the_engine_rounding():
    for shrinkage in (0.0, 0.1, 0.25, 0.33, 0.5):
        for agents in range(0, 60):
            h = headcount_for(agents, shrinkage)
            assert agents_for(h, shrinkage) >= agents
            assert h == 0 or agents_for(h - 1, shrinkage) < agents


def test_offered_load_is_rate_times_handle_time():
    scenario = load_scenario(DATA / "mmc_day.yaml")
    load = offered_load(scenario)
    rates = scenario.channels[0].arrivals.rates_per_hour
    assert list(load["per_hour"]) == rates
    np.testing.assert_allclose(load["load_erlangs"], np.array(rates) * 4 / 60)
    assert set(load["kind"]) == {"answer"}


def test_analytic_requirement_is_erlang_c_per_interval():
    scenario = load_scenario(DATA / "mmc_day.yaml")
    table = analytic_requirement(scenario, max_occupancy=None)
    for rate, agents in zip(scenario.channels[0].arrivals.rates_per_hour, table["analytic_agents"], strict=True):
        expected = 0 if rate == 0 else required_agents(
            rate, 240, answer_within_seconds=20, service_level=0.8
        ).raw_agents
        assert agents == expected


def test_escalation_and_async_work_reach_their_groups():
    scenario = load_scenario(DATA / "three_groups_day.yaml")
    load = offered_load(scenario)
    tier2 = load[load["group"] == "tier2"]
    assert set(tier2["kind"]) == {"backlog"}
    # 10% of the general contacts (phone 70%, chat 70%, email 60%) escalate, 12-minute handle time
    general = (700 * 0.7 + 300 * 0.7 + 200 * 0.6) * 0.1
    assert math.isclose(tier2["load_erlangs"].sum() * 0.5, general * 12 / 60, rel_tol=0.02)
    table = analytic_requirement(scenario)
    assert (table.groupby("group")["analytic_agents"].max() > 0).all()


def test_timeline_adds_a_tail_day_for_async_targets():
    tl = timeline(load_scenario(DATA / "three_groups_day.yaml"))
    assert (tl.lead_days, tl.tail_days) == (0, 1)
    assert tl.total_intervals == 2 * 48
    assert list(tl.plan_cell[:3]) == [0, 1, 2] and tl.plan_cell[48] == 0
