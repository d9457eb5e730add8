import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.linalg import expm

from supportsim import load_scenario, simulate
from supportsim.engine import replication_seeds
from supportsim.planning import (
    Targets,
    analytic_requirement,
    evaluate,
    plan,
    replicate,
    simulated_requirement,
    timeline,
)
from supportsim.results.executors import make_executor
from supportsim.scenario import Scenario
from supportsim.scenario.io import scenario_from_dict

DATA = Path(__file__).parent / "data" / "planning"


@pytest.fixture(scope="module")
def mmc():
    scenario = load_scenario(DATA / "mmc_day.yaml")
    return scenario, simulated_requirement(scenario, seed=1, replications=20, max_replications=20, max_occupancy=None)


def test_single_skill_requirement_is_erlang_c_within_one_agent(mmc):
    scenario, search = mmc
    assert search.met
    erlang = analytic_requirement(scenario, max_occupancy=None)["analytic_agents"].to_numpy()
    simulated = search.agents[0]
    assert np.abs(simulated - erlang).max() <= 1
    open_hours = erlang > 0
    assert np.abs(simulated - erlang)[open_hours].sum() <= 3  # mostly equal, not just within one


def test_same_seed_same_requirement(mmc):
    scenario, search = mmc
    again = simulated_requirement(scenario, seed=1, replications=20, max_replications=20, max_occupancy=None)
    assert np.array_equal(again.agents, search.agents)


def _fresh_checks(scenario, agents, seed, replications=20, confidence=0.9, max_occupancy=None):
    tl = timeline(scenario)
    counts = [replicate((tl.with_agents(agents), s)) for s in replication_seeds(seed, replications)]
    return evaluate(Targets.of(tl, max_occupancy), counts, confidence).checks


def test_requirement_holds_on_fresh_seeds(mmc):
    scenario, search = mmc
    checks = _fresh_checks(scenario, search.agents, seed=12345)
    assert len(checks) >= 10
    # on new random numbers no target is missed significantly: the estimate plus its
    # half-width (the bound on the favourable side) still reaches the target everywhere
    half = checks["estimate"] - checks["bound"]
    assert (checks["estimate"] + half >= checks["target"]).all()
    # and most interval estimates meet the target outright
    assert (checks["estimate"] >= checks["target"]).mean() >= 0.8


def test_two_agents_less_at_the_peak_miss_the_target(mmc):
    scenario, search = mmc
    peak = int(np.argmax(search.agents[0]))
    fewer = search.agents.copy()
    fewer[0, peak] -= 2
    checks = _fresh_checks(scenario, fewer, seed=1)
    row = checks[checks["interval"] == peak].iloc[0]
    assert not row["met"]


def test_pooling_needs_fewer_agents_than_per_skill_erlang():
    scenario = load_scenario(DATA / "pooling.yaml")
    search = simulated_requirement(scenario, seed=2, replications=20, max_replications=20, max_occupancy=None)
    assert search.met
    per_skill = analytic_requirement(scenario, max_occupancy=None)["analytic_agents"].to_numpy()
    simulated = search.agents[0]
    open_hours = per_skill > 0
    assert (per_skill[open_hours] == 8).all()  # 4 agents per line for 30 calls/h of 4 minutes
    # one pooled group of 6-7 agents does what two separate lines of 4 do: at least one agent
    # saved in every open hour
    saving = per_skill[open_hours] - simulated[open_hours]
    assert (saving >= 1).all()
    assert saving.sum() >= 5


def test_plan_of_a_three_group_day_meets_its_targets_on_fresh_seeds():
    scenario = load_scenario(DATA / "three_groups_day.yaml")
    result = plan(scenario, seed=0, replications=10, max_replications=10)
    assert result.search.met
    req = result.requirement
    assert (req["scheduled_headcount"] >= req["simulated_headcount"]).all()
    assert result.cost == pytest.approx(result.shifts["cost"].sum())
    achieved = result.achieved.dropna(subset=["target"])
    assert len(achieved) == 4  # three service levels and the phone abandonment ceiling
    assert achieved["met"].all()
    checks = result.checks
    half = (checks["estimate"] - checks["bound"]).abs()
    favourable = np.where(checks["kind"] == "service_level", checks["estimate"] + half, checks["estimate"] - half)
    ok = np.where(checks["kind"] == "service_level", favourable >= checks["target"], favourable <= checks["target"])
    assert ok.all()


