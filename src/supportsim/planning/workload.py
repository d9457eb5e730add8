"""Offered load per interval and agent group, and the analytic (Erlang) first guess.

The planner looks at the scenario's days on a :class:`Timeline`: ``lead_days`` whole days
before day 1 (the scenario's warm-up, rounded up to days) and ``tail_days`` after the last
day (long enough for every async response target), with staffing copied cyclically from the
plan (day ``d`` is staffed like plan day ``d mod days``). A backlog carried into day 1 then
comes from the plan's own last day, and tickets arriving late on the last day still get a
known first response.

Approximations of the analytic first guess (the simulation then corrects all of them):

- Work follows the mean path of a ticket: the arrival profile after automation (resolved
  and bot-abandoned shares removed), then each escalation tier with its probability,
  shifted by the mean bot time, the mean handle time of the tier before and the mean
  hand-off; follow-ups come back after the follow-up delay distribution (and follow up
  again, geometrically). Abandonment does not reduce downstream work.
- All work of a skill goes to the first group of its routing list (overflow is ignored);
  handle times use that group's proficiency.
- Realtime first contacts with a target: Erlang A per interval and per queue (channel ×
  group), with exponential patience of the channel's mean patience, or Erlang C without
  patience; the queues of a group are summed (no pooling), as a per-queue planning tool does.
- Chat concurrency ``max = m`` and ``slowdown = s``: Erlang on ``m·n`` conversation slots
  with handle times stretched to ``1 + s·(m − 1)`` (every slot busy at the peak);
  agents = ``ceil(slots / m)``.
- Async first contacts (a backlog that carries over): their workload is spread evenly over
  the response window (a trailing mean over ``respond_within_hours``); escalated work and
  channels without a target are worked as they come. Backlog workload ``w`` (erlangs) needs
  ``ceil(w / max_occupancy)`` agents on top of the realtime queues.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.planning.analytic import required_agents
from supportsim.scenario.calendar import interval_labels, weekday_of_day
from supportsim.scenario.distributions import Distribution
from supportsim.scenario.edit import edited
from supportsim.scenario.model import Channel, Scenario
from supportsim.scenario.profiles import arrival_rates, headcount_for

__all__ = ["KINDS", "Timeline", "analytic_requirement", "offered_load", "timeline"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

KINDS = ("answer", "response", "backlog")
"""Kinds of work: realtime first contacts with an answer target, async first contacts with a
response target, and backlog work without a target of its own (escalations, untargeted)."""

_QUANTILES = 200
"""Quantiles of a delay distribution used to spread work over later intervals."""


@dataclass(frozen=True)
class Timeline:
    """The plan's days with ``lead_days`` before and ``tail_days`` after, as one scenario.

    ``scenario`` has no engine warm-up: its day ``lead_days + 1`` is the plan's day 1.
    Interval ``e`` of the extended scenario is staffed like plan interval
    ``plan_cell[e] = (e − lead_intervals) mod plan_intervals``.
    """

    plan: Scenario
    scenario: Scenario
    lead_days: int
    tail_days: int

    @property
    def per_day(self) -> int:
        """Intervals per day."""
        return self.plan.horizon.intervals_per_day

    @property
    def plan_intervals(self) -> int:
        """Intervals of the plan (the scenario's measured horizon)."""
        return self.plan.horizon.intervals

    @property
    def lead_intervals(self) -> int:
        """Intervals simulated before plan interval 0."""
        return self.lead_days * self.per_day

    @property
    def total_intervals(self) -> int:
        """Intervals of the extended scenario."""
        return self.scenario.horizon.intervals

    @property
    def plan_cell(self) -> IntArray:
        """Plan interval whose staffing each extended interval copies."""
        e = np.arange(self.total_intervals)
        return np.asarray((e - self.lead_intervals) % self.plan_intervals, dtype=np.int64)

    @property
    def plan_slice(self) -> slice:
        """The extended intervals that are the plan's own."""
        return slice(self.lead_intervals, self.lead_intervals + self.plan_intervals)

    def with_agents(self, agents: IntArray) -> Scenario:
        """The extended scenario with ``agents[g, k]`` taking contacts in plan interval ``k``
        (shrinkage set to 0, so headcount is agents), copied cyclically to lead and tail days.
        """
        table = np.asarray(agents, dtype=np.int64)[:, self.plan_cell]

        def staff(data: dict[str, Any]) -> None:
            for g, group in enumerate(data["groups"]):
                for key in ("headcount", "headcount_per_interval", "shifts"):
                    group.pop(key, None)
                group["headcount_per_interval"] = [int(v) for v in table[g]]
                group["shrinkage"] = 0.0

        return edited(self.scenario, staff, source="<staffing candidate>")

    def with_groups(self, groups: list[dict[str, Any]]) -> Scenario:
        """The extended scenario with the given group definitions (e.g. a roster of shifts)."""
        return edited(self.scenario, lambda data: data.update(groups=groups), source="<roster>")


def _cyclic_table(table: list[Any], plan: Scenario, lead_days: int, days: int) -> list[Any]:
    """A whole-horizon table of the plan, extended cyclically over lead and tail days."""
    per_day = plan.horizon.intervals_per_day
    total = days * per_day
    return [table[(e - lead_days * per_day) % len(table)] for e in range(total)]


def timeline(scenario: Scenario) -> Timeline:
    """The planning :class:`Timeline` of ``scenario``.

    Lead days: the scenario's ``warmup_hours`` rounded up to whole days. Tail days: the
    longest async ``respond_within_hours`` rounded up to whole days (0 without async targets).
    """
    horizon = scenario.horizon
    lead = math.ceil(horizon.warmup_hours / 24 - 1e-9)
    async_hours = [
        c.target.respond_within_hours
        for c in scenario.channels
        if c.target is not None and c.target.respond_within_hours is not None
    ]
    tail = math.ceil(max(async_hours) / 24 - 1e-9) if async_hours else 0
    days = lead + horizon.days + tail
    whole = horizon.intervals

    def extend(data: dict[str, Any]) -> None:
        data["horizon"] = {
            "days": days,
            "interval_minutes": horizon.interval_minutes,
            "warmup_hours": 0.0,
            "start_weekday": weekday_of_day(horizon, -lead),
        }
        for channel in data["channels"]:
            rates = channel["arrivals"].get("rates_per_hour")
            if rates is not None and len(rates) == whole and whole != horizon.intervals_per_day:
                channel["arrivals"]["rates_per_hour"] = _cyclic_table(rates, scenario, lead, days)
        for group in data["groups"]:
            counts = group.get("headcount_per_interval")
            if counts is not None and len(counts) == whole and whole != horizon.intervals_per_day:
                group["headcount_per_interval"] = _cyclic_table(counts, scenario, lead, days)

    extended = edited(scenario, extend, source="<planning timeline>")
    return Timeline(plan=scenario, scenario=extended, lead_days=lead, tail_days=tail)


# ---------------------------------------------------------------------------------------------
# Flows of work
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Flow:
    """Contacts per hour joining the queue of one stage, per extended interval."""

    channel: int
    stage: int
    skill: str
    per_hour: FloatArray
    handle_minutes: float  # mean drawn handle time of the stage, before proficiency
    extra_minutes: float  # bot hand-off extra handle time (stage 0 only)


def _kernel(delays_seconds: FloatArray, interval_s: float) -> FloatArray:
    """Share of work arriving uniformly in an interval that lands ``m`` intervals later."""
    position = np.maximum(delays_seconds, 0.0) / interval_s
    m = np.floor(position).astype(np.int64)
    f = position - m
    kernel = np.zeros(int(m.max()) + 2)
    np.add.at(kernel, m, (1.0 - f) / len(position))
    np.add.at(kernel, m + 1, f / len(position))
    return kernel


def _delayed(per_hour: FloatArray, kernel: FloatArray) -> FloatArray:
    """``per_hour`` moved later by the delay ``kernel`` (work past the end is dropped)."""
    return np.convolve(per_hour, kernel)[: len(per_hour)]


def _mean_delay(minutes: float, interval_s: float) -> FloatArray:
    return _kernel(np.array([minutes * 60.0]), interval_s)


def _distribution_kernel(dist: Distribution, scale_s: float, shift_s: float, interval_s: float) -> FloatArray:
    u = (np.arange(_QUANTILES) + 0.5) / _QUANTILES
    return _kernel(dist.ppf(u) * scale_s + shift_s, interval_s)


def _flows(ext: Scenario) -> list[_Flow]:
    """Every flow of work of the extended scenario: first contacts, tiers and follow-ups."""
    interval_s = ext.horizon.interval_minutes * 60.0
    names = [c.name for c in ext.channels]
    flows: list[_Flow] = []

    def stages(entry: FloatArray, c: int, k: int, extra: float, generation: int) -> None:
        category = ext.categories[k]
        tiers = [(category.skill, category.handle_minutes.mean, None)] + [
            (t.skill, t.handle_minutes.mean, t) for t in category.escalation
        ]
        mass = entry
        for j, (skill, handle, tier) in enumerate(tiers):
            if tier is not None:
                before = tiers[j - 1][1] + (tier.handoff_minutes.mean if tier.handoff_minutes else 0.0)
                mass = _delayed(mass * tier.probability, _mean_delay(before, interval_s))
            flows.append(_Flow(c, j, skill, mass, handle, extra if j == 0 else 0.0))
        follow = category.follow_up
        if follow is None or follow.probability <= 0 or generation >= 20:
            return
        kernel = _distribution_kernel(follow.delay_hours, 3600.0, category.handle_minutes.mean * 60.0, interval_s)
        back = _delayed(entry * follow.probability, kernel)
        if back.sum() > 1e-9 * max(entry.sum(), 1e-300):
            stages(back, names.index(follow.channel), k, 0.0, generation + 1)

    for c, channel in enumerate(ext.channels):
        rates = arrival_rates(channel.arrivals, ext.horizon)
        bot = next((a for a in ext.automation if channel.name in a.channels), None)
        for k, category in enumerate(ext.categories):
            share = category.channels.get(channel.name, 0.0)
            if share <= 0:
                continue
            entry = rates * share
            extra = 0.0
            if bot is not None:
                entry = entry * (1.0 - bot.resolves.get(category.name, 0.0)) * (1.0 - bot.abandon)
                entry = _delayed(entry, _mean_delay(bot.bot_minutes.mean, interval_s))
                extra = bot.handoff.extra_handle_minutes
            stages(entry, c, k, extra, 0)
    return flows


def primary_group(scenario: Scenario, skill: str) -> int:
    """Index of the group that gets a skill's work first (smallest ``after_seconds``)."""
    routes = scenario.routes(skill)
    first = min(routes, key=lambda r: r.after_seconds)
    return [g.name for g in scenario.groups].index(first.group)


def _kind(channel: Channel, stage: int) -> str:
    if stage == 0 and channel.target is not None:
        return "answer" if channel.mode == "realtime" else "response"
    return "backlog"


@dataclass(frozen=True)
class _Queue:
    """Aggregated work of one (group, channel, kind) over the extended intervals."""

    group: int
    channel: int
    kind: str
    per_hour: FloatArray
    slot_erlangs: FloatArray  # load in conversation slots (handle × proficiency × slowdown)


def _queues(tl: Timeline) -> list[_Queue]:
    ext = tl.scenario
    sums: dict[tuple[int, int, str], tuple[FloatArray, FloatArray]] = {}
    for flow in _flows(ext):
        channel = ext.channels[flow.channel]
        g = primary_group(ext, flow.skill)
        group = ext.groups[g]
        m = channel.concurrency.max
        # concurrency is the conversation's own (stage 0); escalations are one-at-a-time back-office
        # work, counted as m slots so that dividing by the channel's concurrency gives agents
        stretch = 1.0 + channel.concurrency.slowdown * (m - 1) if flow.stage == 0 else float(m)
        handle_min = flow.handle_minutes * group.proficiency.get(flow.skill, 1.0) * stretch + flow.extra_minutes
        key = (g, flow.channel, _kind(channel, flow.stage))
        rate, load = sums.get(key, (np.zeros(tl.total_intervals), np.zeros(tl.total_intervals)))
        sums[key] = (rate + flow.per_hour, load + flow.per_hour * handle_min / 60.0)
    return [_Queue(g, c, kind, rate, load) for (g, c, kind), (rate, load) in sorted(sums.items())]


def answer_load(tl: Timeline) -> dict[int, tuple[FloatArray, FloatArray]]:
    """Realtime first contacts with an answer target, per channel over the plan intervals:
    ``(per_hour, slot_erlangs)`` summed over the groups that get them.
    """
    part = tl.plan_slice
    out: dict[int, tuple[FloatArray, FloatArray]] = {}
    for q in _queues(tl):
        if q.kind == "answer":
            rate, load = out.get(q.channel, (np.zeros(tl.plan_intervals), np.zeros(tl.plan_intervals)))
            out[q.channel] = (rate + q.per_hour[part], load + q.slot_erlangs[part])
    return out


def offered_load(scenario: Scenario, tl: Timeline | None = None) -> pd.DataFrame:
    """Offered load per measured interval, group, channel and kind of work.

    Columns: ``interval``, ``day``, ``weekday``, ``time``, ``group``, ``channel``, ``kind``
    (see :data:`KINDS`), ``per_hour`` (contacts per hour joining the group's queue),
    ``aht_seconds`` (mean handle time per contact, proficiency, chat slowdown and bot hand-off
    extra included) and ``load_erlangs`` (agent-equivalents: slot load ÷ chat concurrency).
    """
    tl = tl or timeline(scenario)
    labels = interval_labels(scenario.horizon)
    part = tl.plan_slice
    frames = []
    for q in _queues(tl):
        channel = scenario.channels[q.channel]
        rate, load = q.per_hour[part], q.slot_erlangs[part]
        with np.errstate(invalid="ignore", divide="ignore"):
            aht = np.where(rate > 0, load * 3600.0 / rate, np.nan)
        frames.append(
            labels.assign(
                group=scenario.groups[q.group].name,
                channel=channel.name,
                kind=q.kind,
                per_hour=rate,
                aht_seconds=aht,
                load_erlangs=load / channel.concurrency.max,
            )
        )
    return pd.concat(frames, ignore_index=True)


def _trailing_mean(values: FloatArray, window: int) -> FloatArray:
    """Mean of the last ``window`` values (zeros before the start)."""
    cumulative = np.concatenate(([0.0], np.cumsum(values)))
    k = np.arange(1, len(values) + 1)
    return (cumulative[k] - cumulative[np.maximum(k - window, 0)]) / window


def _answer_agents(channel: Channel, per_hour: float, aht_seconds: float, max_occupancy: float | None) -> int:
    """Erlang A/C agents for one realtime queue in one interval (chat: slots ÷ concurrency)."""
    if per_hour <= 0:
        return 0
    target = channel.target
    assert target is not None and target.answer_within_seconds is not None
    patience = math.inf if channel.patience_seconds is None else channel.patience_seconds.mean
    abandon = target.max_abandon_rate
    if abandon is not None:  # nobody abandons without patience; Erlang A needs a ceiling > 0
        abandon = None if math.isinf(patience) else max(abandon, 1e-4)
    slots = required_agents(
        per_hour,
        aht_seconds,
        answer_within_seconds=target.answer_within_seconds,
        service_level=min(target.service_level, 1.0 - 1e-9),
        max_abandon_rate=abandon,
        max_occupancy=max_occupancy,
        patience_seconds=patience,
    ).raw_agents
    return math.ceil(slots / channel.concurrency.max)


def analytic_requirement(
    scenario: Scenario, *, max_occupancy: float | None = 0.9, tl: Timeline | None = None
) -> pd.DataFrame:
    """The Erlang first guess per measured interval and group (approximations: module docstring).

    Columns: ``interval``, ``day``, ``weekday``, ``time``, ``group``, ``load_erlangs`` (all
    work, agent-equivalents), ``analytic_agents`` (taking contacts) and ``analytic_headcount``
    (rostered: :func:`headcount_for` with the group's shrinkage).
    """
    tl = tl or timeline(scenario)
    labels = interval_labels(scenario.horizon)
    part = tl.plan_slice
    per_day_minutes = scenario.horizon.interval_minutes
    n_groups = len(scenario.groups)
    agents = np.zeros((n_groups, tl.plan_intervals), dtype=np.int64)
    backlog = np.zeros((n_groups, tl.total_intervals))
    load = np.zeros((n_groups, tl.plan_intervals))
    for q in _queues(tl):
        channel = scenario.channels[q.channel]
        m = channel.concurrency.max
        load[q.group] += q.slot_erlangs[part] / m
        if q.kind == "answer":
            cache: dict[tuple[float, float], int] = {}
            for i, (rate, slot) in enumerate(zip(q.per_hour[part], q.slot_erlangs[part], strict=True)):
                if rate <= 1e-12:
                    continue
                aht = slot * 3600.0 / rate
                key = (round(float(rate), 9), round(float(aht), 6))
                if key not in cache:
                    cache[key] = _answer_agents(channel, float(rate), aht, max_occupancy)
                agents[q.group, i] += cache[key]
        elif q.kind == "response":
            assert channel.target is not None and channel.target.respond_within_hours is not None
            window = max(1, round(channel.target.respond_within_hours * 60 / per_day_minutes))
            backlog[q.group] += _trailing_mean(q.slot_erlangs / m, window)
        else:
            backlog[q.group] += q.slot_erlangs / m
    occ = max_occupancy or 1.0
    work = backlog[:, part]
    agents += np.where(work > 1e-9, np.ceil(work / occ - 1e-9), 0).astype(np.int64)
    frames = []
    for g, group in enumerate(scenario.groups):
        frames.append(
            labels.assign(
                group=group.name,
                load_erlangs=load[g],
                analytic_agents=agents[g],
                analytic_headcount=[headcount_for(int(a), group.shrinkage) for a in agents[g]],
            )
        )
    return pd.concat(frames, ignore_index=True)
