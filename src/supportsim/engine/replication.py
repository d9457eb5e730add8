"""One replication of a scenario as a SimPy discrete-event simulation.

The ``simpy.Environment`` is created inside :func:`run_replication` and never leaves it.
Tickets and agents are plain objects; every timed step (arrival, bot conversation,
service, hand-off, patience running out, overflow to another group, shift change) is a
SimPy event whose callback moves the ticket on (see ``_Call``). A dispatcher-style matching
(``_offer`` for a new waiting ticket, ``_agent_free`` for an agent with room) replaces
per-group resources so that one ticket can be served by several groups and one group
can serve several skills.

All random numbers are drawn up front per channel and per source (see
:mod:`supportsim.engine.streams`), ticket by ticket in arrival order, so that common random
numbers survive changes of staffing or routing.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from heapq import heappush
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray
from simpy.events import NORMAL

from supportsim.engine.levels import Level
from supportsim.engine.records import ABANDONED, BOT_ABANDONED, DEFLECTED, OPEN, RESOLVED, TicketLog
from supportsim.engine.streams import Streams
from supportsim.scenario.model import Category, Channel, Scenario
from supportsim.scenario.profiles import arrival_rates, first_interval, roster_steps

# Ticket states
IN_BOT, WAITING, SERVING, HANDOFF, DONE = range(5)

_EPS = 1e-9


FOLLOW_UP_BATCH = 64  # follow-up attributes drawn per batch and (channel, category)


class Ticket:
    """A customer contact moving through bot, queues and tiers."""

    __slots__ = (
        "agent",
        "arrival",
        "base_handle",
        "bot",
        "category",
        "channel",
        "depth",
        "escalations",
        "extra_handle",
        "first_group",
        "first_wait",
        "follow_up_delay",
        "handled",
        "handoffs",
        "id",
        "joined",
        "klass",
        "outcome",
        "parent",
        "patience",
        "priority",
        "queued_at",
        "resolved_at",
        "responded_at",
        "skill",
        "stage",
        "state",
        "total_wait",
        "vip",
        "visit",
        "will_follow_up",
    )

    agent: Agent | None
    arrival: float  # seconds from the start of the horizon (negative in the warm-up)
    base_handle: list[float]  # seconds per stage, before proficiency and slowdown
    bot: bool
    category: int
    channel: int
    depth: int  # stages this ticket needs (1 + escalations it will make)
    escalations: int
    extra_handle: float
    first_group: int
    first_wait: float
    follow_up_delay: float
    handled: float
    handoffs: list[float]
    id: int
    joined: float
    klass: int
    outcome: int
    parent: int
    patience: float
    priority: int
    queued_at: float
    resolved_at: float
    responded_at: float
    skill: int
    stage: int
    state: int
    total_wait: float
    vip: bool
    visit: int
    will_follow_up: bool

    def __init__(self) -> None:
        self.agent: Agent | None = None
        self.bot = False
        self.first_group = -1
        self.first_wait = math.nan
        self.handled = 0.0
        self.extra_handle = 0.0
        self.outcome = OPEN
        self.parent = -1
        self.queued_at = math.nan
        self.resolved_at = math.nan
        self.responded_at = math.nan
        self.stage = 0
        self.total_wait = 0.0
        self.visit = 0

    @property
    def state_waiting_first(self) -> bool:
        """Still waiting for the first human answer."""
        return self.state == WAITING and self.stage == 0


class Agent:
    """One agent of a group; holds up to the channel's concurrency of contacts at once."""

    __slots__ = ("channel", "count", "group", "in_partial", "leaving")

    def __init__(self, group: int):
        self.group = group
        self.count = 0
        self.channel = -1
        self.leaving = False
        self.in_partial = False


@dataclass
class _GroupState:
    """Run-time state of an agent group."""

    index: int
    proficiency: dict[int, float]
    idle: deque[Agent] = field(default_factory=deque)
    partial: list[Agent] = field(default_factory=list)
    on_duty: dict[Agent, None] = field(default_factory=dict)  # ordered, for reproducibility
    sources: list[tuple[int, deque[tuple[Ticket, int]], float, int]] = field(default_factory=list)


