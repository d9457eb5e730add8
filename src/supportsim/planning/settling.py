"""The requirement search's last stages: settling the cheapest staffing and taking out spikes.

**Settling.** Where intervals can stand in for each other (a backlog, a response window,
a queue carried over), the cheapest staffing zigzags from one interval to the next and
from one root seed to another, and the search may put a block of agents into one interval
to answer a miss its neighbour caused: noise, not demand. What the simulation adds to (or
takes from) the Erlang requirement, the *correction* (backlogs, overflow between groups,
abandonment, blending), changes slowly over the day; its estimate interval by interval is
noisy. So the cheapest staffing is smoothed (:func:`smoothed`: each interval gets its Erlang
requirement plus the mean correction of the intervals within :data:`SMOOTH_MINUTES` of it,
rounded up; intervals without work keep theirs), which keeps the demand's shape, and agents
are added, never cut, on all replications until every target holds again (at most
:data:`SETTLE_ROUNDS` rounds; if it never does, the unsmoothed staffing stays).

**Spikes.** An interval whose rostered people exceed both neighbours' by
:data:`SPIKE_PEOPLE` or more, where the Erlang requirement of the demand has no such spike
(:func:`spike_cells`), is cut to its neighbours' level plus ``SPIKE_PEOPLE - 1``. Where a
target then misses, the cut is put back on every spike cell that could help it (at most
:data:`DESPIKE_ROUNDS` rounds, on the same replications): the simulation needs that
interval's people (a backlog carried in, the first half hour of a rise in demand, which
Erlang's steady state misses). Its neighbours are then raised to its level minus
``SPIKE_PEOPLE - 1`` (a plateau), and agents added where a target then misses, as in
settling (at most :data:`SETTLE_ROUNDS` rounds); :func:`despike` returns the spikes left
if the targets still miss.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from supportsim.planning.cells import CellSearch, Context, SearchState, simulate_round, staffing_cost
from supportsim.results.executors import Executor
from supportsim.scenario.profiles import agents_for, headcount_for

__all__ = [
    "DESPIKE_ROUNDS", "SETTLE_ROUNDS", "SMOOTH_MINUTES", "SPIKE_PEOPLE", "despike", "settle", "smoothed", "spike_cells",
]

IntArray = NDArray[np.int64]

SMOOTH_MINUTES = 240
"""Settling averages each interval's correction with the intervals up to this many minutes
either side. The helpdesk week (``--replications 10``), root seeds 0-3, all six pairs: the
headcount within one person in 95.3-96.3% of interval x group rows (±3 h: 94.7-96.2%;
smoothing the agents themselves over ±1 h, as before: 89.0-91.4%), for a requirement costing
2.6% more than with the agents smoothed over ±1 h (2026-11-26)."""

SETTLE_ROUNDS = 12
"""Rounds at most of the settling stage (adding agents to the smoothed staffing)."""

SPIKE_PEOPLE = 4
"""An interval needing this many rostered people more than both its neighbours is a spike."""

DESPIKE_ROUNDS = 3
"""Rounds at most of cutting spikes (putting back the cuts a target needs)."""


def smoothed(agents: IntArray, erlang: IntArray, half: int = 1) -> IntArray:
    """Each cell's ``erlang`` agents plus the mean correction (``agents − erlang``) of its
    interval and the ``half`` intervals on either side (fewer at the plan's ends), rounded up
    (at least 0): the search's interval-to-interval noise averaged out, the demand's shape kept.
    """
    n = agents.shape[1]
    correction = np.pad((agents - erlang).astype(float), ((0, 0), (half, half)), constant_values=np.nan)
    window = np.stack([correction[:, i:i + n] for i in range(2 * half + 1)])
    return np.asarray(np.maximum(np.ceil(erlang + np.nanmean(window, axis=0) - 1e-9), 0), dtype=np.int64)


def spike_cells(people: IntArray) -> NDArray[np.bool_]:
    """Cells (group, interval) with at least :data:`SPIKE_PEOPLE` more than both neighbours
    (``people[g, k]``; the first and last interval have one neighbour and are never spikes).
    """
    out = np.zeros(people.shape, dtype=bool)
    if people.shape[1] >= 3:
        neighbours = np.maximum(people[:, :-2], people[:, 2:])
        out[:, 1:-1] = people[:, 1:-1] >= neighbours + SPIKE_PEOPLE
    return out


def _people(agents: IntArray, shrinkage: list[float]) -> IntArray:
    return np.array([[headcount_for(int(a), s) for a in row] for row, s in zip(agents, shrinkage, strict=True)],
                    dtype=np.int64)


def settle(
    state: SearchState, stage: int, seeds: list[np.random.SeedSequence], context: Context, executor: Executor,
    progress: Callable[[int, str], None] | None, erlang: IntArray, rounds: int = SETTLE_ROUNDS,
) -> None:
    """From the best staffing smoothed around the ``erlang`` requirement (cells where it is 0,
    without work, keep theirs), add agents (never cut) on all ``seeds`` until every target
    holds; the result replaces the best.
    """
    if state.best is None:
        return
    best = state.best[1]
    half = max(1, round(SMOOTH_MINUTES / context[0].plan.horizon.interval_minutes))
    start = np.where(erlang == 0, best, smoothed(best, erlang, half))
    _add_until_met(state, stage, start, seeds, context, executor, progress, rounds, "settling")


def _add_until_met(
    state: SearchState, stage: int, start: IntArray, seeds: list[np.random.SeedSequence], context: Context,
    executor: Executor, progress: Callable[[int, str], None] | None, rounds: int, label: str,
) -> None:
    """From ``start``, add agents (never cut) where targets miss on ``seeds`` until every target
    holds (at most ``rounds`` rounds); then the result replaces the best. ``label`` starts
    the progress messages.
    """
    tl, targets, weights, _, _ = context
    search = CellSearch(targets, start, targets.max_occupancy)
    for _ in range(rounds):
        evaluation, entry, began = simulate_round(state, stage, search.agents, seeds, context, executor)
        if evaluation.met:
            state.best = (staffing_cost(search.agents, tl.plan, weights), search.agents.copy(), evaluation)
            state.log.append(entry | {"cells_added": 0, "cells_cut": 0, "seconds": time.perf_counter() - began})
            return
        added, _ = search.step(evaluation, cuts=False)
        state.log.append(entry | {"cells_added": added, "cells_cut": 0, "seconds": time.perf_counter() - began})
        if progress:
            progress(state.iteration, f"{label}: {entry['agent_intervals']} agent-intervals, "
                     f"{entry['failing_checks']} checks missing; +{added} cells")


def despike(
    state: SearchState, stage: int, seeds: list[np.random.SeedSequence], context: Context, executor: Executor,
    progress: Callable[[int, str], None] | None, demand: IntArray, rounds: int = DESPIKE_ROUNDS,
) -> NDArray[np.bool_]:
    """Take out the best staffing's spikes that ``demand`` (people per cell by Erlang) has not:
    cut them where the targets allow, raise their neighbours where they do not (module
    docstring); the result replaces the best. Returns the spike cells left (none unless the
    raised staffing missed a target).
    """
    if state.best is None:
        return np.zeros(demand.shape, dtype=bool)
    shrinkage = [g.shrinkage for g in context[0].plan.groups]
    expected = ~spike_cells(demand)
    if (spike_cells(_people(state.best[1], shrinkage)) & expected).any():
        _cut_spikes(state, stage, seeds, context, executor, progress, expected, rounds)
    if (spike_cells(_people(state.best[1], shrinkage)) & expected).any():
        _raise_neighbours(state, stage, seeds, context, executor, progress, expected, SETTLE_ROUNDS)
    return spike_cells(_people(state.best[1], shrinkage)) & expected


def _cut_spikes(
    state: SearchState, stage: int, seeds: list[np.random.SeedSequence], context: Context, executor: Executor,
    progress: Callable[[int, str], None] | None, expected: NDArray[np.bool_], rounds: int,
) -> None:
    """Cut each spike to its neighbours' level + ``SPIKE_PEOPLE - 1``; put back the cuts that
    can help a missing target, or sit next to a cell that can (a queue carries over), and all
    of them when none does, until every target holds.
    """
    assert state.best is not None
    tl, targets, weights, _, _ = context
    shrinkage = [g.shrinkage for g in tl.plan.groups]
    best = state.best[1]
    people = _people(best, shrinkage)
    cut = best.copy()
    for g, k in zip(*np.nonzero(spike_cells(people) & expected), strict=True):
        ceiling = max(people[g, k - 1], people[g, k + 1]) + SPIKE_PEOPLE - 1
        cut[g, k] = min(best[g, k], agents_for(int(ceiling), shrinkage[g]))
    cells = CellSearch(targets, best, targets.max_occupancy)
    for _ in range(rounds):
        if np.array_equal(cut, best):
            return
        evaluation, entry, began = simulate_round(state, stage, cut, seeds, context, executor)
        state.log.append(entry | {"cells_added": 0, "cells_cut": int((cut < best).sum()),
                                  "seconds": time.perf_counter() - began})
        if evaluation.met:
            state.best = (staffing_cost(cut, tl.plan, weights), cut.copy(), evaluation)
            return
        needed = np.zeros(best.shape, dtype=bool)  # spike cells that can help a missing target
        for kind, index, k in evaluation.failing:
            for g, j in cells.candidates(kind, index, k):
                needed[g, max(j - 1, 0):j + 2] = True  # a queue carried in or out blames the next cell too
        needed &= cut < best
        cut = np.where(needed if needed.any() else cut < best, best, cut)  # nothing to blame: put all back
        if progress:
            progress(state.iteration, f"spikes: {int((cut < best).sum())} cut, {int(needed.sum())} put back")


def _raise_neighbours(
    state: SearchState, stage: int, seeds: list[np.random.SeedSequence], context: Context, executor: Executor,
    progress: Callable[[int, str], None] | None, expected: NDArray[np.bool_], rounds: int,
) -> None:
    """Raise the neighbours of each spike left to its level − (``SPIKE_PEOPLE`` − 1) people (a
    plateau instead of a spike), then add agents where a target misses (more agents on a
    blended group can start backlog work and leave a live contact waiting) until every target
    holds, in at most ``rounds`` rounds on ``seeds``; agents are only added.
    """
    assert state.best is not None
    shrinkage = [g.shrinkage for g in context[0].plan.groups]
    best = state.best[1]
    people = _people(best, shrinkage)
    raised = best.copy()
    for g, k in zip(*np.nonzero(spike_cells(people) & expected), strict=True):
        floor = agents_for(int(people[g, k]) - SPIKE_PEOPLE + 1, shrinkage[g])
        for j in (k - 1, k + 1):
            raised[g, j] = max(raised[g, j], floor)
    _add_until_met(state, stage, raised, seeds, context, executor, progress, rounds, "spikes")
