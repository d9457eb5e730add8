"""What a replication keeps of its tickets: streaming statistics (optionally their rows).

The engine hands every ticket to :meth:`TicketLog.record` once, when its fate is final
(resolved, deflected, abandoned) or when the horizon ends (still open), and then forgets
it. The log packs the ticket into a row of :data:`ROW_DTYPE` (113 bytes) and, every
:data:`ROW_CHUNK` rows, adds the chunk in numpy (:mod:`supportsim.engine.counting`) to counters
per (channel, category) for the whole horizon and per (channel, category, arrival interval)
for the interval table, and keeps the resolution times as float32 for exact percentiles;
then, without ``keep_rows``, it drops the chunk, so memory grows by 4 bytes per resolved
ticket however long the run. With ``keep_rows`` it keeps the chunks for the per-ticket
table, handed on as :class:`KeptTickets`, which makes columns of them only when they are read.

Only tickets that arrived in the measured window (time >= 0) count in the statistics.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Sequence
from functools import cached_property
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from supportsim.engine.counting import COUNTERS, INDEX, Rules, count_chunk, count_tiers
from supportsim.engine.entities import Ticket
from supportsim.engine.kept import ROW_STRUCT, KeptTickets, join_rows, row_bytes

__all__ = ["COUNTERS", "FORMULAS", "ROW_CHUNK", "BacklogAges", "TicketLog"]

FORMULAS = ("all_offered", "answered_only", "exclude_short_abandons")
"""Service-level formulas a channel's target may name (see :meth:`TicketLog.use_targets`)."""

ROW_CHUNK: Final = 4096
"""Rows are counted (and, when kept, packed into a typed array) every this many tickets."""

