"""The log formats there are readers for, and :func:`read_log` choosing the reader by format."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from supportsim.calibration.logs.anonymous_bank import read_anonymous_bank
from supportsim.calibration.logs.column_map import ColumnMap
from supportsim.calibration.logs.contacts import ContactLog, LogError
from supportsim.calibration.logs.generic_csv import read_csv_log
from supportsim.calibration.logs.servicenow import read_servicenow
from supportsim.scenario.limits import MAX_LOG_DAYS

FORMATS = ("anonymous_bank", "servicenow", "csv")
Format = Literal["anonymous_bank", "servicenow", "csv"]


def read_log(path: str | Path, format: Format, mapping: ColumnMap | None = None) -> ContactLog:
    """Read ``path`` as ``anonymous_bank``, ``servicenow``, or ``csv`` (with ``mapping``).

    A log must be usable as a whole: at most :data:`~supportsim.scenario.limits.MAX_LOG_DAYS`
    days long, and if it has served contacts, some with a handle time above zero.
    """
    if format == "anonymous_bank":
        return _usable(read_anonymous_bank(path), "handle time")
    if format == "servicenow":
        return _usable(read_servicenow(path), "resolution time")
    if format == "csv":
        if mapping is None:
            raise LogError(path, "a csv log needs a column mapping (at least the 'created' column)")
        return _usable(read_csv_log(path, mapping), f"column '{mapping.resolved or mapping.answered or 'resolved'}'")
    raise LogError(path, f"unknown format {format!r} (expected one of {', '.join(FORMATS)})")


def _usable(log: ContactLog, handle: str) -> ContactLog:
    """``log``, unless it spans too many days or none of its served contacts has a handle time."""
    if log.days > MAX_LOG_DAYS:
        raise LogError(
            log.source, f"arrivals span {log.days:,} days; a log is limited to {MAX_LOG_DAYS:,} days (ten years)"
        )
    contacts = log.contacts
    served = contacts["outcome"] == "served"
    if served.any() and not (contacts.loc[served, "handle_seconds"] > 0).any():
        lines = ", ".join(str(v) for v in contacts.loc[served, "line"].head(5))
        raise LogError(
            log.source,
            f"{handle}: no served contact has a handle time above zero ({int(served.sum())} rows: lines {lines}, ...)",
        )
    return log
