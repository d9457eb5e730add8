import itertools
from pathlib import Path

import numpy as np

from supportsim import load_scenario, simulate
from supportsim.planning.shifts import coverage, greedy_cover, schedule, shift_options, solve_cover
from supportsim.planning.workload import analytic_requirement

DATA = Path(__file__).parent / "data" / "planning"


def _requirement(scenario):
    table = analytic_requirement(scenario)
    return table["analytic_headcount"].to_numpy().reshape(len(scenario.groups), -1)


def test_roster_covers_every_interval_and_respects_the_options():
    scenario = load_scenario(DATA / "three_groups_day.yaml")
    required = _requirement(scenario)
    roster = schedule(scenario, required)
    assert roster.optimal
    cov = roster.coverage
    assert (cov["scheduled_headcount"] >= cov["required_headcount"]).all()
    for _, row in roster.shifts.iterrows():
        g = [grp.name for grp in scenario.groups].index(row["group"])
        allowed = {(o.start, o.hours) for o in shift_options(scenario, g, required[g])}
        assert (row["start"], row["hours"]) in allowed
        assert row["count"] > 0
    assert roster.paid_hours == roster.shifts["paid_hours"].sum()
    # the roster scenario staffs what the schedule says: the engine's paid hours agree
    result = simulate(roster.scenario, seed=3, replications=1, keep_tickets=False)
    assert abs(sum(result.metric("groups", g.name, "paid_hours") for g in scenario.groups) - roster.paid_hours) < 1e-6
    assert all(g.shifts is not None and g.headcount is None for g in roster.scenario.groups)


def test_milp_costs_no_more_than_a_greedy_cover():
    scenario = load_scenario(DATA / "three_groups_day.yaml")
    required = _requirement(scenario)
    for g, group in enumerate(scenario.groups):
        options = shift_options(scenario, g, required[g])
        matrix = coverage(options, scenario)
        costs = np.array([o.hours for o in options]) * group.cost_per_hour
        x, optimal = solve_cover(matrix, required[g], costs)
        greedy = greedy_cover(matrix, required[g], costs)
        assert optimal
        assert (matrix @ x >= required[g]).all() and (matrix @ greedy >= required[g]).all()
        assert costs @ x <= costs @ greedy + 1e-9


def test_milp_is_optimal_against_brute_force_on_a_tiny_case():
    matrix = np.array([
        [1, 0, 0, 1, 0],
        [1, 1, 0, 1, 0],
        [1, 1, 1, 1, 1],
        [0, 1, 1, 1, 1],
        [0, 0, 1, 0, 1],
    ], dtype=float)
    costs = np.array([3.0, 3.0, 3.0, 5.0, 4.5])
    required = np.array([2, 3, 1, 2, 1])
    x, optimal = solve_cover(matrix, required, costs)
    best = min(
        costs @ np.array(c)
        for c in itertools.product(range(4), repeat=5)
        if (matrix @ np.array(c) >= required).all()
    )
    assert optimal and (matrix @ x >= required).all()
    assert costs @ x == best


def test_break_and_partial_intervals_do_not_count_as_covered():
    scenario = load_scenario(DATA / "three_groups_day.yaml")
    options = [o for o in shift_options(scenario, 0, np.ones(48, dtype=np.int64)) if o.start == "07:00"]
    line = next(o for o in options if o.hours == 8.5)  # the scenario's own 07:00 line, break after 4 h
    column = coverage([line], scenario)[:, 0]
    covered = np.flatnonzero(column)
    assert covered[0] == 14  # 07:00
    assert 22 not in covered  # 11:00-11:30 break
    assert covered[-1] == 30  # ends 15:30: the 15:30 interval is not covered