_pack: Final = ROW_STRUCT.pack


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
        self._tiers = any(t > 0 for t in tiers)
        self._shape = (len(COUNTERS), channels, categories, intervals + 1)
        # [counter, channel·category·interval]: a cell per arrival interval, the only copy (horizon
        # totals are their sums); interval ``intervals`` takes an arrival at the horizon's very end
        self._cells = np.zeros((len(COUNTERS), channels * categories * (intervals + 1)))
        # resolution times (minutes) per [channel][category], in the order the tickets finished
        self.resolution_minutes = [[array("f") for _ in range(categories)] for _ in range(channels)]
        self.keep_rows = keep_rows
        self.rows: list[bytes] = []  # the chunk being filled, packed rows
        self._open_rows: list[tuple[int, float]] = []  # (row in the chunk, horizon end) still waiting first
        self._packed: list[NDArray[np.void]] = []  # counted chunks as ROW_DTYPE arrays (keep_rows only)
        self._counted = 0  # rows counted so far
        self._waiting_at_end: list[int] = []  # kept rows still waiting for a first answer at the end
        self._responses: list[tuple[int, bool]] | None = [] if keep_rows else None  # (ticket id, satisfied)
        self._response_cells: list[tuple[int, bool]] = []  # (cell, satisfied), not yet counted
        # service-level formula (index in FORMULAS), short-abandon and FCR windows (seconds), per
        # channel: today's rule and 7 days until :meth:`use_targets` says otherwise
        self.formula = [0] * channels
        self.short_abandon = [0.0] * channels
        self.fcr_window = [7 * 86400.0] * channels
        self.backlog: list[BacklogAges | None] = [None] * channels  # async channels only
        self._backlogs = False
        self._cached_totals: list[list[list[float]]] | None = None

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
                self._backlogs = True
        return self

    def record(self, ticket: Ticket, end: float | None = None) -> None:
        """Add a ticket whose fate is final, or (with ``end``) one still open at the horizon's end."""
        rows = self.rows
        if end is not None and ticket.state_waiting_first:
            self._open_rows.append((len(rows), end))
            if self.keep_rows:
                self._waiting_at_end.append(self._counted + len(rows))
        values = ticket.row()
        try:
            rows.append(_pack(*values))
        except struct.error:  # a value of another type than its field's (not seen in the engine)
            rows.append(row_bytes(values))
        if self._backlogs:
            backlog = self.backlog[ticket.channel]
            if backlog is not None and ticket.queued_at == ticket.queued_at:  # joined a human queue
                backlog.add(ticket, end)
        if len(rows) == ROW_CHUNK:
            self._count()

    def record_row(self, values: tuple[Any, ...]) -> None:
        """Add a resolved ticket as its row's values (in :data:`ROW_DTYPE`'s order), as
        :meth:`record` would the ticket (the plain path's tickets: realtime, no backlog).
        """
        rows = self.rows
        try:
            rows.append(_pack(*values))
        except struct.error:  # a value of another type than its field's (not seen in the engine)
            rows.append(row_bytes(values))
        if len(rows) == ROW_CHUNK:
            self._count()

    def _count(self) -> None:
        """Add the chunk being filled to the counters; keep it packed with ``keep_rows``."""
        if not self.rows and not self._response_cells:
            return
        raw = join_rows(self.rows)
        still = np.zeros(len(raw), dtype=bool)
        end = np.full(len(raw), math.nan)
        for row, at in self._open_rows:
            still[row], end[row] = True, at
        rules = Rules(
            np.array(self.thresholds, dtype=float),
            np.array(self.formula, dtype=np.int64),
            np.array(self.short_abandon, dtype=float),
            np.array(self.fcr_window, dtype=float),
            self._shape[2],
            self.intervals,
            self.interval_seconds,
        )
        measured = count_chunk(raw, still, end, rules, self._cells, self.resolution_minutes)
        if self._tiers and len(measured):
            count_tiers(measured, self.went_on, self.finished_before)
        if self._response_cells:
            cells = np.array([cell for cell, _ in self._response_cells], dtype=np.intp)
            satisfied = np.array([s for _, s in self._response_cells], dtype=bool)
            size = self._cells.shape[1]
            self._cells[INDEX["responses"]] += np.bincount(cells, minlength=size)
            self._cells[INDEX["satisfied"]] += np.bincount(cells[satisfied], minlength=size)
            self._response_cells = []
        if self.keep_rows and len(raw):
            self._packed.append(raw)
        self._counted += len(raw)
        self.rows, self._open_rows = [], []
        self._cached_totals = None

    def add_response(self, ticket: Ticket, satisfied: bool) -> None:
        """A survey response of a recorded ticket (counted in the ticket's arrival interval)."""
        if self._responses is not None:
            self._responses.append((ticket.id, satisfied))
        if ticket.arrival >= 0:  # measured window only
            i = int(ticket.arrival // self.interval_seconds)
            _, _, categories, width = self._shape
            cell = (ticket.channel * categories + ticket.category) * width + min(i, self.intervals)
            self._response_cells.append((cell, satisfied))

    @property
    def _table(self) -> NDArray[np.float64]:
        """Every counter, ``[counter, channel, category, interval]`` (the rows recorded so far
        counted first).
        """
        if self.rows or self._response_cells:
            self._count()
        return self._cells.reshape(self._shape)

    def interval_counts(self) -> dict[str, NDArray[np.float64]]:
        """Every counter of :data:`COUNTERS` by name, as an array ``[channel, category, interval]``
        over the measured intervals.
        """
        table = self._table[:, :, :, : self.intervals].copy()
        return {name: table[i] for i, name in enumerate(COUNTERS)}

    def horizon_counts(self, pairs: list[tuple[int, int]]) -> dict[str, float]:
        """Every counter of :data:`COUNTERS` by name, summed over the whole horizon and the
        given (channel, category) pairs.
        """
        total = [0.0] * len(COUNTERS)
        totals = self._totals()
        for c, k in pairs:
            for i, value in enumerate(totals[c][k]):
                total[i] += value
        return dict(zip(COUNTERS, total, strict=True))

    def _totals(self) -> list[list[list[float]]]:
        """Horizon totals ``[channel][category][counter]``: the interval cells summed one after
        the other in interval order (``cumsum``, not numpy's pairwise ``sum``).
        """
        table = self._table  # counts what is pending first
        if self._cached_totals is None:
            sums = np.cumsum(table, axis=3)[:, :, :, -1]  # [counter, channel, category]
            self._cached_totals = np.moveaxis(sums, 0, 2).tolist()
        return self._cached_totals

    def kept(self, end: float) -> KeptTickets:
        """The kept rows, packed (empty without ``keep_rows``); ``end``: the horizon's end (s).
        Counts the rows not counted yet.
        """
        self._count()
        raw = np.concatenate(self._packed) if self._packed else join_rows([])
        self._packed = []
        waiting_at_end = np.zeros(len(raw), dtype=bool)
        waiting_at_end[self._waiting_at_end] = True
        return KeptTickets(raw, waiting_at_end, self._satisfied(raw["id"].astype(np.int64)), end)

    def columns(self, end: float) -> dict[str, NDArray[Any]]:
        """The kept rows as columns (empty arrays without ``keep_rows``)."""
        return self.kept(end).columns()

    def _satisfied(self, ids: NDArray[np.int64]) -> NDArray[np.float16]:
        """Per kept row: 1.0 satisfied, 0.0 not, NaN when the ticket gave no survey response."""
        out = np.full(len(ids), math.nan, dtype=np.float16)
        if self._responses:
            answered = np.array([i for i, _ in self._responses], dtype=np.int64)
            values = np.array([v for _, v in self._responses], dtype=np.float16)
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
