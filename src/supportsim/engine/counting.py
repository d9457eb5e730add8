"""The ticket log's counters, added a chunk of packed rows at a time.

:class:`~supportsim.engine.records.TicketLog` packs every finished ticket into a
:data:`~supportsim.engine.kept.ROW_DTYPE` row and hands a chunk of rows to :func:`count_chunk`,
which adds them to the counters per (channel, category, arrival interval) in numpy. Counts are
integers held as floats (exact, so their order does not matter); the sums of times are added
with ``np.add.at``, which adds one row after the other in the rows' order, so every float sum
is the same, bit for bit, as adding each ticket's value as it finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.engine.entities import (
    ABANDONED,
    BLOCKED,
    BOT_ABANDONED,
    DEFLECTED,
    DISCONNECTED,
    OPEN,
    RESOLVED,
)

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
"""The counters of every (channel, category, arrival interval), in their order in the log."""

INDEX = {name: i for i, name in enumerate(COUNTERS)}
"""Position of each counter in :data:`COUNTERS`."""

_OUTCOME_COUNTERS = {
    ABANDONED: "abandoned",
    BLOCKED: "blocked",
    DISCONNECTED: "disconnected",
    BOT_ABANDONED: "bot_abandoned",
    OPEN: "open_at_end",
    DEFLECTED: "deflected",
    RESOLVED: "resolved",
}


@dataclass
class Rules:
    """What the counting reads of the scenario, per channel (arrays indexed by channel)."""

    thresholds: NDArray[np.float64]  # target threshold (s); NaN without a target
    formula: NDArray[np.int64]  # 0 all_offered, 1 answered_only, 2 exclude_short_abandons
    short_abandon: NDArray[np.float64]  # seconds
    fcr_window: NDArray[np.float64]  # seconds
    categories: int
    intervals: int
    interval_seconds: float


def count_chunk(
    rows: NDArray[np.void],
    still_waiting: NDArray[np.bool_],
    end: NDArray[np.float64],
    rules: Rules,
    cells: NDArray[np.float64],
    resolution: list[list[Any]],
) -> NDArray[np.void]:
    """Add ``rows`` (in the order the tickets finished) to ``cells`` (``[counter, cell]``, a cell
    per (channel, category, arrival interval ``0..intervals``)) and their resolution times
    (minutes, float32) to ``resolution[channel][category]`` (``array("f")``); ``still_waiting``
    flags rows still waiting for a first answer at ``end`` (seconds, per row). Only rows that
    arrived in the measured window count; returns them.
    """
    measured = rows["arrival"] >= 0.0
    if not measured.all():
        rows, still_waiting, end = rows[measured], still_waiting[measured], end[measured]
    if len(rows) == 0:
        return rows
    c = rows["channel"].astype(np.intp)
    arrival = rows["arrival"]
    i = np.clip((arrival // rules.interval_seconds).astype(np.intp), 0, rules.intervals)  # row `intervals`: at the end
    cell = (c * rules.categories + rows["category"]) * (rules.intervals + 1) + i
    size = cells.shape[1]

    def add(name: str, where: NDArray[np.bool_] | None) -> None:
        chosen = cell if where is None else cell[where]
        if len(chosen):
            cells[INDEX[name]] += np.bincount(chosen, minlength=size)

    outcome = rows["outcome"]
    threshold = rules.thresholds[c]
    has_target = threshold == threshold
    queued_at = rows["queued_at"]
    responded_at = rows["responded_at"]
    answered = responded_at == responded_at  # not NaN
    wait = rows["first_wait"].copy()
    disconnected = outcome == DISCONNECTED
    wait[still_waiting] = end[still_waiting] - queued_at[still_waiting]
    late_cut = disconnected & (wait != wait) & ~still_waiting
    wait[late_cut] = rows["resolved_at"][late_cut] - queued_at[late_cut]
    left = (outcome == ABANDONED) | disconnected
    past_target = still_waiting & (wait > threshold)
    formula = rules.formula[c]
    known = answered | (
        ((formula == 0) & (left | past_target))
        | ((formula == 2) & ((left & (wait > rules.short_abandon[c])) | past_target))
    )
    first = rows["attempt"] == 1
    add("offered", None)
    add("customers", first)
    add("retrials", ~first)
    add("queued", queued_at == queued_at)
    add("answered", answered)
    np.add.at(cells[INDEX["wait_sum"]], cell[answered], wait[answered])
    np.add.at(cells[INDEX["first_response_sum"]], cell[answered], (responded_at - arrival)[answered])
    add("answered_with_target", answered & has_target)
    add("escalated_answered", answered & (rows["escalations"] != 0))
    add("answered_within", answered & (wait <= threshold))
    add("target_known", known & has_target)
    for code, name in _OUTCOME_COUNTERS.items():
        add(name, outcome == code)
    gave_up = (outcome == ABANDONED) | (outcome == BLOCKED)
    add("gave_up", gave_up & ~rows["retrying"])
    resolved = outcome == RESOLVED
    follows = rows["will_follow_up"]
    add("reopened", resolved & follows)
    new = resolved & (rows["parent"] < 0)
    add("resolved_new", new)
    soon = follows & (rows["follow_up_delay"] <= rules.fcr_window[c])
    add("resolved_first_contact", new & first & ~soon)
    _add_resolution(rows, cell, resolved | (outcome == DEFLECTED), rules, cells, resolution)
    return rows


def _add_resolution(
    rows: NDArray[np.void],
    cell: NDArray[np.intp],
    done: NDArray[np.bool_],
    rules: Rules,
    cells: NDArray[np.float64],
    resolution: list[list[Any]],
) -> None:
    """Resolution times (minutes) of the resolved and deflected rows: summed per cell in the
    rows' order, and appended as float32 per (channel, category) in the same order.
    """
    if not done.any():
        return
    minutes = (rows["resolved_at"][done] - rows["arrival"][done]) / 60.0
    np.add.at(cells[INDEX["resolution_sum"]], cell[done], minutes)
    pair = rows["channel"][done].astype(np.intp) * rules.categories + rows["category"][done]
    as_float32 = minutes.astype(np.float32)
    first = int(pair[0])
    if (pair == first).all():
        resolution[first // rules.categories][first % rules.categories].frombytes(as_float32.tobytes())
        return
    for p in np.unique(pair).tolist():
        resolution[p // rules.categories][p % rules.categories].frombytes(as_float32[pair == p].tobytes())


def count_tiers(rows: NDArray[np.void], went_on: list[list[list[int]]], finished_before: list[list[list[int]]]) -> None:
    """Add measured ``rows`` to the per-tier escalation tallies ``[channel][category][tier]``:
    tier ``j`` counts tickets that went on to it, and those that finished tier ``j - 1``
    (went on, or were resolved there).
    """
    escalations = rows["escalations"]
    resolved = rows["outcome"] == RESOLVED
    width = len(went_on[0])  # categories
    pair = rows["channel"].astype(np.intp) * width + rows["category"]
    size = len(went_on) * width
    deepest = max(len(tiers) for channel in went_on for tiers in channel)
    for j in range(1, deepest):  # per tier, one count of every (channel, category) pair at once
        on = np.bincount(pair[escalations >= j], minlength=size).tolist()
        ended = np.bincount(pair[resolved & (escalations == j - 1)], minlength=size).tolist()
        for p in range(size):
            c, k = divmod(p, width)
            if j < len(went_on[c][k]):
                went_on[c][k][j] += on[p]
                finished_before[c][k][j] += on[p] + ended[p]