@dataclass
class _TicketDraws:
    """Random attributes of ``n`` tickets of one channel, in arrival order."""

    category: NDArray[np.int64]
    vip: NDArray[np.bool_]
    patience: NDArray[np.float64]
    handle: NDArray[np.float64]  # seconds, shape (n, stages)
    handoff: NDArray[np.float64]  # seconds before joining stage j + 1, shape (n, stages)
    depth: NDArray[np.int64]
    bot_seconds: NDArray[np.float64]
    bot_resolves: NDArray[np.bool_]
    bot_abandons: NDArray[np.bool_]
    follows_up: NDArray[np.bool_]
    follow_up_delay: NDArray[np.float64]  # seconds


class _Call:
    """A SimPy event that runs one callback with a value: a lighter ``Timeout``, scheduled on
    the same environment queue and processed by ``Environment.step`` like any event.
    """

    __slots__ = ("_ok", "_value", "callbacks")

    def __init__(self, callback: Any, value: Any):
        self.callbacks: tuple[Any, ...] | None = (callback,)
        self._ok = True
        self._value = value


@dataclass(frozen=True)
class _DrawRows:
    """:class:`_TicketDraws` as Python lists: reading one ticket's values stays cheap."""

    category: list[int]
    vip: list[bool]
    patience: list[float]
    handle: list[list[float]]
    handoff: list[list[float]]
    depth: list[int]
    bot_seconds: list[float]
    bot_resolves: list[bool]
    bot_abandons: list[bool]
    follows_up: list[bool]
    follow_up_delay: list[float]

    @classmethod
    def of(cls, draws: _TicketDraws) -> _DrawRows:
        return cls(**{name: getattr(draws, name).tolist() for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ArrivalTrace:
    """Observed arrivals to replay: per ticket its channel, arrival minute (0 is 00:00 of day 1)
    and, optionally, its category (else drawn from the channel's shares).
    """

    channel: NDArray[np.str_]
    arrival_minute: NDArray[np.float64]
    category: NDArray[np.str_] | None = None

    def for_channel(
        self, name: str, start_s: float, end_s: float, categories: list[str] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.int64] | None]:
        """Sorted arrival times (seconds) of channel ``name`` in ``[start_s, end_s)`` and their
        category indices (None when the trace has no categories).
        """
        seconds = self.arrival_minute * 60.0
        mask = (self.channel == name) & (seconds >= start_s) & (seconds < end_s)
        order = np.argsort(seconds[mask], kind="stable")
        if self.category is None or categories is None:
            return seconds[mask][order], None
        index = {c: i for i, c in enumerate(categories)}
        return seconds[mask][order], np.array([index[c] for c in self.category[mask][order]], dtype=np.int64)


@dataclass
class ReplicationOutput:
    """Everything one replication observed, before any metric is computed."""

    log: TicketLog
    tickets: dict[str, NDArray[Any]]  # per-ticket columns; empty without keep_tickets
    waiting_by_channel: list[Level]
    waiting_by_skill: list[Level]
    staffed: list[Level]
    busy: list[Level]
    occupied: list[Level]
    rostered_seconds: NDArray[np.float64]  # per group and interval: paid agent-seconds
    rostered_peak: NDArray[np.float64]  # per group: most people rostered at once
    served: NDArray[np.int64]  # per group and interval: services started
    bot_conversations: NDArray[np.int64]  # per automation, measured window
    end_seconds: float
    in_system_at_end: int
    skills: list[str]
    tickets_created: int  # every ticket of the run: warm-up, measured window and follow-ups


def _ppf_stages(category: Category, u: NDArray[np.float64], stages: int) -> NDArray[np.float64]:
    out = np.zeros((len(u), stages))
    dists = [category.handle_minutes] + [t.handle_minutes for t in category.escalation]
    for j, dist in enumerate(dists):
        out[:, j] = dist.ppf(u[:, j]) * 60.0
    return out


def draw_tickets(
    scenario: Scenario,
    channel: Channel,
    n: int,
    streams: Streams,
    *,
    source_prefix: str = "",
    categories: NDArray[np.int64] | None = None,
) -> _TicketDraws:
    """Draw the random attributes of ``n`` tickets arriving on ``channel``.

    Each source draws a fixed block per ticket from its own stream, so ticket ``i`` gets
    the same uniforms in any scenario that shares the seed and the channel name.
    With ``source_prefix="follow_up"`` every draw comes from the follow-up stream, and
    ``categories`` fixes the tickets' categories instead of drawing them.
    """
    name = channel.name

    def rng(source: str) -> np.random.Generator:
        return streams.get(source_prefix or source, name)

    stages = 1 + max(len(c.escalation) for c in scenario.categories)
    if categories is None:
        carried = [i for i, c in enumerate(scenario.categories) if name in c.channels]
        shares = np.array([scenario.categories[i].channels[name] for i in carried])
        cumulative = np.cumsum(shares / shares.sum())
        local = np.searchsorted(cumulative, rng("category").random(n), side="right")
        category_index = np.array(carried)[np.minimum(local, len(carried) - 1)]
    else:
        category_index = categories

    handle_u = rng("handle").random((n, stages))
    patience_u = rng("patience").random(n)
    routing_u = rng("routing").random((n, 2 * stages + 3))
    bot_u = rng("automation").random((n, 3))

    handle = np.zeros((n, stages))
    handoff = np.zeros((n, stages))
    depth = np.ones(n, dtype=np.int64)
    follows_up = np.zeros(n, dtype=bool)
    follow_up_delay = np.zeros(n)
    bot_resolves = np.zeros(n, dtype=bool)
    bot_abandons = np.zeros(n, dtype=bool)
    bot_seconds = np.zeros(n)
    bot = next((a for a in scenario.automation if name in a.channels), None)
    for c_index, category in enumerate(scenario.categories):
        mask = category_index == c_index
        if not mask.any():
            continue
        handle[mask] = _ppf_stages(category, handle_u[mask], stages)
        going = np.ones(int(mask.sum()), dtype=bool)
        for j, tier in enumerate(category.escalation):
            going &= routing_u[mask, j] < tier.probability
            depth[np.flatnonzero(mask)[going]] += 1
            if tier.handoff_minutes is not None:
                handoff[mask, j] = tier.handoff_minutes.ppf(routing_u[mask, stages + j]) * 60.0
        if category.follow_up is not None:
            follows_up[mask] = routing_u[mask, 2 * stages] < category.follow_up.probability
            follow_up_delay[mask] = category.follow_up.delay_hours.ppf(routing_u[mask, 2 * stages + 1]) * 3600.0
        if bot is not None:
            resolve_share = bot.resolves.get(category.name, 0.0)
            bot_resolves[mask] = bot_u[mask, 0] < resolve_share
            bot_abandons[mask] = ~bot_resolves[mask] & (bot_u[mask, 1] < bot.abandon)
    if bot is not None:
        bot_seconds = bot.bot_minutes.ppf(bot_u[:, 2]) * 60.0
    vip = routing_u[:, 2 * stages + 2] < channel.vip_share
    no_patience = channel.patience_seconds is None
    patience = np.full(n, math.inf) if no_patience else channel.patience_seconds.ppf(patience_u)  # type: ignore[union-attr]
    return _TicketDraws(
        category_index.astype(np.int64),
        vip,
        patience,
        handle,
        handoff,
        depth,
        bot_seconds,
        bot_resolves,
        bot_abandons,
        follows_up,
        follow_up_delay,
    )


def arrival_times(
    channel: Channel, rates_per_hour: NDArray[np.float64], first: int, interval_s: float, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Sorted arrival times (seconds) over consecutive intervals ``first, first + 1, ...`` with
    the given rates: a Poisson process, constant inside each interval. With ``daily_cv`` > 0
    the rates are first scaled by one gamma multiplier (mean 1) for the whole range, which
    callers keep to one day.
    """
    cv = channel.arrivals.daily_cv
    if cv > 0:
        shape = 1.0 / cv**2
        rates_per_hour = rates_per_hour * rng.gamma(shape, 1.0 / shape)
    counts = rng.poisson(rates_per_hour * interval_s / 3600.0)
    starts = np.repeat((first + np.arange(len(counts))) * interval_s, counts)
    times = starts + rng.random(int(counts.sum())) * interval_s
    times.sort()
    return times


class _Simulation:
    """The state and event handlers of one replication."""

    def __init__(
        self,
        scenario: Scenario,
        seed: np.random.SeedSequence,
        trace: ArrivalTrace | None = None,
        *,
        keep_tickets: bool = True,
    ):
        self.scenario = scenario
        self.trace = trace
        horizon = scenario.horizon
        self.interval_s = horizon.interval_minutes * 60.0
        self.start_s = first_interval(horizon) * self.interval_s
        self.end_s = horizon.intervals * self.interval_s
        self.env = simpy.Environment(initial_time=self.start_s)
        self.streams = Streams(seed)
        self.skills = scenario.skills_needed()
        skill_index = {s: i for i, s in enumerate(self.skills)}
        self.channels = scenario.channels
        self.channel_index = {c.name: i for i, c in enumerate(self.channels)}
        self.categories = scenario.categories
        self.realtime = [c.mode == "realtime" for c in self.channels]
        self.concurrency = [c.concurrency.max for c in self.channels]
        self.slowdown = [c.concurrency.slowdown for c in self.channels]
        self.stage_skills = [
            [skill_index[c.skill]] + [skill_index[t.skill] for t in c.escalation] for c in self.categories
        ]
        group_index = {g.name: i for i, g in enumerate(scenario.groups)}
        self.groups = [
            _GroupState(i, {skill_index[s]: g.proficiency.get(s, 1.0) for s in g.skills if s in skill_index})
            for i, g in enumerate(scenario.groups)
        ]
        self.routes = [
            [(group_index[r.group], r.after_seconds) for r in scenario.routes(skill)] for skill in self.skills
        ]
        self.queues: dict[tuple[int, int, int], deque[tuple[Ticket, int]]] = {}
        self._build_sources()
        intervals = horizon.intervals
        self.waiting_by_channel = [Level(intervals, self.interval_s) for _ in self.channels]
        self.waiting_by_skill = [Level(intervals, self.interval_s) for _ in self.skills]
        self.staffed = [Level(intervals, self.interval_s) for _ in self.groups]
        self.busy = [Level(intervals, self.interval_s) for _ in self.groups]
        # Without chat concurrency an agent is occupied exactly when busy: one level serves both.
        self.track_occupied = any(n > 1 for n in self.concurrency)
        self.occupied = [Level(intervals, self.interval_s) for _ in self.groups] if self.track_occupied else self.busy
        self._follow_up_pools: dict[tuple[int, int], list[Any]] = {}
        self.bot_of_channel = [
            next((i for i, a in enumerate(scenario.automation) if c.name in a.channels), -1) for c in self.channels
        ]
        self.bot_conversations = np.zeros(len(scenario.automation), dtype=np.int64)
        self.served = [[0] * horizon.intervals for _ in self.groups]
        self.open: dict[int, Ticket] = {}  # tickets in the system, by id
        self.next_id = 0
        self.log = TicketLog(
            len(self.channels),
            len(self.categories),
            [len(c.escalation) for c in self.categories],
            [c.target_seconds for c in self.channels],
            horizon.intervals,
            self.interval_s,
            keep_rows=keep_tickets,
        )
        self.priorities = scenario.routing.priority

    def _klass(self, live: bool, priority: int) -> int:
        """Queue class of a waiting ticket (lower is served first). A ``live`` ticket is a
        realtime contact waiting for its first answer; escalated work is back-office work.
        """
        rank = 0 if (live or not self.scenario.routing.realtime_first) else 1
        return rank * 100 + (99 - priority)

    def _build_sources(self) -> None:
        """Create one FIFO queue per (skill, channel, class) that can occur, and tell each
        group which queues it serves, lowest class first.
        """
        routing = self.scenario.routing
        priorities = {0, routing.priority.escalated, routing.priority.vip}
        priorities |= {a.handoff.priority for a in self.scenario.automation}
        names = [c.name for c in self.channels]
        kinds: dict[tuple[int, int, bool], None] = {}
        for category, skills in zip(self.categories, self.stage_skills, strict=True):
            channels = [names.index(n) for n in category.channels]
            if category.follow_up is not None:
                channels.append(names.index(category.follow_up.channel))
            for c in channels:
                for stage, s in enumerate(skills):
                    kinds[(s, c, stage == 0 and self.realtime[c])] = None
        for s, c, live in kinds:
            for p in sorted(priorities):
                klass = self._klass(live, p)
                queue = self.queues.setdefault((s, c, klass), deque())
                for g, delay in self.routes[s]:
                    self.groups[g].sources.append((klass, queue, delay, c))
        for group in self.groups:
            group.sources.sort(key=lambda source: source[0])

    # --- scheduling -----------------------------------------------------------------

    def _after(self, delay: float, callback: Any, value: Any) -> None:
        """Call ``callback(event)`` after ``delay`` seconds, with ``event._value = value``.

        Exactly ``Environment.schedule(event, NORMAL, delay)``, minus two method calls: this is
        the engine's most frequent operation.
        """
        env = self.env
        entry: Any = (env._now + delay, NORMAL, next(env._eid), _Call(callback, value))
        heappush(env._queue, entry)

    # --- arrivals -------------------------------------------------------------------

    def _arrival(self, event: _Call) -> None:
        """The next new contact arrives; the one after it is scheduled."""
        k: int = event._value
        c, i = self._arrival_channels[k], self._arrival_index[k]
        draws = self.draws[c]
        self._arrive(self._new_ticket(c, draws, i, self.env._now), draws, i)
        if k + 1 < len(self._arrival_times):
            self._after(self._arrival_times[k + 1] - self.env._now, self._arrival, k + 1)

    def _new_ticket(self, channel: int, draws: _DrawRows, i: int, now: float) -> Ticket:
        ticket = Ticket()
        ticket.id = self.next_id
        self.next_id += 1
        ticket.channel = channel
        ticket.arrival = now
        ticket.category = draws.category[i]
        ticket.vip = draws.vip[i]
        ticket.priority = self.priorities.vip if ticket.vip else 0
        ticket.patience = draws.patience[i]
        ticket.base_handle = draws.handle[i]
        ticket.handoffs = draws.handoff[i]
        ticket.depth = draws.depth[i]
        ticket.will_follow_up = draws.follows_up[i]
        ticket.follow_up_delay = draws.follow_up_delay[i]
        ticket.escalations = 0
        self.open[ticket.id] = ticket
        return ticket

    def _arrive(self, ticket: Ticket, draws: _DrawRows, i: int) -> None:
        """A new contact (not a follow-up) goes to the channel's bot, if any, or to the queue."""
        bot = self.bot_of_channel[ticket.channel]
        if bot >= 0:
            ticket.bot = True
            ticket.state = IN_BOT
            if ticket.arrival >= 0:
                self.bot_conversations[bot] += 1
            outcome = DEFLECTED if draws.bot_resolves[i] else (BOT_ABANDONED if draws.bot_abandons[i] else -1)
            self._after(draws.bot_seconds[i], self._bot_done, (ticket, outcome, bot))
        else:
            self._enqueue(ticket)

    def _bot_done(self, event: _Call) -> None:
        ticket, outcome, bot = event._value
        if outcome >= 0:
            self._finish(ticket, outcome)
            return
        handoff = self.scenario.automation[bot].handoff
        ticket.priority = max(ticket.priority, handoff.priority)
        ticket.extra_handle = handoff.extra_handle_minutes * 60.0
        self._enqueue(ticket)

    # --- queueing and matching ------------------------------------------------------

    def _enqueue(self, ticket: Ticket) -> None:
        """The ticket joins the human queue of its current stage, or is served at once."""
        now = self.env._now
        skill = self.stage_skills[ticket.category][ticket.stage]
        ticket.skill = skill
        ticket.state = WAITING
        ticket.visit += 1
        if ticket.stage == 0:
            ticket.queued_at = now
        ticket.joined = now
        routes = self.routes[skill]
        for g, delay in routes:
            if delay <= 0:
                agent = self._take_agent(self.groups[g], ticket.channel)
                if agent is not None:
                    self._start(ticket, agent)
                    return
        ticket.klass = self._klass(ticket.stage == 0 and self.realtime[ticket.channel], ticket.priority)
        self.queues[(skill, ticket.channel, ticket.klass)].append((ticket, ticket.visit))
        if ticket.stage == 0:
            self.waiting_by_channel[ticket.channel].add(now, 1)
        self.waiting_by_skill[skill].add(now, 1)
        if ticket.stage == 0 and ticket.patience < math.inf:
            self._after(ticket.patience, self._patience_out, (ticket, ticket.visit))
        for g, delay in routes:
            if delay > 0:
                self._after(delay, self._overflow, (ticket, ticket.visit, g))

    def _take_agent(self, group: _GroupState, channel: int) -> Agent | None:
        """A free agent of ``group`` for a contact on ``channel``: longest idle first, then
        the agent holding the fewest conversations of that channel, if it allows concurrency.
        """
        if group.idle:
            return group.idle.popleft()
        limit = self.concurrency[channel]
        if limit > 1 and group.partial:
            best = None
            for agent in group.partial:
                if agent.channel == channel and agent.count < limit and (best is None or agent.count < best.count):
                    best = agent
            return best
        return None

    def _leave_queue(self, ticket: Ticket, now: float) -> None:
        if ticket.stage == 0:
            self.waiting_by_channel[ticket.channel].add(now, -1)
        self.waiting_by_skill[ticket.skill].add(now, -1)

    def _patience_out(self, event: _Call) -> None:
        ticket, visit = event._value
        if ticket.state == WAITING and ticket.visit == visit:
            now = self.env._now
            self._leave_queue(ticket, now)
            ticket.first_wait = now - ticket.queued_at
            ticket.total_wait += ticket.first_wait
            self._finish(ticket, ABANDONED)

    def _overflow(self, event: _Call) -> None:
        ticket, visit, g = event._value
        if ticket.state == WAITING and ticket.visit == visit:
            agent = self._take_agent(self.groups[g], ticket.channel)
            if agent is not None:
                self._leave_queue(ticket, self.env._now)
                self._start(ticket, agent)

    def _start(self, ticket: Ticket, agent: Agent) -> None:
        """Agent ``agent`` starts work on ``ticket`` now."""
        now = self.env._now
        channel = ticket.channel
        wait = now - ticket.joined
        ticket.total_wait += wait
        ticket.state = SERVING
        ticket.agent = agent
        if ticket.stage == 0 and ticket.responded_at != ticket.responded_at:  # NaN: not answered yet
            ticket.responded_at = now
            ticket.first_wait = wait
            ticket.first_group = agent.group
        group = self.groups[agent.group]
        factor = group.proficiency[ticket.skill] * (1.0 + self.slowdown[channel] * agent.count)
        handle = ticket.base_handle[ticket.stage] * factor + (ticket.extra_handle if ticket.stage == 0 else 0.0)
        ticket.handled += handle
        if now >= 0:
            self.served[agent.group][int(now // self.interval_s)] += 1
        limit = self.concurrency[channel]
        if agent.count == 0 and self.track_occupied:
            self.occupied[agent.group].add(now, 1)
        agent.count += 1
        agent.channel = channel
        self.busy[agent.group].add(now, 1.0 / limit)
        if agent.count < limit and not agent.leaving:
            if not agent.in_partial:
                agent.in_partial = True
                group.partial.append(agent)
        elif agent.in_partial:
            agent.in_partial = False
            group.partial.remove(agent)
        self._after(handle, self._service_done, ticket)

    def _service_done(self, event: _Call) -> None:
        ticket: Ticket = event._value
        agent = ticket.agent
        assert agent is not None
        ticket.agent = None
        now = self.env._now
        group = self.groups[agent.group]
        agent.count -= 1
        self.busy[agent.group].add(now, -1.0 / self.concurrency[ticket.channel])
        if agent.count == 0:
            if self.track_occupied:
                self.occupied[agent.group].add(now, -1)
            if agent.in_partial:
                agent.in_partial = False
                group.partial.remove(agent)
        if ticket.stage + 1 < ticket.depth:
            ticket.stage += 1
            ticket.escalations += 1
            ticket.priority = max(ticket.priority, self.priorities.escalated)
            delay = ticket.handoffs[ticket.stage - 1]
            if delay > 0:
                ticket.state = HANDOFF
                self._after(delay, self._handoff_done, ticket)
            else:
                self._enqueue(ticket)
        else:
            self._finish(ticket, RESOLVED)
        self._agent_free(agent)

    def _handoff_done(self, event: _Call) -> None:
        self._enqueue(event._value)

    def _agent_free(self, agent: Agent) -> None:
        """``agent`` has room for work: serve waiting tickets, or go idle or off duty."""
        group = self.groups[agent.group]
        now = self.env._now
        if agent.leaving:
            if agent.count == 0:
                agent.leaving = False
                del group.on_duty[agent]
                self.staffed[agent.group].add(now, -1)
            return
        while agent.count == 0 or agent.count < self.concurrency[agent.channel]:
            best = None
            best_klass = 0
            best_queue: deque[tuple[Ticket, int]] | None = None
            for klass, queue, delay, channel in group.sources:
                if best is not None and klass > best_klass:
                    break
                if agent.count and channel != agent.channel:
                    continue
                while queue:
                    head, visit = queue[0]
                    if head.state == WAITING and head.visit == visit:
                        break
                    queue.popleft()
                if not queue:
                    continue
                head = queue[0][0]
                if delay > 0 and now - head.joined < delay - _EPS:
                    continue
                if best is None or head.joined < best.joined:
                    best, best_klass, best_queue = head, klass, queue
            if best is None or best_queue is None:
                break
            best_queue.popleft()
            self._leave_queue(best, now)
            self._start(best, agent)
        if agent.count == 0:
            group.idle.append(agent)
        elif not agent.in_partial and agent.count < self.concurrency[agent.channel]:
            agent.in_partial = True
            group.partial.append(agent)

    def _finish(self, ticket: Ticket, outcome: int) -> None:
        """The ticket's fate is final: record it and forget it (a follow-up keeps a reference)."""
        now = self.env._now
        ticket.state = DONE
        ticket.outcome = outcome
        ticket.resolved_at = now
        del self.open[ticket.id]
        self.log.record(ticket)
        if outcome == RESOLVED and ticket.will_follow_up:
            self._after(ticket.follow_up_delay, self._follow_up, ticket)

    def _follow_up(self, event: _Call) -> None:
        """A resolved ticket comes back as a new contact on the follow-up channel (no bot)."""
        parent: Ticket = event._value
        follow_up = self.categories[parent.category].follow_up
        assert follow_up is not None
        c = self.channel_index[follow_up.channel]
        draws, i = self._follow_up_draws(c, parent.category)
        ticket = self._new_ticket(c, draws, i, self.env._now)
        ticket.parent = parent.id
        ticket.vip = parent.vip
        ticket.priority = self.priorities.vip if parent.vip else 0
        self._enqueue(ticket)

    def _follow_up_draws(self, channel: int, category: int) -> tuple[_DrawRows, int]:
        """Attributes for the next follow-up of ``category`` on ``channel``: drawn in batches of
        ``FOLLOW_UP_BATCH`` from the follow-up streams, handed out in order.
        """
        pool = self._follow_up_pools.get((channel, category))
        if pool is None or pool[1] == FOLLOW_UP_BATCH:
            rows = _DrawRows.of(
                draw_tickets(
                    self.scenario,
                    self.channels[channel],
                    FOLLOW_UP_BATCH,
                    self.streams,
                    source_prefix="follow_up",
                    categories=np.full(FOLLOW_UP_BATCH, category, dtype=np.int64),
                )
            )
            pool = self._follow_up_pools[(channel, category)] = [rows, 0]
        pool[1] += 1
        return pool[0], pool[1] - 1

    # --- staffing -------------------------------------------------------------------

    def _staffing_process(self, changes: list[tuple[float, int, int]]) -> Any:
        env = self.env
        for t, g, count in changes:
            if t > env.now:
                yield env.timeout(t - env.now)
            self._set_available(g, count)

    def _set_available(self, g: int, count: int) -> None:
        """Bring the number of agents of group ``g`` taking contacts to ``count``."""
        group = self.groups[g]
        now = self.env._now
        working = [a for a in group.on_duty if not a.leaving]
        change = count - len(working)
        if change > 0:
            for agent in [a for a in group.on_duty if a.leaving][:change]:
                agent.leaving = False
                change -= 1
                self._agent_free(agent)
            for _ in range(change):
                agent = Agent(g)
                group.on_duty[agent] = None
                self.staffed[g].add(now, 1)
                self._agent_free(agent)
        elif change < 0:
            remove = -change
            while remove and group.idle:
                agent = group.idle.pop()
                del group.on_duty[agent]
                self.staffed[g].add(now, -1)
                remove -= 1
            for agent in working:
                if remove == 0:
                    break
                if agent.count > 0:
                    agent.leaving = True
                    if agent.in_partial:
                        agent.in_partial = False
                        group.partial.remove(agent)
                    remove -= 1

    # --- running --------------------------------------------------------------------

    def _day(self, event: _Call) -> None:
        """Draw the new contacts of one day (or of the part of it inside the run) and schedule
        the first; drawing day by day keeps memory flat however long the horizon.
        """
        day: int = event._value
        begin = max(day * 86400.0, self.start_s)
        end = min((day + 1) * 86400.0, self.end_s)
        all_times, all_channels, all_index = [], [], []
        self.draws = []
        for c, channel in enumerate(self.channels):
            if self.trace is None:
                first = round(begin / self.interval_s)
                last = round(end / self.interval_s)
                rates = self.rates[c][first - self.first_k : last - self.first_k]
                times = arrival_times(
                    channel, rates, first, self.interval_s, self.streams.get("arrivals", channel.name)
                )
                categories = None
            else:
                times, categories = self.trace.for_channel(channel.name, begin, end, [k.name for k in self.categories])
            self.draws.append(
                _DrawRows.of(draw_tickets(self.scenario, channel, len(times), self.streams, categories=categories))
            )
            all_times.append(times)
            all_channels.append(np.full(len(times), c, dtype=np.int64))
            all_index.append(np.arange(len(times), dtype=np.int64))
        times = np.concatenate(all_times)
        order = np.argsort(times, kind="stable")
        self._arrival_times = times[order].tolist()
        self._arrival_channels = np.concatenate(all_channels)[order].tolist()
        self._arrival_index = np.concatenate(all_index)[order].tolist()
        if self._arrival_times:
            self._after(self._arrival_times[0] - self.env._now, self._arrival, 0)
        if end < self.end_s:
            self._after(end - self.env._now, self._day, day + 1)

    def run(self) -> ReplicationOutput:
        scenario = self.scenario
        self.first_k = first_interval(scenario.horizon)
        self.rates = [arrival_rates(c.arrivals, scenario.horizon) for c in self.channels]
        self._after(0.0, self._day, math.floor(self.start_s / 86400.0))

        changes: list[tuple[float, int, int]] = []
        self.rostered_seconds = np.zeros((len(self.groups), scenario.horizon.intervals))
        self.rostered_peak = np.zeros(len(self.groups))
        for g, group in enumerate(scenario.groups):
            step_times, rostered, available = roster_steps(group, scenario.horizon)
            measured = (step_times >= 0) | (np.append(step_times[1:], np.inf) > 0)
            self.rostered_peak[g] = float(rostered[measured].max())
            changes += [(float(t), g, int(n)) for t, n in zip(step_times, available, strict=True)]
            self.rostered_seconds[g] = _integrate_per_interval(
                step_times, rostered.astype(float), scenario.horizon.intervals, self.interval_s
            )
        changes.sort(key=lambda change: change[0])
        self.env.process(self._staffing_process(changes))
        self.env.run(until=self.end_s)

        occupied = self.occupied if self.track_occupied else []
        for level in (*self.waiting_by_channel, *self.waiting_by_skill, *self.staffed, *self.busy, *occupied):
            level.close(self.end_s)
        in_system = len(self.open)
        for ticket in sorted(self.open.values(), key=lambda t: t.id):
            self.log.record(ticket, self.end_s)
        return ReplicationOutput(
            log=self.log,
            tickets=self.log.columns(self.end_s),
            waiting_by_channel=self.waiting_by_channel,
            waiting_by_skill=self.waiting_by_skill,
            staffed=self.staffed,
            busy=self.busy,
            occupied=self.occupied,
            rostered_seconds=self.rostered_seconds,
            rostered_peak=self.rostered_peak,
            served=np.array(self.served, dtype=np.int64),
            bot_conversations=self.bot_conversations,
            end_seconds=self.end_s,
            in_system_at_end=in_system,
            tickets_created=self.next_id,
            skills=self.skills,
        )


def _integrate_per_interval(
    times: NDArray[np.float64], values: NDArray[np.float64], intervals: int, interval_s: float
) -> NDArray[np.float64]:
    """Integral of a step function over each measured interval."""
    level = Level(intervals, interval_s, float(values[0]) if times[0] <= 0 else 0.0)
    for t, v in zip(times.tolist(), values.tolist(), strict=True):
        level.set(max(t, 0.0), v)
    level.close(intervals * interval_s)
    return level.interval_areas


def run_replication(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    trace: ArrivalTrace | None = None,
    *,
    keep_tickets: bool = True,
) -> ReplicationOutput:
    """Simulate ``scenario`` once with the replication seed ``seed``.

    With a ``trace``, contacts arrive exactly when (and, if given, in the category) the trace
    says instead of following the channels' arrival profiles; channels the trace does not
    mention get no new contacts. ``keep_tickets=False`` keeps only streaming statistics,
    no per-ticket rows.
    """
    return _Simulation(scenario, seed, trace, keep_tickets=keep_tickets).run()
