"""Reading a log file as a table of strings, and parsing its columns with errors that name the cell."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.calibration.logs.contacts import LogError
from supportsim.scenario.files import FileRefused, check_text_file
from supportsim.scenario.limits import MAX_LOG_BYTES, shortened


def read_table(path: Path, *, sep: str, missing: tuple[str, ...] = ()) -> tuple[pd.DataFrame, NDArray[np.int64]]:
    """All cells as strings (NaN for empty or ``missing`` markers), with a ``_line`` column.

    Rows with every cell empty are taken out; the lines of those before the last data row
    are returned with the table, for the reader to report (blank lines at the end are not).
    """
    try:
        check_text_file(path, limit=MAX_LOG_BYTES, what="log file")
    except FileRefused as exc:
        raise LogError(path, exc.reason) from None
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
                encoding="utf-8-sig",
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


def _long_row(path: Path, sep: str) -> str | None:
    """Which row has more fields than the header, if one has."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle, delimiter=sep)
            width = len(next(rows, []))
            for row in rows:
                if len(row) > width:
                    return f"line {rows.line_num}: {len(row)} fields separated by {sep!r}, the header has {width}"
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def require_columns(frame: pd.DataFrame, columns: list[str], path: Path, what: str) -> None:
    """Raise :class:`LogError` for the first of ``columns`` the file lacks (``what`` says why it is needed)."""
    present = set(frame.columns)
    for column in columns:
        if column not in present:
            shown = ", ".join(c for c in frame.columns if c != "_line")
            raise LogError(path, f"missing column '{column}' ({what}); the file has: {shown}")


def unreadable(frame: pd.DataFrame, bad: pd.Series, column: str, path: Path, what: str) -> None:
    """Raise for the first row whose ``column`` is present but unreadable."""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame[column].iloc[i]
        more = int(bad.sum()) - 1
        tail = f" ({more} more row(s) like it)" if more else ""
        raise LogError(
            path,
            f"line {frame['_line'].iloc[i]}: column '{column}': cannot read {shortened(value)} as {what}{tail}",
        )


def parse_times(frame: pd.DataFrame, column: str, path: Path, fmt: str | None) -> pd.Series:
    """``column`` as timestamps (``strftime`` format ``fmt``, or inferred), time-zone naive; NaT if empty."""
    raw = frame[column]
    try:
        if fmt is None:
            parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        else:
            parsed = pd.to_datetime(raw, errors="coerce", format=fmt)
    except (ValueError, TypeError, OverflowError) as exc:  # mixed time zones, dates out of range
        raise LogError(path, f"column '{column}': cannot read the times ({' '.join(str(exc).split())[:160]})") from None
    what = f"a time (format {fmt})" if fmt else "a time"
    unreadable(frame, parsed.isna() & raw.notna(), column, path, what)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    try:
        return parsed.astype("datetime64[ns]")
    except (ValueError, OverflowError):  # beyond the years 1677 to 2262
        raise LogError(path, f"column '{column}': times out of range (years 1677 to 2262)") from None


def parse_numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """``column`` as floats; NaN if empty."""
    raw = frame[column]
    parsed = pd.to_numeric(raw, errors="coerce")
    unreadable(frame, parsed.isna() & raw.notna(), column, path, "a number")
    return parsed.astype(float)


def parse_flags(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """True/false from booleans or counts (> 0 is true); NA when missing."""
    raw = frame[column].str.strip().str.lower()
    words = {"true": True, "yes": True, "y": True, "false": False, "no": False, "n": False}
    as_word = raw.map(words)
    as_number = pd.to_numeric(raw, errors="coerce")
    values = as_word.where(as_word.notna(), as_number.gt(0).where(as_number.notna()))
    unreadable(frame, values.isna() & raw.notna(), column, path, "true/false or a count")
    return values.astype("boolean")


def seconds_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """``later - earlier`` in seconds (NaN where either is unknown)."""
    return (later - earlier).dt.total_seconds()
