"""Any CSV log whose columns a :class:`~supportsim.calibration.logs.ColumnMap` names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from supportsim.calibration.logs.column_map import ColumnMap
from supportsim.calibration.logs.contacts import ContactLog, tidy_contacts
from supportsim.calibration.logs.parsing import (
    parse_flags,
    parse_times,
    read_table,
    require_columns,
    seconds_between,
)
from supportsim.calibration.logs.problems import Problems, no_contacts


def read_csv_log(path: str | Path, mapping: ColumnMap) -> ContactLog:
    """Read a generic CSV log whose columns are named by ``mapping`` (see :class:`ColumnMap`)."""
    path = Path(path)
    frame, empty = read_table(path, sep=mapping.delimiter)
    wanted = [(name, getattr(mapping, name)) for name in ColumnMap.COLUMN_FIELDS if getattr(mapping, name)]
    for name, column in wanted:
        require_columns(frame, [column], path, f"mapped as {name}")
    problems = Problems()
    problems.add_empty(empty)
    times = {
        name: parse_times(frame, getattr(mapping, name), path, mapping.time_format)
        for name in ("created", "queued", "answered", "resolved")
        if getattr(mapping, name)
    }
    keep = times["created"].notna()
    problems.add(frame["_line"][~keep], mapping.created, f"missing arrival time ({mapping.created})", "excluded")
    outcome, keep, queued = _outcomes(frame, mapping, times, keep, problems)
    durations = _durations(frame, mapping, times, queued, outcome, keep, problems)
    escalated = parse_flags(frame, mapping.escalated, path) if mapping.escalated else pd.NA
    reopened = parse_flags(frame, mapping.reopened, path) if mapping.reopened else pd.NA
    satisfied = parse_flags(frame, mapping.satisfied, path) if mapping.satisfied else pd.NA
    lines = frame["_line"]
    contacts = pd.DataFrame(
        {
            "line": lines,
            "contact_id": _text(frame, mapping.id, "") if mapping.id else lines.astype(str),
            "channel": _text(frame, mapping.channel, mapping.channel_name),
            "category": _text(frame, mapping.category, mapping.category_name),
            "priority": _text(frame, mapping.priority, ""),
            "created": times["created"],
            "outcome": outcome,
            **durations,
            "agent": frame[mapping.agent].str.strip() if mapping.agent else None,
            "escalated": escalated,
            "reopened": reopened,
            "reopen_delay_hours": np.nan,
            "satisfied": satisfied,
        }
    )[keep]
    all_problems = problems.frame()
    if contacts.empty:
        raise no_contacts(path, all_problems)
    stamps = pd.concat([t.dropna() for t in times.values()])
    resolution = 60.0 if len(stamps) and bool((stamps.dt.second == 0).all()) else 1.0
    return ContactLog(
        str(path),
        "csv",
        mapping.mode,
        tidy_contacts(contacts),
        all_problems,
        len(frame) + empty.size,
        resolution,
    )


def _no_time(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")


def _text(frame: pd.DataFrame, column: str | None, default: str) -> pd.Series:
    """``column`` stripped, missing cells ``default``; without a column, ``default`` everywhere."""
    if column is None:
        return pd.Series(default, index=frame.index)
    return frame[column].str.strip().fillna(default if default else "")


def _outcomes(
    frame: pd.DataFrame,
    mapping: ColumnMap,
    times: dict[str, pd.Series],
    keep: pd.Series,
    problems: Problems,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Each row's outcome, whether it is a contact, and when it joined the human queue."""
    lines = frame["_line"]
    queued = times.get("queued", times["created"])
    answered = times.get("answered", _no_time(frame))
    if mapping.outcome:
        raw = frame[mapping.outcome].str.strip()
        lookup = {v.lower(): k for k, values in mapping.outcomes.items() for v in values}
        outcome = raw.str.lower().map(lookup)
        phantom = outcome == "phantom"
        problems.add(lines[phantom & keep], mapping.outcome, "phantom contact", "excluded")
        unknown = outcome.isna() & keep
        for value in raw[unknown].fillna("").unique():
            label = f"unknown outcome {value!r}" if value else "missing outcome"
            problems.add(lines[unknown & (raw.fillna("") == value)], mapping.outcome, label, "excluded")
        keep = keep & ~phantom & ~unknown
        if not mapping.queued:
            # no queue time of its own: a contact that left without queueing is told by its outcome
            queued = queued.where(outcome != "left_ivr")
    else:
        none = "abandoned" if mapping.mode == "realtime" else "open"
        outcome = pd.Series(np.where(answered.notna(), "served", none), index=frame.index, dtype=object)
        if mapping.queued:
            outcome[queued.isna() & answered.isna()] = "left_ivr"
    return outcome.astype(object), keep, queued


def _durations(
    frame: pd.DataFrame,
    mapping: ColumnMap,
    times: dict[str, pd.Series],
    queued: pd.Series,
    outcome: pd.Series,
    keep: pd.Series,
    problems: Problems,
) -> dict[str, pd.Series]:
    """IVR, wait and handle seconds and the start and end of service; bad values recorded."""
    lines = frame["_line"]
    answered = times.get("answered", _no_time(frame))
    resolved = times.get("resolved", _no_time(frame))
    served = outcome == "served"
    problems.add(
        lines[served & answered.isna() & keep],
        mapping.answered or "answered",
        "served contact without answer time",
        "kept; wait and handle unknown",
    )
    abandoned = outcome == "abandoned"
    left_at = resolved.where(abandoned)
    problems.add(
        lines[abandoned & left_at.isna() & keep],
        mapping.resolved or "resolved",
        "abandoned contact without the time it left",
        "kept; wait unknown",
    )
    wait = seconds_between(answered, queued).where(served, seconds_between(left_at, queued))
    wait = problems.drop_negative(wait.where(keep), lines, mapping.answered or mapping.resolved or "answered", "wait")
    handle = seconds_between(resolved, answered).where(served)
    problems.add(
        lines[served & resolved.isna() & answered.notna() & keep],
        mapping.resolved or "resolved",
        "served contact without end time",
        "kept; handle time unknown",
    )
    handle = problems.drop_negative(handle.where(keep), lines, mapping.resolved or "resolved", "handle time")
    ivr = seconds_between(queued, times["created"]) if mapping.queued else pd.Series(np.nan, index=frame.index)
    ivr = problems.drop_negative(ivr.where(keep), lines, mapping.queued or "queued", "IVR time")
    return {
        "ivr_seconds": ivr,
        "wait_seconds": wait,
        "answered": answered.where(served),
        "ended": resolved.where(served),
        "handle_seconds": handle,
    }