def test_roster_for_the_helpdesk_week_meets_its_targets_on_fresh_seeds():
    """The issue's end-to-end check: plan the baseline week, then simulate the roster it found
    on seeds the planner never saw and hold every channel to its target."""
    scenario = load_scenario(Path(__file__).parent.parent / "scenarios" / "helpdesk_baseline.yaml")
    found = plan(scenario, seed=3, replications=6, max_replications=6, compare_current=False)
    assert found.search.met
    req = found.requirement
    assert (req["scheduled_headcount"] >= req["simulated_headcount"]).all()
    fresh = simulate(found.roster, seed=2026, replications=10, keep_tickets=False)
    checked = 0
    for channel in scenario.channels:
        if channel.target is None:
            continue
        values = fresh.values("channels", channel.name, "service_level")
        # the lower 95% confidence bound of the mean service level reaches the target
        low = values.mean() - stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
        assert low >= channel.target.service_level, (channel.name, values.mean())
        if channel.target.max_abandon_rate is not None:
            assert fresh.metric("channels", channel.name, "abandon_rate") <= channel.target.max_abandon_rate
        checked += 1
    assert checked == 3  # phone, chat and email all have targets


def _tables(found):
    """Every table of a plan, without the search's wall times."""
    return [found.requirement, found.shifts, found.achieved, found.checks, found.search.checks,
            found.search.log.drop(columns="seconds")]


def test_plan_is_the_same_wherever_the_replications_run():
    scenario = load_scenario(DATA / "mmc_day.yaml")
    here = plan(scenario, seed=0, replications=2, workers=1)
    assert len(here.search.log) > 1  # several rounds on the one executor
    for where in ({"workers": 2}, {"dask": "local"}):
        there = plan(scenario, seed=0, replications=2, **where)
        for ours, theirs in zip(_tables(here), _tables(there), strict=True):
            pd.testing.assert_frame_equal(ours, theirs)
        assert there.roster == here.roster
        assert (there.paid_hours, there.cost, there.warnings) == (here.paid_hours, here.cost, here.warnings)


def test_search_on_an_open_executor_leaves_it_open():
    scenario = load_scenario(DATA / "mmc_day.yaml")
    alone = simulated_requirement(scenario, seed=4, replications=2, workers=1)
    with make_executor(2) as executor:
        first = simulated_requirement(scenario, seed=4, replications=2, executor=executor)
        again = simulated_requirement(scenario, seed=4, replications=2, executor=executor)
    assert np.array_equal(first.agents, alone.agents) and np.array_equal(again.agents, alone.agents)
    pd.testing.assert_frame_equal(first.table, alone.table)


# --- against an independent computation -------------------------------------------------
# Erlang C and Erlang A written out here (not supportsim.planning), and a brute-force search.


def _erlang_c_wait_probability(agents: int, load: float) -> float:
    """P(wait > 0) in M/M/n (Erlang C), from the Erlang B recursion; 1 when n <= load."""
    if agents <= load:
        return 1.0
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = load * blocking / (k + load * blocking)
    return agents * blocking / (agents - load * (1 - blocking))


def _erlang_c_service_level(agents: int, per_hour: float, aht_seconds: float, within_seconds: float) -> float:
    """P(wait <= t) in M/M/n: 1 − C(n, a)·exp(−(n − a)·t / AHT); 0 when n <= a (a in erlangs)."""
    load = per_hour * aht_seconds / 3600
    if agents <= load:
        return 0.0
    return 1 - _erlang_c_wait_probability(agents, load) * math.exp(-(agents - load) * within_seconds / aht_seconds)


