"""The Forecast page's logic, free of Streamlit: where histories come from (interval reports
uploaded into the workspace, the logs in ``../shared/data``), column guesses, default
settings, the chart, the accuracy table, the export tables and the scenario made from a
forecast. Everything computed comes from ``supportsim``'s public API; tested in
``tests/test_app_forecast.py``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

import supportsim
from app import workspace
from supportsim import (
    IntervalColumns,
    IntervalReportError,
    LogError,
    Scenario,
    ScenarioError,
    VolumeForecast,
    VolumeHistory,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
"""Where the real logs live, beside the checkout (read in place, never copied)."""

REPORTS = "histories"
"""The workspace's subfolder for uploaded interval reports (one CSV and one JSON each)."""

MAX_REPORT_BYTES = 5_000_000
"""An uploaded interval report: at most 5 MB, the app's upload limit (a year of 30-minute rows
of three queues is about 2 MB; larger reports go through ``supportsim forecast``)."""

INTERVALS = (15, 30, 60)
"""Planning intervals the page offers (minutes): the ones a scenario can have."""

DAYS_SHOWN = 14
"""Days of history drawn before the forecast."""

FIELDS = {"time": "interval start", "volume": "contacts offered", "channel": "channel / queue", "aht": "AHT (s)"}
"""The columns of an interval report the page asks for, with their labels."""

LOGS = (
    ("anonymous_bank", "data_anonymous_bank_*.txt", "anonymous_bank"),
    ("servicenow_incidents", "*.csv", "servicenow"),
)
"""(folder under ``../shared/data``, file pattern, log format) of the logs the page offers."""

_HINTS = {
    "time": (
        "interval_start",
        "interval start",
        "start",
        "interval",
        "datetime",
        "timestamp",
        "time",
        "date",
        "period",
    ),
    "volume": ("offered", "volume", "contacts", "calls", "arrivals", "received", "count"),
    "channel": ("channel", "queue", "skill", "split", "media"),
    "aht": ("aht", "handle time", "handling time", "handle_time", "avg handle"),
}


class HistoryError(ValueError):
    """A history that cannot be used: one plain line naming the file and the column or row."""


@dataclass(frozen=True)
class Source:
    """A history the page can forecast: an uploaded interval report or a known log."""

    name: str  # the file name the user knows
    path: Path
    kind: str  # "interval", or the log format ("anonymous_bank", "servicenow")

    @property
    def label(self) -> str:
        """What the source picker shows."""
        what = "interval report" if self.kind == "interval" else f"{self.kind} log, ../shared/data"
        return f"{self.name} ({what})"


# --------------------------------------------------------------------------- sources


def shared_logs(folder: Path | None = None) -> list[Source]:
    """The logs of a known format found in ``folder`` (default :data:`SHARED_DATA`; none when absent)."""
    folder = folder or SHARED_DATA
    found = []
    for sub, pattern, fmt in LOGS:
        if (folder / sub).is_dir():
            found += [Source(p.name, p, fmt) for p in sorted((folder / sub).glob(pattern)) if p.is_file()]
    return found


def _folder(root: Path | None) -> Path:
    return (root or workspace.folder()) / REPORTS


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(path)  # all or nothing


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def save_report(name: str, data: bytes, root: Path | None = None) -> Source:
    """Keep an uploaded interval report in the workspace, with its header and guessed columns.

    Refused (:class:`HistoryError`, one line naming the file): over 5 MB, not UTF-8 text, no
    header line. The same bytes uploaded again are kept once.
    """
    if len(data) > MAX_REPORT_BYTES:
        raise HistoryError(f"{name}: {len(data) / 1e6:.1f} MB; an interval report is limited to 5 MB here")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise HistoryError(f"{name}: line {line} is not UTF-8 text; export the report as CSV") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise HistoryError(f"{name}: the file is empty")
    delimiter = _delimiter(first)
    header = [c.strip() for c in next(csv.reader([first], delimiter=delimiter))]
    if len(header) < 2:
        raise HistoryError(f"{name}: line 1 has one column; an interval report needs a time and a volume column")
    slug = re.sub(r"[^a-z0-9]+", "_", Path(name).stem.lower()).strip("_")[:40] or "report"
    stem = f"{slug}_{hashlib.sha1(data).hexdigest()[:8]}"
    path = _folder(root) / f"{stem}.csv"
    _write(path, data)
    settings = {"name": name, "delimiter": delimiter, "header": header, "columns": guess_columns(header)}
    _write(path.with_suffix(".json"), json.dumps(settings).encode())
    return Source(name, path, "interval")


