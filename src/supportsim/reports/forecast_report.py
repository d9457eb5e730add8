"""The forecast report: ``forecast.csv``, ``report.md`` with PNG plots, ``accuracy.json`` when
the history goes on past the training period, and the scenario files made from a forecast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from supportsim.forecast import VolumeForecast, forecast_scenario
from supportsim.reports.files import json_ready, staged_output
from supportsim.scenario.calendar import WEEKDAYS
from supportsim.scenario.io import ScenarioError, load_scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

HISTORY_WEEKS = 3
"""Weeks of training history drawn before the forecast."""


def forecast_table(forecast: VolumeForecast) -> pd.DataFrame:
    """The forecast as written to ``forecast.csv`` (``interval_start`` in ISO 8601)."""
    table = forecast.intervals.copy()
    table["interval_start"] = table["interval_start"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return table


def forecast_figures(forecast: VolumeForecast) -> dict[str, Figure]:
    """``history.png`` (last weeks and the forecast with its band) and ``profile.png`` (intraday shares)."""
    from matplotlib.figure import Figure  # heavy: imported when a figure is drawn

    channels = list(forecast.fits)
    history = Figure(figsize=(11, 3.2 * len(channels)), layout="constrained")
    profile = Figure(figsize=(11, 3.2 * len(channels)), layout="constrained")
    volumes = forecast.history.volumes
    start = forecast.train_until - pd.Timedelta(weeks=HISTORY_WEEKS)
    for i, channel in enumerate(channels):
        ax = history.add_subplot(len(channels), 1, i + 1)
        end = forecast.train_until + pd.Timedelta(days=forecast.horizon_days)
        shown = (volumes["interval_start"] >= start) & (volumes["interval_start"] < end)
        past = volumes[(volumes["channel"] == channel) & shown]
        ax.plot(past["interval_start"], past["volume"], color="0.4", lw=0.7, label="history (and held-out days)")
        rows = forecast.intervals[forecast.intervals["channel"] == channel]
        ax.fill_between(
            rows["interval_start"], rows["volume_lo80"], rows["volume_hi80"], color="C0", alpha=0.25, label="80% band"
        )
        ax.plot(rows["interval_start"], rows["volume"], color="C0", lw=0.9, ls="", marker=".", ms=2, label="forecast")
        ax.axvline(
            forecast.train_until.to_pydatetime(),  # type: ignore[arg-type]
            color="k",
            lw=0.8,
            ls="--",
        )
        ax.set(title=f"{channel}: history and forecast", xlabel="time", ylabel="contacts per interval")
        ax.legend(loc="upper left", fontsize=8)
        shares = forecast.fits[channel].profile
        ax2 = profile.add_subplot(len(channels), 1, i + 1)
        for weekday in WEEKDAYS:
            day = shares[(shares["weekday"] == weekday) & shares["open"]]
            if not day.empty:
                ax2.plot(day["minute"] / 60, day["share"], marker=".", ms=3, lw=0.8, label=weekday)
        ax2.set(title=f"{channel}: intraday profile per weekday", xlabel="hour of day", ylabel="share of the day")
        ax2.legend(loc="upper right", fontsize=8, ncols=7)
    return {"history.png": history, "profile.png": profile}


def _markdown_table(frame: pd.DataFrame) -> list[str]:
    if frame.empty:
        return ["(none)"]
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = [f"{v:.4f}" if isinstance(v, float) else str(v) for v in row]
        body.append("| " + " | ".join(cells) + " |")
    return [header, rule, *body]


def forecast_markdown(forecast: VolumeForecast) -> str:
    """``report.md``: the history read, per channel the method and its rivals, outliers, hours, accuracy."""
    history = forecast.history
    lines = [
        "# Volume forecast",
        "",
        f"History: `{Path(history.source).name}`, {history.rows_read} rows, {len(history.problems)} problem rows; "
        f"{history.interval_minutes}-minute intervals. Trained on the days before {forecast.train_until.date()}, "
        f"forecast for {forecast.horizon_days} days from it.",
        *[f"- {note}" for note in history.notes],
        "",
    ]
    counts = history.problem_counts()
    if not counts.empty:
        lines += ["## Rows not used as they stand", "", *_markdown_table(counts), ""]
    for channel, fit in forecast.fits.items():
        params = ", ".join(f"{k} = {v}" for k, v in fit.parameters.items()) or "none"
        lines += [
            f"## {channel}",
            "",
            f"Method: **{fit.method}** (parameters: {params}). Band: negative binomial with dispersion "
            f"{fit.dispersion:.4f}, tails {fit.alpha:.3f} each (calibrated to 80% coverage in the backtests); "
            f"day-level coefficient of variation {fit.daily_cv:.3f}.",
            "",
            "Candidates, scored by rolling-origin backtests inside the training history:",
            "",
            *_markdown_table(fit.candidates),
            "",
            "Outliers replaced before fitting:",
            "",
            *_markdown_table(fit.outliers),
            "",
            "Open hours recognised from the history:",
            "",
            *[f"- {day}: {hours}" for day, hours in fit.open_hours.items()],
            "",
        ]
    if forecast.accuracy is not None:
        acc = forecast.accuracy
        rows = pd.DataFrame(
            [{"method": name} | acc[name] for name in ("forecast", "seasonal_naive")],
            columns=["method", "wape_interval", "wape_daily", "coverage_80"],
        )
        lines += [f"## Accuracy on the {acc['days']} held-out days", "", *_markdown_table(rows), ""]
    lines += ["![history and forecast](history.png)", "", "![intraday profile](profile.png)", ""]
    return "\n".join(lines)


def write_forecast(forecast: VolumeForecast, out: Path) -> list[str]:
    """Write ``forecast.csv``, ``report.md``, the PNG plots and (with held-out days) ``accuracy.json``."""
    written = ["forecast.csv", "report.md"]
    with staged_output(out) as staging:
        forecast_table(forecast).to_csv(staging / "forecast.csv", index=False, lineterminator="\n")
        (staging / "report.md").write_text(forecast_markdown(forecast), encoding="utf-8")
        for name, fig in forecast_figures(forecast).items():
            fig.savefig(staging / name, dpi=90)
            written.append(name)
        if forecast.accuracy is not None:
            summary = {
                "train_until": str(forecast.train_until.date()),
                "horizon_days": forecast.horizon_days,
                "interval_minutes": forecast.interval_minutes,
                "baseline": "seasonal_naive: the last training week repeated (the same interval one week earlier)",
            } | forecast.accuracy
            text = json.dumps(json_ready(summary), indent=2)
            (staging / "accuracy.json").write_text(text + "\n", encoding="utf-8")
            written.append("accuracy.json")
    return written


def write_forecast_scenario(forecast: VolumeForecast, base: Path, output: Path) -> list[Path]:
    """Write the scenario extending ``base`` with the forecast (and its rate tables), then load it
    to check it validates; on failure nothing is left behind and ``ScenarioError`` is raised.
    """
    files = forecast_scenario(forecast, base, output)
    written = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        load_scenario(output)
    except (ScenarioError, OSError):
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return list(files)