def _erlang_a_service_level(agents: int, per_hour: float, aht_seconds: float, patience_seconds: float,
                            within_seconds: float) -> float:
    """P(answered within t) over all arrivals in M/M/n+M (Erlang A): the birth–death chain's
    stationary law seen on arrival (PASTA), and for a caller with ``j`` ahead in the queue the
    chance of reaching an agent within t before abandoning (a small absorbing Markov chain:
    the queue ahead shrinks at n·μ + i·θ, the caller leaves at θ)."""
    lam, mu, theta = per_hour / 3600, 1 / aht_seconds, 1 / patience_seconds
    weights = [1.0]
    while len(weights) <= agents or weights[-1] > 1e-13 * sum(weights):
        k = len(weights)
        weights.append(weights[-1] * lam / (min(k, agents) * mu + max(k - agents, 0) * theta))
    p = np.array(weights) / sum(weights)
    level = float(p[:agents].sum())  # an agent is free: answered at once
    for ahead in range(len(p) - agents):
        # states: ahead, ahead − 1, ..., 0 callers in front; then answered, abandoned
        q = np.zeros((ahead + 3, ahead + 3))
        for state in range(ahead + 1):
            in_front = ahead - state
            q[state, -1] = theta
            q[state, state + 1 if in_front else -2] = agents * mu + in_front * theta
            q[state, state] = -q[state].sum()
        level += p[agents + ahead] * expm(q * within_seconds)[0, -2]
    return level


def _single_queue(rates_per_hour: list[float], aht_minutes: float, within_seconds: float,
                  service_level: float, patience_seconds: float | None = None) -> Scenario:
    channel = {"name": "phone", "mode": "realtime", "arrivals": {"rates_per_hour": rates_per_hour},
               "target": {"answer_within_seconds": within_seconds, "service_level": service_level}}
    if patience_seconds is not None:
        channel["patience_seconds"] = {"dist": "exponential", "mean": patience_seconds}
    return scenario_from_dict({
        "name": "single skill",
        "horizon": {"days": 1, "interval_minutes": 60, "warmup_hours": 0},
        "channels": [channel],
        "categories": [{"name": "general", "channels": {"phone": 1.0}, "skill": "general",
                        "handle_minutes": {"dist": "exponential", "mean": aht_minutes}}],
        "groups": [{"name": "agents", "skills": ["general"], "headcount": 1}],
    })


STEADY = {"per_hour": 90.0, "aht_minutes": 4.0, "within_seconds": 20.0, "service_level": 0.8}
"""A stationary day of 6 erlangs. Without abandonment (M/M/n) Erlang C needs 9 agents
(service level 0.847); with exponential patience of mean 2 minutes (M/M/n+M) Erlang A needs
8 (0.835)."""
STEADY_PATIENCE = {"Erlang C": None, "Erlang A": 120.0}
STEADY_NEEDS = {"Erlang C": 9, "Erlang A": 8}


@pytest.fixture(scope="module", params=list(STEADY_PATIENCE))
def steady(request):
    """(model, the requirement search on a stationary day, exact service level per agent count)."""
    patience = STEADY_PATIENCE[request.param]
    scenario = _single_queue([STEADY["per_hour"]] * 24, STEADY["aht_minutes"], STEADY["within_seconds"],
                             STEADY["service_level"], patience)
    search = simulated_requirement(scenario, seed=1, replications=20, max_replications=20, max_occupancy=None)
    args = (STEADY["per_hour"], STEADY["aht_minutes"] * 60)
    if patience is None:
        def exact(agents: int) -> float:
            return _erlang_c_service_level(agents, *args, STEADY["within_seconds"])
    else:
        def exact(agents: int) -> float:
            return _erlang_a_service_level(agents, *args, patience, STEADY["within_seconds"])
    return request.param, scenario, search, exact


