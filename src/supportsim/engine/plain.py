"""The plain path: the same replication with fewer Python objects, for scenarios where nothing
happens to a contact between the start of its service and its end.

On a plain scenario (:func:`plain_scenario`: realtime channels without lines, bots,
patience, retrials, VIPs, chat concurrency or ``at_close: disconnect``; categories without
escalation or follow-ups; no overflow delays, no carried-in queue, no survey, no trace,
``group_choice: preference``) a contact's row of the ticket table is known in full when an
agent takes it: it ends resolved, at the service end on the event queue. :class:`PlainSimulation`
therefore makes no :class:`~supportsim.engine.entities.Ticket` for a contact an idle agent
takes on arrival, and drops the ticket of one that waited when its service starts; the
service-end event carries the row's values, and the log records them when it fires, exactly
when and as the general handlers would (same events in the same order, same levels, same
rows: ``tests/test_plain_path.py`` checks it). Contacts still in service when the horizon ends
are made tickets again, open, from those values.

The general handlers (:mod:`~supportsim.engine.simulation`, :mod:`~supportsim.engine.dispatch`)
stay the reference: a waiting contact is queued by them, and every other scenario uses them.
"""

from __future__ import annotations

import math
from typing import Any

from supportsim.engine.calls import NORMAL, Call, heappush
from supportsim.engine.draws import ArrivalTrace
from supportsim.engine.entities import OPEN, RESOLVED, SERVING, Agent, Ticket
from supportsim.engine.kept import ROW_DTYPE
from supportsim.engine.rows import DrawRows
from supportsim.engine.simulation import Simulation
from supportsim.scenario.model import Scenario

ROW_FIELDS = (
    "id", "parent", "channel", "category", "vip", "bot", "outcome", "arrival", "queued_at", "first_wait",
    "responded_at", "resolved_at", "escalations", "total_wait", "handled", "first_group", "will_follow_up",
    "customer", "attempt", "follow_up_delay", "retrying",
)  # fmt: skip
"""The order in which :meth:`PlainSimulation._serve` builds a row's values: :data:`ROW_DTYPE`'s."""
if ROW_DTYPE.names != ROW_FIELDS:  # pragma: no cover - a changed row must change _serve too
    raise ImportError("engine.plain builds rows in an order ROW_DTYPE no longer has: update _serve")


def plain_scenario(scenario: Scenario, trace: ArrivalTrace | None) -> bool:
    """Whether ``scenario`` (with ``trace``) can run on the plain path (see the module docstring)."""
    if trace is not None or scenario.initial or scenario.feedback is not None or scenario.automation:
        return False
    if scenario.routing.group_choice != "preference":
        return False
    for c in scenario.channels:
        if c.mode != "realtime" or c.lines or c.concurrency.max != 1 or c.at_close == "disconnect":
            return False
        if c.retrial is not None or c.patience_seconds is not None or c.vip_share > 0:
            return False
    if any(k.escalation or k.follow_up is not None for k in scenario.categories):
        return False
    return all((r.after_seconds or 0) <= 0 for s in scenario.skills_needed() for r in scenario.routes(s))


class PlainSimulation(Simulation):
    """A replication of a plain scenario: the plain path's handlers before the general ones."""

    def _admit(self, c: int, draws: DrawRows, i: int, now: float) -> None:
        """A new contact arrives: an idle agent takes it at once, or it is queued."""
        skill = self.stage_skills[draws.category[i]][0]
        for g, _ in self.routes[skill]:  # _enqueue's choice of an idle agent (no route delays here)
            idle = self.groups[g].idle
            if idle:
                ticket_id = self.next_id
                self.next_id = ticket_id + 1
                self._serve(ticket_id, c, draws, i, now, now, 0.0, skill, idle.popleft())
                break
        else:
            self._enqueue(self._new_ticket(c, draws, i, now))

    def _start(self, ticket: Ticket, agent: Agent) -> None:
        """Agent ``agent`` starts on a contact that waited: its ticket is no longer needed."""
        del self.open[ticket.id]
        now: float = self.env._now
        wait = now - ticket.joined
        self._serve(ticket.id, ticket.channel, ticket, -1, ticket.arrival, ticket.queued_at, wait, ticket.skill, agent)

    def _serve(
        self, ticket_id: int, c: int, draws: Any, i: int, arrival: float, queued_at: float, wait: float,
        skill: int, agent: Agent,
    ) -> None:  # fmt: skip
        """``agent`` serves the contact from now to its end; ``draws[i]`` (or, with ``i`` < 0, the
        ticket ``draws``) holds its category and draws. What ``_start`` and ``_finish`` would do.
        """
        now: float = self.env._now
        g = agent.group
        if i >= 0:
            category, vip, base = draws.category[i], draws.vip[i], draws.handle[i][0]
            follows, delay = draws.follows_up[i], draws.follow_up_delay[i]
        else:
            category, vip, base = draws.category, draws.vip, draws.base_handle[0]
            follows, delay = draws.will_follow_up, draws.follow_up_delay
        handle = base * (self.groups[g].proficiency[skill] * (1.0 + self.slowdown[c] * agent.count)) + 0.0
        if now >= 0:
            self.served[g][int(now // self.interval_s)] += 1
        agent.count = 1
        agent.channel = c
        self.busy[g].add(now, 1.0)
        at = now + handle
        # the row _finish would record; ``0.0 + x`` are the general path's sums, to the bit
        values = (
            ticket_id, -1, c, category, vip, False, RESOLVED, arrival, queued_at, wait,
            now, at, 0, 0.0 + wait, 0.0 + handle, g, follows,
            ticket_id, 1, delay, False,
        )  # fmt: skip
        entry: Any = (at, NORMAL, self.next_eid(), Call(self.at_service_done, (agent, values)))
        heappush(self.heap, entry)

    def _service_done(self, event: Call) -> None:
        """The service ends: the contact is resolved (recorded), the agent takes the next one."""
        agent, values = event._value
        agent.count = 0
        self.busy[agent.group].add(self.env._now, -1.0)
        self.log.record_row(values)
        self._agent_free(agent)

    def in_service_at_end(self) -> list[Ticket]:
        """The contacts still in service when the horizon ends, as open tickets."""
        tickets: list[Ticket] = []
        for entry in self.env._queue:
            event: Any = entry[3]  # a SimPy event or a Call (SimPy types its queue with Event)
            if isinstance(event, Call) and event.callbacks == self.at_service_done:
                ticket = Ticket()
                for name, value in zip(ROW_FIELDS, event._value[1], strict=True):
                    setattr(ticket, name, value)
                ticket.outcome, ticket.resolved_at, ticket.state = OPEN, math.nan, SERVING
                tickets.append(ticket)
        return tickets
