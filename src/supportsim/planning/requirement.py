"""Simulation-based staffing: the fewest agents per interval and group that meet every target.

Targets, checked per plan interval on the planning :class:`~supportsim.workload.Timeline`:

- realtime service level of each channel with a target (same definition as the engine:
  answered within ``T`` ÷ contacts whose fate is known, tickets counted in the interval they
  arrived), and its ``max_abandon_rate`` if given;
- async first response within ``respond_within_hours`` for ``service_level`` of tickets;
- ``max_occupancy`` of every group in every staffed interval;
- work without a target of its own (escalation tiers) must not pile up: each such skill's
  queue is nearly empty (time-average below one ticket) in at least one interval of every day.

**Confidence.** Each target in each interval is judged on ``replications`` runs that share
their seeds with every candidate staffing (common random numbers: the same customers call
with the same handle times, whatever the staffing). Ratios are pooled over replications
(Σ numerator ÷ Σ denominator) and a target holds when the one-sided ``confidence`` bound of
the pooled ratio (Student t with ``replications − 1`` degrees of freedom on the ratio
estimator's standard error) is on the right side of it: the lower bound for service levels,
the upper bound for abandonment and occupancy. The bound is per target and interval, not
simultaneous. See :data:`DEFAULT_REPLICATIONS` for what the default number of replications
buys.

**Search.** Start from the analytic first guess (:mod:`supportsim.planning.workload`), then repeat:
simulate; if targets miss, add one agent where it helps most (for each missing target, among
the cells (group, interval) that can serve it, the one whose group was busiest, preferring
cells cut in the round before, which are put back); if every target holds, remember the
staffing and cut every cell that can still be cut (galloping: 1, 2, 4, ... agents while cuts
keep holding; never below a level already seen to miss; only where the predicted occupancy
stays below its ceiling). The search stops when nothing can be cut or after
``max_iterations`` rounds, and returns the cheapest staffing whose targets all held.
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
from scipy import stats

from supportsim.engine.replication import run_replication
from supportsim.engine.streams import replication_seeds
from supportsim.planning.analytic import erlang_c_service_level
from supportsim.planning.workload import (
    Timeline,
    analytic_requirement,
    answer_load,
    timeline,
)
from supportsim.results.executors import make_executor
from supportsim.results.simulation import SimulationResult, simulate
from supportsim.scenario.calendar import interval_labels
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import headcount_for

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

DEFAULT_CONFIDENCE = 0.9
"""One-sided confidence with which each target must hold in each interval."""

DEFAULT_MAX_OCCUPANCY = 0.9
"""Default ceiling on a group's occupancy in any staffed interval."""

CLEAR_QUEUE_BELOW = 1.0
"""A skill's queue counts as cleared in an interval when its time-average is below this."""

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


