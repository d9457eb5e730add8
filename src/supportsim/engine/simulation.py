"""The general handlers of one replication: the state and event handlers of a scenario's
SimPy discrete-event simulation, for every feature (:mod:`supportsim.engine.replication` runs it).

The ``simpy.Environment`` is created by :class:`Simulation` and never leaves it.
Tickets and agents are plain objects; every timed step (arrival, bot conversation,
service, hand-off, patience running out, overflow to another group, shift change, retrial)
is a SimPy event whose callback moves the ticket on (see :mod:`supportsim.engine.calls`).
Queues and the matching of tickets to agents are :class:`~supportsim.engine.dispatch.Dispatch`'s;
this module adds arrivals, bots, lines, retrials, follow-ups, the warm start and the run.

Random attributes come from :mod:`supportsim.engine.draws`, agents on duty from
:mod:`supportsim.engine.duty`, and every finished ticket goes to the
:class:`~supportsim.engine.records.TicketLog`.
"""

from __future__ import annotations

import math
from heapq import heappop
from typing import Any

import numpy as np
import simpy

from supportsim.engine.calls import NORMAL, Call, call_after, call_at, heappush
from supportsim.engine.dispatch import Dispatch
from supportsim.engine.draws import ArrivalTrace, DayDraws, FollowUpDraws, RetrialDraws, initial_draws
from supportsim.engine.duty import duty_steps
from supportsim.engine.entities import (
    ABANDONED,
    BLOCKED,
    BOT_ABANDONED,
    DEFLECTED,
    DONE,
    IN_BOT,
    RESOLVED,
    Ticket,
)
from supportsim.engine.feedback import Survey
from supportsim.engine.output import ReplicationOutput
from supportsim.engine.records import TicketLog
from supportsim.engine.rows import NO_ARRIVALS, DrawRows
from supportsim.engine.streams import Streams
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import first_interval

_CARRIED_ON_RETRIAL = (
    "customer",
    "channel",
    "category",
    "vip",
    "priority",
    "base_handle",
    "handoffs",
    "depth",
    "will_follow_up",
    "follow_up_delay",
    "parent",
    "extra_handle",
    "bot",
)
"""What a customer's next attempt keeps of the one before (the rest is drawn anew or reset)."""


