"""The feedback stage: a survey after resolution, drawn from its own random stream.

Every ticket resolved by a human or deflected by a bot may be surveyed (``survey_share``), may
respond (``response_rate``) and, if it responds, is satisfied with the probability of the
scenario's logistic :class:`~supportsim.scenario.feedback.Satisfaction` model. Responses go to
the :class:`~supportsim.engine.records.TicketLog` (``responses``, ``satisfied``).

Common random numbers: the three uniforms of a ticket (surveyed, responds, satisfied) are
indexed by the ticket's id, not drawn in order of resolution, so two scenarios with the same
seed give the same customer the same uniforms whatever order their tickets finish in; a
longer wait can then only turn a satisfied answer into an unsatisfied one. The uniforms are
drawn in blocks of :data:`BLOCK` ids from the ``feedback`` stream (24 bytes per ticket id,
kept for the run, and only when the scenario has a ``feedback:`` section).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from supportsim.engine.entities import DEFLECTED, RESOLVED, Ticket
from supportsim.engine.records import TicketLog
from supportsim.engine.streams import Streams
from supportsim.scenario.feedback import Feedback

BLOCK = 1024
"""Ticket ids per block of survey uniforms."""


class Survey:
    """The survey of one replication (does nothing when ``feedback`` is None)."""

    def __init__(self, feedback: Feedback | None, streams: Streams, log: TicketLog):
        self.feedback = feedback
        self.log = log
        self._streams = streams
        self._blocks: list[NDArray[np.float64]] = []

    def _uniforms(self, ticket_id: int) -> NDArray[np.float64]:
        """The three uniforms of ticket ``ticket_id``: surveyed, responds, satisfied."""
        block = ticket_id // BLOCK
        if block >= len(self._blocks):
            generator = self._streams.get("feedback", "survey")
            while block >= len(self._blocks):
                self._blocks.append(generator.random((BLOCK, 3)))
        row: NDArray[np.float64] = self._blocks[block][ticket_id % BLOCK]
        return row

    def observe(self, ticket: Ticket) -> None:
        """Survey ``ticket`` if it was resolved or deflected; record a response in the log."""
        feedback = self.feedback
        if feedback is None or ticket.outcome not in (RESOLVED, DEFLECTED):
            return
        surveyed, responds, satisfied = self._uniforms(ticket.id)
        if surveyed >= feedback.survey_share or responds >= feedback.response_rate:
            return
        wait = ticket.first_wait
        p = feedback.satisfaction.probability(
            wait_minutes=0.0 if math.isnan(wait) else wait / 60.0,
            resolution_hours=(ticket.resolved_at - ticket.arrival) / 3600.0,
            escalations=ticket.escalations,
            reopened=ticket.outcome == RESOLVED and ticket.will_follow_up,
            bot_handoff=ticket.bot and ticket.outcome == RESOLVED,
        )
        self.log.add_response(ticket, bool(satisfied < p))
