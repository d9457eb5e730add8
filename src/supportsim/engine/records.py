"""What a replication keeps: streaming statistics of its tickets (optionally their rows), and
its :class:`ReplicationOutput`.

The engine hands every ticket to :meth:`TicketLog.record` once, when its fate is final
(resolved, deflected, abandoned) or when the horizon ends (still open), and then forgets
it. The log adds the ticket to counters per (channel, category) for the whole horizon and
per (channel, category, arrival interval) for the interval table, and keeps its resolution
time as a float32 for exact percentiles, so memory grows by 4 bytes per resolved ticket
however long the run. With ``keep_rows`` it also keeps one row per ticket for the
per-ticket table, packed into typed arrays of :data:`ROW_DTYPE` (104 bytes a ticket) and
handed on as :class:`KeptTickets`, which makes columns of them only when they are read.

Only tickets that arrived in the measured window (time >= 0) count in the statistics.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.engine.entities import (
    ABANDONED,
    BLOCKED,
    BOT_ABANDONED,
    DEFLECTED,
    DISCONNECTED,
    RESOLVED,
    Ticket,
)
from supportsim.engine.kept import ROW_DTYPE, ROW_STRUCT, KeptTickets, join_rows, row_bytes
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
    "customers",
    "retrials",
    "blocked",
    "disconnected",
    "gave_up",
    "resolved_new",
    "resolved_first_contact",
    "responses",
    "satisfied",
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
    _CUSTOMERS,
    _RETRIALS,
    _BLOCKED_N,
    _DISCONNECTED_N,
    _GAVE_UP,
    _RESOLVED_NEW,
    _RESOLVED_FIRST,
    _RESPONSES,
    _SATISFIED,
) = range(len(COUNTERS))  # positions in a row of counters (this module only)

FORMULAS = ("all_offered", "answered_only", "exclude_short_abandons")
"""Service-level formulas a channel's target may name (see :meth:`TicketLog.use_targets`)."""

ROW_FIELDS = ROW_DTYPE.names or ()
ROW_CHUNK = 4096
"""Kept rows are packed into a typed array every this many tickets."""

