"""Tickets and agents: the plain objects the engine moves through bots, queues and tiers.

A ticket's ``state`` says where it is now; its ``outcome`` is its fate once final. Both are
small integers (module constants) because the engine reads them on every event.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

# Ticket states (``Final`` constants: the compiled engine reads them without a lookup by name)
IN_BOT: Final = 0
WAITING: Final = 1
SERVING: Final = 2
HANDOFF: Final = 3
DONE: Final = 4

# Ticket outcomes, and their names in the per-ticket table. BLOCKED: refused at arrival because
# the channel's lines were all taken (busy signal); DISCONNECTED: still waiting when no agent
# who serves it was on shift, on a channel with ``at_close: disconnect``.
OPEN: Final = 0
RESOLVED: Final = 1
DEFLECTED: Final = 2
ABANDONED: Final = 3
BOT_ABANDONED: Final = 4
BLOCKED: Final = 5
DISCONNECTED: Final = 6
OUTCOME_NAMES = ("open", "resolved", "deflected", "abandoned", "bot_abandoned", "blocked", "disconnected")


class Ticket:
    """A customer contact moving through bot, queues and tiers."""

    __slots__ = (
        "agent",
        "arrival",
        "attempt",
        "base_handle",
        "bot",
        "category",
        "channel",
        "customer",
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
        "retrying",
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
    attempt: int  # 1 for a customer's first attempt, 2 for the first retrial, ...
    base_handle: list[float]  # seconds per stage, before proficiency and slowdown
    bot: bool
    category: int
    channel: int
    customer: int  # id of the customer's first attempt (its own id on a first attempt)
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
    retrying: bool  # an abandoned or blocked attempt after which the customer tries again
    skill: int
    stage: int
    state: int
    total_wait: float
    vip: bool
    visit: int
    will_follow_up: bool

    def __init__(self) -> None:
        self.agent: Agent | None = None
        self.attempt = 1
        self.customer = -1
        self.retrying = False
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

    def row(self) -> tuple[Any, ...]:
        """The ticket's row of the per-ticket table: its values in the order of
        :data:`supportsim.engine.kept.ROW_DTYPE`'s fields (``tests/test_ticket_row.py`` checks the
        order), read directly rather than by name (once per ticket).
        """
        return (
            self.id,
            self.parent,
            self.channel,
            self.category,
            self.vip,
            self.bot,
            self.outcome,
            self.arrival,
            self.queued_at,
            self.first_wait,
            self.responded_at,
            self.resolved_at,
            self.escalations,
            self.total_wait,
            self.handled,
            self.first_group,
            self.will_follow_up,
            self.customer,
            self.attempt,
            self.follow_up_delay,
            self.retrying,
        )

    @property
    def state_waiting_first(self) -> bool:
        """Still waiting for the first human answer."""
        return self.state == WAITING and self.stage == 0


class Agent:
    """One agent of a group; holds up to the channel's concurrency of contacts at once."""

    __slots__ = ("away", "break_due", "channel", "count", "group", "idle_since", "in_partial", "leaving")

    def __init__(self, group: int):
        self.group = group
        self.count = 0
        self.channel = -1
        self.leaving = False  # takes no new contact: goes home, or on a break owed, when free
        self.in_partial = False
        self.break_due = 0.0  # seconds of break owed once the contacts in hand are done
        self.away = False  # on a break
        self.idle_since = 0.0  # seconds; when the agent last went idle


@dataclass
class AgentGroup:
    """Run-time state of an agent group."""

    index: int
    proficiency: dict[int, float]
    idle: deque[Agent] = field(default_factory=deque)
    partial: list[Agent] = field(default_factory=list)
    on_duty: dict[Agent, None] = field(default_factory=dict)  # ordered, for reproducibility
    sources: list[tuple[int, deque[tuple[Ticket, int]], float, int, float]] = field(default_factory=list)
    source_queues: list[deque[tuple[Ticket, int]]] = field(default_factory=list)  # each source's queue, in order
