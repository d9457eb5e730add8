"""Queues and matching: where a waiting ticket sits and which agent serves it next.

:class:`Dispatch` holds the agents, the queues and the time-weighted levels of one
replication, and the event handlers between a ticket joining a human queue and leaving it
served (or abandoned, or overflowed to another group). A dispatcher-style matching
(``_enqueue`` for a new waiting ticket, ``_agent_free`` for an agent with room) replaces
per-group resources, so that one ticket can be served by several groups and one group can
serve several skills. :class:`~supportsim.engine.simulation.Simulation` adds arrivals,
bots, follow-ups, retrials and the run itself.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from itertools import compress
from typing import Any, Final

import simpy

from supportsim.engine.calls import NORMAL, Call, call_at, heappush
from supportsim.engine.choice import AgentChoice
from supportsim.engine.duty import Duty
from supportsim.engine.entities import (
    ABANDONED,
    DISCONNECTED,
    HANDOFF,
    RESOLVED,
    SERVING,
    WAITING,
    Agent,
    AgentGroup,
    Ticket,
)
from supportsim.engine.levels import Level
from supportsim.engine.streams import Streams
from supportsim.scenario.model import Scenario

_EPS: Final = 1e-9


class Dispatch:
    """Agents, queues and levels of one replication, and the handlers that match them.

    Handlers read the clock as ``now: float = self.env._now``: SimPy types ``_now`` as
    ``int | float``, and the annotation lets the compiled engine do its arithmetic natively.
    """

    def __init__(self, scenario: Scenario, env: simpy.Environment, streams: Streams):
        self.scenario = scenario
        self.env = env
        # the environment's event queue and event counter, which SimPy never replaces (see calls.call_at)
        self.heap: list[Any] = env._queue
        self.next_eid: Callable[[], int] = env._eid.__next__
        horizon = scenario.horizon
        self.interval_s = horizon.interval_minutes * 60.0
        self.skills = scenario.skills_needed()
        skill_index = {s: i for i, s in enumerate(self.skills)}
        self.channels = scenario.channels
        self.categories = scenario.categories
        self.realtime = [c.mode == "realtime" for c in self.channels]
        self.concurrency = [c.concurrency.max for c in self.channels]
        self.slowdown = [c.concurrency.slowdown for c in self.channels]
        self.lines = [c.lines or 0 for c in self.channels]  # 0: no limit
        self.in_lines = [0] * len(self.channels)  # contacts holding a line
        self.disconnect = [c.at_close == "disconnect" for c in self.channels]
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
        self.choice = AgentChoice(
            scenario.routing.group_choice,
            self.groups,
            self.concurrency,
            [c.concurrency.assign == "fill_first" for c in self.channels],
            streams.get("routing", ""),
        )
        self.by_preference = self.choice.rule == "preference"
        self.priorities = scenario.routing.priority
        self.realtime_first = scenario.routing.realtime_first
        self.vip_credit = self.priorities.vip_credit_seconds
        self.vip_priority = 0 if self.vip_credit > 0 else self.priorities.vip
        self.queues: dict[tuple[int, int, int, bool], deque[tuple[Ticket, int]]] = {}
        self._build_sources()
        intervals = horizon.intervals
        self.waiting_by_channel = [Level(intervals, self.interval_s) for _ in self.channels]
        self.waiting_by_skill = [Level(intervals, self.interval_s) for _ in self.skills]
        # per channel: its waiting level is also its skill's (the same Level, changed once)
        self.one_level = [False] * len(self.channels)
        self.staffed = [Level(intervals, self.interval_s) for _ in self.groups]
        self.busy = [Level(intervals, self.interval_s) for _ in self.groups]
        self.overtime = [Level(intervals, self.interval_s) for _ in self.groups]
        # Without chat concurrency an agent is occupied exactly when busy: one level serves both.
        self.track_occupied = any(n > 1 for n in self.concurrency)
        self.occupied = [Level(intervals, self.interval_s) for _ in self.groups] if self.track_occupied else self.busy
        self.served = [[0] * intervals for _ in self.groups]
        self.duty = Duty(self.env, self.groups, self.staffed, self.overtime, self._agent_free, self._closed)
        # each timed handler as an event's callbacks, made once (see calls.call_at); typed as
        # variable-length tuples, which the compiled engine keeps as objects (a fixed-length one
        # it would unpack, and pack anew at every read)
        self.at_patience_out: tuple[Any, ...] = (self._patience_out,)
        self.at_overflow: tuple[Any, ...] = (self._overflow,)
        self.at_service_done: tuple[Any, ...] = (self._service_done,)
        self.at_handoff_done: tuple[Any, ...] = (self._handoff_done,)

    def _finish(self, ticket: Ticket, outcome: int) -> None:
        """The ticket's fate is final (done by the replication: records, retrials, follow-ups)."""
        raise NotImplementedError

    def _klass(self, live: bool, priority: int) -> int:
        """Queue class of a waiting ticket (lower is served first). A ``live`` ticket is a
        realtime contact waiting for its first answer; escalated work is back-office work.
        """
        rank = 0 if (live or not self.realtime_first) else 1
        return rank * 100 + (99 - priority)

    def _build_sources(self) -> None:
        """Create one FIFO queue per (skill, channel, class) that can occur, and tell each
        group which queues it serves, lowest class first.
        """
        routing = self.scenario.routing
        # only the priorities a ticket can have: queues that stay empty would only slow
        # ``_agent_free`` down (and, being empty, never change which ticket it picks)
        priorities = {0}
        if any(c.escalation for c in self.categories):
            priorities.add(routing.priority.escalated)
        if any(c.vip_share > 0 for c in self.channels):
            priorities.add(routing.priority.vip)
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
        credits = [False, True] if self.vip_credit > 0 else [False]
        for s, c, live in kinds:
            for p in sorted(priorities):
                klass = self._klass(live, p)
                for credited in credits:
                    queue = self.queues.setdefault((s, c, klass, credited), deque())
                    credit = self.vip_credit if credited else 0.0
                    for g, delay in self.routes[s]:
                        self.groups[g].sources.append((klass, queue, delay, c, credit))
        for group in self.groups:
            group.sources.sort(key=lambda source: source[0])
            group.source_queues = [source[1] for source in group.sources]

    # --- queueing and matching ------------------------------------------------------

    def _enqueue(self, ticket: Ticket, joined: float | None = None) -> None:
        """The ticket joins the human queue of its current stage, or is served at once;
        ``joined`` (seconds) backdates a contact carried in at the start.
        """
        now: float = self.env._now
        skill = self.stage_skills[ticket.category][ticket.stage]
        ticket.skill = skill
        ticket.state = WAITING
        ticket.visit += 1
        since = now if joined is None else joined
        if ticket.stage == 0:
            ticket.queued_at = since
            if self.disconnect[ticket.channel] and not self._on_shift(skill):
                ticket.first_wait = 0.0
                self._finish(ticket, DISCONNECTED)
                return
        ticket.joined = since
        routes = self.routes[skill]
        if self.by_preference and self.concurrency[ticket.channel] == 1:
            agent = None  # self.choice.choose(routes, ticket.channel), inlined for its commonest case
            for g, delay in routes:
                if delay <= 0 and self.groups[g].idle:
                    agent = self.groups[g].idle.popleft()
                    break
        else:
            agent = self.choice.choose(routes, ticket.channel)
        if agent is not None:
            self._start(ticket, agent)
            return
        ticket.klass = self._klass(ticket.stage == 0 and self.realtime[ticket.channel], ticket.priority)
        credited = ticket.vip and self.vip_credit > 0
        self.queues[(skill, ticket.channel, ticket.klass, credited)].append((ticket, ticket.visit))
        if ticket.stage == 0:
            self.waiting_by_channel[ticket.channel].add(now, 1)
            if not self.one_level[ticket.channel]:
                self.waiting_by_skill[skill].add(now, 1)
        else:
            self.waiting_by_skill[skill].add(now, 1)
        if ticket.stage == 0 and ticket.patience < math.inf:
            call_at(self.heap, self.next_eid(), now + ticket.patience, self.at_patience_out, (ticket, ticket.visit))
        for g, delay in routes:
            if delay > 0:
                at = now + max(0.0, delay - (now - since))
                call_at(self.heap, self.next_eid(), at, self.at_overflow, (ticket, ticket.visit, g))

    def _leave_queue(self, ticket: Ticket, now: float) -> None:
        if ticket.stage == 0:
            self.waiting_by_channel[ticket.channel].add(now, -1)
            if not self.one_level[ticket.channel]:
                self.waiting_by_skill[ticket.skill].add(now, -1)
        else:
            self.waiting_by_skill[ticket.skill].add(now, -1)

    def share_waiting_levels(self) -> None:
        """Count a channel's and a skill's waiting tickets in one level where they are always
        equal (:meth:`_same_waiting`): the same numbers for one ``Level.add`` less per change.
        Only for contacts on the channels their categories name (not a replayed trace).
        """
        for c, s in self._same_waiting():
            self.waiting_by_skill[s] = self.waiting_by_channel[c]
            self.one_level[c] = True

    def _same_waiting(self) -> list[tuple[int, int]]:
        """(channel, skill) pairs whose waiting counts are always equal: every first-stage
        ticket of the channel needs the skill, and no other ticket (other channel, later stage)
        does.
        """
        names = [c.name for c in self.channels]
        uses: dict[int, set[tuple[int, int]]] = {}  # skill -> {(channel, stage > 0)}
        first: dict[int, set[int]] = {}  # channel -> skills of its first stage
        for category, skills in zip(self.categories, self.stage_skills, strict=True):
            channels = [names.index(n) for n in category.channels]
            if category.follow_up is not None:
                channels.append(names.index(category.follow_up.channel))
            for c in channels:
                first.setdefault(c, set()).add(skills[0])
                for stage, s in enumerate(skills):
                    uses.setdefault(s, set()).add((c, int(stage > 0)))
        pairs = []
        for c, needed in first.items():
            s = min(needed)
            if len(needed) == 1 and uses[s] == {(c, 0)}:
                pairs.append((c, s))
        return pairs

    def _patience_out(self, event: Call) -> None:
        ticket: Ticket
        visit: int
        ticket, visit = event._value
        if ticket.state == WAITING and ticket.visit == visit:
            now: float = self.env._now
            self._leave_queue(ticket, now)
            ticket.first_wait = now - ticket.queued_at
            ticket.total_wait += ticket.first_wait
            self._finish(ticket, ABANDONED)

    def _overflow(self, event: Call) -> None:
        ticket: Ticket
        visit: int
        g: int
        ticket, visit, g = event._value
        if ticket.state == WAITING and ticket.visit == visit:
            agent = self.choice.take(self.groups[g], ticket.channel)
            if agent is not None:
                self._leave_queue(ticket, self.env._now)
                self._start(ticket, agent)

    def _start(self, ticket: Ticket, agent: Agent) -> None:
        """Agent ``agent`` starts work on ``ticket`` now."""
        now: float = self.env._now
        channel = ticket.channel
        g = agent.group
        first = ticket.stage == 0
        wait = now - ticket.joined
        ticket.total_wait += wait
        ticket.state = SERVING
        ticket.agent = agent
        if first and ticket.responded_at != ticket.responded_at:  # NaN: not answered yet
            ticket.responded_at = now
            ticket.first_wait = wait
            ticket.first_group = g
        group = self.groups[g]
        factor = group.proficiency[ticket.skill] * (1.0 + self.slowdown[channel] * agent.count)
        handle = ticket.base_handle[ticket.stage] * factor + (ticket.extra_handle if first else 0.0)
        ticket.handled += handle
        if now >= 0:
            self.served[g][int(now // self.interval_s)] += 1
        limit = self.concurrency[channel]
        count = agent.count
        if count == 0 and self.track_occupied:
            self.occupied[g].add(now, 1)
        count += 1
        agent.count = count
        agent.channel = channel
        self.busy[g].add(now, 1.0 / limit)
        if count < limit and not agent.leaving:
            if not agent.in_partial:
                agent.in_partial = True
                group.partial.append(agent)
        elif agent.in_partial:
            agent.in_partial = False
            group.partial.remove(agent)
        # call_at(self.heap, self.next_eid(), now + handle, self.at_service_done, ticket), inlined: once per service
        entry: Any = (now + handle, NORMAL, self.next_eid(), Call(self.at_service_done, ticket))
        heappush(self.heap, entry)

    def _service_done(self, event: Call) -> None:
        ticket: Ticket = event._value
        agent = ticket.agent
        assert agent is not None
        ticket.agent = None
        now: float = self.env._now
        g = agent.group
        count = agent.count - 1
        agent.count = count
        self.busy[g].add(now, -1.0 / self.concurrency[ticket.channel])
        if count == 0:
            if self.track_occupied:
                self.occupied[g].add(now, -1)
            if agent.in_partial:
                agent.in_partial = False
                self.groups[g].partial.remove(agent)
        if ticket.stage + 1 < ticket.depth:
            if ticket.stage == 0 and self.lines[ticket.channel]:
                self.in_lines[ticket.channel] -= 1
            ticket.stage += 1
            ticket.escalations += 1
            ticket.priority = max(ticket.priority, self.priorities.escalated)
            delay = ticket.handoffs[ticket.stage - 1]
            if delay > 0:
                ticket.state = HANDOFF
                call_at(self.heap, self.next_eid(), now + delay, self.at_handoff_done, ticket)
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
        now: float = self.env._now
        if agent.leaving:
            if agent.count == 0:
                self.duty.release(agent)
            return
        while agent.count == 0 or agent.count < self.concurrency[agent.channel]:
            best = None
            best_klass = 0
            best_key = 0.0
            best_queue: deque[tuple[Ticket, int]] | None = None
            # only the sources with tickets in their queue (most are empty; ``compress`` skips them in C)
            for klass, queue, delay, channel, credit in compress(group.sources, group.source_queues):
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
                key = head.joined - credit
                if best is None or key < best_key:
                    best, best_klass, best_key, best_queue = head, klass, key, queue
            if best is None or best_queue is None:
                break
            best_queue.popleft()
            if best.stage == 0:  # self._leave_queue(best, now), inlined: once per queued ticket
                self.waiting_by_channel[best.channel].add(now, -1)
                if not self.one_level[best.channel]:
                    self.waiting_by_skill[best.skill].add(now, -1)
            else:
                self.waiting_by_skill[best.skill].add(now, -1)
            self._start(best, agent)
        if agent.count == 0:
            agent.idle_since = now
            group.idle.append(agent)
        elif not agent.in_partial and agent.count < self.concurrency[agent.channel]:
            agent.in_partial = True
            group.partial.append(agent)

    def _on_shift(self, skill: int) -> bool:
        """Someone of a group serving ``skill`` is rostered now."""
        rostered = self.duty.rostered
        return any(rostered[g] > 0 for g, _ in self.routes[skill])

    def _closed(self, g: int) -> None:
        """Group ``g``'s last shift ended: disconnect the contacts that nobody on shift serves,
        on channels with ``at_close: disconnect``.
        """
        for (skill, c, _, _), queue in self.queues.items():
            if not self.disconnect[c] or not any(h == g for h, _ in self.routes[skill]) or self._on_shift(skill):
                continue
            now: float = self.env._now
            while queue:
                ticket, visit = queue.popleft()
                if ticket.state == WAITING and ticket.visit == visit and ticket.stage == 0:
                    self._leave_queue(ticket, now)
                    ticket.first_wait = now - ticket.queued_at
                    ticket.total_wait += ticket.first_wait
                    self._finish(ticket, DISCONNECTED)
