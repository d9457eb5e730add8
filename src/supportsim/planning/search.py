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

**Settling.** Where intervals can stand in for each other (a backlog, a response window,
a queue carried over), the cheapest staffing zigzags from one interval to the next and
from one root seed to another, and the search may put a block of agents into one interval
to answer a miss its neighbour caused: noise, not demand. So the cheapest staffing is
smoothed (:func:`smoothed`: each interval the mean of itself and its neighbours, rounded
up; intervals without work keep theirs) and agents are added, never cut, on all
replications until every target holds again (at most :data:`SETTLE_ROUNDS` rounds; if it
never does, the unsmoothed staffing stays). :func:`~supportsim.planning.plan` settles;
the bare search does only with ``settle=True``.
See :data:`DEFAULT_REPLICATIONS` for what the default number of replications buys.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.engine import replication_seeds
from supportsim.planning.analytic import erlang_c_service_level
from supportsim.planning.targets import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MAX_OCCUPANCY,
    Evaluation,
    Targets,
    evaluate,
    replicate,
)
from supportsim.planning.workload import Timeline, analytic_requirement, answer_load, timeline
from supportsim.results.executors import Executor, make_executor
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import headcount_for

__all__ = [
    "COARSE_REPLICATIONS",
    "DEFAULT_REPLICATIONS",
    "RequirementSearch",
    "simulated_requirement",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DEFAULT_REPLICATIONS = 20
"""Replications per candidate staffing in the final rounds of the search. A 30-minute
interval's service level varies between replications with a standard deviation of about
0.1-0.15 (queues are strongly autocorrelated), so with 20 replications its one-sided 90%
bound lies about 0.03-0.04 below the estimate."""

COARSE_REPLICATIONS = 6
"""Replications per candidate in the first, cheaper stage of the search."""

SETTLE_ROUNDS = 12
"""Rounds at most of the settling stage (adding agents to the smoothed staffing)."""

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


def _weights(scenario: Scenario) -> FloatArray:
    costs = np.array([g.cost_per_hour for g in scenario.groups], dtype=float)
    return costs if costs.sum() > 0 else np.ones(len(costs))


def _cost(agents: IntArray, scenario: Scenario, weights: FloatArray) -> float:
    return float(sum(
        weights[g] * sum(headcount_for(int(a), group.shrinkage) for a in agents[g])
        for g, group in enumerate(scenario.groups)
    ))


def _erlang_sl(slots: int, load: float, aht_seconds: float, within_seconds: float) -> float:
    return erlang_c_service_level(slots, load, aht_seconds, within_seconds) if slots > load else 0.0


def _slots_needed(
    slots: int, estimate: float, margin: float, target: float, load: float, aht: float, within: float
) -> int | None:
    """Conversation slots for which the calibrated Erlang C model puts the bound on target.

    The model's load is calibrated so that Erlang C at the current ``slots`` reproduces the
    simulated ``estimate`` (falling back on the analytic ``load`` when the estimate is 0 or
    1); the bound is assumed to stay ``margin`` below the estimate. None when the model
    cannot say (no load, or a target beyond reach of the bound).
    """
    if target + margin >= 1.0 or aht <= 0 or (load <= 0 and not 0 < estimate < 1):
        return None
    effective = load
    if slots > 0 and 1e-9 < estimate < 1 - 1e-9:
        low, high = 0.0, float(slots)
        for _ in range(50):
            mid = (low + high) / 2
            if _erlang_sl(slots, mid, aht, within) > estimate:
                low = mid
            else:
                high = mid
        effective = (low + high) / 2
    elif estimate <= 1e-9:
        effective = max(load, float(slots))
    n = math.floor(effective) + 1
    while _erlang_sl(n, effective, aht, within) - margin < target - 1e-12:
        n += 1
    return n


class _Search:
    """State of the cell-wise search (cells are (group, plan interval)).

    Each round moves every cell at once: cells that can help a missing target get agents,
    cells whose every target has slack lose agents. Realtime service levels move by the
    calibrated Erlang step (:func:`_slots_needed`), occupancy by its proportional step
    (occupancy × agents ÷ ceiling), everything else by galloping steps (1, 2, 4, ...). A cell
    never goes back to a level at which a target it could help was seen to miss.
    """

    def __init__(self, targets: Targets, start: IntArray, max_occupancy: float | None):
        self.targets = targets
        self.max_occupancy = max_occupancy
        self.agents = start.astype(np.int64).copy()
        # no cell grows past this (a target out of reach must not send the search to infinity)
        self.limit = max(3 * int(start.max()), int(start.max()) + 20)
        shape = start.shape
        self.fail_at = np.full(shape, -1, dtype=np.int64)  # highest level seen to miss
        self.cut_step = np.ones(shape, dtype=np.int64)
        self.add_step = np.ones(shape, dtype=np.int64)
        self.cut = np.zeros(shape, dtype=np.int64)  # agents cut in the last round
        self.added = np.zeros(shape, dtype=bool)  # added to in the last round
        scenario = targets.scenario
        self.concurrency = {c: scenario.channels[c].concurrency.max for c in targets.realtime}
        self.within = {c: scenario.channels[c].target_seconds for c in targets.realtime}
        load = answer_load(targets.timeline)
        plan = targets.timeline.plan_intervals
        self.load = {c: load.get(c, (np.zeros(plan), np.zeros(plan)))[1] for c in targets.realtime}
        with np.errstate(invalid="ignore", divide="ignore"):
            self.aht = {
                c: float(load[c][1].sum() * 3600 / load[c][0].sum()) if c in load and load[c][0].sum() > 0 else 0.0
                for c in targets.realtime
            }

    # -- which cells can help which target -----------------------------------------------

    def _candidates(self, kind: str, index: int, k: int) -> list[tuple[int, int]]:
        t = self.targets
        plan = t.timeline.plan_intervals
        if kind == "occupancy":
            return [(index, k)]
        if kind == "queue_cleared":
            groups = next(g for s, _, g in t.clear_skills if s == index)
            per_day = t.timeline.per_day
            return [(g, j) for j in range(k * per_day, (k + 1) * per_day) for g in groups]
        groups = t.serving[index]
        if index in t.window:  # async: any interval of the response window
            return [(g, j % plan) for j in range(k, k + t.window[index]) for g in groups]
        return [(g, k) for g in groups]

    def _choose(
        self, kind: str, index: int, k: int, cells: list[tuple[int, int]], ev: Evaluation
    ) -> tuple[int, int]:
        """The cell where more agents help most.

        For a channel's target missed in interval ``k``, only groups serving the channel's skill
        with the longest queue in that interval (a blended channel misses because of one
        skill: its tickets are the ones waiting); among
        them, for a realtime target, a cell cut in the last round if any; otherwise the
        busiest staffed cell (the earliest among near-ties); else the first candidate (the
        preferred group, at the interval itself).
        """
        if kind in ("service_level", "abandon_rate"):
            helps = self.targets.helps
            skills = sorted({s for g, _ in cells for s in helps.get((index, g), [])})
            intervals = sorted({j for _, j in cells})
            if len(skills) > 1:
                worst = max(skills, key=lambda s: float(ev.waiting[s, k]))
                cells = [c for c in cells if worst in helps.get((index, c[0]), [])]
            if len(intervals) == 1:
                cut = [c for c in cells if self.cut[c] > 0]
                if cut:
                    return max(cut, key=lambda c: self.cut[c])

        def busy(c: tuple[int, int]) -> float:
            value = ev.occupancy[c]
            return 0.0 if math.isnan(value) else float(value) + (0.01 if self.cut[c] > 0 else 0.0)

        staffed = [c for c in cells if self.agents[c] > 0]
        if not staffed:
            return cells[0]
        top = max(busy(c) for c in staffed)
        return next(c for c in staffed if busy(c) >= top - 0.02)

    # -- one round -----------------------------------------------------------------------

    def _realtime_slots(self, c: int, k: int) -> int:
        return int(sum(self.agents[g, k] for g in self.targets.serving[c])) * self.concurrency[c]

    def _needed(self, c: int, k: int, ev: Evaluation) -> int | None:
        channel = self.targets.scenario.channels[c]
        assert channel.target is not None
        estimate, bound = float(ev.service_level[c, k]), float(ev.service_level_bound[c, k])
        if math.isnan(estimate):
            return None
        return _slots_needed(
            self._realtime_slots(c, k), estimate, max(estimate - bound, 0.0), channel.target.service_level,
            float(self.load[c][k]), self.aht[c], self.within[c],
        )

    def step(self, ev: Evaluation, cuts: bool = True) -> tuple[int, int]:
        """Move every cell for the round that gave ``ev`` (adding only, without ``cuts``);
        returns (cells added to, cells cut).
        """
        n = self.agents
        add = np.zeros(n.shape, dtype=np.int64)
        frozen = np.zeros(n.shape, dtype=bool)
        for kind, index, k in ev.failing:
            cells = self._candidates(kind, index, k)
            for cell in cells:
                frozen[cell] = True
            cell = self._choose(kind, index, k, cells, ev)
            # galloping only where one interval's own staffing decides (not across a response window)
            amount = self.add_step[cell] if self.added[cell] and index not in self.targets.window else 1
            if kind == "service_level" and index in self.concurrency:
                needed = self._needed(index, k, ev)
                if needed is not None:
                    amount = max(1, math.ceil((needed - self._realtime_slots(index, k)) / self.concurrency[index]))
            elif kind == "occupancy" and self.max_occupancy:
                amount = max(1, math.ceil(ev.occupancy_bound[cell] * n[cell] / self.max_occupancy) - n[cell])
            add[cell] = max(add[cell], amount)

        allow = np.where(frozen | (add > 0) | (not cuts), 0, np.maximum(n - self.fail_at - 1, 0))
        if self.max_occupancy:  # keep the predicted occupancy under its ceiling, unless closing
            upper = np.nan_to_num(ev.occupancy_bound, nan=0.0)
            keep = np.ceil(upper * n / self.max_occupancy - 1e-9).astype(np.int64)
            closing = (allow >= n) & (self.cut_step >= n)
            allow = np.where(closing, allow, np.minimum(allow, np.maximum(n - keep, 0)))
        cut = np.zeros(n.shape, dtype=np.int64)
        plan = n.shape[1]
        realtime = self.targets.realtime
        for k in range(plan):
            spare: dict[int, int] = {}
            for c in realtime:
                if math.isnan(ev.service_level[c, k]):
                    continue
                needed = self._needed(c, k, ev)
                slots = self._realtime_slots(c, k)
                spare[c] = 0 if needed is None else max(0, (slots - needed) // self.concurrency[c])
            order = sorted(range(n.shape[0]), key=lambda g: np.nan_to_num(ev.occupancy[g, k], nan=0.0))
            for g in order:
                if allow[g, k] <= 0:
                    continue
                limits = [spare[c] for c in spare if g in self.targets.serving[c]]
                if limits:
                    amount = min(int(allow[g, k]), *limits)
                    for c in spare:
                        if g in self.targets.serving[c]:
                            spare[c] -= amount
                else:  # no realtime target here: gallop
                    amount = int(min(allow[g, k], self.cut_step[g, k]))
                cut[g, k] = amount

        held = (self.cut > 0) & (add == 0)
        self.cut_step = np.where(held, self.cut_step * 2, np.where(add > 0, 1, self.cut_step))
        self.fail_at = np.where(add > 0, np.maximum(self.fail_at, n), self.fail_at)
        self.add_step = np.where(add > 0, np.where(self.added, self.add_step * 2, 2), self.add_step)
        self.added = add > 0
        self.cut = cut
        self.agents = np.minimum(n + add - cut, self.limit)
        grown = (add > 0) & (self.agents > n)
        return int(grown.sum()), int((cut > 0).sum())



@dataclass
class _Stage:
    """What the search knows after its rounds so far (carried from one stage to the next)."""

    agents: IntArray  # where the next stage starts
    iteration: int = 0  # rounds done, all stages together
    best: tuple[float, IntArray, Evaluation] | None = None  # cheapest staffing meeting every target
    last_agents: IntArray | None = None  # the last stage's staffing after its last round
    last_evaluation: Evaluation | None = None  # the checks of the last round
    converged: bool = True  # whether the last stage ended because nothing was left to cut
    log: list[dict[str, Any]] = field(default_factory=list)


def _run_stage(
    state: _Stage,
    stage: int,
    seeds: list[np.random.SeedSequence],
    context: tuple[Timeline, Targets, FloatArray, float, int],
    executor: Executor,
    progress: Callable[[int, str], None] | None,
) -> None:
    """Rounds of simulate-and-adjust on ``seeds`` until nothing is worth cutting (or the
    round limit), from ``state.agents``; updates ``state`` in place.
    """
    tl, targets, weights, confidence, max_iterations = context
    scenario = tl.plan
    search = _Search(targets, state.agents, targets.max_occupancy)
    best: tuple[float, IntArray, Evaluation] | None = None
    changed = -1
    while changed != 0 and state.iteration < max_iterations:
        state.iteration += 1
        began = time.perf_counter()
        counts = executor.map(replicate, [(tl.with_agents(search.agents), s) for s in seeds])
        evaluation = evaluate(targets, counts, confidence)
        entry: dict[str, Any] = {
            "iteration": state.iteration, "stage": stage, "replications": len(seeds),
            "agent_intervals": int(search.agents.sum()), "failing_checks": len(evaluation.failing),
        }
        if evaluation.met:
            cost = _cost(search.agents, scenario, weights)
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


def smoothed(agents: IntArray) -> IntArray:
    """Each cell's agents as the mean of its interval and its two neighbours (one at the
    plan's ends), rounded up: the search's interval-to-interval noise averaged out, the
    agent-intervals of every three intervals kept.
    """
    padded = np.pad(agents.astype(float), ((0, 0), (1, 1)), constant_values=np.nan)
    window = np.stack([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]])
    return np.asarray(np.ceil(np.nanmean(window, axis=0) - 1e-9), dtype=np.int64)


def _settle(
    state: _Stage, stage: int, seeds: list[np.random.SeedSequence],
    context: tuple[Timeline, Targets, FloatArray, float, int], executor: Executor,
    progress: Callable[[int, str], None] | None, idle: NDArray[np.bool_], rounds: int = SETTLE_ROUNDS,
) -> None:
    """From the smoothed best staffing (``idle`` cells, without work, keep theirs), add agents
    (never cut) on all ``seeds`` until every target holds; the result replaces the best.
    """
    if state.best is None:
        return
    tl, targets, weights, confidence, _ = context
    best = state.best[1]
    search = _Search(targets, np.where(idle, best, smoothed(best)), targets.max_occupancy)
    for _ in range(rounds):
        state.iteration += 1
        began = time.perf_counter()
        counts = executor.map(replicate, [(tl.with_agents(search.agents), s) for s in seeds])
        evaluation = evaluate(targets, counts, confidence)
        entry: dict[str, Any] = {
            "iteration": state.iteration, "stage": stage, "replications": len(seeds),
            "agent_intervals": int(search.agents.sum()), "failing_checks": len(evaluation.failing),
        }
        if evaluation.met:
            state.best = (_cost(search.agents, tl.plan, weights), search.agents.copy(), evaluation)
            state.log.append(entry | {"cells_added": 0, "cells_cut": 0, "seconds": time.perf_counter() - began})
            return
        added, _ = search.step(evaluation, cuts=False)
        state.log.append(entry | {"cells_added": added, "cells_cut": 0, "seconds": time.perf_counter() - began})
        if progress:
            progress(state.iteration, f"settling: {entry['agent_intervals']} agent-intervals, "
                     f"{entry['failing_checks']} checks missing; +{added} cells")


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
    state = _Stage(agents=first if start is None else np.asarray(start, dtype=np.int64))
    context = (tl, Targets.of(tl, max_occupancy), _weights(scenario), confidence, max_iterations)
    for stage, stage_seeds in enumerate(stages, start=1):
        _run_stage(state, stage, stage_seeds, context, executor, progress)
    if settle:
        _settle(state, len(stages) + 1, seeds, context, executor, progress, idle=first == 0)
    warnings: list[str] = []
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
