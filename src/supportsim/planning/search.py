"""The simulation-based requirement: the fewest agents per plan interval and group that meet
every target (:mod:`supportsim.planning.targets`), found by simulation on common random numbers.

**Search.** Start from the analytic first guess (:mod:`supportsim.planning.workload`), then repeat:
simulate; if targets miss, add one agent where it helps most (for each missing target, among
the cells (group, interval) that can serve it, the one whose group was busiest, preferring
cells cut in the round before, which are put back); if every target holds, remember the
staffing and cut every cell that can still be cut (galloping: 1, 2, 4, ... agents while cuts
keep holding; never below a level already seen to miss; only where the predicted occupancy
stays below its ceiling). The search stops when nothing can be cut or after
``max_iterations`` rounds, with the cheapest staffing whose targets all held.

**Settling and spikes** (:mod:`supportsim.planning.settling`): the cheapest staffing is
smoothed and agents added until every target holds again, then intervals far above both
neighbours that the demand does not explain are cut back where the targets allow, their
neighbours raised where they do not.
:func:`~supportsim.planning.plan` settles; the bare search does only with ``settle=True``.
See :data:`DEFAULT_REPLICATIONS` for what the default number of replications buys.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.engine import replication_seeds
from supportsim.planning import settling
from supportsim.planning.cells import CellSearch, Context, SearchState, simulate_round, staffing_cost, staffing_weights
from supportsim.planning.targets import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MAX_OCCUPANCY,
    Evaluation,
    Targets,
)
from supportsim.planning.workload import analytic_requirement, timeline
from supportsim.results.executors import Executor, make_executor
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import headcount_for

__all__ = [
    "COARSE_REPLICATIONS",
    "DEFAULT_REPLICATIONS",
    "RequirementSearch",
    "simulated_requirement",
]

IntArray = NDArray[np.int64]

DEFAULT_REPLICATIONS = 20
"""Replications per candidate staffing in the final rounds of the search. A 30-minute
interval's service level varies between replications with a standard deviation of about
0.1-0.15 (queues are strongly autocorrelated), so with 20 replications its one-sided 90%
bound lies about 0.03-0.04 below the estimate."""

COARSE_REPLICATIONS = 6
"""Replications per candidate in the first, cheaper stage of the search."""

MIN_GAIN = 0.003
"""A stage ends when its staffing meets every target and the next round would cut at most
this share of its agent-intervals."""


@dataclass(frozen=True)
class RequirementSearch:
    """Result of the simulation-based requirement search.

    Attributes:
        agents: ``agents[g, k]``, agents taking contacts per group and plan interval.
        table: One row per interval and group: ``load_erlangs``, ``analytic_agents``,
            ``analytic_headcount``, ``simulated_agents``, ``simulated_headcount``.
        checks: The targets of the returned staffing on the search's replications.
        log: One row per round: agents, failing checks, cuts, additions, seconds.
        replications: Replications per candidate staffing (common random numbers).
        confidence: One-sided confidence of each target check.
        met: Whether the returned staffing meets every target.
    """

    agents: IntArray
    table: pd.DataFrame
    checks: pd.DataFrame
    log: pd.DataFrame
    replications: int
    confidence: float
    met: bool
    warnings: list[str] = field(default_factory=list)


def _run_stage(
    state: SearchState,
    stage: int,
    seeds: list[np.random.SeedSequence],
    context: Context,
    executor: Executor,
    progress: Callable[[int, str], None] | None,
) -> None:
    """Rounds of simulate-and-adjust on ``seeds`` until nothing is worth cutting (or the
    round limit), from ``state.agents``; updates ``state`` in place.
    """
    tl, targets, weights, _, max_iterations = context
    scenario = tl.plan
    search = CellSearch(targets, state.agents, targets.max_occupancy)
    best: tuple[float, IntArray, Evaluation] | None = None
    changed = -1
    while changed != 0 and state.iteration < max_iterations:
        evaluation, entry, began = simulate_round(state, stage, search.agents, seeds, context, executor)
        if evaluation.met:
            cost = staffing_cost(search.agents, scenario, weights)
            if best is None or cost <= best[0]:
                best = (cost, search.agents.copy(), evaluation)
        state.last_evaluation = evaluation
        before = int(search.agents.sum())
        added, cut = search.step(evaluation)
        changed = added + cut
        if evaluation.met and before - int(search.agents.sum()) <= MIN_GAIN * before:
            changed = 0  # feasible, and what is left to cut is not worth a round
        entry |= {"cells_added": added, "cells_cut": cut, "seconds": time.perf_counter() - began}
        state.log.append(entry)
        if progress:
            progress(state.iteration, f"stage {stage}: {entry['agent_intervals']} agent-intervals, "
                     f"{entry['failing_checks']} checks missing; +{added} / -{cut} cells")
    state.agents = best[1] if best is not None else search.agents.copy()
    state.last_agents = search.agents.copy()
    state.best = best
    state.converged = changed == 0


def _spike_warnings(kept: NDArray[np.bool_], analytic: pd.DataFrame) -> list[str]:
    """Name the spikes the simulation kept (``kept[g, k]``; rows of ``analytic`` in that order)."""
    if not kept.any():
        return []
    where = analytic.iloc[np.flatnonzero(kept.reshape(-1))]
    return [f"{int(kept.sum())} interval(s) need {settling.SPIKE_PEOPLE}+ people more than both neighbours, "
            "which the demand does not (on these replications a target missed both with them cut and with "
            "their neighbours raised): "
            + ", ".join(f"{r.group} {r.weekday} {r.time}" for r in where.itertuples())]


def simulated_requirement(
    scenario: Scenario,
    *,
    seed: int = 0,
    replications: int = DEFAULT_REPLICATIONS,
    confidence: float = DEFAULT_CONFIDENCE,
    max_occupancy: float | None = DEFAULT_MAX_OCCUPANCY,
    workers: int = 1,
    dask: str | None = None,
    max_iterations: int = 60,
    start: IntArray | None = None,
    progress: Callable[[int, str], None] | None = None,
    executor: Executor | None = None,
    settle: bool = False,
) -> RequirementSearch:
    """Fewest agents per plan interval and group meeting every target (see module docstring).

    The search runs first on the first :data:`COARSE_REPLICATIONS` replications (a wider,
    more cautious bound, cheap rounds), then goes on from there with all ``replications``.
    The result does not depend on where the replications run.

    Args:
        scenario: The scenario to staff; its own schedules are ignored.
        seed: Root seed of the search's replications (the same for every candidate).
        replications: Replications per candidate in the final rounds.
        confidence: One-sided confidence with which each target holds in each interval.
        max_occupancy: Ceiling on each group's occupancy per interval (None: no ceiling).
        workers: Local processes running replications (1: this process).
        dask: Run the replications on Dask instead: ``"local"`` or a scheduler address.
        max_iterations: Rounds of simulate-and-adjust at most, both stages together.
        start: Agents to start from, shape (groups, intervals) (default: the analytic guess).
        progress: Called as ``progress(round, message)`` after each round.
        executor: An open executor (:func:`supportsim.results.executors.make_executor`) to
            run the replications on instead of ``workers`` / ``dask``; it stays open.
        settle: Smooth the cheapest staffing and add agents until it holds (module docstring).
    """
    if not 0.5 <= confidence < 1:
        raise ValueError("confidence must be in [0.5, 1)")
    if replications < 2:
        raise ValueError("replications must be >= 2 (a confidence bound needs a spread)")
    if executor is None:
        with make_executor(workers, dask) as own:
            return simulated_requirement(
                scenario, seed=seed, replications=replications, confidence=confidence,
                max_occupancy=max_occupancy, max_iterations=max_iterations, start=start,
                progress=progress, executor=own, settle=settle,
            )
    tl = timeline(scenario)
    analytic = analytic_requirement(scenario, max_occupancy=max_occupancy, tl=tl)
    n_groups, plan = len(scenario.groups), tl.plan_intervals
    first = analytic["analytic_agents"].to_numpy().reshape(n_groups, plan)
    seeds = replication_seeds(seed, replications)
    stages = [seeds[:COARSE_REPLICATIONS], seeds] if replications > COARSE_REPLICATIONS else [seeds]
    state = SearchState(agents=first if start is None else np.asarray(start, dtype=np.int64))
    context = (tl, Targets.of(tl, max_occupancy), staffing_weights(scenario), confidence, max_iterations)
    for stage, stage_seeds in enumerate(stages, start=1):
        _run_stage(state, stage, stage_seeds, context, executor, progress)
    warnings: list[str] = []
    if settle:
        settling.settle(state, len(stages) + 1, seeds, context, executor, progress, idle=first == 0)
        demand = analytic["analytic_headcount"].to_numpy().reshape(n_groups, plan)
        kept = settling.despike(state, len(stages) + 2, seeds, context, executor, progress, demand=demand)
        warnings += _spike_warnings(kept, analytic)
    if not state.converged:
        warnings.append(f"the search stopped after {max_iterations} rounds; more rounds might cut further")
    if state.best is None:  # never feasible: report the last staffing and what it misses
        warnings.append("no staffing tried met every target; the last one is reported")
        assert state.last_agents is not None and state.last_evaluation is not None
        agents, final = state.last_agents, state.last_evaluation
    else:
        _, agents, final = state.best
    heads = [headcount_for(int(a), group.shrinkage) for g, group in enumerate(scenario.groups) for a in agents[g]]
    table = analytic.assign(simulated_agents=agents.reshape(-1), simulated_headcount=heads)
    return RequirementSearch(
        agents=agents, table=table, checks=final.checks, log=pd.DataFrame(state.log),
        replications=replications, confidence=confidence, met=state.best is not None, warnings=warnings,
    )
