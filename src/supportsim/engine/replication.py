"""One replication of a scenario as a SimPy discrete-event simulation.

The ``simpy.Environment`` is created inside :func:`run_replication` and never leaves it.
Tickets and agents are plain objects; every timed step (arrival, bot conversation,
service, hand-off, patience running out, overflow to another group, shift change) is a
SimPy event whose callback moves the ticket on (see :mod:`supportsim.engine.calls`). A
dispatcher-style matching (``_enqueue`` for a new waiting ticket, ``_agent_free`` for an agent
with room) replaces per-group resources, so that one ticket can be served by several groups
and one group can serve several skills.

Random attributes come from :mod:`supportsim.engine.draws`, agents on duty from
:mod:`supportsim.engine.duty`, and every finished ticket goes to the
:class:`~supportsim.engine.records.TicketLog`.
"""

from __future__ import annotations

import gc
import math
from collections import deque

import numpy as np
import simpy

from supportsim.engine.calls import Call, call_after
from supportsim.engine.draws import NO_ARRIVALS, ArrivalTrace, DayDraws, DrawRows, FollowUpDraws
from supportsim.engine.duty import Duty, duty_steps
from supportsim.engine.entities import (
    ABANDONED,
    BOT_ABANDONED,
    DEFLECTED,
    DONE,
    HANDOFF,
    IN_BOT,
    RESOLVED,
    SERVING,
    WAITING,
    Agent,
    AgentGroup,
    Ticket,
)
from supportsim.engine.levels import Level
from supportsim.engine.records import ReplicationOutput, TicketLog
from supportsim.engine.streams import Streams
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import first_interval

_EPS = 1e-9


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
        horizon = scenario.horizon
        self.interval_s = horizon.interval_minutes * 60.0
        self.start_s = first_interval(horizon) * self.interval_s
        self.end_s = horizon.intervals * self.interval_s
        self.env = simpy.Environment(initial_time=self.start_s)
        self.streams = Streams(seed)
        self.day_draws = DayDraws(scenario, self.streams, trace)
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
            AgentGroup(i, {skill_index[s]: g.proficiency.get(s, 1.0) for s in g.skills if s in skill_index})
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
        self.follow_up_draws = FollowUpDraws(scenario, self.streams)
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

    # --- arrivals -------------------------------------------------------------------

    def _arrival(self, event: Call) -> None:
        """The next new contact arrives; the one after it is scheduled."""
        k: int = event._value
        arrivals = self.arrivals
        c, i = arrivals.channels[k], arrivals.index[k]
        draws = arrivals.rows[c]
        self._arrive(self._new_ticket(c, draws, i, self.env._now), draws, i)
        if k + 1 < len(arrivals.times):
            call_after(self.env, arrivals.times[k + 1] - self.env._now, self._arrival, k + 1)

    def _new_ticket(self, channel: int, draws: DrawRows, i: int, now: float) -> Ticket:
        ticket = Ticket()
        ticket.id = ticket.customer = self.next_id
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

    def _arrive(self, ticket: Ticket, draws: DrawRows, i: int) -> None:
        """A new contact (not a follow-up) goes to the channel's bot, if any, or to the queue."""
        bot = self.bot_of_channel[ticket.channel]
        if bot >= 0:
            ticket.bot = True
            ticket.state = IN_BOT
            if ticket.arrival >= 0:
                self.bot_conversations[bot] += 1
            outcome = DEFLECTED if draws.bot_resolves[i] else (BOT_ABANDONED if draws.bot_abandons[i] else -1)
            call_after(self.env, draws.bot_seconds[i], self._bot_done, (ticket, outcome, bot))
        else:
            self._enqueue(ticket)

    def _bot_done(self, event: Call) -> None:
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
            call_after(self.env, ticket.patience, self._patience_out, (ticket, ticket.visit))
        for g, delay in routes:
            if delay > 0:
                call_after(self.env, delay, self._overflow, (ticket, ticket.visit, g))

    def _take_agent(self, group: AgentGroup, channel: int) -> Agent | None:
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

    def _patience_out(self, event: Call) -> None:
        ticket, visit = event._value
        if ticket.state == WAITING and ticket.visit == visit:
            now = self.env._now
            self._leave_queue(ticket, now)
            ticket.first_wait = now - ticket.queued_at
            ticket.total_wait += ticket.first_wait
            self._finish(ticket, ABANDONED)

    def _overflow(self, event: Call) -> None:
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
        call_after(self.env, handle, self._service_done, ticket)

    def _service_done(self, event: Call) -> None:
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
                call_after(self.env, delay, self._handoff_done, ticket)
            else:
                self._enqueue(ticket)
        else:
            self._finish(ticket, RESOLVED)
        self._agent_free(agent)

    def _handoff_done(self, event: Call) -> None:
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
            call_after(self.env, ticket.follow_up_delay, self._follow_up, ticket)

    def _follow_up(self, event: Call) -> None:
        """A resolved ticket comes back as a new contact on the follow-up channel (no bot)."""
        parent: Ticket = event._value
        follow_up = self.categories[parent.category].follow_up
        assert follow_up is not None
        c = self.channel_index[follow_up.channel]
        draws, i = self.follow_up_draws.next(c, parent.category)
        ticket = self._new_ticket(c, draws, i, self.env._now)
        ticket.parent = parent.id
        ticket.vip = parent.vip
        ticket.priority = self.priorities.vip if parent.vip else 0
        self._enqueue(ticket)

    def _day(self, event: Call) -> None:
        """Draw the new contacts of one day (or of the part of it inside the run) and schedule
        the first; drawing day by day keeps memory flat however long the horizon.
        """
        day: int = event._value
        begin = max(day * 86400.0, self.start_s)
        end = min((day + 1) * 86400.0, self.end_s)
        self.arrivals = NO_ARRIVALS  # let the day before's draws go before drawing this day's
        self.arrivals = self.day_draws.draw(begin, end)
        if self.arrivals.times:
            call_after(self.env, self.arrivals.times[0] - self.env._now, self._arrival, 0)
        if end < self.end_s:
            call_after(self.env, end - self.env._now, self._day, day + 1)

    # --- running --------------------------------------------------------------------

    def run(self) -> ReplicationOutput:
        scenario = self.scenario
        call_after(self.env, 0.0, self._day, math.floor(self.start_s / 86400.0))

        steps, rostered_seconds, rostered_peak = duty_steps(scenario)
        self.env.process(Duty(self.env, self.groups, self.staffed, self._agent_free).follow(steps))
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
            rostered_seconds=rostered_seconds,
            rostered_peak=rostered_peak,
            served=np.array(self.served, dtype=np.int64),
            bot_conversations=self.bot_conversations,
            end_seconds=self.end_s,
            in_system_at_end=in_system,
            tickets_created=self.next_id,
            skills=self.skills,
        )


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

    Python's cyclic garbage collector is paused during the run: tickets, agents and events are
    freed by reference counting (they form no cycles), and the collector would otherwise walk
    every live ticket again and again (a quarter of the run time with the ticket table kept).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Simulation(scenario, seed, trace, keep_tickets=keep_tickets).run()
    finally:
        if collecting:
            gc.enable()