def test_single_skill_requirement_agrees_with_erlang_within_the_search_confidence(steady):
    """Interval by interval (after the first, which starts from an empty system, so Erlang's
    steady state does not apply), the staffing found meets the target by Erlang C (or A) up to
    the noise of the search's estimate, and one agent fewer would not have met it by more than
    the search's own margin plus that noise: neither under- nor overstaffed."""
    model, _, search, exact = steady
    assert search.met
    checks = search.checks[search.checks["kind"] == "service_level"].set_index("interval")
    target = STEADY["service_level"]
    n = search.replications
    margin_t = stats.t.ppf(search.confidence, n - 1)  # the search's one-sided bound
    noise_t = stats.t.ppf(0.9995, n - 1)  # a two-sided 99.9% allowance for the estimate's noise
    erlang = next(a for a in range(1, 100) if exact(a) >= target)
    assert erlang == STEADY_NEEDS[model]
    for k in range(1, 24):
        agents = int(search.agents[0, k])
        se = (checks.loc[k, "estimate"] - checks.loc[k, "bound"]) / margin_t
        assert exact(agents) >= target - noise_t * se, (model, k, agents)
        assert exact(agents - 1) < target + (margin_t + noise_t) * se, (model, k, agents)
    assert (np.abs(search.agents[0, 1:] - erlang) <= 1).all()


def test_service_level_the_search_relied_on_is_erlang(steady):
    """The day's service level at the staffing found, on the search's own replications,
    equals Erlang C's (or A's) for that staffing (intervals 1-23, weighted by their contacts),
    within the 99.9% interval of the ratio estimator over independent replications."""
    _, scenario, search, exact = steady
    tl = timeline(scenario)
    counts = [replicate((tl.with_agents(search.agents), s)) for s in replication_seeds(1, search.replications)]
    within = np.array([c.within[0, 1:].sum() for c in counts])
    known = np.array([c.known[0, 1:].sum() for c in counts])
    per_interval = np.array([c.known[0, 1:] for c in counts]).sum(axis=0)
    expected = float(np.average([exact(int(a)) for a in search.agents[0, 1:]], weights=per_interval))
    estimate = within.sum() / known.sum()
    n = len(counts)
    se = math.sqrt(((within - estimate * known) ** 2).sum() / (n * (n - 1))) / known.mean()
    assert abs(estimate - expected) <= stats.t.ppf(0.9995, n - 1) * se, (estimate, expected, se)
    assert se < 0.01  # tight enough that a 10% error in handle times (about 5 points here) fails


def _brute_force(scenario: Scenario, open_hours: list[int], bound: int, seed: int, replications: int,
                 confidence: float) -> list[tuple[int, ...]]:
    """Every staffing of ``open_hours`` from 1 to ``bound`` agents (0 elsewhere) that meets
    every target on the replications ``seed`` gives, at ``confidence``."""
    tl = timeline(scenario)
    targets = Targets.of(tl, None)
    seeds = replication_seeds(seed, replications)
    feasible = []
    for staffing in itertools.product(range(1, bound + 1), repeat=len(open_hours)):
        agents = np.zeros((1, 24), dtype=np.int64)
        agents[0, open_hours] = staffing
        counts = [replicate((tl.with_agents(agents), s)) for s in seeds]
        if evaluate(targets, counts, confidence).met:
            feasible.append(staffing)
    assert feasible
    cheapest = min(sum(s) for s in feasible)
    assert all(max(s) < bound for s in feasible if sum(s) == cheapest)  # the bound did not bind
    return feasible


@pytest.mark.parametrize(
    ("open_hours", "rates", "seed"),
    [
        pytest.param([9], [60.0], 5, id="one hour"),
        pytest.param([9, 10], [30.0, 60.0], 1, id="two hours, seed 1"),
        pytest.param([9, 10], [30.0, 60.0], 3, id="two hours, seed 3"),
        pytest.param(
            [9, 10], [30.0, 60.0], 5, id="two hours, seed 5",
            marks=pytest.mark.xfail(strict=True, reason=(
                "a known limit of the search: it returns (6, 7) agents where (5, 7) meets every "
                "target on the same replications and confidence")),
        ),
    ],
)
def test_brute_force_search_finds_what_the_requirement_search_finds(open_hours, rates, seed):
    """Every staffing of the open hours up to 8 agents, checked on the search's own
    replications and confidence: the cheapest that meets every target is the search's answer."""
    hourly = [0.0] * 24
    for hour, rate in zip(open_hours, rates, strict=True):
        hourly[hour] = rate
    scenario = _single_queue(hourly, 4.0, 20.0, 0.8)
    replications = 8
    search = simulated_requirement(scenario, seed=seed, replications=replications, max_replications=replications,
                                   max_occupancy=None)
    assert search.met
    closed = [k for k in range(24) if k not in open_hours]
    assert (search.agents[0, closed] == 0).all()
    feasible = _brute_force(scenario, open_hours, 8, seed, replications, search.confidence)
    cheapest = min(sum(s) for s in feasible)
    found = tuple(int(a) for a in search.agents[0, open_hours])
    assert found in feasible
    assert sum(found) == cheapest, (found, [s for s in feasible if sum(s) == cheapest])


