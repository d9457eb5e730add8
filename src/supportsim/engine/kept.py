"""The per-ticket table of one replication as the engine keeps it: typed rows packed in
chunks while the run goes on (:data:`ROW_DTYPE`), made into columns only when read.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.engine.entities import OPEN, RESOLVED

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
        ("customer", np.int64),
        ("attempt", np.int32),
        ("follow_up_delay", np.float64),
        ("retrying", np.bool_),
    ]
)
"""One finished ticket: the :class:`Ticket` attributes of the same names (113 bytes a ticket).
The ticket log counts from these rows, and keeps them for the per-ticket table."""

_CODES = {
    np.dtype(np.int64): "q",
    np.dtype(np.int32): "i",
    np.dtype(np.int8): "b",
    np.dtype(np.bool_): "?",
    np.dtype(np.float64): "d",
}
ROW_STRUCT = struct.Struct("=" + "".join(_CODES[ROW_DTYPE[name]] for name in ROW_DTYPE.names or ()))
"""A :data:`ROW_DTYPE` row as bytes (native order, no padding: the dtype's own layout); packing
a ticket's values with it costs a third of numpy's conversion of tuples."""


def row_bytes(values: tuple[Any, ...]) -> bytes:
    """One row as bytes, for values :data:`ROW_STRUCT` refuses (of another type than their field)."""
    return np.array([values], dtype=ROW_DTYPE).tobytes()


def join_rows(rows: list[bytes]) -> NDArray[np.void]:
    """Packed rows as one typed array of :data:`ROW_DTYPE`."""
    return np.frombuffer(b"".join(rows), dtype=ROW_DTYPE)


@dataclass(frozen=True)
class KeptTickets:
    """The per-ticket rows of one replication, packed: 116 bytes a ticket (a :data:`ROW_DTYPE`
    row, a flag and a half float), turned into columns only when :meth:`columns` is called.
    """

    rows: NDArray[np.void]  # ROW_DTYPE, in the order the tickets were recorded
    waiting_at_end: NDArray[np.bool_]  # still waiting for a first answer at the horizon's end
    satisfied: NDArray[np.float16]  # 1.0 satisfied, 0.0 not, NaN without a survey response (exact in float16)
    end: float  # the horizon's end (seconds)

    def __len__(self) -> int:
        return len(self.rows)

    def columns(self) -> dict[str, NDArray[Any]]:
        """The rows as typed columns (times in seconds), as :func:`ticket_frame` reads them."""
        raw, waiting_at_end, end = self.rows, self.waiting_at_end, self.end
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
            "waiting_at_end": waiting_at_end.copy(),
            "first_wait_s": np.where(waiting_at_end, end - queued_at, raw["first_wait"].astype(float)),
            "responded_s": raw["responded_at"].astype(float),
            "resolved_s": np.where(done, raw["resolved_at"].astype(float), math.nan),
            "escalations": raw["escalations"].astype(np.int64),
            "total_wait_s": raw["total_wait"].astype(float),
            "handle_s": raw["handled"].astype(float),
            "first_group": raw["first_group"].astype(np.int64),
            "reopened": (outcome == RESOLVED) & raw["will_follow_up"].astype(bool),
            "customer_id": raw["customer"].astype(np.int64),
            "attempt": raw["attempt"].astype(np.int64),
            "satisfied": self.satisfied.astype(float),
        }
