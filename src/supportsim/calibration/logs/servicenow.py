"""The ServiceNow incident event log: one row per update of an incident; a contact is an incident."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from supportsim.calibration.logs.contacts import ContactLog, tidy_contacts
from supportsim.calibration.logs.parsing import (
    parse_numbers,
    parse_times,
    read_table,
    require_columns,
    seconds_between,
)
from supportsim.calibration.logs.problems import Problems, no_contacts

SERVICENOW_COLUMNS = [
    "number",
    "incident_state",
    "reassignment_count",
    "reopen_count",
    "opened_at",
    "sys_updated_at",
    "contact_type",
    "category",
    "priority",
    "resolved_by",
    "resolved_at",
]
_SERVICENOW_TIME = "%d-%m-%Y %H:%M"


def read_servicenow(path: str | Path) -> ContactLog:
    """Read a ServiceNow incident event log; each incident becomes one async contact.

    Arrival ``opened_at``; answered at the first update whose state is no longer ``New``
    (first response); ended at the last ``resolved_at`` given. Escalated when
    ``reassignment_count`` > 0, reopened when ``reopen_count`` > 0 (the delay is from the first
    ``Resolved`` update to the next update in another open state). The agent is
    ``resolved_by``. Missing values are written ``?``; timestamps ``dd-mm-yyyy HH:MM``.
    """
    path = Path(path)
    frame, empty = read_table(path, sep=",", missing=("?",))
    require_columns(frame, SERVICENOW_COLUMNS, path, "ServiceNow incident event log")
    problems = Problems()
    problems.add_empty(empty)
    rows_read = len(frame) + empty.size
    no_number = frame["number"].isna()
    problems.add(frame.loc[no_number, "_line"], "number", "event without an incident number", "excluded")
    frame = frame[~no_number].copy()
    if frame.empty:
        raise no_contacts(path, problems.frame())
    events = _events(frame, path)
    contacts = _incidents(frame, events)
    incidents = len(contacts)
    no_arrival = _check_times(contacts, problems)
    contacts = contacts[~no_arrival]
    all_problems = problems.frame()
    if contacts.empty:
        raise no_contacts(path, all_problems)
    notes = [f"{len(frame)} events of {incidents} incidents; one contact per incident"]
    return ContactLog(
        str(path),
        "servicenow",
        "async",
        tidy_contacts(contacts.reset_index(drop=True)),
        all_problems,
        rows_read,
        60.0,
        notes,
    )


def _events(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The updates with their times and counts parsed, one row per event."""
    updated = parse_times(frame, "sys_updated_at", path, _SERVICENOW_TIME)
    opened = parse_times(frame, "opened_at", path, _SERVICENOW_TIME)
    resolved = parse_times(frame, "resolved_at", path, _SERVICENOW_TIME)
    reassigned = parse_numbers(frame, "reassignment_count", path)
    reopens = parse_numbers(frame, "reopen_count", path)
    return pd.DataFrame(
        {
            "number": frame["number"].str.strip(),
            "line": frame["_line"],
            "state": frame["incident_state"].str.strip(),
            "updated": updated,
            "opened": opened,
            "resolved": resolved,
            "reassigned": reassigned,
            "reopens": reopens,
        }
    )


def _incidents(frame: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per incident: arrival, first response, resolution, escalation and reopening."""
    by = events.groupby("number", sort=False)
    first = by.first()
    last = by.last()
    responded = events[events["state"].notna() & (events["state"] != "New")].groupby("number")["updated"].min()
    contacts = pd.DataFrame({"line": by["line"].min()})
    contacts["contact_id"] = contacts.index
    raw_last = frame.groupby(events["number"].to_numpy(), sort=False).last()
    contacts["channel"] = raw_last["contact_type"].str.strip().str.lower().fillna("unknown")
    contacts["category"] = raw_last["category"].str.strip().fillna("unknown")
    contacts["priority"] = raw_last["priority"].str.strip().fillna("")
    contacts["agent"] = raw_last["resolved_by"].str.strip()
    contacts["created"] = first["opened"]
    contacts["answered"] = responded.reindex(contacts.index)
    contacts["ended"] = last["resolved"]
    contacts["outcome"] = "served"
    contacts["escalated"] = (last["reassigned"] > 0).where(last["reassigned"].notna()).astype("boolean")
    contacts["reopened"] = (last["reopens"] > 0).where(last["reopens"].notna()).astype("boolean")
    contacts["reopen_delay_hours"] = _reopen_delays(events).reindex(contacts.index)
    contacts["ivr_seconds"] = np.nan
    return contacts


def _check_times(contacts: pd.DataFrame, problems: Problems) -> pd.Series:
    """Record missing and inconsistent times, set wait and handle seconds; the rows without arrival."""
    ln = contacts["line"]
    no_arrival = contacts["created"].isna()
    problems.add(ln[no_arrival], "opened_at", "missing arrival time (opened_at)", "excluded")
    no_end = contacts["ended"].isna() & ~no_arrival
    problems.add(ln[no_end], "resolved_at", "missing resolved_at", "kept; handle time unknown")
    no_response = contacts["answered"].isna() & ~no_arrival
    problems.add(
        ln[no_response],
        "incident_state",
        "no update after state New",
        "kept; wait and handle unknown",
    )
    early = seconds_between(contacts["answered"], contacts["created"]) < 0
    problems.add(
        ln[early],
        "sys_updated_at",
        "first response before opened_at",
        "kept; wait and handle unknown",
    )
    contacts.loc[early, "answered"] = pd.NaT
    contacts["wait_seconds"] = seconds_between(contacts["answered"], contacts["created"])
    handle = seconds_between(contacts["ended"], contacts["answered"])
    contacts["handle_seconds"] = problems.drop_negative(
        handle, ln, "resolved_at", "handling time (resolved before first response)"
    )
    no_agent = contacts["agent"].isna() & ~no_arrival
    problems.add(ln[no_agent], "resolved_by", "no resolver named", "kept; not counted in staffing")
    return no_arrival


def _reopen_delays(events: pd.DataFrame) -> pd.Series:
    """Hours from an incident's first ``Resolved`` update to the next update in an open state."""
    resolved_at = events[events["state"] == "Resolved"].groupby("number")["updated"].min()
    merged = events.join(resolved_at.rename("first_resolved"), on="number")
    after = merged[
        (merged["updated"] > merged["first_resolved"])
        & ~merged["state"].isin(["Resolved", "Closed"])
        & merged["state"].notna()
    ]
    back = after.groupby("number")["updated"].min()
    return (back - resolved_at.reindex(back.index)).dt.total_seconds() / 3600.0