def test_smoothing_averages_each_intervals_correction_with_its_neighbours():
    from supportsim.planning.settling import smoothed

    agents = np.array([[0, 3, 0, 6, 6], [4, 4, 4, 4, 4], [0, 0, 0, 0, 0]])
    erlang = np.array([[1, 1, 1, 4, 4], [2, 4, 6, 4, 2], [1, 1, 1, 1, 1]])
    # corrections (-1, 2, -1, 2, 2): means 0.5, 0, 1, 1, 2 of (-1, 2), (-1, 2, -1), (2, -1, 2),
    # (-1, 2, 2), (2, 2), added to Erlang's and rounded up; the second group (corrections 2, 0, -2,
    # 0, 2: means 1, 0, -2/3, 0, 1) keeps Erlang's shape; the third never goes below 0
    assert smoothed(agents, erlang).tolist() == [[2, 1, 2, 5, 6], [3, 4, 6, 4, 3], [0, 0, 0, 0, 0]]


def _lone_spikes(table, column):
    """Cells needing 4+ people more than both neighbours (the issue's definition of a spike)."""
    found = []
    for group, rows in table.groupby("group", sort=False):
        v = rows[column].to_numpy()
        found += [(group, k) for k in range(1, len(v) - 1) if v[k] >= max(v[k - 1], v[k + 1]) + 4]
    return found


def test_requirement_agrees_across_root_seeds_without_lone_spikes():
    """The helpdesk's Saturday, planned from root seeds 0 and 1 (the search without its
    sequential stage; ``benchmarks/plan_agreement.py`` measures the whole plan): the simulated
    agents, and the headcount (people rostered), agree within one in at least 95% of interval
    × group rows (the issue's target; 98.6% and 95.1% now, settling the correction to Erlang
    over ±4 hours; 97.2% and 94.4% settling the agents over ±1 hour), and no interval needs 4+
    people more than both its neighbours where Erlang shows no such spike (without settling:
    74% and 4 spikes; with settling over ±30 minutes and before the occupancy ceiling became a
    live-contact rule: 92% and 1)."""
    from supportsim.scenario.edit import one_day

    saturday = one_day(load_scenario(Path(__file__).parent.parent / "scenarios" / "helpdesk_baseline.yaml"), "sat")
    tables = [simulated_requirement(saturday, seed=seed, replications=10, max_replications=10, settle=True).table
              for seed in (0, 1)]
    for column in ("simulated_agents", "simulated_headcount"):
        a, b = (t[column].to_numpy() for t in tables)
        assert np.mean(np.abs(a - b) <= 1) >= 0.95, column
    spikes = [s for t in tables for s in _lone_spikes(t, "simulated_headcount")
              if s not in _lone_spikes(t, "analytic_headcount")]
    assert not spikes, spikes


def test_smoothing_over_two_intervals_either_side():
    from supportsim.planning.settling import smoothed

    agents = np.array([[0, 10, 0, 0, 5]])
    # Erlang 0 everywhere: means of (0, 10, 0), (0, 10, 0, 0), (0, 10, 0, 0, 5), (10, 0, 0, 5), (0, 0, 5),
    # rounded up
    assert smoothed(agents, np.zeros_like(agents), half=2).tolist() == [[4, 3, 3, 4, 2]]


def test_a_spike_is_four_people_above_both_neighbours():
    from supportsim.planning.settling import spike_cells

    people = np.array([[9, 5, 9, 5, 8, 4, 12], [0, 4, 0, 3, 0, 0, 0]])
    assert np.argwhere(spike_cells(people)).tolist() == [[0, 2], [1, 1]]


