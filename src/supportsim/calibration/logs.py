"""Reading contact logs: one tidy contact table, and a report of the rows not usable as they stand.

Three formats are read:

- ``anonymous_bank``: the Anonymous Bank call-centre log (Technion SEE lab; tab-separated,
  one row per call, times of day ``H:MM:SS`` and a ``yymmdd`` date).
- ``servicenow``: the ServiceNow incident event log (one row per update of an incident;
  a contact is an incident).
- ``csv``: any CSV with a :class:`ColumnMap` saying which column holds what.

The contact table (:data:`CONTACT_COLUMNS`) has one row per contact. ``line`` is the line of
the file the contact comes from (the header is line 1). Durations are in seconds:
``ivr_seconds`` before reaching a human queue (IVR, bot), ``wait_seconds`` in the human queue
until answered or abandoned, ``handle_seconds`` from answer to end of service. ``outcome`` is
``served``, ``abandoned`` (left the human queue), ``left_ivr`` (left before reaching it) or
``open``.

Problems are never silent. A row that cannot be a contact (a phantom call, no arrival time)
is left out of the table; a row with one bad field (a negative duration, a missing
timestamp) stays, with that field unknown. Both kinds are listed in
:attr:`ContactLog.problems`. A file that cannot be read as the format says (missing column,
unparseable time, empty file) raises :class:`LogError` naming the file and the column or line.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray

FORMATS = ("anonymous_bank", "servicenow", "csv")
Format = Literal["anonymous_bank", "servicenow", "csv"]
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
    "escalated": "reassigned or escalated at least once (NA unknown)",
    "reopened": "reopened after resolution (NA unknown)",
    "reopen_delay_hours": "resolution to reopening (NaN unknown)",
}
"""The columns of the contact table and what each holds."""

PROBLEM_COLUMNS = ("line", "column", "reason", "action")

_DAY_S = 86400.0


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
        if self.problems.empty:
            return pd.DataFrame(columns=["reason", "action", "rows", "lines"])
        grouped = self.problems.groupby(["reason", "action"], sort=False)["line"]
        out = grouped.agg(rows="size", lines=lambda s: ", ".join(str(v) for v in sorted(s)[:5])).reset_index()
        return out.sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)

    @property
    def excluded(self) -> int:
        """Rows left out of the contact table."""
        if self.problems.empty:
            return 0
        return int(self.problems.loc[self.problems["action"] == "excluded", "line"].nunique())


@dataclass(frozen=True)
class ColumnMap:
    """Which columns of a generic CSV log hold what; only ``created`` is required.

    ``queued`` (joined the human queue; default: ``created``), ``answered`` (service
    started), ``resolved`` (service ended; for an abandoned contact, when it left).
    Without an ``outcome`` column a contact with ``answered`` is served, one without is
    abandoned (realtime) or open (async). ``outcomes`` maps ``served``, ``abandoned``,
    ``left_ivr``, ``open`` and ``phantom`` to the values of the outcome column meaning them;
    any other value is a bad row. ``escalated``/``reopened`` are columns of true/false or counts.
    Without a channel or category column every contact gets ``channel_name`` or
    ``category_name``. ``time_format`` is a ``strftime`` format (default: inferred).
    """

    created: str
    queued: str | None = None
    answered: str | None = None
    resolved: str | None = None
    channel: str | None = None
    category: str | None = None
    agent: str | None = None
    outcome: str | None = None
    priority: str | None = None
    escalated: str | None = None
    reopened: str | None = None
    id: str | None = None
    time_format: str | None = None
    delimiter: str = ","
    mode: Mode = "realtime"
    channel_name: str = "phone"
    category_name: str = "general"
    outcomes: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "served": ("served", "answered", "resolved", "agent"),
            "abandoned": ("abandoned", "hang", "hangup", "abandon"),
            "left_ivr": ("left_ivr", "ivr"),
            "open": ("open", "waiting", "in_progress"),
            "phantom": ("phantom",),
        }
    )

    COLUMN_FIELDS = (
        "created",
        "queued",
        "answered",
        "resolved",
        "channel",
        "category",
        "agent",
        "outcome",
        "priority",
        "escalated",
        "reopened",
        "id",
    )

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> ColumnMap:
        """Read a mapping file.

        It holds the column fields at top level (or under ``columns:``), plus ``time_format``,
        ``delimiter``, ``mode``, ``channel_name``, ``category_name`` and ``outcomes``;
        ``overrides`` (e.g. from command-line flags, None = not given) win.
        """
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise LogError(path, f"cannot read the column mapping ({exc})") from None
        if not isinstance(data, dict):
            raise LogError(path, "a column mapping is a YAML mapping such as 'created: opened_at'")
        columns = data.pop("columns", {}) or {}
        merged = {**data, **columns}
        known = set(cls.COLUMN_FIELDS) | {
            "time_format",
            "delimiter",
            "mode",
            "channel_name",
            "category_name",
            "outcomes",
        }
        unknown = sorted(set(merged) - known)
        if unknown:
            raise LogError(path, f"unknown key '{unknown[0]}' (expected one of: {', '.join(sorted(known))})")
        if "outcomes" in merged:
            outcomes = merged["outcomes"]
            if not isinstance(outcomes, dict):
                raise LogError(path, "outcomes: a mapping such as 'served: [AGENT]'")
            merged["outcomes"] = {str(k): tuple(str(v) for v in _as_list(vs)) for k, vs in outcomes.items()}
        return cls.build(merged | {k: v for k, v in overrides.items() if v is not None}, source=str(path))

    @classmethod
    def build(cls, values: dict[str, Any], *, source: str = "<mapping>") -> ColumnMap:
        """Build a mapping from a plain dict; :class:`LogError` if ``created`` is missing."""
        if not values.get("created"):
            raise LogError(source, "the column mapping needs at least 'created' (the arrival time column)")
        if values.get("mode", "realtime") not in ("realtime", "async"):
            raise LogError(source, f"mode must be realtime or async, got {values['mode']!r}")
        outcomes = values.get("outcomes")
        if outcomes is not None:
            unknown = sorted(set(outcomes) - set(OUTCOMES) - {"phantom"})
            if unknown:
                raise LogError(
                    source,
                    f"outcomes: unknown outcome '{unknown[0]}' (expected served, abandoned, left_ivr, open, phantom)",
                )
        return cls(**values)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


# --- shared helpers ------------------------------------------------------------------------------


class _Problems:
    """Collects problem rows: (line, column, reason, action)."""

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def add(self, lines: pd.Series | np.ndarray, column: str, reason: str, action: str) -> None:
        lines = np.asarray(lines, dtype=np.int64)
        if lines.size:
            self.frames.append(pd.DataFrame({"line": lines, "column": column, "reason": reason, "action": action}))

    def frame(self) -> pd.DataFrame:
        """All problems by line; a row left out is listed only for why it was left out."""
        if not self.frames:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "line" else "object") for c in PROBLEM_COLUMNS})
        found = pd.concat(self.frames, ignore_index=True)
        excluded = found.loc[found["action"] == "excluded", "line"]
        found = found[(found["action"] == "excluded") | ~found["line"].isin(excluded)]
        return found.sort_values("line", kind="stable").reset_index(drop=True)


def _read_table(path: Path, *, sep: str, missing: tuple[str, ...] = ()) -> tuple[pd.DataFrame, NDArray[np.int64]]:
    """All cells as strings (NaN for empty or ``missing`` markers), with a ``_line`` column.

    Rows with every cell empty are taken out; the lines of those before the last data row
    are returned with the table, for the reader to report (blank lines at the end are not).
    """
    if not path.exists():
        raise LogError(path, "no such file")
    if path.is_dir():
        raise LogError(path, "is a folder, not a log file")
    try:
        with warnings.catch_warnings():
            # a row longer than the header would silently become an index or lose fields
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=["", *missing],
                skip_blank_lines=False,
                encoding="utf-8",
                index_col=False,
            )
    except pd.errors.ParserWarning:
        raise LogError(
            path,
            _long_row(path, sep) or f"a row has more fields separated by {sep!r} than the header",
        ) from None
    except pd.errors.EmptyDataError:
        raise LogError(path, "the file is empty (no header, no rows)") from None
    except UnicodeDecodeError as exc:
        raise LogError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise LogError(
            path,
            _long_row(path, sep) or f"cannot be read as a table separated by {sep!r} ({str(exc).strip()})",
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame["_line"] = np.arange(len(frame), dtype=np.int64) + 2
    filled = frame.drop(columns="_line").notna().any(axis=1).to_numpy()
    if not filled.any():
        raise LogError(path, "no data rows after the header")
    last = int(np.flatnonzero(filled)[-1])
    empty = frame["_line"].to_numpy()[: last + 1][~filled[: last + 1]]
    return frame[filled].reset_index(drop=True), empty


def _report_empty(problems: _Problems, empty: NDArray[np.int64]) -> None:
    problems.add(empty, "(all)", "empty row", "excluded")


def _long_row(path: Path, sep: str) -> str | None:
    """Which row has more fields than the header, if one has."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = csv.reader(handle, delimiter=sep)
            width = len(next(rows, []))
            for row in rows:
                if len(row) > width:
                    return f"line {rows.line_num}: {len(row)} fields separated by {sep!r}, the header has {width}"
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def _require(frame: pd.DataFrame, columns: list[str], path: Path, what: str) -> None:
    present = set(frame.columns)
    for column in columns:
        if column not in present:
            shown = ", ".join(c for c in frame.columns if c != "_line")
            raise LogError(path, f"missing column '{column}' ({what}); the file has: {shown}")


