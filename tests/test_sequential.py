"""Sequential replications and the requirement's uncertainty (issue 18, item 1).

Close decisions are taken again on more replications, the first ones kept (common random
numbers) (:mod:`supportsim.planning.sequential`); every interval reports how many agents its
requirement could move (:meth:`supportsim.planning.cells.CellSearch.uncertainty`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from supportsim.cli import app
from supportsim.engine import replication_seeds
from supportsim.planning import Targets, evaluate, replicate, simulated_requirement, timeline
from supportsim.planning.cells import CellSearch, SearchState, simulate_round, staffing_weights
from supportsim.planning.sequential import SEQUENTIAL_FACTOR, close_cells
from supportsim.planning.targets import CLOSE_HALF_WIDTHS
from supportsim.results.executors import Executor
from supportsim.scenario.io import scenario_from_dict

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "planning"


def _queue(agents: int = 12) -> Any:
    """One phone queue (AHT 4 min, 80% in 20 s), open 08:00-11:00 at 100, 140 and 120 calls an hour."""
    rates = [0.0] * 24
    rates[8:11] = [100.0, 140.0, 120.0]
    return scenario_from_dict({
        "name": "three hours",
        "horizon": {"days": 1, "interval_minutes": 60, "warmup_hours": 0},
        "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"rates_per_hour": rates},
                      "target": {"answer_within_seconds": 20, "service_level": 0.8}}],
        "categories": [{"name": "general", "channels": {"phone": 1.0}, "skill": "general",
                        "handle_minutes": {"dist": "exponential", "mean": 4}}],
        "groups": [{"name": "agents", "skills": ["general"], "headcount": agents}],
    })


def _evaluation(scenario: Any, agents: np.ndarray, replications: int, seed: int = 0) -> Any:
    tl = timeline(scenario)
    counts = [replicate((tl.with_agents(agents), s)) for s in replication_seeds(seed, replications)]
    return Targets.of(tl, 0.9), evaluate(Targets.of(tl, 0.9), counts, 0.9)


# --- which decisions are close -------------------------------------------------------------


def test_a_check_is_close_when_its_target_lies_within_two_half_widths() -> None:
    scenario = _queue()
    agents = np.full((1, 24), 12, dtype=np.int64)
    _, ev = _evaluation(scenario, agents, 8)
    checks = ev.checks
    gap = (checks["estimate"] - checks["target"]).abs()
    half = (checks["estimate"] - checks["bound"]).abs()
    expected = {(r.kind, 0, int(r.interval)) for r, near in zip(checks.itertuples(), gap <= CLOSE_HALF_WIDTHS * half,
                                                                strict=True) if near}
    assert set(ev.close) == expected
    # 12 agents for 140 calls an hour (9.3 Erlangs) sit near 80% in 20 s: some check is close, not all
    assert 0 < len(ev.close) < len(checks)


def test_identical_replications_leave_nothing_close_or_uncertain() -> None:
    scenario = _queue()
    tl = timeline(scenario)
    agents = np.full((1, 24), 12, dtype=np.int64)
    one = replicate((tl.with_agents(agents), replication_seeds(3, 1)[0]))
    targets = Targets.of(tl, 0.9)
    ev = evaluate(targets, [one] * 6, 0.9)  # six copies of one day: no spread, every bound on its estimate
    assert all(abs(r.estimate - r.target) < 1e-12 for r in ev.checks.itertuples() if (r.kind, 0, r.interval)
               in set(ev.close))
    spread = CellSearch(targets, agents, 0.9).uncertainty(ev)
    open_hours = ~np.isnan(ev.service_level[0])
    assert open_hours.sum() == 3 and np.all(spread[0, open_hours] == 0)
    assert np.all(np.isnan(spread[0, ~open_hours]))  # closed: no requirement to be unsure of


def test_close_cells_are_the_cells_that_can_help() -> None:
    scenario = scenario_from_dict({
        "name": "two groups",
        "horizon": {"days": 1, "interval_minutes": 60, "warmup_hours": 0},
        "channels": [
            {"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 20},
             "target": {"answer_within_seconds": 20, "service_level": 0.8}},
            {"name": "email", "mode": "async", "arrivals": {"per_hour": 5},
             "target": {"respond_within_hours": 3, "service_level": 0.9}},
        ],
        "categories": [{"name": "general", "channels": {"phone": 1.0, "email": 1.0}, "skill": "general",
                        "handle_minutes": {"dist": "exponential", "mean": 4}}],
        "groups": [{"name": "front", "skills": ["general"], "headcount": 3},
                   {"name": "back", "skills": ["general"], "headcount": 2}],
    })
    targets = Targets.of(timeline(scenario), 0.9)
    search = CellSearch(targets, np.full((2, 24), 3, dtype=np.int64), 0.9)
    cells = close_cells(search, [("service_level", 0, 10), ("occupancy", 1, 4)])
    assert set(zip(*np.nonzero(cells), strict=True)) == {(0, 10), (1, 10), (1, 4)}
    window = close_cells(search, [("service_level", 1, 22)])  # a 3-hour response window wraps the day
    assert set(zip(*np.nonzero(window), strict=True)) == {(g, k) for g in (0, 1) for k in (22, 23, 0)}


# --- the search on more replications --------------------------------------------------------


@pytest.fixture(scope="module")
def searches() -> dict[str, Any]:
    scenario = _queue()
    return {
        "scenario": scenario,
        "fixed": simulated_requirement(scenario, seed=4, replications=4, max_replications=4),
        "sequential": simulated_requirement(scenario, seed=4, replications=4, max_replications=16),
    }


def test_close_decisions_get_more_replications_on_the_same_first_seeds(searches) -> None:
    fixed, sequential = searches["fixed"], searches["sequential"]
    assert fixed.replications == 4 and set(fixed.log["replications"]) == {4}
    # close checks at 4 replications: taken again on 2 x 4 = 8, then 16 while any stays close
    assert SEQUENTIAL_FACTOR == 2 and sequential.replications in (8, 16)
    grown = sequential.log["replications"].to_numpy()
    assert grown[0] == 4 and set(grown) <= {4, 8, 16} and np.all(np.diff(grown) >= 0)
    assert grown[-1] == sequential.replications
    # the rounds on 4 replications are the same rounds as without the sequential stage
    rounds = len(fixed.log)
    pd.testing.assert_frame_equal(sequential.log.iloc[:rounds].drop(columns="seconds"),
                                  fixed.log.drop(columns="seconds"))
    # the reported checks are the returned staffing on the first `replications` seeds of the root
    scenario = searches["scenario"]
    _, ev = _evaluation(scenario, sequential.agents, sequential.replications, seed=4)
    pd.testing.assert_frame_equal(ev.checks.reset_index(drop=True), sequential.checks.reset_index(drop=True))
    assert ev.met


def test_only_cells_that_can_help_a_close_check_are_cut_again() -> None:
    scenario = _queue()
    kept = 0
    for seed in range(6):
        fixed = simulated_requirement(scenario, seed=seed, replications=4, max_replications=4)
        again = simulated_requirement(scenario, seed=seed, replications=4, max_replications=16)
        targets, ev = _evaluation(scenario, fixed.agents, 4, seed=seed)
        movable = close_cells(CellSearch(targets, fixed.agents, 0.9), ev.close)
        assert np.all((again.agents >= fixed.agents) | movable), seed
        kept += int((~movable & (fixed.agents > 0)).sum())
    assert kept >= 3  # the rule was put to the test: staffed cells that no close check can move


def test_the_uncertainty_narrows_with_more_replications() -> None:
    scenario = _queue()
    agents = np.full((1, 24), 12, dtype=np.int64)  # near 80% in 20 s at 140 calls an hour
    spreads = []
    for replications in (4, 32):
        targets, ev = _evaluation(scenario, agents, replications, seed=9)
        answer = CellSearch(targets, agents, None).uncertainty(ev)[0, 8:11]  # the service level's part alone
        spreads.append(answer)
        # with the occupancy ceiling too: the larger of the two parts where both are close
        both = CellSearch(targets, agents, 0.9).uncertainty(ev)[0, 8:11]
        assert np.all(both >= answer)
        assert np.all(answer[[not any(c == ("service_level", 0, k) for c in ev.close) for k in (8, 9, 10)]] == 0)
    assert spreads[0].max() > 0.5  # 4 replications: the hour at the target could need more than an agent more or less
    # the half-width falls about as 1/sqrt(n): 32 replications give well under 4's spread
    assert spreads[1].mean() < 0.6 * spreads[0].mean()


def test_the_table_reports_the_uncertainty(searches) -> None:
    table = searches["sequential"].table
    open_rows = table[table["load_erlangs"] > 0]
    assert open_rows["agents_uncertainty"].notna().all() and (open_rows["agents_uncertainty"] >= 0).all()
    assert table.loc[table["load_erlangs"] == 0, "agents_uncertainty"].isna().all()


class _CountingExecutor(Executor):
    """Runs here, counting the tasks it was given."""

    def __init__(self) -> None:
        self.tasks = 0

    def run(self, fn: Any, tasks: Any) -> Any:
        for task in tasks:
            self.tasks += 1
            yield fn(task)


def test_a_round_on_the_best_staffing_runs_only_the_seeds_it_has_not_run() -> None:
    scenario = _queue()
    tl = timeline(scenario)
    targets = Targets.of(tl, 0.9)
    seeds = replication_seeds(6, 8)
    context = (tl, targets, staffing_weights(tl.plan), 0.9, 60)
    best = np.full((1, 24), 12, dtype=np.int64)
    first = _evaluation(scenario, best, 4, seed=6)[1]
    state = SearchState(agents=best, best=(0.0, best, first))
    executor = _CountingExecutor()
    again, _, _ = simulate_round(state, 3, best.copy(), seeds, context, executor)
    assert executor.tasks == 4  # the best staffing's first 4 seeds are taken from its evaluation
    _, fresh = _evaluation(scenario, best, 8, seed=6)
    pd.testing.assert_frame_equal(again.checks, fresh.checks)  # the same as running all 8
    other = best.copy()
    other[0, 9] += 1
    simulate_round(state, 3, other, seeds, context, executor)
    assert executor.tasks == 4 + 8  # another staffing runs every seed


# --- the command ----------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--max-replications", "1"], "--max-replications"),
    (["--replications", "6", "--max-replications", "4"], "--max-replications: must be at least --replications (6)"),
])
def test_staff_refuses_a_bad_max_replications(args, message, tmp_path) -> None:
    result = runner.invoke(app, ["staff", str(DATA / "mmc_day.yaml"), *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