def saved_reports(root: Path | None = None) -> list[Source]:
    """The interval reports uploaded into the workspace, newest first."""
    folder = _folder(root)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.csv"), key=lambda p: p.stat().st_mtime, reverse=True):
        settings = report_settings(path)
        if settings:
            found.append(Source(str(settings.get("name", path.name)), path, "interval"))
    return found


def report_settings(path: Path) -> dict[str, Any]:
    """An uploaded report's name, delimiter, header and chosen columns ({} if unreadable)."""
    try:
        value = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def save_columns(path: Path, columns: dict[str, str | None]) -> None:
    """Remember the columns chosen for an uploaded report (they survive a reload)."""
    settings = report_settings(path)
    if settings and settings.get("columns") != columns:
        _write(path.with_suffix(".json"), json.dumps(settings | {"columns": columns}).encode())


def delete_report(source: Source) -> None:
    """Forget an uploaded report (the CSV and its settings)."""
    source.path.unlink(missing_ok=True)
    source.path.with_suffix(".json").unlink(missing_ok=True)


def guess_columns(header: list[str]) -> dict[str, str | None]:
    """Which column holds what, from the header's names (None where nothing fits): the
    exact names first (``start``, ``offered``, ``queue``, ``aht`` ...), then names containing them.
    """
    taken: set[str] = set()
    guess: dict[str, str | None] = {}
    for field, hints in _HINTS.items():
        lowered = {c: c.lower().strip() for c in header}
        exact = [c for h in hints for c in header if lowered[c] == h and c not in taken]
        partial = [c for h in hints for c in header if h in lowered[c] and c not in taken]
        pick = (exact or partial or [None])[0]
        guess[field] = pick
        if pick is not None:
            taken.add(pick)
    return guess


# --------------------------------------------------------------------------- reading, forecasting


def _named(message: str, source: Source) -> str:
    """The library's message with the workspace path replaced by the file name the user knows."""
    return message.replace(str(source.path), source.name)


def read_history(source: Source, interval_minutes: int, columns: dict[str, Any] | None = None) -> VolumeHistory:
    """Read ``source`` into a volume history per ``interval_minutes``; an interval report by
    ``columns`` (``time``, ``volume``, optional ``channel``, ``aht``, ``time_format``, ``delimiter``).
    The history's ``source`` is the file name the user knows.
    """
    try:
        if source.kind != "interval":
            history = supportsim.history_from_log(supportsim.read_log(source.path, source.kind), interval_minutes)
            return replace(history, source=source.name)
        spec = {k: v for k, v in (columns or {}).items() if v}
        for field in ("time", "volume"):
            if field not in spec:
                raise HistoryError(f"{source.name}: choose the column of the {FIELDS[field]} ({field})")
        history = supportsim.read_interval_report(source.path, IntervalColumns(**spec), interval_minutes)
        return replace(history, source=source.name)  # messages and files name the user's file
    except (IntervalReportError, LogError) as exc:
        raise HistoryError(_named(str(exc), source)) from None
    except (ValueError, TypeError, OSError) as exc:
        if isinstance(exc, HistoryError):
            raise
        raise HistoryError(f"{source.name}: {_named(str(exc), source)}") from None


def date_bounds(history: VolumeHistory) -> tuple[date, date]:
    """Earliest and latest train-until dates: seven days to train on, at most the day after the last."""
    days = history.days()
    if len(days) < 7:
        raise HistoryError(f"{history.source}: {len(days)} day(s) of history; a forecast needs at least 7 to train on")
    return (days[0] + pd.Timedelta(days=7)).date(), (days[-1] + pd.Timedelta(days=1)).date()


def default_settings(history: VolumeHistory) -> tuple[date, int]:
    """(train until, horizon days): hold the last 7 days out to measure accuracy when there are
    two weeks or more, else forecast the 7 days after the history.
    """
    last = date_bounds(history)[1]
    days = history.days()
    return ((days[-7].date() if len(days) >= 14 else last), 7)


