"""The Anonymous Bank call-centre log (Technion SEE lab).

Tab-separated, one row per call, times of day ``H:MM:SS`` and a ``yymmdd`` date; durations
in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from supportsim.calibration.logs.contacts import ContactLog, tidy_contacts
from supportsim.calibration.logs.parsing import parse_numbers, read_table, require_columns, unreadable
from supportsim.calibration.logs.problems import Problems, no_contacts

BANK_COLUMNS = [
    "vru+line",
    "call_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
]
_BANK_OUTCOMES = {"AGENT": "served", "HANG": "hang", "PHANTOM": "phantom"}
_DAY_S = 86400.0


def read_anonymous_bank(path: str | Path) -> ContactLog:
    """Read the Anonymous Bank call log.

    A call arrives at ``vru_entry`` (IVR) on ``date``. It reached the agent queue if
    ``q_start`` is not ``0:00:00`` (or it has a queue time), waited ``q_time`` seconds, and
    was served (``AGENT``, ``ser_time`` seconds by ``server``) or hung up (``HANG``).
    A served call that never queued went straight to an agent (wait 0); a hang-up that
    never queued left in the IVR. Times of day that fall more than 12 h before the call's
    arrival belong to the next day (calls across midnight). ``PHANTOM`` calls are left out.
    """
    path = Path(path)
    frame, empty = read_table(path, sep="\t")
    require_columns(frame, BANK_COLUMNS, path, "Anonymous Bank format")
    problems = Problems()
    problems.add_empty(empty)
    lines = frame["_line"]
    dates, fields = _parse_fields(frame, path)
    kind, keep = _kept_calls(frame, dates, fields, problems)
    outcome = _outcomes(kind, fields)
    service = _service(frame, dates, fields, outcome, keep, problems)
    contacts = pd.DataFrame(
        {
            "line": lines,
            "contact_id": frame["vru+line"].str.strip() + "/" + frame["call_id"].str.strip(),
            "channel": "phone",
            "category": frame["type"].str.strip().fillna("unknown"),
            "priority": frame["priority"].str.strip(),
            "customer_id": _customers(frame),
            "created": dates + pd.to_timedelta(fields["vru_entry"], unit="s"),
            "outcome": outcome,
            **service,
            "escalated": pd.NA,
            "reopened": pd.NA,
            "reopen_delay_hours": np.nan,
        }
    )[keep]
    all_problems = problems.frame()
    if contacts.empty:
        raise no_contacts(path, all_problems)
    return ContactLog(
        str(path),
        "anonymous_bank",
        "realtime",
        tidy_contacts(contacts),
        all_problems,
        len(frame) + empty.size,
        1.0,
    )


def _customers(frame: pd.DataFrame) -> pd.Series:
    """The caller's ``customer_id``; '' when the column is absent or the caller anonymous (``0``)."""
    if "customer_id" not in frame.columns:
        return pd.Series("", index=frame.index)
    ids = frame["customer_id"].str.strip().fillna("")
    return ids.where(ids != "0", "")


def _clock_seconds(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    raw = frame[column].str.strip()
    parts = raw.str.extract(r"^(\d{1,2}):(\d{2}):(\d{2})$").astype(float)
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2]
    bad = raw.notna() & (seconds.isna() | (parts[0] > 23) | (parts[1] > 59) | (parts[2] > 59))
    unreadable(frame, bad, column, path, "a time of day H:MM:SS")
    return seconds


def _parse_fields(frame: pd.DataFrame, path: Path) -> tuple[pd.Series, dict[str, pd.Series]]:
    """The date, and the times of day (seconds after midnight) and durations (seconds) by column."""
    dates = pd.to_datetime(frame["date"].str.strip(), format="%y%m%d", errors="coerce")
    unreadable(frame, dates.isna() & frame["date"].notna(), "date", path, "a date yymmdd")
    fields = {c: _clock_seconds(frame, c, path) for c in ("vru_entry", "q_start", "ser_start", "ser_exit")}
    fields |= {c: parse_numbers(frame, c, path) for c in ("vru_time", "q_time", "ser_time")}
    return dates, fields


def _kept_calls(
    frame: pd.DataFrame, dates: pd.Series, fields: dict[str, pd.Series], problems: Problems
) -> tuple[pd.Series, pd.Series]:
    """Each call's kind (served, hang, phantom; NaN unknown) and whether it is a contact."""
    lines = frame["_line"]
    kind = frame["outcome"].str.strip().map(_BANK_OUTCOMES)
    keep = pd.Series(True, index=frame.index)
    problems.add(lines[kind == "phantom"], "outcome", "phantom call (outcome PHANTOM)", "excluded")
    unknown = kind.isna()
    problems.add(lines[unknown], "outcome", "unknown outcome (not AGENT, HANG or PHANTOM)", "excluded")
    no_arrival = dates.isna() | fields["vru_entry"].isna()
    problems.add(
        lines[no_arrival & ~unknown & (kind != "phantom")],
        "vru_entry",
        "missing arrival time (date or vru_entry)",
        "excluded",
    )
    keep &= (kind != "phantom") & ~unknown & ~no_arrival
    return kind, keep


def _outcomes(kind: pd.Series, fields: dict[str, pd.Series]) -> pd.Series:
    """Served, abandoned (hung up in the agent queue), left_ivr (hung up before it) or open."""
    entered = (fields["q_start"].fillna(0) > 0) | (fields["q_time"].fillna(0) > 0)
    outcome = pd.Series("open", index=kind.index, dtype=object)
    outcome[kind == "served"] = "served"
    outcome[(kind == "hang") & entered] = "abandoned"
    outcome[(kind == "hang") & ~entered] = "left_ivr"
    return outcome


def _service(
    frame: pd.DataFrame,
    dates: pd.Series,
    fields: dict[str, pd.Series],
    outcome: pd.Series,
    keep: pd.Series,
    problems: Problems,
) -> dict[str, pd.Series]:
    """IVR, wait and handle seconds, start and end of service, and the agent of each call."""
    lines = frame["_line"]
    ivr = problems.drop_negative(fields["vru_time"], lines, "vru_time", "IVR time")
    wait = fields["q_time"].where(outcome.isin(["served", "abandoned"]))
    wait = problems.drop_negative(wait, lines, "q_time", "queue time")
    served = outcome == "served"
    no_service = served & (frame["ser_start"].str.strip() == "0:00:00") & (frame["ser_exit"].str.strip() == "0:00:00")
    problems.add(
        lines[no_service & keep],
        "ser_start",
        "served call without service times",
        "kept; handle time unknown",
    )
    handle = fields["ser_time"].where(served & ~no_service)
    handle = problems.drop_negative(handle, lines, "ser_time", "service time")

    start_s = fields["ser_start"].where(served & ~no_service)
    start_s = start_s + _DAY_S * (start_s < fields["vru_entry"] - _DAY_S / 2)
    answered = dates + pd.to_timedelta(start_s, unit="s")
    ended = answered + pd.to_timedelta(handle, unit="s")

    server = frame["server"].str.strip()
    agent = server.where(served & (server != "NO_SERVER") & server.notna())
    problems.add(
        lines[served & ~agent.notna() & keep],
        "server",
        "served call with no agent named (NO_SERVER)",
        "kept; not counted in staffing",
    )
    return {
        "ivr_seconds": ivr,
        "wait_seconds": wait,
        "answered": answered,
        "ended": ended,
        "handle_seconds": handle,
        "agent": agent,
    }
