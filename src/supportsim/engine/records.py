"""What a replication keeps: streaming statistics of its tickets (optionally their rows), and
its :class:`ReplicationOutput`.

The engine hands every ticket to :meth:`TicketLog.record` once, when its fate is final
(resolved, deflected, abandoned) or when the horizon ends (still open), and then forgets
it. The log adds the ticket to counters per (channel, category) for the whole horizon and
per (channel, category, arrival interval) for the interval table, and keeps its resolution
time as a float32 for exact percentiles, so memory grows by 4 bytes per resolved ticket
however long the run. With ``keep_rows`` it also keeps one row per ticket for the
per-ticket table, packed into typed arrays of :data:`ROW_DTYPE` (92 bytes a ticket).

Only tickets that arrived in the measured window (time >= 0) count in the statistics.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.engine.entities import ABANDONED, BOT_ABANDONED, DEFLECTED, OPEN, RESOLVED, Ticket
from supportsim.engine.levels import Level

COUNTERS = (
    "offered",
    "queued",
    "answered",
    "abandoned",
    "deflected",
    "bot_abandoned",
    "resolved",
    "open_at_end",
    "answered_within",
    "target_known",
    "answered_with_target",
    "wait_sum",
    "first_response_sum",
    "resolution_sum",
    "escalated_answered",
    "reopened",
)
(
    _OFFERED,
    _QUEUED,
    _ANSWERED,
    _ABANDONED_N,
    _DEFLECTED_N,
    _BOT_ABANDONED_N,
    _RESOLVED_N,
    _OPEN_N,
    _WITHIN,
    _KNOWN,
    _ANSWERED_T,
    _WAIT_SUM,
    _FIRST_RESPONSE_SUM,
    _RESOLUTION_SUM,
    _ESCALATED,
    _REOPENED,
) = range(len(COUNTERS))  # positions in a row of counters (this module only)

ROW_DTYPE = np.dtype(
    [
        ("id", np.int64),
        ("parent", np.int64),
        ("channel", np.int32),
        ("category", np.int32),
        ("vip", np.bool_),
        ("bot", np.bool_),
        ("outcome", np.int8),
        ("arrival", np.float64),
        ("queued_at", np.float64),
        ("first_wait", np.float64),
        ("responded_at", np.float64),
        ("resolved_at", np.float64),
        ("escalations", np.int32),
        ("total_wait", np.float64),
        ("handled", np.float64),
        ("first_group", np.int32),
        ("will_follow_up", np.bool_),
    ]
)
"""One kept ticket: the :class:`Ticket` attributes of the same names (92 bytes a ticket)."""

ROW_FIELDS = ROW_DTYPE.names or ()
ROW_CHUNK = 4096
"""Kept rows are packed into a typed array every this many tickets."""

_row = attrgetter(*ROW_FIELDS)


class TicketLog:
    """Streaming statistics of the tickets of one replication (see the module docstring)."""

    def __init__(
        self,
        channels: int,
        categories: int,
        tiers: list[int],
        thresholds: list[float],
        intervals: int,
        interval_seconds: float,
        *,
        keep_rows: bool,
    ):
        self.thresholds = thresholds  # seconds per channel; nan without a target
        self.interval_seconds = interval_seconds
        self.intervals = intervals
        self.went_on = [[[0] * (t + 1) for t in tiers] for _ in range(channels)]
        self.finished_before = [[[0] * (t + 1) for t in tiers] for _ in range(channels)]
        # [channel][category][interval][counter]: one row of counters per arrival interval, the
        # only copy (horizon totals are their sums); row ``intervals`` takes an arrival at the
        # horizon's very end, so the hot path needs no bounds test
        self.interval_cells = [
            [[[0.0] * len(COUNTERS) for _ in range(intervals + 1)] for _ in range(categories)] for _ in range(channels)
        ]
        self.resolution_minutes = [[array("f") for _ in range(categories)] for _ in range(channels)]
        self.rows: list[tuple[Any, ...]] | None = [] if keep_rows else None  # the chunk being filled
        self._packed: list[NDArray[np.void]] = []  # full chunks as ROW_DTYPE arrays
        self._waiting_at_end: list[int] = []  # kept rows still waiting for a first answer at the end

    def record(self, ticket: Ticket, end: float | None = None) -> None:
        """Add a ticket whose fate is final, or (with ``end``) one still open at the horizon's end."""
        rows = self.rows
        if rows is not None:
            if end is not None and ticket.state_waiting_first:
                self._waiting_at_end.append(len(self._packed) * ROW_CHUNK + len(rows))
            rows.append(_row(ticket))
            if len(rows) == ROW_CHUNK:
                self._packed.append(np.array(rows, dtype=ROW_DTYPE))
                rows.clear()
        if ticket.arrival < 0:
            return
        c, k = ticket.channel, ticket.category
        i = int(ticket.arrival // self.interval_seconds)
        cell = self.interval_cells[c][k][i if i < self.intervals else self.intervals]
        outcome = ticket.outcome
        threshold = self.thresholds[c]
        answered = ticket.responded_at == ticket.responded_at  # not NaN
        wait = ticket.first_wait
        if end is not None and ticket.state_waiting_first:
            wait = end - ticket.queued_at
        within = answered and wait <= threshold
        known = (
            answered or outcome == ABANDONED or (end is not None and ticket.state_waiting_first and wait > threshold)
        )
        known = known and threshold == threshold
        cell[_OFFERED] += 1
        if ticket.queued_at == ticket.queued_at:
            cell[_QUEUED] += 1
        if answered:
            cell[_ANSWERED] += 1
            cell[_WAIT_SUM] += wait
            cell[_FIRST_RESPONSE_SUM] += ticket.responded_at - ticket.arrival
            if threshold == threshold:
                cell[_ANSWERED_T] += 1
            if ticket.escalations:
                cell[_ESCALATED] += 1
        if within:
            cell[_WITHIN] += 1
        if known:
            cell[_KNOWN] += 1
        if outcome in (RESOLVED, DEFLECTED):
            minutes = (ticket.resolved_at - ticket.arrival) / 60.0
            cell[_RESOLUTION_SUM] += minutes
            self.resolution_minutes[c][k].append(minutes)
            if outcome == RESOLVED:
                cell[_RESOLVED_N] += 1
                if ticket.will_follow_up:
                    cell[_REOPENED] += 1
            else:
                cell[_DEFLECTED_N] += 1
        elif outcome == ABANDONED:
            cell[_ABANDONED_N] += 1
        elif outcome == BOT_ABANDONED:
            cell[_BOT_ABANDONED_N] += 1
        else:
            cell[_OPEN_N] += 1
        escalations = ticket.escalations
        went_on, finished_before = self.went_on[c][k], self.finished_before[c][k]
        for j in range(1, len(went_on)):
            if escalations >= j:
                went_on[j] += 1
                finished_before[j] += 1
            elif outcome == RESOLVED and escalations == j - 1:
                finished_before[j] += 1

    def interval_counts(self) -> dict[str, NDArray[np.float64]]:
        """Every counter of :data:`COUNTERS` by name, as an array ``[channel, category, interval]``
        over the measured intervals.
        """
        table = np.array(self.interval_cells, dtype=float)[:, :, : self.intervals, :]
        return {name: table[:, :, :, i] for i, name in enumerate(COUNTERS)}

    def horizon_counts(self, pairs: list[tuple[int, int]]) -> dict[str, float]:
        """Every counter of :data:`COUNTERS` by name, summed over the whole horizon and the
        given (channel, category) pairs.
        """
        total = [0.0] * len(COUNTERS)
        for c, k in pairs:
            for i, value in enumerate(self._totals[c][k]):
                total[i] += value
        return dict(zip(COUNTERS, total, strict=True))

    @cached_property
    def _totals(self) -> list[list[list[float]]]:
        """Horizon totals ``[channel][category][counter]``: the interval rows summed (read once
        the run is over: the sums are kept).
        """
        return [
            [[sum(column) for column in zip(*rows, strict=True)] for rows in by_category]
            for by_category in self.interval_cells
        ]

    def columns(self, end: float) -> dict[str, NDArray[Any]]:
        """The kept rows as columns (empty arrays without ``keep_rows``)."""
        raw = np.concatenate([*self._packed, np.array(self.rows or [], dtype=ROW_DTYPE)])
        waiting_at_end = np.zeros(len(raw), dtype=bool)
        waiting_at_end[self._waiting_at_end] = True
        queued_at = raw["queued_at"].astype(float)
        outcome = raw["outcome"].astype(np.int64)
        done = outcome != OPEN
        return {
            "ticket_id": raw["id"].astype(np.int64),
            "parent_id": raw["parent"].astype(np.int64),
            "channel": raw["channel"].astype(np.int64),
            "category": raw["category"].astype(np.int64),
            "vip": raw["vip"].astype(bool),
            "bot": raw["bot"].astype(bool),
            "outcome": outcome,
            "arrival_s": raw["arrival"].astype(float),
            "queued_s": queued_at,
            "waiting_at_end": waiting_at_end,
            "first_wait_s": np.where(waiting_at_end, end - queued_at, raw["first_wait"].astype(float)),
            "responded_s": raw["responded_at"].astype(float),
            "resolved_s": np.where(done, raw["resolved_at"].astype(float), math.nan),
            "escalations": raw["escalations"].astype(np.int64),
            "total_wait_s": raw["total_wait"].astype(float),
            "handle_s": raw["handled"].astype(float),
            "first_group": raw["first_group"].astype(np.int64),
            "reopened": (outcome == RESOLVED) & raw["will_follow_up"].astype(bool),
        }


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
