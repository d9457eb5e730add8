"""What one replication hands on: :class:`ReplicationOutput` (kept out of the compiled modules
of :mod:`supportsim.engine.compiled`, so that it keeps its docstrings).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.engine.kept import KeptTickets
from supportsim.engine.levels import Level
from supportsim.engine.records import TicketLog

__all__ = ["ReplicationOutput"]


@dataclass
class ReplicationOutput:
    """Everything one replication observed, before any metric is computed."""

    log: TicketLog
    kept: KeptTickets  # per-ticket rows; empty without keep_tickets
    waiting_by_channel: list[Level]
    waiting_by_skill: list[Level]
    staffed: list[Level]
    busy: list[Level]
    occupied: list[Level]
    rostered_seconds: NDArray[np.float64]  # per group and interval: paid agent-seconds
    overtime_seconds: NDArray[np.float64]  # per group and interval: agent-seconds beyond the people rostered
    rostered_peak: NDArray[np.float64]  # per group: most people rostered at once
    served: NDArray[np.int64]  # per group and interval: services started
    bot_conversations: NDArray[np.int64]  # per automation, measured window
    end_seconds: float
    in_system_at_end: int
    skills: list[str]
    tickets_created: int  # every ticket of the run: warm-up, measured window and follow-ups

    @cached_property
    def tickets(self) -> dict[str, NDArray[Any]]:
        """Per-ticket columns (empty arrays without keep_tickets), built on first read."""
        return self.kept.columns()
