"""The log formats there are readers for, and :func:`read_log` choosing the reader by format."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from supportsim.calibration.logs.anonymous_bank import read_anonymous_bank
from supportsim.calibration.logs.column_map import ColumnMap
from supportsim.calibration.logs.contacts import ContactLog, LogError
from supportsim.calibration.logs.generic_csv import read_csv_log
from supportsim.calibration.logs.servicenow import read_servicenow

FORMATS = ("anonymous_bank", "servicenow", "csv")
Format = Literal["anonymous_bank", "servicenow", "csv"]


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