@pytest.mark.parametrize("demand_spikes", [False, True])
def test_a_spike_the_demand_does_not_have_is_cut_to_its_neighbours_level(mmc, demand_spikes):
    """The search's staffing with 5 agents added at 11:00 (a spike: 120 calls an hour then, as
    at 10:00) is cut back to its neighbours' level + 3 and still meets every target on the
    search's replications; with a spike in the demand there too, it is left alone."""
    from supportsim.planning.cells import SearchState, staffing_weights
    from supportsim.planning.settling import despike, spike_cells

    scenario, search = mmc
    tl = timeline(scenario)
    spiked = search.agents.copy()
    spiked[0, 11] += 5
    demand = search.agents.copy()
    if demand_spikes:
        demand[0, 11] += 5
    assert spike_cells(spiked)[0, 11] and not spike_cells(search.agents).any()
    targets = Targets.of(tl, None)
    seeds = replication_seeds(1, 20)
    with make_executor(1) as executor:
        spiked_checks = evaluate(targets, executor.map(replicate, [(tl.with_agents(spiked), s) for s in seeds]), 0.9)
        state = SearchState(agents=spiked, best=(0.0, spiked, spiked_checks))
        kept = despike(state, 4, seeds, (tl, targets, staffing_weights(scenario), 0.9, 60), executor, None, demand)
    assert state.best is not None
    after = state.best[1]
    if demand_spikes:
        assert np.array_equal(after, spiked) and not kept.any()
    else:
        assert after[0, 11] == max(spiked[0, 10], spiked[0, 12]) + 3
        assert np.array_equal(np.delete(after, 11, axis=1), np.delete(spiked, 11, axis=1))
        assert state.best[2].met and not kept.any()


def test_a_spike_the_simulation_needs_gets_raised_neighbours_instead():
    """A one-hour surge (200 calls at 12:00 between 90 and 90) needs its agents: cutting it to
    its neighbours' level + 3 misses the target there, so that cut is put back and the
    neighbours are raised to its level − 3, and every target still holds. A second spike, too
    many agents at 09:00, stays cut."""
    from supportsim.planning.cells import SearchState, staffing_weights
    from supportsim.planning.settling import despike, spike_cells

    rates = [0.0] * 8 + [40, 80, 120, 90, 200, 90, 110, 100, 70, 50] + [0.0] * 6
    scenario = scenario_from_dict({
        "name": "surge", "horizon": {"days": 1, "interval_minutes": 60, "warmup_hours": 0},
        "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"rates_per_hour": rates},
                      "target": {"answer_within_seconds": 20, "service_level": 0.8}}],
        "categories": [{"name": "general", "channels": {"phone": 1.0}, "skill": "general",
                        "handle_minutes": {"dist": "exponential", "mean": 4}}],
        "groups": [{"name": "agents", "skills": ["general"], "headcount": 20}],
    })
    search = simulated_requirement(scenario, seed=1, replications=20, max_replications=20, max_occupancy=None)
    agents = search.agents.copy()
    assert search.met and spike_cells(agents)[0, 12], agents
    agents[0, 9] = max(agents[0, 8], agents[0, 10]) + 6
    tl = timeline(scenario)
    targets = Targets.of(tl, None)
    seeds = replication_seeds(1, 20)
    with make_executor(1) as executor:
        checks = evaluate(targets, executor.map(replicate, [(tl.with_agents(agents), s) for s in seeds]), 0.9)
        state = SearchState(agents=agents, best=(0.0, agents, checks))
        flat = np.zeros_like(agents)  # a demand without the surge: the spike is not expected
        left = despike(state, 4, seeds, (tl, targets, staffing_weights(scenario), 0.9, 60), executor, None, flat)
    assert state.best is not None
    after = state.best[1]
    assert after[0, 12] == agents[0, 12]
    assert after[0, 11] == after[0, 13] == agents[0, 12] - 3
    assert after[0, 9] == max(agents[0, 8], agents[0, 10]) + 3
    assert not left.any() and state.best[2].met