_row = attrgetter(*ROW_FIELDS)
_pack = ROW_STRUCT.pack


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
        self.rows: list[bytes] | None = [] if keep_rows else None  # the chunk being filled, packed rows
        self._packed: list[NDArray[np.void]] = []  # full chunks as ROW_DTYPE arrays
        self._waiting_at_end: list[int] = []  # kept rows still waiting for a first answer at the end
        # service-level formula (index in FORMULAS), short-abandon and FCR windows (seconds), per
        # channel: today's rule and 7 days until :meth:`use_targets` says otherwise
        self.formula = [0] * channels
        self.short_abandon = [0.0] * channels
        self.fcr_window = [7 * 86400.0] * channels
        self.backlog: list[BacklogAges | None] = [None] * channels  # async channels only
        self._responses: list[tuple[int, bool]] | None = [] if keep_rows else None  # (ticket id, satisfied)

    def use_targets(self, channels: Sequence[Any]) -> TicketLog:
        """Follow the channels' targets (``Channel`` objects of the scenario, in order): each
        target's service-level ``formula``, ``short_abandon_seconds`` and ``fcr_window_days``;
        and track the backlog's age of the async channels. Returns the log itself.
        """
        for c, channel in enumerate(channels):
            target = channel.target
            if target is not None:
                self.formula[c] = FORMULAS.index(target.formula)
                self.short_abandon[c] = target.short_abandon_seconds or 0.0
                self.fcr_window[c] = target.fcr_window_days * 86400.0
            if channel.mode == "async":
                self.backlog[c] = BacklogAges(self.intervals, self.interval_seconds)
        return self

    def record(self, ticket: Ticket, end: float | None = None) -> None:
        """Add a ticket whose fate is final, or (with ``end``) one still open at the horizon's end."""
        rows = self.rows
        if rows is not None:
            if end is not None and ticket.state_waiting_first:
                self._waiting_at_end.append(len(self._packed) * ROW_CHUNK + len(rows))
            values = _row(ticket)
            try:
                rows.append(_pack(*values))
            except struct.error:  # a value of another type than its field's (not seen in the engine)
                rows.append(row_bytes(values))
            if len(rows) == ROW_CHUNK:
                self._packed.append(join_rows(rows))
                rows.clear()
        c = ticket.channel
        queued_at = ticket.queued_at
        queued = queued_at == queued_at  # not NaN: joined a human queue
        if queued and self.backlog[c] is not None:
            self.backlog[c].add(ticket, end)  # type: ignore[union-attr]
        if ticket.arrival < 0:
            return
        k = ticket.category
        i = int(ticket.arrival // self.interval_seconds)
        cell = self.interval_cells[c][k][i if i < self.intervals else self.intervals]
        outcome = ticket.outcome
        threshold = self.thresholds[c]
        responded_at = ticket.responded_at
        answered = responded_at == responded_at  # not NaN
        wait = ticket.first_wait
        still_waiting = end is not None and ticket.state_waiting_first
        if end is not None and still_waiting:
            wait = end - queued_at
        elif outcome == DISCONNECTED and wait != wait:
            wait = ticket.resolved_at - queued_at
        within = answered and wait <= threshold
        formula = self.formula[c]
        if formula == 0:  # all_offered
            known = answered or outcome in (ABANDONED, DISCONNECTED) or (still_waiting and wait > threshold)
        elif formula == 1:  # answered_only
            known = answered
        else:  # exclude_short_abandons
            left = outcome in (ABANDONED, DISCONNECTED)
            known = answered or (left and wait > self.short_abandon[c]) or (still_waiting and wait > threshold)
        cell[_OFFERED] += 1
        if ticket.attempt == 1:
            cell[_CUSTOMERS] += 1
        else:
            cell[_RETRIALS] += 1
        if queued:
            cell[_QUEUED] += 1
        if answered:
            cell[_ANSWERED] += 1
            cell[_WAIT_SUM] += wait
            cell[_FIRST_RESPONSE_SUM] += responded_at - ticket.arrival
            if threshold == threshold:
                cell[_ANSWERED_T] += 1
            if ticket.escalations:
                cell[_ESCALATED] += 1
        if within:
            cell[_WITHIN] += 1
        if known and threshold == threshold:
            cell[_KNOWN] += 1
        self._count_fate(ticket, cell)
        went_on = self.went_on[c][k]
        if len(went_on) > 1:  # the category has escalation tiers
            escalations = ticket.escalations
            finished_before = self.finished_before[c][k]
            for j in range(1, len(went_on)):
                if escalations >= j:
                    went_on[j] += 1
                    finished_before[j] += 1
                elif outcome == RESOLVED and escalations == j - 1:
                    finished_before[j] += 1

    def _count_fate(self, ticket: Ticket, cell: list[float]) -> None:
        """Count the ticket's outcome (and resolution time, FCR, final give-up) in ``cell``."""
        c, k, outcome = ticket.channel, ticket.category, ticket.outcome
        if outcome in (RESOLVED, DEFLECTED):
            minutes = (ticket.resolved_at - ticket.arrival) / 60.0
            cell[_RESOLUTION_SUM] += minutes
            self.resolution_minutes[c][k].append(minutes)
            if outcome == RESOLVED:
                cell[_RESOLVED_N] += 1
                if ticket.will_follow_up:
                    cell[_REOPENED] += 1
                if ticket.parent < 0:
                    cell[_RESOLVED_NEW] += 1
                    if ticket.attempt == 1 and not (
                        ticket.will_follow_up and ticket.follow_up_delay <= self.fcr_window[c]
                    ):
                        cell[_RESOLVED_FIRST] += 1
            else:
                cell[_DEFLECTED_N] += 1
        elif outcome == ABANDONED:
            cell[_ABANDONED_N] += 1
            if not ticket.retrying:
                cell[_GAVE_UP] += 1
        elif outcome == BLOCKED:
            cell[_BLOCKED_N] += 1
            if not ticket.retrying:
                cell[_GAVE_UP] += 1
        elif outcome == DISCONNECTED:
            cell[_DISCONNECTED_N] += 1
        elif outcome == BOT_ABANDONED:
            cell[_BOT_ABANDONED_N] += 1
        else:
            cell[_OPEN_N] += 1

    def add_response(self, ticket: Ticket, satisfied: bool) -> None:
        """A survey response of a recorded ticket (counted in the ticket's arrival interval)."""
        if self._responses is not None:
            self._responses.append((ticket.id, satisfied))
        if ticket.arrival >= 0:  # measured window only
            i = int(ticket.arrival // self.interval_seconds)
            cell = self.interval_cells[ticket.channel][ticket.category][i if i < self.intervals else self.intervals]
            cell[_RESPONSES] += 1
            cell[_SATISFIED] += satisfied

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

    def kept(self, end: float) -> KeptTickets:
        """The kept rows, packed (empty without ``keep_rows``); ``end``: the horizon's end (s)."""
        raw = np.concatenate([*self._packed, join_rows(self.rows or [])])
        self._packed, self.rows = [], ([] if self.rows is not None else None)
        waiting_at_end = np.zeros(len(raw), dtype=bool)
        waiting_at_end[self._waiting_at_end] = True
        return KeptTickets(raw, waiting_at_end, self._satisfied(raw["id"].astype(np.int64)), end)

    def columns(self, end: float) -> dict[str, NDArray[Any]]:
        """The kept rows as columns (empty arrays without ``keep_rows``)."""
        return self.kept(end).columns()

    def _satisfied(self, ids: NDArray[np.int64]) -> NDArray[np.float64]:
        """Per kept row: 1.0 satisfied, 0.0 not, NaN when the ticket gave no survey response."""
        out = np.full(len(ids), math.nan)
        if self._responses:
            answered = np.array([i for i, _ in self._responses], dtype=np.int64)
            values = np.array([v for _, v in self._responses], dtype=float)
            order = np.argsort(ids, kind="stable")
            where = np.searchsorted(ids, answered, sorter=order)
            out[order[where]] = values
        return out


class BacklogAges:
    """The backlog of an async channel seen through its tickets' waits for a first response.

    A ticket is in the backlog from joining the human queue (``queued_at``) until its first
    human response (or its end: abandoned, disconnected; still waiting at the horizon's end);
    its age is counted from its arrival. Per interval ``[a, b)`` the oldest age is the
    largest age any backlog ticket reached in it: ``min(leave, b) − arrival`` over tickets in
    the backlog at some moment of the interval. Exact, from each ticket's times alone: a
    range-minimum tree of arrivals over interval ends for those still waiting at ``b``, and
    the largest age at leaving for those who left inside the interval.
    """

    def __init__(self, intervals: int, interval_seconds: float):
        self.intervals = intervals
        self.interval_seconds = interval_seconds
        self._earliest = [math.inf] * (2 * intervals)  # tree: earliest arrival waiting at each interval end
        self._left_age = [0.0] * intervals  # largest age at leaving, per interval
        self._ends = [0] * (intervals + 1)  # difference array: tickets waiting at each interval end

    def add(self, ticket: Ticket, end: float | None) -> None:
        """Add a ticket that joined the queue, once its wait for a first response is over."""
        queued = ticket.queued_at
        if ticket.responded_at == ticket.responded_at:
            leave = ticket.responded_at
        elif end is not None and ticket.state_waiting_first:
            leave = math.inf
        else:
            leave = ticket.resolved_at
        if leave <= 0.0 or leave <= queued:
            return
        size, n = self.interval_seconds, self.intervals
        # waiting at the interval end b_k = (k + 1)·size when queued < b_k <= leave
        first = max(0, math.floor(queued / size))
        last = n - 1 if leave == math.inf else min(n - 1, math.floor(leave / size) - 1)
        if first <= last:
            self._cover(first, last, ticket.arrival)
        k = math.floor(leave / size) if leave < math.inf else n
        if k < n and leave > k * size:
            self._left_age[k] = max(self._left_age[k], leave - ticket.arrival)
        # counted at the instant b_k when queued <= b_k < leave
        first = max(0, math.ceil(queued / size) - 1)
        last = n - 1 if leave == math.inf else min(n - 1, math.ceil(leave / size) - 2)
        if first <= last:
            self._ends[first] += 1
            self._ends[last + 1] -= 1

    def _cover(self, first: int, last: int, arrival: float) -> None:
        tree, lo, hi = self._earliest, first + self.intervals, last + self.intervals + 1
        while lo < hi:
            if lo & 1:
                tree[lo] = min(tree[lo], arrival)
                lo += 1
            if hi & 1:
                hi -= 1
                tree[hi] = min(tree[hi], arrival)
            lo >>= 1
            hi >>= 1

    def oldest_age_seconds(self) -> NDArray[np.float64]:
        """Per interval: the largest age (seconds) a ticket in the backlog reached; 0 when empty
        (read once the run is over).
        """
        return self._oldest_ages.copy()

    @cached_property
    def _oldest_ages(self) -> NDArray[np.float64]:
        tree, n, size = self._earliest, self.intervals, self.interval_seconds
        ages = np.zeros(n)
        for k in range(n):
            node, earliest = k + n, math.inf
            while node >= 1:
                earliest = min(earliest, tree[node])
                node >>= 1
            ages[k] = max(self._left_age[k], (k + 1) * size - earliest if earliest < math.inf else 0.0)
        return ages

    def waiting_at_interval_ends(self) -> NDArray[np.float64]:
        """Per interval: tickets in the backlog at its end (after the events of that instant)."""
        return np.cumsum(self._ends[: self.intervals]).astype(float)


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