def _unreadable(frame: pd.DataFrame, bad: pd.Series, column: str, path: Path, what: str) -> None:
    """Raise for the first row whose ``column`` is present but unreadable."""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame[column].iloc[i]
        more = int(bad.sum()) - 1
        tail = f" ({more} more row(s) like it)" if more else ""
        raise LogError(
            path,
            f"line {frame['_line'].iloc[i]}: column '{column}': cannot read {value!r} as {what}{tail}",
        )


def _parse_times(frame: pd.DataFrame, column: str, path: Path, fmt: str | None) -> pd.Series:
    raw = frame[column]
    if fmt is None:
        parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
    else:
        parsed = pd.to_datetime(raw, errors="coerce", format=fmt)
    what = f"a time (format {fmt})" if fmt else "a time"
    _unreadable(frame, parsed.isna() & raw.notna(), column, path, what)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed.astype("datetime64[ns]")


def _parse_numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    raw = frame[column]
    parsed = pd.to_numeric(raw, errors="coerce")
    _unreadable(frame, parsed.isna() & raw.notna(), column, path, "a number")
    return parsed.astype(float)


def _parse_flags(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """True/false from booleans or counts (> 0 is true); NA when missing."""
    raw = frame[column].str.strip().str.lower()
    words = {"true": True, "yes": True, "y": True, "false": False, "no": False, "n": False}
    as_word = raw.map(words)
    as_number = pd.to_numeric(raw, errors="coerce")
    values = as_word.where(as_word.notna(), as_number.gt(0).where(as_number.notna()))
    _unreadable(frame, values.isna() & raw.notna(), column, path, "true/false or a count")
    return values.astype("boolean")


def _seconds(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.total_seconds()


def _finish(contacts: pd.DataFrame) -> pd.DataFrame:
    """Columns in the documented order and types."""
    out = contacts.reindex(columns=list(CONTACT_COLUMNS))
    for column in ("ivr_seconds", "wait_seconds", "handle_seconds", "reopen_delay_hours"):
        out[column] = out[column].astype(float)
    for column in ("escalated", "reopened"):
        out[column] = out[column].astype("boolean")
    for column in ("created", "answered", "ended"):
        out[column] = out[column].astype("datetime64[ns]")
    out["agent"] = out["agent"].astype(object).where(out["agent"].notna(), None)
    out["priority"] = out["priority"].fillna("").astype(str)
    return out.sort_values(["created", "line"], kind="stable").reset_index(drop=True)


def _no_contacts(path: Path, problems: pd.DataFrame) -> LogError:
    reasons = problems["reason"].value_counts()
    top = f" (most common problem: {reasons.index[0]}, {reasons.iloc[0]} rows)" if len(reasons) else ""
    return LogError(path, f"no usable contacts in the file{top}")


def _drop_negative(values: pd.Series, lines: pd.Series, column: str, what: str, problems: _Problems) -> pd.Series:
    negative = values < 0
    problems.add(lines[negative], column, f"negative {what}", f"kept; {what} unknown")
    return values.where(~negative)


# --- Anonymous Bank ------------------------------------------------------------------------------

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


def _clock_seconds(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    raw = frame[column].str.strip()
    parts = raw.str.extract(r"^(\d{1,2}):(\d{2}):(\d{2})$").astype(float)
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2]
    bad = raw.notna() & (seconds.isna() | (parts[0] > 23) | (parts[1] > 59) | (parts[2] > 59))
    _unreadable(frame, bad, column, path, "a time of day H:MM:SS")
    return seconds


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
    frame, empty = _read_table(path, sep="\t")
    _require(frame, BANK_COLUMNS, path, "Anonymous Bank format")
    problems = _Problems()
    _report_empty(problems, empty)
    lines = frame["_line"]

    dates = pd.to_datetime(frame["date"].str.strip(), format="%y%m%d", errors="coerce")
    _unreadable(frame, dates.isna() & frame["date"].notna(), "date", path, "a date yymmdd")
    clock = {c: _clock_seconds(frame, c, path) for c in ("vru_entry", "q_start", "ser_start", "ser_exit")}
    numbers = {c: _parse_numbers(frame, c, path) for c in ("vru_time", "q_time", "ser_time")}

    raw_outcome = frame["outcome"].str.strip()
    kind = raw_outcome.map(_BANK_OUTCOMES)
    keep = pd.Series(True, index=frame.index)
    problems.add(lines[kind == "phantom"], "outcome", "phantom call (outcome PHANTOM)", "excluded")
    unknown = kind.isna()
    problems.add(lines[unknown], "outcome", "unknown outcome (not AGENT, HANG or PHANTOM)", "excluded")
    no_arrival = dates.isna() | clock["vru_entry"].isna()
    problems.add(
        lines[no_arrival & ~unknown & (kind != "phantom")],
        "vru_entry",
        "missing arrival time (date or vru_entry)",
        "excluded",
    )
    keep &= (kind != "phantom") & ~unknown & ~no_arrival

    created = dates + pd.to_timedelta(clock["vru_entry"], unit="s")
    entered = (clock["q_start"].fillna(0) > 0) | (numbers["q_time"].fillna(0) > 0)
    outcome = pd.Series("open", index=frame.index, dtype=object)
    outcome[kind == "served"] = "served"
    outcome[(kind == "hang") & entered] = "abandoned"
    outcome[(kind == "hang") & ~entered] = "left_ivr"

    ivr = _drop_negative(numbers["vru_time"], lines, "vru_time", "IVR time", problems)
    wait = numbers["q_time"].where(outcome.isin(["served", "abandoned"]))
    wait = _drop_negative(wait, lines, "q_time", "queue time", problems)
    served = outcome == "served"
    no_service = served & (frame["ser_start"].str.strip() == "0:00:00") & (frame["ser_exit"].str.strip() == "0:00:00")
    problems.add(
        lines[no_service & keep],
        "ser_start",
        "served call without service times",
        "kept; handle time unknown",
    )
    handle = numbers["ser_time"].where(served & ~no_service)
    handle = _drop_negative(handle, lines, "ser_time", "service time", problems)

    start_s = clock["ser_start"].where(served & ~no_service)
    start_s = start_s + _DAY_S * (start_s < clock["vru_entry"] - _DAY_S / 2)
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

    contacts = pd.DataFrame(
        {
            "line": lines,
            "contact_id": frame["vru+line"].str.strip() + "/" + frame["call_id"].str.strip(),
            "channel": "phone",
            "category": frame["type"].str.strip().fillna("unknown"),
            "priority": frame["priority"].str.strip(),
            "created": created,
            "outcome": outcome,
            "ivr_seconds": ivr,
            "wait_seconds": wait,
            "answered": answered,
            "ended": ended,
            "handle_seconds": handle,
            "agent": agent,
            "escalated": pd.NA,
            "reopened": pd.NA,
            "reopen_delay_hours": np.nan,
        }
    )[keep]
    all_problems = problems.frame()
    if contacts.empty:
        raise _no_contacts(path, all_problems)
    return ContactLog(
        str(path),
        "anonymous_bank",
        "realtime",
        _finish(contacts),
        all_problems,
        len(frame) + empty.size,
        1.0,
    )


# --- ServiceNow incident event log ---------------------------------------------------------------

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
    frame, empty = _read_table(path, sep=",", missing=("?",))
    _require(frame, SERVICENOW_COLUMNS, path, "ServiceNow incident event log")
    problems = _Problems()
    _report_empty(problems, empty)
    rows_read = len(frame) + empty.size
    no_number = frame["number"].isna()
    problems.add(frame.loc[no_number, "_line"], "number", "event without an incident number", "excluded")
    frame = frame[~no_number].copy()
    if frame.empty:
        raise _no_contacts(path, problems.frame())
    updated = _parse_times(frame, "sys_updated_at", path, _SERVICENOW_TIME)
    opened = _parse_times(frame, "opened_at", path, _SERVICENOW_TIME)
    resolved = _parse_times(frame, "resolved_at", path, _SERVICENOW_TIME)
    reassigned = _parse_numbers(frame, "reassignment_count", path)
    reopens = _parse_numbers(frame, "reopen_count", path)
    state = frame["incident_state"].str.strip()
    events = pd.DataFrame(
        {
            "number": frame["number"].str.strip(),
            "line": frame["_line"],
            "state": state,
            "updated": updated,
            "opened": opened,
            "resolved": resolved,
            "reassigned": reassigned,
            "reopens": reopens,
        }
    )
    by = events.groupby("number", sort=False)
    first = by.first()
    last = by.last()
    lines = by["line"].min()
    responded = events[events["state"].notna() & (events["state"] != "New")].groupby("number")["updated"].min()
    delay = _reopen_delays(events)

    contacts = pd.DataFrame({"line": lines})
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
    contacts["reopen_delay_hours"] = delay.reindex(contacts.index)
    contacts["ivr_seconds"] = np.nan

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
    early = _seconds(contacts["answered"], contacts["created"]) < 0
    problems.add(
        ln[early],
        "sys_updated_at",
        "first response before opened_at",
        "kept; wait and handle unknown",
    )
    contacts.loc[early, "answered"] = pd.NaT
    contacts["wait_seconds"] = _seconds(contacts["answered"], contacts["created"])
    handle = _seconds(contacts["ended"], contacts["answered"])
    contacts["handle_seconds"] = _drop_negative(
        handle, ln, "resolved_at", "handling time (resolved before first response)", problems
    )
    no_agent = contacts["agent"].isna() & ~no_arrival
    problems.add(ln[no_agent], "resolved_by", "no resolver named", "kept; not counted in staffing")
    contacts = contacts[~no_arrival]
    all_problems = problems.frame()
    if contacts.empty:
        raise _no_contacts(path, all_problems)
    notes = [f"{len(frame)} events of {len(lines)} incidents; one contact per incident"]
    return ContactLog(
        str(path),
        "servicenow",
        "async",
        _finish(contacts.reset_index(drop=True)),
        all_problems,
        rows_read,
        60.0,
        notes,
    )


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


# --- generic CSV ---------------------------------------------------------------------------------


def read_csv_log(path: str | Path, mapping: ColumnMap) -> ContactLog:
    """Read a generic CSV log whose columns are named by ``mapping`` (see :class:`ColumnMap`)."""
    path = Path(path)
    frame, empty = _read_table(path, sep=mapping.delimiter)
    wanted = [(name, getattr(mapping, name)) for name in ColumnMap.COLUMN_FIELDS if getattr(mapping, name)]
    for name, column in wanted:
        _require(frame, [column], path, f"mapped as {name}")
    problems = _Problems()
    _report_empty(problems, empty)
    lines = frame["_line"]
    times = {
        name: _parse_times(frame, getattr(mapping, name), path, mapping.time_format)
        for name in ("created", "queued", "answered", "resolved")
        if getattr(mapping, name)
    }
    created = times["created"]
    queued = times.get("queued", created)
    answered = times.get("answered", pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"))
    resolved = times.get("resolved", pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"))

    keep = created.notna()
    problems.add(lines[~keep], mapping.created, f"missing arrival time ({mapping.created})", "excluded")
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
        keep &= ~phantom & ~unknown
        if not mapping.queued:
            # no queue time of its own: a contact that left without queueing is told by its outcome
            queued = queued.where(outcome != "left_ivr")
    else:
        none = "abandoned" if mapping.mode == "realtime" else "open"
        outcome = pd.Series(np.where(answered.notna(), "served", none), index=frame.index, dtype=object)
        if mapping.queued:
            outcome[queued.isna() & answered.isna()] = "left_ivr"
    outcome = outcome.astype(object)
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
    wait = _seconds(answered, queued).where(served, _seconds(left_at, queued))
    wait = _drop_negative(
        wait.where(keep),
        lines,
        mapping.answered or mapping.resolved or "answered",
        "wait",
        problems,
    )
    handle = _seconds(resolved, answered).where(served)
    problems.add(
        lines[served & resolved.isna() & answered.notna() & keep],
        mapping.resolved or "resolved",
        "served contact without end time",
        "kept; handle time unknown",
    )
    handle = _drop_negative(handle.where(keep), lines, mapping.resolved or "resolved", "handle time", problems)
    ivr = _seconds(queued, created) if mapping.queued else pd.Series(np.nan, index=frame.index)
    ivr = _drop_negative(ivr.where(keep), lines, mapping.queued or "queued", "IVR time", problems)

    def text(column: str | None, default: str) -> pd.Series:
        if column is None:
            return pd.Series(default, index=frame.index)
        return frame[column].str.strip().fillna(default if default else "")

    escalated = _parse_flags(frame, mapping.escalated, path) if mapping.escalated else pd.NA
    reopened = _parse_flags(frame, mapping.reopened, path) if mapping.reopened else pd.NA
    contacts = pd.DataFrame(
        {
            "line": lines,
            "contact_id": text(mapping.id, "") if mapping.id else lines.astype(str),
            "channel": text(mapping.channel, mapping.channel_name),
            "category": text(mapping.category, mapping.category_name),
            "priority": text(mapping.priority, ""),
            "created": created,
            "outcome": outcome,
            "ivr_seconds": ivr,
            "wait_seconds": wait,
            "answered": answered.where(served),
            "ended": resolved.where(served),
            "handle_seconds": handle,
            "agent": frame[mapping.agent].str.strip() if mapping.agent else None,
            "escalated": escalated,
            "reopened": reopened,
            "reopen_delay_hours": np.nan,
        }
    )[keep]
    all_problems = problems.frame()
    if contacts.empty:
        raise _no_contacts(path, all_problems)
    stamps = pd.concat([t.dropna() for t in times.values()])
    resolution = 60.0 if len(stamps) and bool((stamps.dt.second == 0).all()) else 1.0
    return ContactLog(
        str(path),
        "csv",
        mapping.mode,
        _finish(contacts),
        all_problems,
        len(frame) + empty.size,
        resolution,
    )


def read_log(path: str | Path, format: Format, mapping: ColumnMap | None = None) -> ContactLog:
    """Read ``path`` as ``anonymous_bank``, ``servicenow``, or ``csv`` (with ``mapping``)."""
    if format == "anonymous_bank":
        return read_anonymous_bank(path)
    if format == "servicenow":
        return read_servicenow(path)
    if format == "csv":
        if mapping is None:
            raise LogError(path, "a csv log needs a column mapping (at least the 'created' column)")
        return read_csv_log(path, mapping)
    raise LogError(path, f"unknown format {format!r} (expected one of {', '.join(FORMATS)})")
