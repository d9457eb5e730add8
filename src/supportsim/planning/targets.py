"""Staffing targets and their checks, per plan interval, on a set of replications.

Targets, checked per plan interval on the planning :class:`~supportsim.planning.workload.Timeline`:

- realtime service level of each channel with a target (same definition as the engine:
  answered within ``T`` ÷ contacts whose fate is known, tickets counted in the interval they
  arrived), and its ``max_abandon_rate`` if given;
- async first response within ``respond_within_hours`` for ``service_level`` of tickets;
- ``max_occupancy`` of every group in every staffed interval, on the engaged share (time
  holding at least one contact ÷ staffed time): the group's ``occupancy`` without chat
  concurrency, stricter with it. The ceiling is a rule for live contacts: it applies only
  where the group has some to answer (a realtime channel with a target that it serves has
  arrivals in the interval). Backlog work (email, escalations, before opening and after
  closing) keeps whoever works it busy until it is cleared, however many they are; its
  response-time and queue targets decide there;
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

**With a target probability** (``planning: {target_probability: P}``): each replication is one
day drawn from the scenario's volume uncertainty (``daily_cv``: one gamma multiplier per day
and channel) and its Poisson arrivals and handle times, so a target holds in an interval when
the share of replications in which it holds *there* (``p_meet``: that replication's own
ratio for the interval on the right side of the target; a replication without contacts in
the interval meets it) is at least P, shown at the one-sided ``confidence``: the
Clopper–Pearson lower bound of ``p_meet`` must reach P. That is the same as asking that the
:func:`meet_count`-th best replication meets the target (a distribution-free tolerance
limit), which is the ``bound`` reported: the service level reached in that many
replications (the abandonment or occupancy not exceeded in them). The price of confidence:
with ``n`` replications the staffing's true P(meet) is about ``k ÷ (n + 1)`` for
``k = meet_count(n, P, confidence)`` (20 replications, P = 0.8 at 90%: 19 must meet, P(meet)
about 0.9); ``confidence = 0.5`` aims at P itself. With fewer than
``log(1 − confidence) ÷ log(P)`` replications not even all of them meeting shows P, and all
must meet. ``queue_cleared`` is judged the same way, per replication and day.
Without a target probability ``p_meet`` is still reported (per replication, as above).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from supportsim.engine import run_replication
from supportsim.planning.workload import Timeline, answer_load
from supportsim.scenario.calendar import interval_labels
from supportsim.scenario.model import Scenario

__all__ = [
    "CLEAR_QUEUE_BELOW",
    "CLOSE_HALF_WIDTHS",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MAX_OCCUPANCY",
    "Counts",
    "Evaluation",
    "Targets",
    "evaluate",
    "meet_count",
    "replicate",
]

FloatArray = NDArray[np.float64]

DEFAULT_CONFIDENCE = 0.9
"""One-sided confidence with which each target must hold in each interval."""

DEFAULT_MAX_OCCUPANCY = 0.9
"""Default ceiling on a group's occupancy in any staffed interval."""

CLEAR_QUEUE_BELOW = 1.0
"""A skill's queue counts as cleared in an interval when its time-average is below this."""

CLOSE_HALF_WIDTHS = 2.0
"""A check is close (its decision could go either way on other replications) when its target
lies within this many half-widths (estimate to judged bound) of its estimate."""


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
    probability: float | None = None  # planning.target_probability: share of replications that must meet
    ceiling: NDArray[np.bool_] | None = None  # (groups, plan intervals) where max_occupancy applies (None: all)

    @classmethod
    def of(cls, timeline: Timeline, max_occupancy: float | None = DEFAULT_MAX_OCCUPANCY) -> Targets:
        """The targets of ``timeline``'s scenario, with ``max_occupancy`` (None: no ceiling) and
        the scenario's ``planning.target_probability``.
        """
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
        probability = timeline.plan.planning.target_probability
        return cls(scenario, timeline, max_occupancy, realtime, asynchronous, serving, window, clear, helps,
                   probability, _ceiling_cells(timeline, realtime, serving))


def _ceiling_cells(tl: Timeline, realtime: list[int], serving: dict[int, list[int]]) -> NDArray[np.bool_]:
    """Cells (group, plan interval) where the occupancy ceiling applies: those with live
    contacts to answer (arrivals on a realtime channel with a target that the group serves).
    """
    load = answer_load(tl)
    live = np.zeros((len(tl.scenario.groups), tl.plan_intervals), dtype=bool)
    for c in realtime:
        if c in load:
            for g in serving[c]:
                live[g] |= load[c][1] > 0
    return live


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


