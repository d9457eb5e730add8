"""Interval reports: an ACD's export with one row per (queue and) interval, read into a history.

Columns are named by :class:`IntervalColumns` (flags or a small YAML). Rows may be 5, 15, 30
or 60 minutes long; they are summed into the planning interval. Bad rows are listed with
their line and column, never silently dropped:

- a time that does not parse, or is not on a row boundary: row excluded;
- an offered count that is missing, not a number or negative: row excluded;
- an AHT that is not a number or negative: row kept, AHT unknown;
- the same interval twice: the later row excluded (``duplicate of line N``), unless the two
  rows carry different UTC offsets: then they are the two passes of the hour clocks go back
  at the end of daylight-saving time, and both count.

Intervals without a row count zero (the hour clocks skip in spring is simply absent). A file
that cannot be read (no such column, no data rows, a row length that is not 5/15/30/60
minutes) raises :class:`IntervalReportError` naming the file and the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import yaml

from supportsim.forecast.history import PLANNING_INTERVALS, VolumeHistory, complete_grid
from supportsim.scenario.limits import MAX_LOG_DAYS, MAX_REPORT_CHANNELS

ROW_MINUTES = (5, 15, 30, 60)
"""Interval lengths (minutes) an interval report's rows may have."""

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


class IntervalReportError(ValueError):
    """An interval report that cannot be read; the message names the file and the column or line."""

    def __init__(self, source: str | Path, message: str):
        self.source = str(source)
        super().__init__(f"{source}: {message}")


