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

**Sequential replications** (:mod:`supportsim.planning.sequential`): where a target check of
the cheapest staffing is close to its target, the search goes on from it on
:data:`SEQUENTIAL_FACTOR` times the replications (the first ones shared), cutting only the
cells that can help a close check; settling and spikes then use that larger set.

**Settling and spikes** (:mod:`supportsim.planning.settling`): the cheapest staffing's
correction to the Erlang requirement is smoothed and agents added until every target holds
again, then intervals far above both neighbours that the demand does not explain are cut
back where the targets allow, their neighbours raised where they do not.
:func:`~supportsim.planning.plan` settles; the bare search does only with ``settle=True``.
See :data:`DEFAULT_REPLICATIONS` for what the default number of replications buys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.engine import replication_seeds
from supportsim.planning import sequential, settling
from supportsim.planning.cells import CellSearch, Context, SearchState, run_stage, staffing_weights
from supportsim.planning.sequential import SEQUENTIAL_FACTOR
from supportsim.planning.targets import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MAX_OCCUPANCY,
    Targets,
)
from supportsim.planning.workload import analytic_requirement, timeline
from supportsim.results.executors import Executor, make_executor
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import headcount_for

__all__ = [
    "COARSE_REPLICATIONS",
    "DEFAULT_REPLICATIONS",
    "SEQUENTIAL_FACTOR",
    "RequirementSearch",
    "simulated_requirement",
]

IntArray = NDArray[np.int64]

DEFAULT_REPLICATIONS = 10
"""Replications per candidate staffing in the search's second stage; close decisions are
then taken again on :data:`SEQUENTIAL_FACTOR` times as many. A 30-minute interval's service
level varies between replications with a standard deviation of about 0.1-0.15 (queues are
strongly autocorrelated), so with 10 replications its one-sided 90% bound lies about
0.05 below the estimate, with 20 about 0.035."""

COARSE_REPLICATIONS = 6
"""Replications per candidate in the first, cheaper stage of the search."""

COARSE_SETTLED = 0.01
"""The first stage ends once a round moves at most this share of the cells, feasible or not
(the next stage, on all replications, takes the decisions again)."""


@dataclass(frozen=True)
class RequirementSearch:
    """Result of the simulation-based requirement search.

    Attributes:
        agents: ``agents[g, k]``, agents taking contacts per group and plan interval.
        table: One row per interval and group: ``load_erlangs``, ``analytic_agents``,
            ``analytic_headcount``, ``simulated_agents``, ``simulated_headcount``,
            ``agents_uncertainty`` (± agents, :meth:`~supportsim.planning.cells.CellSearch.uncertainty`).
        checks: The targets of the returned staffing on the search's replications.
        log: One row per round: agents, failing checks, cuts, additions, seconds.
        replications: Replications the last decisions were taken on (common random numbers).
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
    max_replications: int | None = None,
) -> RequirementSearch:
    """Fewest agents per plan interval and group meeting every target (see module docstring).

    The search runs first on the first :data:`COARSE_REPLICATIONS` replications (a wider,
    more cautious bound, cheap rounds, until a round moves at most :data:`COARSE_SETTLED` of
    the cells), then goes on from there with all ``replications``, then multiplies them by
    :data:`SEQUENTIAL_FACTOR`, up to ``max_replications``, while a decision is close
    (:mod:`supportsim.planning.sequential`). The result does not depend on where the
    replications run.

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
        max_replications: Replications at most for close decisions (default
            :data:`SEQUENTIAL_FACTOR` × ``replications``; ``replications``: none added).
    """
    if not 0.5 <= confidence < 1:
        raise ValueError("confidence must be in [0.5, 1)")
    if replications < 2:
        raise ValueError("replications must be >= 2 (a confidence bound needs a spread)")
    most = SEQUENTIAL_FACTOR * replications if max_replications is None else max_replications
    if most < replications:
        raise ValueError("max_replications must be >= replications")
    if executor is None:
        with make_executor(workers, dask) as own:
            return simulated_requirement(
                scenario, seed=seed, replications=replications, confidence=confidence,
                max_occupancy=max_occupancy, max_iterations=max_iterations, start=start,
                progress=progress, executor=own, settle=settle, max_replications=most,
            )
    tl = timeline(scenario)
    analytic = analytic_requirement(scenario, max_occupancy=max_occupancy, tl=tl)
    n_groups, plan = len(scenario.groups), tl.plan_intervals
    first = analytic["analytic_agents"].to_numpy().reshape(n_groups, plan)
    seeds = replication_seeds(seed, most)  # spawned children: the first ones do not depend on how many
    base = seeds[:replications]
    stages = [seeds[:COARSE_REPLICATIONS], base] if replications > COARSE_REPLICATIONS else [base]
    state = SearchState(agents=first if start is None else np.asarray(start, dtype=np.int64))
    context = (tl, Targets.of(tl, max_occupancy), staffing_weights(scenario), confidence, max_iterations)
    for stage, stage_seeds in enumerate(stages, start=1):
        coarse = len(stage_seeds) < replications  # the next stage takes the decisions again
        run_stage(state, stage, stage_seeds, context, executor, progress, settled=COARSE_SETTLED if coarse else 0.0)
    used = sequential.refine(state, len(stages) + 1, seeds, replications, context, executor, progress)
    seeds = seeds[:used]
    warnings: list[str] = []
    if settle:
        settling.settle(state, len(stages) + 2, seeds, context, executor, progress, erlang=first)
        demand = analytic["analytic_headcount"].to_numpy().reshape(n_groups, plan)
        kept = settling.despike(state, len(stages) + 3, seeds, context, executor, progress, demand=demand)
        warnings += _spike_warnings(kept, analytic)
    if not state.converged:
        warnings.append(f"the search stopped after {max_iterations} rounds; more rounds might cut further")
    return _result(state, context, analytic, used, warnings)


def _result(
    state: SearchState, context: Context, analytic: pd.DataFrame, replications: int, warnings: list[str],
) -> RequirementSearch:
    """The search's answer: the cheapest staffing that met every target (else the last one
    tried, with a warning), its table beside the ``analytic`` requirement, checks and log.
    """
    scenario, targets, confidence = context[0].plan, context[1], context[3]
    if state.best is None:  # never feasible: report the last staffing and what it misses
        warnings.append("no staffing tried met every target; the last one is reported")
        assert state.last_agents is not None and state.last_evaluation is not None
        agents, final = state.last_agents, state.last_evaluation
    else:
        _, agents, final = state.best
    heads = [headcount_for(int(a), group.shrinkage) for g, group in enumerate(scenario.groups) for a in agents[g]]
    spread = CellSearch(targets, agents, targets.max_occupancy).uncertainty(final)
    table = analytic.assign(
        simulated_agents=agents.reshape(-1), simulated_headcount=heads, agents_uncertainty=spread.reshape(-1).round(2),
    )
    return RequirementSearch(
        agents=agents, table=table, checks=final.checks, log=pd.DataFrame(state.log),
        replications=replications, confidence=confidence, met=state.best is not None, warnings=warnings,
    )
