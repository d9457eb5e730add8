"""The contact table every log reader produces, and the error a log that cannot be read raises.

The contact table (:data:`CONTACT_COLUMNS`) has one row per contact. ``line`` is the line of
the file the contact comes from (the header is line 1). Durations are in seconds:
``ivr_seconds`` before reaching a human queue (IVR, bot), ``wait_seconds`` in the human queue
until answered or abandoned, ``handle_seconds`` from answer to end of service. ``outcome`` is
``served``, ``abandoned`` (left the human queue), ``left_ivr`` (left before reaching it) or
``open``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

Mode = Literal["realtime", "async"]
OUTCOMES = ("served", "abandoned", "left_ivr", "open")

CONTACT_COLUMNS = {
    "line": "line of the file the contact comes from (header = line 1)",
    "contact_id": "identifier in the log",
    "channel": "channel the contact came in on",
    "category": "contact type (call type, incident category)",
    "priority": "priority class as written in the log ('' unknown)",
    "created": "arrival time",
    "outcome": "served | abandoned | left_ivr | open",
    "ivr_seconds": "time in the IVR or bot before the human queue (NaN unknown)",
    "wait_seconds": "time in the human queue until answered or abandoned (NaN unknown)",
    "answered": "start of human service (NaT if none or unknown)",
    "ended": "end of service, or resolution (NaT if none or unknown)",
    "handle_seconds": "answer to end of service (NaN unknown)",
    "agent": "agent who served the contact (None unknown)",
    "customer_id": "caller or requester, to link a customer's contacts ('' unknown or anonymous)",
    "escalated": "reassigned or escalated at least once (NA unknown)",
    "reopened": "reopened after resolution (NA unknown)",
    "reopen_delay_hours": "resolution to reopening (NaN unknown)",
    "satisfied": "survey answer: satisfied or not (NA: no response, or unknown)",
}
"""The columns of the contact table and what each holds."""


class LogError(ValueError):
    """A log that cannot be read; the message names the file and the column or line."""

    def __init__(self, source: str | Path, message: str):
        self.source = str(source)
        super().__init__(f"{source}: {message}")


@dataclass(frozen=True)
class ContactLog:
    """A log read into the tidy contact table, with the problems met on the way.

    ``rows_read`` counts data rows of the file (events, for an event log);
    ``resolution_seconds`` is the precision of its timestamps (1 or 60).
    """

    source: str
    format: str
    mode: Mode
    contacts: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int
    resolution_seconds: float = 1.0
    notes: list[str] = field(default_factory=list)

    @property
    def period_start(self) -> pd.Timestamp:
        """Midnight of the first day with an arrival: minute 0 of a replay."""
        return pd.Timestamp(self.contacts["created"].min()).normalize()

    @property
    def days(self) -> int:
        """Whole days from :attr:`period_start` to the end of the last day with an arrival."""
        last = pd.Timestamp(self.contacts["created"].max()).normalize()
        return int((last - self.period_start) / pd.Timedelta(days=1)) + 1

    @property
    def start_weekday(self) -> str:
        """Weekday (``mon`` .. ``sun``) of the first day."""
        return self.period_start.day_name()[:3].lower()

    def arrival_minutes(self) -> np.ndarray:
        """Arrival of each contact in minutes after :attr:`period_start`."""
        delta = self.contacts["created"] - self.period_start
        return (delta.dt.total_seconds() / 60.0).to_numpy(dtype=float)

    def problem_counts(self) -> pd.DataFrame:
        """One row per (reason, action): how many rows, and the first few lines."""
        return count_problems(self.problems)

    @property
    def excluded(self) -> int:
        """Rows left out of the contact table."""
        if self.problems.empty:
            return 0
        return int(self.problems.loc[self.problems["action"] == "excluded", "line"].nunique())


def tidy_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Columns in the documented order and types."""
    out = contacts.reindex(columns=list(CONTACT_COLUMNS))
    for column in ("ivr_seconds", "wait_seconds", "handle_seconds", "reopen_delay_hours"):
        out[column] = out[column].astype(float)
    for column in ("escalated", "reopened", "satisfied"):
        out[column] = out[column].astype("boolean")
    for column in ("created", "answered", "ended"):
        out[column] = out[column].astype("datetime64[ns]")
    out["agent"] = out["agent"].astype(object).where(out["agent"].notna(), None)
    out["priority"] = out["priority"].fillna("").astype(str)
    out["customer_id"] = out["customer_id"].astype(object).where(out["customer_id"].notna(), "").astype(str)
    return out.sort_values(["created", "line"], kind="stable").reset_index(drop=True)


def count_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Bad rows (``line``, ``reason``, ``action``) counted per (reason, action), most common first,
    with the first few lines of each.
    """
    if problems.empty:
        return pd.DataFrame(columns=["reason", "action", "rows", "lines"])
    grouped = problems.groupby(["reason", "action"], sort=False)["line"]
    out = grouped.agg(rows="size", lines=lambda s: ", ".join(str(v) for v in sorted(s)[:5])).reset_index()
    return out.sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)