@dataclass(frozen=True)
class IntervalColumns:
    """Which columns of an interval report hold what; ``time`` and ``volume`` are required.

    ``time``: start of the interval (ISO 8601, or ``time_format``); ``volume``: contacts
    offered; ``channel``: queue or channel (default: every row is ``channel_name``);
    ``handled``, ``abandoned``: counts; ``aht``: average handle time in seconds;
    ``asa``: average speed of answer in seconds.
    """

    time: str
    volume: str
    channel: str | None = None
    handled: str | None = None
    abandoned: str | None = None
    aht: str | None = None
    asa: str | None = None
    time_format: str | None = None
    delimiter: str = ","
    channel_name: str = "phone"

    FLAGS: ClassVar[dict[str, str]] = {
        "time": "--time-column",
        "volume": "--volume-column",
        "channel": "--channel-column",
        "aht": "--aht-column",
    }

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> IntervalColumns:
        """Read a mapping like ``{time: Start, volume: Offered, aht: AHT}``; non-None ``overrides`` win."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise IntervalReportError(path, f"cannot read the column mapping ({exc})") from None
        if not isinstance(data, dict):
            raise IntervalReportError(path, "the column mapping must be a YAML mapping")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise IntervalReportError(path, f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        merged = data | {k: v for k, v in overrides.items() if v is not None}
        for required in ("time", "volume"):
            if not merged.get(required):
                raise IntervalReportError(path, f"the column mapping needs '{required}'")
        return cls(**merged)


def read_interval_report(path: str | Path, columns: IntervalColumns, interval_minutes: int = 30) -> VolumeHistory:
    """Read the interval report at ``path`` into a :class:`VolumeHistory` of ``interval_minutes``."""
    if interval_minutes not in PLANNING_INTERVALS:
        raise IntervalReportError(path, f"interval_minutes must be one of {PLANNING_INTERVALS}, got {interval_minutes}")
    table = _read_table(path, columns)
    problems: list[dict[str, Any]] = []
    lines = np.arange(2, len(table) + 2)
    table["_line"] = lines
    frame = _parse_rows(path, table, columns, problems)
    _check_size(path, frame, columns)
    row_minutes = _row_minutes(path, frame, columns)
    if interval_minutes % row_minutes:
        raise IntervalReportError(
            path,
            f"column '{columns.time}': rows are {row_minutes} minutes long; "
            f"the planning interval ({interval_minutes} min) must be a multiple of it",
        )
    minutes = frame["wall"].dt.hour * 60 + frame["wall"].dt.minute
    off_grid = ((minutes % row_minutes) != 0) | (frame["wall"].dt.second != 0)
    for line in frame.loc[off_grid, "line"]:
        problems.append(_problem(line, columns.time, f"not on a {row_minutes}-minute boundary", "excluded"))
    frame = _drop_duplicates(frame[~off_grid], columns, problems)
    notes = [f"rows of {row_minutes} minutes summed into {interval_minutes}-minute intervals"]
    if frame["folded"].any():
        notes.append(f"{int(frame['folded'].sum())} rows in the hour repeated when daylight-saving time ended")
    frame["interval_start"] = frame["wall"].dt.floor(f"{interval_minutes}min")
    frame["weighted"] = frame["aht"] * frame["weight"]
    grouped = frame.groupby(["interval_start", "channel"])
    counts = grouped["volume"].sum().to_frame()
    weights = grouped["weight"].sum().where(lambda w: w > 0)
    counts["aht_seconds"] = grouped["weighted"].sum(min_count=1) / weights
    problem_frame = pd.DataFrame(problems, columns=["line", "column", "reason", "action"])
    return VolumeHistory(
        source=str(path),
        interval_minutes=interval_minutes,
        volumes=complete_grid(counts.reset_index(), interval_minutes),
        problems=problem_frame.sort_values("line", kind="stable").reset_index(drop=True),
        rows_read=len(table),
        has_aht=columns.aht is not None,
        notes=notes,
    )


def _problem(line: int, column: str, reason: str, action: str) -> dict[str, Any]:
    return {"line": int(line), "column": column, "reason": reason, "action": action}


def _read_table(path: str | Path, columns: IntervalColumns) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=columns.delimiter, skip_blank_lines=True)
    except FileNotFoundError:
        raise IntervalReportError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise IntervalReportError(path, f"cannot read as CSV ({str(exc).strip()})") from None
    for name in ("time", "volume", "channel", "handled", "abandoned", "aht", "asa"):
        column = getattr(columns, name)
        if column is not None and column not in table.columns:
            flag = IntervalColumns.FLAGS.get(name, name)
            raise IntervalReportError(
                path, f"no column '{column}' ({flag}); the header has: {', '.join(map(str, table.columns))}"
            )
    if table.empty:
        raise IntervalReportError(path, "no data rows")
    return table


def _numbers(table: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(table[column].str.strip().str.replace(",", "", regex=False), errors="coerce")


def _parse_rows(
    path: str | Path, table: pd.DataFrame, columns: IntervalColumns, problems: list[dict[str, Any]]
) -> pd.DataFrame:
    """Times (wall clock, and whether an offset was written), volume, channel and AHT per good row."""
    text = table[columns.time].str.strip()
    offsets = text.str.extract(f"({_OFFSET.pattern})", expand=False).fillna("")
    wall_text = text.str.replace(_OFFSET, "", regex=True).str.strip()
    fmt = columns.time_format or "ISO8601"
    wall = pd.to_datetime(wall_text, format=fmt, errors="coerce")
    volume = _numbers(table, columns.volume)
    good = wall.notna().to_numpy().copy()
    for line, value in zip(table.loc[~good, "_line"], text[~good], strict=True):
        problems.append(_problem(line, columns.time, f"time '{value}' does not parse", "excluded"))
    bad_volume = good & ~(volume.notna() & (volume >= 0) & np.isfinite(volume.fillna(-1))).to_numpy()
    for line, value in zip(table.loc[bad_volume, "_line"], table.loc[bad_volume, columns.volume], strict=True):
        reason = "missing" if not value.strip() else f"'{value}' is not a count >= 0"
        problems.append(_problem(line, columns.volume, f"offered {reason}", "excluded"))
    good = good & ~bad_volume
    if not good.any():
        raise IntervalReportError(path, f"no row with a usable time ('{columns.time}') and volume ('{columns.volume}')")
    aht = _numbers(table, columns.aht) if columns.aht else pd.Series(np.nan, index=table.index)
    if columns.aht:
        bad_aht = good & (aht.isna() | (aht < 0)).to_numpy() & (table[columns.aht].str.strip() != "").to_numpy()
        for line in table.loc[bad_aht, "_line"]:
            problems.append(_problem(line, columns.aht, "AHT not a number >= 0", "kept; AHT unknown"))
        aht = aht.where(aht >= 0)
    weight = _numbers(table, columns.handled) if columns.handled else volume
    channel = table[columns.channel].str.strip() if columns.channel else pd.Series(columns.channel_name, table.index)
    frame = pd.DataFrame(
        {
            "line": table["_line"],
            "wall": wall,
            "offset": offsets,
            "channel": channel.astype(str),
            "volume": volume.astype(float),
            "aht": aht.astype(float),
            "weight": weight.fillna(0.0).clip(lower=0).astype(float),
        }
    )
    kept: pd.DataFrame = frame.loc[good]
    return kept.reset_index(drop=True)


def _check_size(path: str | Path, frame: pd.DataFrame, columns: IntervalColumns) -> None:
    """Refuse, before every interval of every day is laid out per channel, times spanning more
    than ``MAX_LOG_DAYS`` days or more than ``MAX_REPORT_CHANNELS`` channels (docs/limits.md).
    """
    first, last = frame["wall"].min(), frame["wall"].max()
    if (span := (last - first).days) > MAX_LOG_DAYS:
        raise IntervalReportError(path, f"column '{columns.time}': the times span {span:,} days "
                                  f"({first:%Y-%m-%d} to {last:%Y-%m-%d}); at most {MAX_LOG_DAYS:,} are read")
    if (count := frame["channel"].nunique()) > MAX_REPORT_CHANNELS:
        raise IntervalReportError(path, f"column '{columns.channel}': {count:,} different channels; "
                                  f"at most {MAX_REPORT_CHANNELS} are read")


def _row_minutes(path: str | Path, frame: pd.DataFrame, columns: IntervalColumns) -> int:
    """The rows' length: the most common step between consecutive distinct times of a channel."""
    steps = []
    for _, rows in frame.groupby("channel"):
        times = np.unique(rows["wall"].to_numpy())
        steps.append(np.diff(times) / np.timedelta64(1, "m"))
    diffs = np.concatenate(steps) if steps else np.array([])
    diffs = diffs[diffs > 0]
    if diffs.size == 0:
        raise IntervalReportError(path, f"column '{columns.time}': one distinct time only; cannot tell the row length")
    values, counts = np.unique(diffs, return_counts=True)
    step = float(values[np.argmax(counts)])
    if step not in ROW_MINUTES:
        raise IntervalReportError(
            path, f"column '{columns.time}': rows are {step:g} minutes apart; expected one of {ROW_MINUTES}"
        )
    return int(step)


def _drop_duplicates(frame: pd.DataFrame, columns: IntervalColumns, problems: list[dict[str, Any]]) -> pd.DataFrame:
    """Exclude the later of two rows for the same channel and time (the DST fold excepted)."""
    frame = frame.copy()
    keys = ["channel", "wall", "offset"]
    repeated = frame.duplicated(keys, keep="first")
    first_line = frame.groupby(keys)["line"].transform("first")
    for line, first in zip(frame.loc[repeated, "line"], first_line[repeated], strict=True):
        problems.append(_problem(line, columns.time, f"duplicate of line {first}", "excluded"))
    frame = frame[~repeated]
    frame["folded"] = frame.duplicated(["channel", "wall"], keep="first")
    return frame