def forecast(history: VolumeHistory, train_until: date, horizon_days: int) -> VolumeForecast:
    """:func:`supportsim.forecast_volume`, its refusals as :class:`HistoryError`."""
    try:
        return supportsim.forecast_volume(history, pd.Timestamp(train_until), int(horizon_days))
    except ValueError as exc:
        raise HistoryError(f"{history.source}: {exc}") from None


def span_text(result: VolumeForecast) -> str:
    """``Mon 22 Feb 1999 – Sun 28 Feb 1999``: the days forecast."""
    end = result.train_until + pd.Timedelta(days=result.horizon_days - 1)
    return f"{result.train_until:%a %d %b %Y} – {end:%a %d %b %Y}"


# --------------------------------------------------------------------------- chart and tables


def chart_frame(result: VolumeForecast, days_before: int = DAYS_SHOWN) -> pd.DataFrame:
    """Long table for the chart: ``time``, ``channel``, ``series`` (``actual`` or ``forecast``),
    ``volume``, ``lo``, ``hi`` (the 80% band), contacts per interval. The actuals cover the
    ``days_before`` days before the forecast and any held-out days; closed intervals are
    forecast as 0 (as the scenario made from it has them).
    """
    start = result.train_until - pd.Timedelta(days=days_before)
    end = result.train_until + pd.Timedelta(days=result.horizon_days)
    volumes = result.history.volumes
    shown = volumes[(volumes["interval_start"] >= start) & (volumes["interval_start"] < end)]
    actual = {"time": shown["interval_start"], "channel": shown["channel"], "volume": shown["volume"]}
    parts = [pd.DataFrame(actual).assign(series="actual")]
    grid = pd.date_range(result.train_until, end, freq=f"{result.interval_minutes}min", inclusive="left")
    for channel in result.fits:
        rows = result.intervals[result.intervals["channel"] == channel].set_index("interval_start")
        full = rows[["volume", "volume_lo80", "volume_hi80"]].reindex(grid, fill_value=0.0)
        parts.append(
            pd.DataFrame(
                {
                    "time": grid,
                    "channel": channel,
                    "series": "forecast",
                    "volume": full["volume"].to_numpy(),
                    "lo": full["volume_lo80"].to_numpy(),
                    "hi": full["volume_hi80"].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def forecast_chart(frame: pd.DataFrame, channel: str, height: int = 300) -> alt.LayerChart | alt.FacetChart:
    """One channel: the actuals (grey), the forecast (blue) and its 80% band (shaded), a dashed
    rule where the forecast starts; one legend naming all three.
    """
    data = frame[frame["channel"] == channel]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=["actual", "forecast", "80% band"], range=["#555555", "#1f77b4", "#9ecae9"]),
        legend=alt.Legend(orient="top", labelFontSize=13, symbolStrokeWidth=3),
    )
    x = alt.X("time:T", title=None, axis=alt.Axis(format="%a %d %b", labelFontSize=12, tickCount="day"))
    base = alt.Chart(data)
    forecast_rows = base.transform_filter(alt.datum.series == "forecast")
    band = (
        forecast_rows.transform_calculate(series="'80% band'")
        .mark_area(opacity=0.6)
        .encode(x=x, y="lo:Q", y2="hi:Q", color=colour)
    )
    lines = base.mark_line(strokeWidth=1.3).encode(
        x=x,
        y=alt.Y("volume:Q", title=f"{channel}: contacts per interval", axis=alt.Axis(titleFontSize=13)),
        color=colour,
        tooltip=[
            alt.Tooltip("time:T", format="%a %d %b %Y %H:%M", title="interval start"),
            "series:N",
            alt.Tooltip("volume:Q", format=",.1f", title="contacts"),
            alt.Tooltip("lo:Q", format=",.0f", title="80% band from"),
            alt.Tooltip("hi:Q", format=",.0f", title="80% band to"),
        ],
    )
    start = (
        forecast_rows.transform_aggregate(start="min(time)")
        .mark_rule(strokeDash=[5, 4], color="#333")
        .encode(x="start:T")
    )
    return alt.layer(band, lines, start).properties(height=height)


def accuracy_table(result: VolumeForecast) -> pd.DataFrame | None:
    """On the held-out days: the forecast against seasonal naive, per channel (and all channels
    when there are several), with the forecast module's names (``wape_interval``,
    ``wape_daily``, ``coverage_80``, fractions). None without held-out days.
    """
    if result.accuracy is None:
        return None
    blocks = [(c, b, result.fits[c].method) for c, b in result.accuracy["channels"].items()]
    if len(blocks) > 1:
        blocks.insert(0, ("all channels", result.accuracy, "per channel"))
    rows = []
    for channel, block, method in blocks:
        for model, label in (("forecast", f"forecast ({method})"), ("seasonal_naive", "seasonal_naive")):
            rows.append(
                {"channel": channel, "model": label, **block[model], "days": block["days"], "contacts": block["volume"]}
            )
    columns = ["channel", "model", "wape_interval", "wape_daily", "coverage_80", "days", "contacts"]
    return pd.DataFrame(rows, columns=columns)


def backtest_table(result: VolumeForecast) -> pd.DataFrame:
    """Each channel's candidates as scored by the backtests inside the training history."""
    return pd.concat(
        [fit.candidates.assign(channel=channel) for channel, fit in result.fits.items()], ignore_index=True
    )[["channel", "candidate", "wape", "daily_wape", "coverage", "chosen"]]


def forecast_table(result: VolumeForecast) -> pd.DataFrame:
    """The forecast as the command line's ``forecast.csv`` has it (``interval_start`` ISO 8601)."""
    table = result.intervals.copy()
    table["interval_start"] = table["interval_start"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return table


def export_tables(result: VolumeForecast) -> dict[str, pd.DataFrame]:
    """The workbook's sheets: the forecast per interval, per day, its accuracy and backtests."""
    tables = {"forecast": result.intervals, "daily": result.daily}
    accuracy = accuracy_table(result)
    if accuracy is not None:
        tables["accuracy"] = accuracy
    tables["backtests"] = backtest_table(result)
    return tables


def forecast_csv(result: VolumeForecast) -> bytes:
    """``forecast.csv`` as bytes."""
    return forecast_table(result).to_csv(index=False, lineterminator="\n").encode()


def forecast_xlsx(result: VolumeForecast) -> bytes:
    """The export tables as one .xlsx workbook."""
    return supportsim.workbook_bytes(export_tables(result))


# --------------------------------------------------------------------------- scenario


def fits_base(result: VolumeForecast, base: Scenario) -> bool:
    """Whether the forecast's channels map onto the base's (by name, or one onto one)."""
    channels = [c.name for c in base.channels]
    return (len(result.fits) == 1 and len(channels) == 1) or all(c in channels for c in result.fits)


def bases(result: VolumeForecast, scenarios: dict[str, Scenario]) -> list[str]:
    """The library's scenarios the forecast can extend: the same channels and interval first."""
    fitting = [n for n, s in scenarios.items() if fits_base(result, s)]

    def rank(name: str) -> tuple[bool, bool]:
        base = scenarios[name]
        same_channels = sorted(c.name for c in base.channels) == sorted(result.fits)
        return (not same_channels, base.horizon.interval_minutes != result.interval_minutes)

    return sorted(fitting, key=rank)


def make_scenario(result: VolumeForecast, base: Scenario) -> Scenario:
    """``base`` with the forecast's arrivals and spread (:func:`supportsim.forecast_scenario`),
    loaded back in full: self-contained, ready to save in the library.
    """
    with tempfile.TemporaryDirectory() as tmp:
        base_path, output = Path(tmp) / "base.yaml", Path(tmp) / "forecast.yaml"
        base_path.write_text(supportsim.scenario_to_yaml(base), encoding="utf-8")
        try:
            for path, text in supportsim.forecast_scenario(result, base_path, output).items():
                path.write_text(text, encoding="utf-8")
            return supportsim.load_scenario(output)
        except (ScenarioError, ValueError) as exc:
            lines = str(exc).replace(str(output), "the forecast scenario").replace(str(base_path), base.name)
            first, more = lines.splitlines()[0], len(lines.splitlines()) - 1
            hint = ""
            plans, days = base.horizon.interval_minutes, base.horizon.days
            if (plans, days) != (result.interval_minutes, result.horizon_days):
                hint = (
                    f"; the base plans {days} day(s) in {plans}-minute intervals, the forecast "
                    f"{result.horizon_days} day(s) in {result.interval_minutes}-minute ones"
                )
            raise HistoryError(
                f"{base.name} cannot carry this forecast: {first}{f' (and {more} more)' if more else ''}{hint}"
            ) from None