def meet_count(replications: int, probability: float, confidence: float) -> int:
    """Replications (of ``replications``) that must meet a target for it to hold with
    ``probability`` at one-sided ``confidence``: the fewest ``k`` whose Clopper–Pearson lower
    bound ``k`` of ``replications`` reaches ``probability``; all of them when none does.
    """
    from scipy import stats  # heavy: imported when a target is checked

    k = np.arange(1, replications + 1)
    # CP lower bound of k/n >= p  <=>  P(Binomial(n, p) >= k) <= 1 - confidence
    shown = stats.binom.sf(k - 1, replications, probability) <= 1 - confidence + 1e-12
    return int(k[shown][0]) if shown.any() else replications


def _per_replication(num: FloatArray, den: FloatArray, empty: float) -> FloatArray:
    """Each replication's own ratio num/den (``empty`` where den is 0: the target is met)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)


def _judge(
    pooled: FloatArray, half: FloatArray, own: FloatArray, target: float, floor: bool, need: int | None
) -> tuple[FloatArray, NDArray[np.bool_], FloatArray]:
    """(bound, met, p_meet) of one target per interval.

    ``own`` holds each replication's value (replications, intervals); ``floor`` says the
    target is a floor (service level) rather than a ceiling. The bound is the pooled
    estimate's one-sided bound (``need`` None) or the ``need``-th best replication's value.
    """
    meets = own >= target - 1e-12 if floor else own <= target + 1e-12
    p_meet: FloatArray = meets.mean(axis=0)
    if need is None:
        bound = pooled - half if floor else pooled + half
    else:
        ordered = np.sort(own, axis=0)
        bound = ordered[len(own) - need] if floor else ordered[need - 1]
    met = bound >= target - 1e-12 if floor else bound <= target + 1e-12
    return bound, met, p_meet


@dataclass(frozen=True)
class Evaluation:
    """Every check of one staffing on one set of replications (plan intervals only)."""

    checks: pd.DataFrame
    service_level: FloatArray  # (channels, plan intervals) pooled estimate, NaN without contacts
    service_level_bound: FloatArray  # the value judged: its one-sided lower bound, or the tolerance limit
    occupancy: FloatArray  # (groups, plan intervals), NaN where nobody is staffed
    occupancy_bound: FloatArray  # the value judged: its one-sided upper bound, or the tolerance limit
    failing: list[tuple[str, int, int]]  # (kind, channel/group/skill index, plan interval or day)
    waiting: FloatArray  # (skills, plan intervals) time-average tickets waiting, mean over replications
    close: list[tuple[str, int, int]] = field(default_factory=list)  # checks within CLOSE_HALF_WIDTHS
    counts: list[Counts] = field(default_factory=list, repr=False)  # the replications judged, in seed order

    @property
    def met(self) -> bool:
        """Whether every target holds."""
        return not self.failing


def _stack(counts: list[Counts], name: str, part: slice) -> FloatArray:
    return np.stack([getattr(c, name)[:, part] for c in counts])


@dataclass
class _Checks:
    """The rows and failures collected by one evaluation, and how targets are judged."""

    targets: Targets
    labels: pd.DataFrame
    t_quantile: float
    need: int | None  # replications that must meet (None: judge the pooled mean)
    rows: list[pd.DataFrame]
    failing: list[tuple[str, int, int]]
    close: list[tuple[str, int, int]]

    def ratio(
        self, kind: str, index: int, num: FloatArray, den: FloatArray, target: float, floor: bool,
        shown: NDArray[np.bool_], contacts: FloatArray | float,
    ) -> tuple[FloatArray, FloatArray]:
        """Judge ``num ÷ den`` (replications, intervals) against ``target`` where ``shown``
        (elsewhere it holds); add its rows and failures; return (pooled estimate, bound).
        """
        pooled, half = _ratio(num, den, self.t_quantile)
        own = _per_replication(num, den, 1.0 if floor else 0.0)
        bound, met, p_meet = _judge(pooled, half, own, target, floor, self.need)
        ok = ~shown | met
        scope, name = _scope(self.targets.scenario, kind, index)
        self.rows.append(self.labels.assign(
            kind=kind, scope=scope, name=name, contacts=contacts, estimate=pooled, bound=bound,
            target=target, met=ok, p_meet=p_meet,
        )[shown])
        self.failing += [(kind, index, int(k)) for k in np.flatnonzero(~ok)]
        with np.errstate(invalid="ignore"):
            near = np.abs(pooled - target) <= CLOSE_HALF_WIDTHS * np.abs(pooled - bound) + 1e-12
        self.close += [(kind, index, int(k)) for k in np.flatnonzero(shown & near)]
        return pooled, bound


def _scope(scenario: Scenario, kind: str, index: int) -> tuple[str, str]:
    if kind == "occupancy":
        return "group", scenario.groups[index].name
    return "channel", scenario.channels[index].name


def evaluate(targets: Targets, counts: list[Counts], confidence: float) -> Evaluation:
    """Check every target in every plan interval against ``counts`` (one per replication)."""
    scenario, tl = targets.scenario, targets.timeline
    part = tl.plan_slice
    replications = len(counts)
    t_q = float(special.stdtrit(replications - 1, confidence)) if replications > 1 else 0.0
    need = None if targets.probability is None else meet_count(replications, targets.probability, confidence)
    found = _Checks(targets, interval_labels(tl.plan.horizon), t_q, need, [], [], [])

    known, within = _stack(counts, "known", part), _stack(counts, "within", part)
    answered, abandoned = _stack(counts, "answered", part), _stack(counts, "abandoned", part)
    sl, sl_half = _ratio(within, known, t_q)
    sl_bound = sl - sl_half
    for c in targets.realtime + targets.asynchronous:
        channel = scenario.channels[c]
        assert channel.target is not None
        contacts = known[:, c].sum(axis=0)
        _, sl_bound[c] = found.ratio(
            "service_level", c, within[:, c], known[:, c], channel.target.service_level, True, contacts > 0, contacts,
        )
        ceiling = channel.target.max_abandon_rate
        if ceiling is not None and channel.mode == "realtime":
            fates = answered[:, c] + abandoned[:, c]
            n = fates.sum(axis=0)
            found.ratio("abandon_rate", c, abandoned[:, c], fates, ceiling, False, n > 0, n)

    staffed, engaged = _stack(counts, "staffed", part), _stack(counts, "engaged", part)
    # the ceiling applies to the engaged share (see the module docstring)
    occ, occ_half = _ratio(engaged, staffed, t_q)
    occ_bound = occ + occ_half
    if targets.max_occupancy is not None:
        interval_s = scenario.horizon.interval_minutes * 60.0
        for g in range(len(scenario.groups)):
            # where at least one agent is staffed on average (not just overtime finishing a contact)
            has = staffed[:, g].mean(axis=0) >= interval_s
            if targets.ceiling is not None:
                has &= targets.ceiling[g]
            _, occ_bound[g] = found.ratio(
                "occupancy", g, engaged[:, g], staffed[:, g], targets.max_occupancy, False, has, np.nan,
            )

    own_waiting = _stack(counts, "waiting", part)
    waiting = own_waiting.mean(axis=0)
    _queue_checks(found, waiting, own_waiting)
    checks = pd.concat(found.rows, ignore_index=True) if found.rows else pd.DataFrame()
    return Evaluation(checks, sl, sl_bound, occ, occ_bound, found.failing, waiting, found.close, list(counts))


def _queue_checks(found: _Checks, waiting: FloatArray, own_waiting: FloatArray) -> None:
    """Queues without a target of their own must clear once a day: on the mean over
    replications, or (with a target probability) in enough replications.
    """
    targets = found.targets
    per_day = targets.timeline.per_day
    replications = own_waiting.shape[0]
    first = found.labels.iloc[::per_day].reset_index(drop=True)
    for s, skill, _groups in targets.clear_skills:
        daily = waiting[s].reshape(-1, per_day).min(axis=1)
        own = own_waiting[:, s].reshape(replications, -1, per_day).min(axis=2)  # (replications, days)
        p_meet = (own < CLEAR_QUEUE_BELOW).mean(axis=0)
        bound = daily if found.need is None else np.sort(own, axis=0)[found.need - 1]
        ok = bound < CLEAR_QUEUE_BELOW
        found.rows.append(first.assign(
            kind="queue_cleared", scope="skill", name=skill, contacts=np.nan,
            estimate=daily, bound=bound, target=CLEAR_QUEUE_BELOW, met=ok, p_meet=p_meet,
        ))
        found.failing += [("queue_cleared", s, int(d)) for d in np.flatnonzero(~ok)]