# ---------------------------------------------------------------------------------------------
# One replication, reduced to per-interval sums
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Per-interval sums of one replication (shape: (channels | groups | skills, intervals))."""

    known: FloatArray  # contacts whose fate against the target is known
    within: FloatArray  # answered within the target
    answered: FloatArray
    abandoned: FloatArray
    staffed: FloatArray  # agent-seconds taking contacts
    occupied: FloatArray  # agent-seconds holding at least one contact
    waiting: FloatArray  # time-average tickets waiting, per skill


def replicate(task: tuple[Scenario, np.random.SeedSequence]) -> Counts:
    """Simulate one replication and keep its per-interval sums (picklable, for worker processes)."""
    scenario, seed = task
    output = run_replication(scenario, seed, keep_tickets=False)
    counts = output.log.interval_counts()  # name -> [channel, category, interval]
    return Counts(
        known=counts["target_known"].sum(axis=1),
        within=counts["answered_within"].sum(axis=1),
        answered=counts["answered"].sum(axis=1),
        abandoned=counts["abandoned"].sum(axis=1),
        staffed=np.array([level.interval_areas for level in output.staffed]),
        occupied=np.array([level.interval_areas for level in output.occupied]),
        waiting=np.array([level.interval_means for level in output.waiting_by_skill]),
    )


# ---------------------------------------------------------------------------------------------
# Targets and their checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Targets:
    """Which checks exist and which (group, interval) cells can help each of them."""

    scenario: Scenario
    tl: Timeline
    max_occupancy: float | None
    realtime: list[int]  # channels with an answer target
    asynchronous: list[int]  # channels with a response target
    serving: dict[int, list[int]]  # channel -> groups able to help it meet its target
    window: dict[int, int]  # async channel -> response window in intervals
    clear_skills: list[tuple[int, str, list[int]]]  # (skill index, skill, groups serving it)
    helps: dict[tuple[int, int], list[int]]  # (channel, group) -> indices of the channel's skills it serves


def _targets(tl: Timeline, max_occupancy: float | None) -> _Targets:
    scenario = tl.scenario
    names = [g.name for g in scenario.groups]
    skills = scenario.skills_needed()
    realtime, asynchronous, serving, window = [], [], {}, {}
    helps: dict[tuple[int, int], list[int]] = {}
    for c, channel in enumerate(scenario.channels):
        if channel.target is None:
            continue
        first_skills = {
            k.skill
            for k in scenario.categories
            if channel.name in k.channels or (k.follow_up is not None and k.follow_up.channel == channel.name)
        }
        limit = math.inf
        if channel.mode == "realtime":
            realtime.append(c)
            limit = channel.target_seconds
        else:
            asynchronous.append(c)
            window[c] = max(1, math.ceil(channel.target_seconds / (scenario.horizon.interval_minutes * 60)))
        groups: list[int] = []
        for skill in sorted(first_skills, key=skills.index):
            routes = scenario.routes(skill)
            fast = [r for r in routes if r.after_seconds < limit] or routes
            for route in fast:
                g = names.index(route.group)
                helps.setdefault((c, g), []).append(skills.index(skill))
                if g not in groups:
                    groups.append(g)
        serving[c] = groups
    untargeted = {t.skill for k in scenario.categories for t in k.escalation}
    untargeted |= {
        k.skill for k in scenario.categories for ch in k.channels if scenario.channel(ch).target is None
    }
    clear = [
        (skills.index(s), s, [names.index(r.group) for r in scenario.routes(s)])
        for s in skills
        if s in untargeted
    ]
    return _Targets(scenario, tl, max_occupancy, realtime, asynchronous, serving, window, clear, helps)


def _ratio(num: FloatArray, den: FloatArray, t_quantile: float) -> tuple[FloatArray, FloatArray]:
    """Pooled ratio Σnum/Σden over replications (axis 0) and its one-sided bound half-width."""
    replications = num.shape[0]
    total = den.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = num.sum(axis=0) / total
        if replications < 2:
            return estimate, np.zeros_like(estimate)
        residual = num - estimate * den
        se = np.sqrt((residual**2).sum(axis=0) / (replications * (replications - 1))) / (total / replications)
    return estimate, t_quantile * np.nan_to_num(se)


@dataclass(frozen=True)
class Evaluation:
    """Every check of one staffing on one set of replications (plan intervals only)."""

    checks: pd.DataFrame
    service_level: FloatArray  # (channels, plan intervals) pooled estimate, NaN without contacts
    service_level_bound: FloatArray  # its one-sided lower bound
    occupancy: FloatArray  # (groups, plan intervals), NaN where nobody is staffed
    occupancy_bound: FloatArray  # its one-sided upper bound
    failing: list[tuple[str, int, int]]  # (kind, channel/group/skill index, plan interval or day)
    waiting: FloatArray  # (skills, plan intervals) time-average tickets waiting, mean over replications

    @property
    def met(self) -> bool:
        """Whether every target holds."""
        return not self.failing


def _stack(counts: list[Counts], name: str, part: slice) -> FloatArray:
    return np.stack([getattr(c, name)[:, part] for c in counts])


def evaluate(targets: _Targets, counts: list[Counts], confidence: float) -> Evaluation:
    """Check every target in every plan interval against ``counts`` (one per replication)."""
    scenario, tl = targets.scenario, targets.tl
    part = tl.plan_slice
    replications = len(counts)
    t_q = float(stats.t.ppf(confidence, replications - 1)) if replications > 1 else 0.0
    labels = interval_labels(tl.plan.horizon)
    rows: list[pd.DataFrame] = []
    failing: list[tuple[str, int, int]] = []

    known, within = _stack(counts, "known", part), _stack(counts, "within", part)
    answered, abandoned = _stack(counts, "answered", part), _stack(counts, "abandoned", part)
    sl, sl_half = _ratio(within, known, t_q)
    ab, ab_half = _ratio(abandoned, answered + abandoned, t_q)
    for c in targets.realtime + targets.asynchronous:
        channel = scenario.channels[c]
        assert channel.target is not None
        contacts = known[:, c].sum(axis=0)
        has = contacts > 0
        lower = sl[c] - sl_half[c]
        met = ~has | (lower >= channel.target.service_level - 1e-12)
        rows.append(labels.assign(
            kind="service_level", scope="channel", name=channel.name, contacts=contacts,
            estimate=sl[c], bound=lower, target=channel.target.service_level, met=met,
        )[has])
        failing += [("service_level", c, int(k)) for k in np.flatnonzero(~met)]
        ceiling = channel.target.max_abandon_rate
        if ceiling is not None and channel.mode == "realtime":
            n = (answered + abandoned)[:, c].sum(axis=0)
            upper = ab[c] + ab_half[c]
            ok = (n <= 0) | (upper <= ceiling + 1e-12)
            rows.append(labels.assign(
                kind="abandon_rate", scope="channel", name=channel.name, contacts=n,
                estimate=ab[c], bound=upper, target=ceiling, met=ok,
            )[n > 0])
            failing += [("abandon_rate", c, int(k)) for k in np.flatnonzero(~ok)]

    staffed, occupied = _stack(counts, "staffed", part), _stack(counts, "occupied", part)
    occ, occ_half = _ratio(occupied, staffed, t_q)
    occ_upper = occ + occ_half
    if targets.max_occupancy is not None:
        interval_s = scenario.horizon.interval_minutes * 60.0
        for g, group in enumerate(scenario.groups):
            # where at least one agent is staffed on average (not just overtime finishing a contact)
            has = staffed[:, g].mean(axis=0) >= interval_s
            ok = ~has | (occ_upper[g] <= targets.max_occupancy + 1e-12)
            rows.append(labels.assign(
                kind="occupancy", scope="group", name=group.name, contacts=np.nan,
                estimate=occ[g], bound=occ_upper[g], target=targets.max_occupancy, met=ok,
            )[has])
            failing += [("occupancy", g, int(k)) for k in np.flatnonzero(~ok)]

    waiting = _stack(counts, "waiting", part).mean(axis=0)
    per_day = tl.per_day
    for s, skill, _groups in targets.clear_skills:
        daily = waiting[s].reshape(-1, per_day).min(axis=1)
        ok = daily < CLEAR_QUEUE_BELOW
        first = labels.iloc[::per_day].reset_index(drop=True)
        rows.append(first.assign(
            kind="queue_cleared", scope="skill", name=skill, contacts=np.nan,
            estimate=daily, bound=daily, target=CLEAR_QUEUE_BELOW, met=ok,
        ))
        failing += [("queue_cleared", s, int(d)) for d in np.flatnonzero(~ok)]

    checks = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return Evaluation(checks, sl, sl - sl_half, occ, occ_upper, failing, waiting)


# ---------------------------------------------------------------------------------------------
# The search
# ---------------------------------------------------------------------------------------------


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

    def __init__(self, targets: _Targets, start: IntArray, max_occupancy: float | None):
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
        load = answer_load(targets.tl)
        plan = targets.tl.plan_intervals
        self.load = {c: load.get(c, (np.zeros(plan), np.zeros(plan)))[1] for c in targets.realtime}
        with np.errstate(invalid="ignore", divide="ignore"):
            self.aht = {
                c: float(load[c][1].sum() * 3600 / load[c][0].sum()) if c in load and load[c][0].sum() > 0 else 0.0
                for c in targets.realtime
            }

    # -- which cells can help which target -----------------------------------------------

    def _candidates(self, kind: str, index: int, k: int) -> list[tuple[int, int]]:
        t = self.targets
        plan = t.tl.plan_intervals
        if kind == "occupancy":
            return [(index, k)]
        if kind == "queue_cleared":
            groups = next(g for s, _, g in t.clear_skills if s == index)
            per_day = t.tl.per_day
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

    def step(self, ev: Evaluation) -> tuple[int, int]:
        """Move every cell for the round that gave ``ev``; returns (cells added to, cells cut)."""
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

        allow = np.where(frozen | (add > 0), 0, np.maximum(n - self.fail_at - 1, 0))
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
) -> RequirementSearch:
    """Fewest agents per plan interval and group meeting every target (see module docstring).

    The search runs first on the first :data:`COARSE_REPLICATIONS` replications (a wider,
    more cautious bound, cheap rounds), then goes on from there with all ``replications``.

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
    """
    if not 0.5 <= confidence < 1:
        raise ValueError("confidence must be in [0.5, 1)")
    if replications < 2:
        raise ValueError("replications must be >= 2 (a confidence bound needs a spread)")
    tl = timeline(scenario)
    analytic = analytic_requirement(scenario, max_occupancy=max_occupancy, tl=tl)
    n_groups, plan = len(scenario.groups), tl.plan_intervals
    first = analytic["analytic_agents"].to_numpy().reshape(n_groups, plan)
    seeds = replication_seeds(seed, replications)
    stages = [seeds[:COARSE_REPLICATIONS], seeds] if replications > COARSE_REPLICATIONS else [seeds]
    targets = _targets(tl, max_occupancy)
    agents = first if start is None else np.asarray(start, dtype=np.int64)
    weights = _weights(scenario)
    log: list[dict[str, Any]] = []
    warnings: list[str] = []
    iteration = 0
    with make_executor(workers, dask) as executor:
        for stage, stage_seeds in enumerate(stages, start=1):
            search = _Search(targets, agents, max_occupancy)
            best: tuple[float, IntArray, Evaluation] | None = None
            changed = -1
            while changed != 0 and iteration < max_iterations:
                iteration += 1
                began = time.perf_counter()
                counts = executor.map(replicate, [(tl.with_agents(search.agents), s) for s in stage_seeds])
                evaluation = evaluate(targets, counts, confidence)
                entry: dict[str, Any] = {
                    "iteration": iteration, "stage": stage, "replications": len(stage_seeds),
                    "agent_intervals": int(search.agents.sum()), "failing_checks": len(evaluation.failing),
                }
                if evaluation.met:
                    cost = _cost(search.agents, scenario, weights)
                    if best is None or cost <= best[0]:
                        best = (cost, search.agents.copy(), evaluation)
                before = int(search.agents.sum())
                added, cut = search.step(evaluation)
                changed = added + cut
                if evaluation.met and before - int(search.agents.sum()) <= MIN_GAIN * before:
                    changed = 0  # feasible, and what is left to cut is not worth a round
                entry |= {"cells_added": added, "cells_cut": cut, "seconds": time.perf_counter() - began}
                log.append(entry)
                if progress:
                    progress(iteration, f"stage {stage}: {entry['agent_intervals']} agent-intervals, "
                             f"{entry['failing_checks']} checks missing; +{added} / -{cut} cells")
            agents = best[1] if best is not None else search.agents.copy()
        if changed != 0:
            warnings.append(f"the search stopped after {max_iterations} rounds; more rounds might cut further")
    met = best is not None
    if best is None:  # never feasible: report the last staffing and what it misses
        warnings.append("no staffing tried met every target; the last one is reported")
        best = (math.inf, search.agents.copy(), evaluation)
    _, agents, final = best
    table = analytic.assign(
        simulated_agents=agents.reshape(-1),
        simulated_headcount=[
            headcount_for(int(a), group.shrinkage)
            for g, group in enumerate(scenario.groups)
            for a in agents[g]
        ],
    )
    return RequirementSearch(
        agents=agents, table=table, checks=final.checks, log=pd.DataFrame(log),
        replications=replications, confidence=confidence, met=met, warnings=warnings,
    )


def check_targets(
    scenario: Scenario,
    *,
    seed: int,
    replications: int,
    confidence: float = DEFAULT_CONFIDENCE,
    max_occupancy: float | None = DEFAULT_MAX_OCCUPANCY,
    workers: int = 1,
    dask: str | None = None,
) -> pd.DataFrame:
    """Per-interval target checks of ``scenario`` as it is staffed (e.g. a roster of shifts),
    simulated on its planning timeline (lead days, cyclic schedules, tail days).
    """
    tl = timeline(scenario)
    targets = _targets(tl, max_occupancy)
    with make_executor(workers, dask) as executor:
        counts = executor.map(replicate, [(tl.scenario, s) for s in replication_seeds(seed, replications)])
    return evaluate(targets, counts, confidence).checks


def achieved_kpis(result: SimulationResult) -> pd.DataFrame:
    """KPIs of a simulated scenario with their targets: one row per channel/group metric with
    ``mean``, ``ci95`` (95% half-width over replications), ``target`` and ``met``.
    """
    rows: list[dict[str, Any]] = []
    scenario = result.scenario
    for channel in scenario.channels:
        entry = result.summary["channels"][channel.name]
        target = channel.target
        wanted: list[tuple[str, float | None, str]] = [
            ("service_level", target.service_level if target else None, ">="),
            ("abandon_rate", target.max_abandon_rate if target else None, "<="),
            ("asa_seconds", None, ""),
            ("first_response_minutes", None, ""),
        ]
        for metric, goal, sense in wanted:
            if metric == "abandon_rate" and channel.mode != "realtime":
                continue
            mean, half = entry[metric]["mean"], entry[metric]["ci95"]
            met = None if goal is None or mean is None else (mean >= goal if sense == ">=" else mean <= goal)
            rows.append({"scope": "channel", "name": channel.name, "metric": metric, "mean": mean,
                         "ci95": half, "target": goal, "met": met})
    for group in scenario.groups:
        entry = result.summary["groups"][group.name]
        for metric in ("occupancy", "utilization", "paid_hours", "agent_cost"):
            rows.append({"scope": "group", "name": group.name, "metric": metric,
                         "mean": entry[metric]["mean"], "ci95": entry[metric]["ci95"], "target": None,
                         "met": None})
    return pd.DataFrame(rows)


def simulate_roster(
    scenario: Scenario, *, seed: int, replications: int, workers: int = 1, dask: str | None = None
) -> SimulationResult:
    """Simulate a rostered scenario as ``supportsim run`` would (fresh seeds are the caller's)."""
    return simulate(scenario, seed=seed, replications=replications, workers=workers, dask=dask, keep_tickets=False)


@dataclass(frozen=True)
class StaffingPlan:
    """Everything ``supportsim staff`` reports, as DataFrames (see :func:`plan`).

    Attributes:
        scenario: The scenario planned for.
        requirement: One row per plan interval and group: ``interval``, ``day``, ``weekday``,
            ``time``, ``group``, ``load_erlangs``, ``analytic_agents`` and
            ``analytic_headcount`` (Erlang first guess), ``simulated_agents`` and
            ``simulated_headcount`` (simulation-based requirement), ``scheduled_headcount``
            (people on duty in the chosen shifts). Agents take contacts; headcount is
            rostered people before shrinkage.
        shifts: The chosen shifts (:class:`supportsim.shifts.Roster`).
        roster: The scenario with every group staffed by the chosen shifts.
        achieved: KPIs of the roster simulated on fresh seeds (:func:`achieved_kpis`).
        checks: Per-interval target checks of the roster on those fresh seeds.
        search: The requirement search (log, checks on the search's own seeds).
        paid_hours: Total paid hours of the roster over the plan.
        cost: Their cost (paid hours × ``cost_per_hour``).
        seed: Root seed of the search; the roster is simulated with root seed ``seed + 1``.
        replications: Replications per candidate and of the roster.
        confidence: One-sided confidence of each target check.
        warnings: Anything the planner wants the user to know.
    """

    scenario: Scenario
    requirement: pd.DataFrame
    shifts: pd.DataFrame
    roster: Scenario
    achieved: pd.DataFrame
    checks: pd.DataFrame
    search: RequirementSearch
    paid_hours: float
    cost: float
    seed: int
    replications: int
    confidence: float
    warnings: list[str] = field(default_factory=list)

    @property
    def erlang(self) -> pd.DataFrame:
        """The analytic (Erlang) requirement per interval and group."""
        keep = ["interval", "day", "weekday", "time", "group", "load_erlangs", "analytic_agents", "analytic_headcount"]
        return self.requirement[keep]

    @property
    def simulated(self) -> pd.DataFrame:
        """The simulation-based requirement per interval and group."""
        keep = ["interval", "day", "weekday", "time", "group", "simulated_agents", "simulated_headcount"]
        return self.requirement[keep]


def plan(
    scenario: Scenario,
    *,
    seed: int = 0,
    replications: int = DEFAULT_REPLICATIONS,
    confidence: float = DEFAULT_CONFIDENCE,
    workers: int = 1,
    dask: str | None = None,
    max_occupancy: float | None = DEFAULT_MAX_OCCUPANCY,
    progress: Callable[[int, str], None] | None = None,
) -> StaffingPlan:
    """Plan staffing for ``scenario``: Erlang first guess, simulation-based requirement on
    common random numbers, cheapest shifts covering it (MILP), and the roster's KPIs
    simulated on fresh seeds (root seed ``seed + 1``).
    """
    from supportsim.planning.shifts import schedule  # here: shifts imports nothing of this module

    search = simulated_requirement(
        scenario, seed=seed, replications=replications, confidence=confidence,
        max_occupancy=max_occupancy, workers=workers, dask=dask, progress=progress,
    )
    headcount = search.table["simulated_headcount"].to_numpy().reshape(len(scenario.groups), -1)
    roster = schedule(scenario, headcount)
    requirement = search.table.assign(scheduled_headcount=roster.coverage["scheduled_headcount"].to_numpy())
    result = simulate_roster(roster.scenario, seed=seed + 1, replications=replications, workers=workers, dask=dask)
    checks = check_targets(
        roster.scenario, seed=seed + 1, replications=replications, confidence=confidence,
        max_occupancy=max_occupancy, workers=workers, dask=dask,
    )
    warnings = list(search.warnings)
    if not roster.optimal:
        warnings.append("the shift MILP hit its time limit: the shifts are feasible, not proven cheapest")
    warnings += result.warnings
    return StaffingPlan(
        scenario=scenario, requirement=requirement, shifts=roster.shifts, roster=roster.scenario,
        achieved=achieved_kpis(result), checks=checks, search=search, paid_hours=roster.paid_hours,
        cost=roster.cost, seed=seed, replications=replications, confidence=confidence, warnings=warnings,
    )


__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MAX_OCCUPANCY",
    "DEFAULT_REPLICATIONS",
    "Counts",
    "Evaluation",
    "RequirementSearch",
    "StaffingPlan",
    "achieved_kpis",
    "check_targets",
    "evaluate",
    "plan",
    "replicate",
    "simulate_roster",
    "simulated_requirement",
]
