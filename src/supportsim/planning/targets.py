"""Staffing targets and their checks, per plan interval, on a set of replications.

Targets, checked per plan interval on the planning :class:`~supportsim.planning.workload.Timeline`:

- realtime service level of each channel with a target (same definition as the engine:
  answered within ``T`` ÷ contacts whose fate is known, tickets counted in the interval they
  arrived), and its ``max_abandon_rate`` if given;
- async first response within ``respond_within_hours`` for ``service_level`` of tickets;
- ``max_occupancy`` of every group in every staffed interval, on the engaged share (time
  holding at least one contact ÷ staffed time): the group's ``occupancy`` without chat
  concurrency, stricter with it;
- work without a target of its own (escalation tiers) must not pile up: each such skill's
  queue is nearly empty (time-average below one ticket) in at least one interval of every day.

**Confidence.** Each target in each interval is judged on ``replications`` runs that share
their seeds with every candidate staffing (common random numbers: the same customers call
with the same handle times, whatever the staffing). Ratios are pooled over replications
(Σ numerator ÷ Σ denominator) and a target holds when the one-sided ``confidence`` bound of
the pooled ratio (Student t with ``replications − 1`` degrees of freedom on the ratio
estimator's standard error) is on the right side of it: the lower bound for service levels,
the upper bound for abandonment and occupancy. The bound is per target and interval, not
simultaneous.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from supportsim.engine import run_replication
from supportsim.planning.workload import Timeline
from supportsim.scenario.calendar import interval_labels
from supportsim.scenario.model import Scenario

__all__ = [
    "CLEAR_QUEUE_BELOW",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MAX_OCCUPANCY",
    "Counts",
    "Evaluation",
    "Targets",
    "evaluate",
    "replicate",
]

FloatArray = NDArray[np.float64]

DEFAULT_CONFIDENCE = 0.9
"""One-sided confidence with which each target must hold in each interval."""

DEFAULT_MAX_OCCUPANCY = 0.9
"""Default ceiling on a group's occupancy in any staffed interval."""

CLEAR_QUEUE_BELOW = 1.0
"""A skill's queue counts as cleared in an interval when its time-average is below this."""


@dataclass(frozen=True)
class Counts:
    """Per-interval sums of one replication (shape: (channels | groups | skills, intervals))."""

    known: FloatArray  # contacts whose fate against the target is known
    within: FloatArray  # answered within the target
    answered: FloatArray
    abandoned: FloatArray
    staffed: FloatArray  # agent-seconds taking contacts
    engaged: FloatArray  # agent-seconds holding at least one contact
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
        engaged=np.array([level.interval_areas for level in output.occupied]),
        waiting=np.array([level.interval_means for level in output.waiting_by_skill]),
    )


# ---------------------------------------------------------------------------------------------
# Targets and their checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """Which checks exist and which (group, interval) cells can help each of them.

    Build it with :meth:`of`. Indices are positions in the scenario's ``channels``,
    ``groups`` and ``skills_needed()``; response windows are in plan intervals.
    """

    scenario: Scenario
    timeline: Timeline
    max_occupancy: float | None
    realtime: list[int]  # channels with an answer target
    asynchronous: list[int]  # channels with a response target
    serving: dict[int, list[int]]  # channel -> groups able to help it meet its target
    window: dict[int, int]  # async channel -> response window in intervals
    clear_skills: list[tuple[int, str, list[int]]]  # (skill index, skill, groups serving it)
    helps: dict[tuple[int, int], list[int]]  # (channel, group) -> indices of the channel's skills it serves

    @classmethod
    def of(cls, timeline: Timeline, max_occupancy: float | None = DEFAULT_MAX_OCCUPANCY) -> Targets:
        """The targets of ``timeline``'s scenario, with ``max_occupancy`` (None: no ceiling)."""
        scenario = timeline.scenario
        names = [g.name for g in scenario.groups]
        skills = scenario.skills_needed()
        realtime, asynchronous, serving, window = [], [], {}, {}
        helps: dict[tuple[int, int], list[int]] = {}
        for c, channel in enumerate(scenario.channels):
            if channel.target is None:
                continue
            limit = math.inf
            if channel.mode == "realtime":
                realtime.append(c)
                limit = channel.target_seconds
            else:
                asynchronous.append(c)
                window[c] = max(1, math.ceil(channel.target_seconds / (scenario.horizon.interval_minutes * 60)))
            serving[c] = _serving_groups(scenario, c, limit, helps)
        untargeted = {t.skill for k in scenario.categories for t in k.escalation}
        untargeted |= {
            k.skill for k in scenario.categories for ch in k.channels if scenario.channel(ch).target is None
        }
        clear = [
            (skills.index(s), s, [names.index(r.group) for r in scenario.routes(s)])
            for s in skills
            if s in untargeted
        ]
        return cls(scenario, timeline, max_occupancy, realtime, asynchronous, serving, window, clear, helps)


def _serving_groups(
    scenario: Scenario, c: int, limit_seconds: float, helps: dict[tuple[int, int], list[int]]
) -> list[int]:
    """Groups able to help channel ``c`` meet its target (routes reached before
    ``limit_seconds``, else all routes) of the skills its contacts first need; records in
    ``helps`` which of those skills each group serves.
    """
    channel = scenario.channels[c]
    names = [g.name for g in scenario.groups]
    skills = scenario.skills_needed()
    first_skills = {
        k.skill
        for k in scenario.categories
        if channel.name in k.channels or (k.follow_up is not None and k.follow_up.channel == channel.name)
    }
    groups: list[int] = []
    for skill in sorted(first_skills, key=skills.index):
        routes = scenario.routes(skill)
        fast = [r for r in routes if r.after_seconds < limit_seconds] or routes
        for route in fast:
            g = names.index(route.group)
            helps.setdefault((c, g), []).append(skills.index(skill))
            if g not in groups:
                groups.append(g)
    return groups


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


def evaluate(targets: Targets, counts: list[Counts], confidence: float) -> Evaluation:
    """Check every target in every plan interval against ``counts`` (one per replication)."""
    scenario, tl = targets.scenario, targets.timeline
    part = tl.plan_slice
    replications = len(counts)
    t_q = float(special.stdtrit(replications - 1, confidence)) if replications > 1 else 0.0
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

    staffed, engaged = _stack(counts, "staffed", part), _stack(counts, "engaged", part)
    # the ceiling applies to the engaged share (see the module docstring)
    occ, occ_half = _ratio(engaged, staffed, t_q)
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

