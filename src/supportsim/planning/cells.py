"""The cell-wise step of the requirement search: which (group, plan interval) cells get or lose
agents after one round of simulation (:class:`CellSearch`), and the staffing's cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.planning.analytic import erlang_c_service_level
from supportsim.planning.targets import Evaluation, Targets, evaluate, replicate
from supportsim.planning.workload import Timeline, answer_load
from supportsim.results.executors import Executor
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import headcount_for

__all__ = [
    "MIN_GAIN", "CellSearch", "Context", "SearchState", "run_stage", "simulate_round", "staffing_cost",
    "staffing_weights",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MIN_GAIN = 0.003
"""A stage ends when its staffing meets every target and the next round would cut at most
this share of its agent-intervals."""

Context = tuple[Timeline, Targets, FloatArray, float, int]
"""What every round needs: timeline, targets, cost weights per group, confidence, round limit."""


def staffing_weights(scenario: Scenario) -> FloatArray:
    """Cost per person-interval of each group (its ``cost_per_hour``; 1 each when none is given)."""
    costs = np.array([g.cost_per_hour for g in scenario.groups], dtype=float)
    return costs if costs.sum() > 0 else np.ones(len(costs))


def staffing_cost(agents: IntArray, scenario: Scenario, weights: FloatArray) -> float:
    """Weighted people rostered (headcount after shrinkage) summed over cells."""
    return float(sum(
        weights[g] * sum(headcount_for(int(a), group.shrinkage) for a in agents[g])
        for g, group in enumerate(scenario.groups)
    ))


def _erlang_sl(slots: int, load: float, aht_seconds: float, within_seconds: float) -> float:
    return erlang_c_service_level(slots, load, aht_seconds, within_seconds) if slots > load else 0.0


def _effective_load(slots: int, estimate: float, load: float, aht: float, within: float) -> float:
    """The Erlang C load (Erlangs) at which ``slots`` give the simulated service level
    ``estimate`` (the analytic ``load`` when the estimate is 1; at least ``slots`` when 0).
    """
    if slots > 0 and 1e-9 < estimate < 1 - 1e-9:
        low, high = 0.0, float(slots)
        for _ in range(50):
            mid = (low + high) / 2
            if _erlang_sl(slots, mid, aht, within) > estimate:
                low = mid
            else:
                high = mid
        return (low + high) / 2
    return max(load, float(slots)) if estimate <= 1e-9 else load


def _slots_needed(
    slots: int, estimate: float, margin: float, target: float, load: float, aht: float, within: float
) -> int | None:
    """Conversation slots for which the calibrated Erlang C model puts the bound on target.

    The model's load is calibrated so that Erlang C at the current ``slots`` reproduces the
    simulated ``estimate`` (:func:`_effective_load`); the bound is assumed to stay ``margin``
    below the estimate. None when the model cannot say (no load, or a target beyond reach
    of the bound).
    """
    if target + margin >= 1.0 or aht <= 0 or (load <= 0 and not 0 < estimate < 1):
        return None
    effective = _effective_load(slots, estimate, load, aht, within)
    n = math.floor(effective) + 1
    while _erlang_sl(n, effective, aht, within) - margin < target - 1e-12:
        n += 1
    return n


def _fractional_slots(effective: float, target: float, aht: float, within: float) -> float:
    """Slots at which Erlang C at load ``effective`` reaches ``target``, interpolated linearly
    between the last integer short of it and the first that reaches it.
    """
    n = math.floor(effective) + 1
    while _erlang_sl(n, effective, aht, within) < target:
        n += 1
    below = _erlang_sl(n - 1, effective, aht, within)
    above = _erlang_sl(n, effective, aht, within)
    return n - 1 + (target - below) / (above - below) if above > below else float(n)


class CellSearch:
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

    def candidates(self, kind: str, index: int, k: int) -> list[tuple[int, int]]:
        """The cells (group, plan interval) whose agents can help the check ``(kind, index, k)``."""
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

    # -- the requirement's uncertainty -----------------------------------------------------

    def uncertainty(self, ev: Evaluation) -> FloatArray:
        """± agents per cell: how far the requirement would move if each close check's
        estimate (:attr:`~supportsim.planning.targets.Evaluation.close`) moved by its
        half-width (estimate to judged bound). A realtime service level goes through the
        calibrated Erlang C model (the slots it needs at estimate + half and at estimate −
        half, interpolated between integers; half their difference, shared among the groups
        serving the channel), the occupancy ceiling proportionally (agents × half ÷ ceiling);
        the larger where both are close. 0 where every check is clear of its target; NaN
        where no service-level or occupancy check applies (backlog work, closed hours).
        """
        out = np.full(self.agents.shape, np.nan)
        for c in self.targets.realtime:
            answered = ~np.isnan(ev.service_level[c])
            for g in self.targets.serving[c]:
                out[g, answered] = 0.0
        if self.max_occupancy:
            ceiling = self.targets.ceiling if self.targets.ceiling is not None else np.ones(out.shape, dtype=bool)
            out[ceiling & (self.agents > 0) & np.isnan(out)] = 0.0
        for kind, index, k in ev.close:
            if kind == "occupancy" and self.max_occupancy:
                half = abs(float(ev.occupancy_bound[index, k] - ev.occupancy[index, k]))
                out[index, k] = np.fmax(out[index, k], self.agents[index, k] * half / self.max_occupancy)
            elif kind == "service_level" and index in self.concurrency:
                spread = self._service_level_spread(index, k, ev) / len(self.targets.serving[index])
                for g in self.targets.serving[index]:
                    out[g, k] = np.fmax(out[g, k], spread)
        return out

    def _service_level_spread(self, c: int, k: int, ev: Evaluation) -> float:
        """Half the agents between the calibrated requirements at estimate ± half-width."""
        estimate, half, slots, target = self._measured(c, k, ev)
        aht, within, load = self.aht[c], self.within[c], float(self.load[c][k])
        if aht <= 0 or slots <= 0 or target >= 1.0:
            return 0.0
        needed = [
            _fractional_slots(_effective_load(slots, min(max(v, 0.0), 1.0 - 1e-6), load, aht, within), target, aht,
                              within)
            for v in (estimate + half, estimate - half)
        ]
        return abs(needed[1] - needed[0]) / 2 / self.concurrency[c]

    # -- one round -----------------------------------------------------------------------

    def _realtime_slots(self, c: int, k: int) -> int:
        return int(sum(self.agents[g, k] for g in self.targets.serving[c])) * self.concurrency[c]

    def _measured(self, c: int, k: int, ev: Evaluation) -> tuple[float, float, int, float]:
        """Realtime channel ``c`` in interval ``k``: (estimate, half-width, slots, target)."""
        channel = self.targets.scenario.channels[c]
        assert channel.target is not None
        estimate, bound = float(ev.service_level[c, k]), float(ev.service_level_bound[c, k])
        return estimate, max(estimate - bound, 0.0), self._realtime_slots(c, k), channel.target.service_level

    def _needed(self, c: int, k: int, ev: Evaluation) -> int | None:
        estimate, half, slots, target = self._measured(c, k, ev)
        if math.isnan(estimate):
            return None
        return _slots_needed(slots, estimate, half, target, float(self.load[c][k]), self.aht[c], self.within[c])

    def step(self, ev: Evaluation, cuts: bool = True, movable: NDArray[np.bool_] | None = None) -> tuple[int, int]:
        """Move every cell for the round that gave ``ev`` (adding only, without ``cuts``; cutting
        only ``movable`` cells when given); returns (cells added to, cells cut).
        """
        n = self.agents
        add = np.zeros(n.shape, dtype=np.int64)
        frozen = np.zeros(n.shape, dtype=bool)
        for kind, index, k in ev.failing:
            cells = self.candidates(kind, index, k)
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

        fixed = frozen | (add > 0) | (not cuts) | (False if movable is None else ~movable)
        allow = np.where(fixed, 0, np.maximum(n - self.fail_at - 1, 0))
        if self.max_occupancy:  # keep the predicted occupancy under its ceiling, unless closing
            # (a damper on cuts everywhere, also where the ceiling is no target: backlog work)
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
class SearchState:
    """What the search knows after its rounds so far (carried from one stage to the next)."""

    agents: IntArray  # where the next stage starts
    iteration: int = 0  # rounds done, all stages together
    best: tuple[float, IntArray, Evaluation] | None = None  # cheapest staffing meeting every target
    last_agents: IntArray | None = None  # the last stage's staffing after its last round
    last_evaluation: Evaluation | None = None  # the checks of the last round
    converged: bool = True  # whether the last stage ended because nothing was left to cut
    log: list[dict[str, Any]] = field(default_factory=list)


def simulate_round(
    state: SearchState, stage: int, agents: IntArray, seeds: list[np.random.SeedSequence],
    context: Context, executor: Executor,
) -> tuple[Evaluation, dict[str, Any], float]:
    """Simulate ``agents`` on ``seeds``: the evaluation, its log entry, when the round began.
    Replications the best staffing already ran on the same seeds (every stage's seeds start
    with the previous stage's) are taken from its evaluation, not run again.
    """
    tl, targets, _, confidence, _ = context
    state.iteration += 1
    began = time.perf_counter()
    done = state.best[2].counts[:len(seeds)] if state.best and np.array_equal(state.best[1], agents) else []
    counts = done + executor.map(replicate, [(tl.with_agents(agents), s) for s in seeds[len(done):]])
    evaluation = evaluate(targets, counts, confidence)
    entry: dict[str, Any] = {
        "iteration": state.iteration, "stage": stage, "replications": len(seeds),
        "agent_intervals": int(agents.sum()), "failing_checks": len(evaluation.failing),
    }
    return evaluation, entry, began


def run_stage(
    state: SearchState,
    stage: int,
    seeds: list[np.random.SeedSequence],
    context: Context,
    executor: Executor,
    progress: Callable[[int, str], None] | None,
    movable: NDArray[np.bool_] | None = None,
    settled: float = 0.0,
) -> None:
    """Rounds of simulate-and-adjust on ``seeds`` until nothing is worth cutting (or the
    round limit, or a round moving at most a ``settled`` share of the cells), from
    ``state.agents``, cutting only ``movable`` cells when given; updates ``state`` in place.
    """
    tl, targets, weights, _, max_iterations = context
    scenario = tl.plan
    search = CellSearch(targets, state.agents, targets.max_occupancy)
    best: tuple[float, IntArray, Evaluation] | None = None
    changed, ended = -1, False
    while not ended and state.iteration < max_iterations:
        evaluation, entry, began = simulate_round(state, stage, search.agents, seeds, context, executor)
        if evaluation.met:
            cost = staffing_cost(search.agents, scenario, weights)
            if best is None or cost <= best[0]:
                best = (cost, search.agents.copy(), evaluation)
        state.last_evaluation = evaluation
        before = int(search.agents.sum())
        added, cut = search.step(evaluation, movable=movable)
        changed = added + cut
        if evaluation.met and before - int(search.agents.sum()) <= MIN_GAIN * before:
            changed = 0  # feasible, and what is left to cut is not worth a round
        ended = changed <= settled * search.agents.size
        entry |= {"cells_added": added, "cells_cut": cut, "seconds": time.perf_counter() - began}
        state.log.append(entry)
        if progress:
            progress(state.iteration, f"stage {stage}: {len(seeds)} replications, {entry['agent_intervals']} "
                     f"agent-intervals, {entry['failing_checks']} checks missing; +{added} / -{cut} cells")
    state.agents = best[1] if best is not None else search.agents.copy()
    state.last_agents = search.agents.copy()
    state.best = best
    state.converged = changed == 0