class Simulation(Dispatch):
    """The state and event handlers of one replication (the reference for every scenario;
    :class:`~supportsim.engine.plain.PlainSimulation` overrides a few for plain ones).
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: np.random.SeedSequence,
        trace: ArrivalTrace | None = None,
        *,
        keep_tickets: bool = True,
    ):
        horizon = scenario.horizon
        interval_s = horizon.interval_minutes * 60.0
        self.start_s = first_interval(horizon) * interval_s
        self.end_s = horizon.intervals * interval_s
        self.streams = Streams(seed)
        super().__init__(scenario, simpy.Environment(initial_time=self.start_s), self.streams)
        self.day_draws = DayDraws(scenario, self.streams, trace)
        if trace is None:  # a trace may put any category on any channel
            self.share_waiting_levels()
        self.channel_index = {c.name: i for i, c in enumerate(self.channels)}
        self.retrial = [c.retrial for c in self.channels]
        self.retrial_draws = RetrialDraws(scenario, self.streams)
        self.follow_up_draws = FollowUpDraws(scenario, self.streams)
        self.bot_of_channel = [
            next((i for i, a in enumerate(scenario.automation) if c.name in a.channels), -1) for c in self.channels
        ]
        self.bot_conversations = np.zeros(len(scenario.automation), dtype=np.int64)
        self.open: dict[int, Ticket] = {}  # tickets in the system, by id
        # follow-ups due after the current day's end, (time, event id, parent), held out of the
        # environment's queue until their day's draws (a smaller queue for every other event)
        self.held_follow_ups: list[tuple[float, int, Ticket]] = []
        self.at_arrival: tuple[Any, ...] = (self._arrival,)  # made once, as in Dispatch.__init__
        self.at_follow_up: tuple[Any, ...] = (self._follow_up,)
        self.at_retry: tuple[Any, ...] = (self._retry,)
        self.day_end = -math.inf  # seconds; the end of the day whose contacts are drawn
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
        self.feedback = Survey(scenario.feedback, self.streams, self.log.use_targets(self.channels))
        self.surveying = scenario.feedback is not None

    # --- arrivals -------------------------------------------------------------------

    def _arrival(self, event: Call) -> None:
        """The next new contact arrives (:meth:`_admit`); the one after it is scheduled."""
        k: int = event._value
        arrivals = self.arrivals
        now: float = self.env._now
        c = arrivals.channels[k]
        self._admit(c, arrivals.rows[arrivals.block[k]], arrivals.index[k], now)
        if k + 1 < len(arrivals.times):
            # call_at(self.heap, self.next_eid(), now + (times[k + 1] - now), self.at_arrival, k + 1),
            # inlined (once per contact): the same heap entry, with this event, already processed,
            # armed again for the next arrival instead of a new one (``Environment.step`` has let
            # go of its callbacks)
            at = now + (arrivals.times[k + 1] - now)
            event.callbacks = self.at_arrival
            event._value = k + 1
            entry: Any = (at, NORMAL, self.next_eid(), event)
            heappush(self.heap, entry)

    def _admit(self, c: int, draws: DrawRows, i: int, now: float) -> None:
        """A new contact on channel ``c`` with the draws ``draws[i]`` arrives now."""
        ticket = self._new_ticket(c, draws, i, now)
        if self.lines[c] or self.bot_of_channel[c] >= 0:
            self._arrive(ticket, draws, i)
        else:  # no line to take, no bot: what _arrive would do
            self._enqueue(ticket)

    def _new_ticket(self, channel: int, draws: DrawRows, i: int, now: float) -> Ticket:
        ticket = Ticket()
        ticket.id = ticket.customer = self.next_id
        self.next_id += 1
        ticket.channel = channel
        ticket.arrival = now
        ticket.category = draws.category[i]
        ticket.vip = draws.vip[i]
        ticket.priority = self.vip_priority if ticket.vip else 0
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
        if self.lines[ticket.channel] and not self._take_line(ticket):
            return
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

    def _finish(self, ticket: Ticket, outcome: int) -> None:
        """The ticket's fate is final: record it and forget it (a follow-up keeps a reference)."""
        now: float = self.env._now
        ticket.state = DONE
        ticket.outcome = outcome
        ticket.resolved_at = now
        del self.open[ticket.id]
        c = ticket.channel
        if self.lines[c] and ticket.stage == 0 and outcome != BLOCKED:
            self.in_lines[c] -= 1
        retrial = self.retrial[c]
        if retrial is not None and outcome in (ABANDONED, BLOCKED):
            decide, delay, patience = self.retrial_draws.next(c)
            if decide < (retrial.probability if outcome == ABANDONED else retrial.blocked_probability):
                ticket.retrying = True
                same = retrial.patience == "same"
                value = (ticket, ticket.patience if same else patience)
                call_at(self.heap, self.next_eid(), now + delay, self.at_retry, value)
        if self.surveying:
            self.feedback.observe(ticket)
        self.log.record(ticket)
        if outcome == RESOLVED and ticket.will_follow_up:
            self._schedule_follow_up(now + ticket.follow_up_delay, ticket)

    def _schedule_follow_up(self, at: float, parent: Ticket) -> None:
        """``parent`` comes back at ``at`` seconds (:meth:`_follow_up`). Its event id is taken
        now, as ``call_at`` would; if the follow-up falls after the current day, it waits in
        ``held_follow_ups`` until :meth:`_day` draws its day and puts it on the environment's
        queue with that id, before it is due: the events run in the same order either way.
        """
        eid = self.next_eid()
        if at <= self.day_end:
            call_at(self.heap, eid, at, self.at_follow_up, parent)
        else:
            heappush(self.held_follow_ups, (at, eid, parent))

    def _take_line(self, ticket: Ticket) -> bool:
        """Seize one of the channel's lines, or finish the contact as blocked if all are taken."""
        c = ticket.channel
        if self.in_lines[c] >= self.lines[c]:
            ticket.first_wait = 0.0
            self._finish(ticket, BLOCKED)
            return False
        self.in_lines[c] += 1
        return True

    def _retry(self, event: Call) -> None:
        """A customer who gave up tries again: a new attempt with the same work and the patience
        the channel's ``retrial.patience`` gives (a new draw, or the first attempt's).
        """
        before, patience = event._value
        ticket = Ticket()
        ticket.id = self.next_id
        self.next_id += 1
        for name in _CARRIED_ON_RETRIAL:
            setattr(ticket, name, getattr(before, name))
        ticket.attempt = before.attempt + 1
        ticket.arrival = self.env._now
        ticket.patience = patience
        ticket.escalations = 0
        self.open[ticket.id] = ticket
        if self.lines[ticket.channel] and not self._take_line(ticket):
            return
        self._enqueue(ticket)

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
        ticket.priority = self.vip_priority if parent.vip else 0
        if self.lines[c] and not self._take_line(ticket):
            return
        self._enqueue(ticket)

    def _carry_in(self) -> None:
        """Put the contacts of ``initial:`` in their queues (warm start), oldest first."""
        for name, queue in self.scenario.initial.items():
            c = self.channel_index[name]
            rows, ages = initial_draws(self.scenario, self.channels[c], queue.count, self.streams)
            now: float = self.env._now
            for i in sorted(range(queue.count), key=lambda j: -ages[j]):
                ticket = self._new_ticket(c, rows, i, now - ages[i])
                if self.lines[c]:
                    self.in_lines[c] += 1
                self._enqueue(ticket, joined=ticket.arrival)

    def _day(self, event: Call) -> None:
        """Draw the new contacts of one day (or of the part of it inside the run) and schedule
        the first, and the follow-ups held for this day; drawing day by day keeps memory flat
        however long the horizon.
        """
        day: int = event._value
        begin = max(day * 86400.0, self.start_s)
        end = min((day + 1) * 86400.0, self.end_s)
        self.day_end = end
        held = self.held_follow_ups
        while held and held[0][0] <= end:  # all due after now: they were held past the day before
            at, eid, parent = heappop(held)
            call_at(self.heap, eid, at, self.at_follow_up, parent)
        self.arrivals = NO_ARRIVALS  # let the day before's draws go before drawing this day's
        self.arrivals = self.day_draws.draw(begin, end)
        if self.arrivals.times:
            call_after(self.env, self.arrivals.times[0] - self.env._now, self._arrival, 0)
        if end < self.end_s:
            call_after(self.env, end - self.env._now, self._day, day + 1)

    # --- running --------------------------------------------------------------------

    def in_service_at_end(self) -> list[Ticket]:
        """Contacts in service at the horizon's end that ``open`` does not hold (the plain path's)."""
        return []

    def run(self) -> ReplicationOutput:
        scenario = self.scenario
        call_after(self.env, 0.0, self._day, math.floor(self.start_s / 86400.0))

        steps, rostered_seconds, rostered_peak = duty_steps(scenario)
        self.env.process(self.duty.follow(steps))
        if scenario.initial:
            call_after(self.env, 0.0, lambda _event: self._carry_in(), None)
        self.env.run(until=self.end_s)

        occupied = self.occupied if self.track_occupied else []
        levels = (*self.waiting_by_channel, *self.waiting_by_skill, *self.staffed, *self.busy, *occupied)
        for level in (*levels, *self.overtime):
            level.close(self.end_s)
        still_open = sorted([*self.open.values(), *self.in_service_at_end()], key=lambda t: t.id)
        for ticket in still_open:
            self.log.record(ticket, self.end_s)
        in_system = len(still_open)
        # What is left goes now, by reference counting: the last day's draws, the events after
        # the horizon and the follow-ups held past it (they refer to this object, which is left
        # to the cyclic collector).
        self.arrivals = NO_ARRIVALS
        self.env._queue.clear()
        self.held_follow_ups.clear()
        return ReplicationOutput(
            log=self.log,
            kept=self.log.kept(self.end_s),
            waiting_by_channel=self.waiting_by_channel,
            waiting_by_skill=self.waiting_by_skill,
            staffed=self.staffed,
            busy=self.busy,
            occupied=self.occupied,
            rostered_seconds=rostered_seconds,
            overtime_seconds=np.array([level.interval_areas for level in self.overtime]),
            rostered_peak=rostered_peak,
            served=np.array(self.served, dtype=np.int64),
            bot_conversations=self.bot_conversations,
            end_seconds=self.end_s,
            in_system_at_end=in_system,
            tickets_created=self.next_id,
            skills=self.skills,
        )
