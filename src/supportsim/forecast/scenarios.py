"""A scenario from a forecast: the base scenario's operation, next period's arrivals.

The scenario written ``extends:`` the base and replaces each forecast channel's arrivals by
a table of rates per interval of the whole horizon (a CSV file beside it), so ``run``,
``compare`` and ``staff`` see the forecast. Its uncertainty enters as ``daily_cv``: each
simulated day's rates are multiplied by a gamma variable of mean 1 and the forecast's
day-level coefficient of variation beyond Poisson (from the backtests), so replications
spread as the forecast's daily predictive distribution does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from supportsim.forecast.forecasting import VolumeForecast
from supportsim.scenario.calendar import WEEKDAYS
from supportsim.scenario.io import load_scenario

SCENARIO_INTERVALS = (15, 30, 60)
"""Interval lengths (minutes) a scenario can have."""

_OTHER_FORMS = ("per_hour", "per_day", "intraday", "weekday")


def channel_names(forecast: VolumeForecast, base_channels: list[str]) -> dict[str, str]:
    """Forecast channel → scenario channel: by name, or the one channel onto the one channel."""
    forecast_channels = list(forecast.fits)
    if len(forecast_channels) == 1 and len(base_channels) == 1:
        return {forecast_channels[0]: base_channels[0]}
    unknown = [c for c in forecast_channels if c not in base_channels]
    if unknown:
        raise ValueError(
            f"forecast channel(s) {', '.join(unknown)} not in the base scenario "
            f"(its channels: {', '.join(base_channels)})"
        )
    return {c: c for c in forecast_channels}


def rates_table(forecast: VolumeForecast, channel: str) -> pd.DataFrame:
    """Arrivals per hour in every interval of the horizon (closed intervals 0)."""
    minutes = forecast.interval_minutes
    starts = pd.date_range(forecast.train_until, periods=forecast.horizon_days * 1440 // minutes, freq=f"{minutes}min")
    rows = forecast.intervals[forecast.intervals["channel"] == channel].set_index("interval_start")["volume"]
    volume = rows.reindex(starts, fill_value=0.0).to_numpy(float)
    return pd.DataFrame(
        {"interval_start": starts.strftime("%Y-%m-%dT%H:%M"), "per_hour": np.round(volume * 60 / minutes, 4)}
    )


def forecast_scenario(forecast: VolumeForecast, base: str | Path, output: str | Path) -> dict[Path, str]:
    """The files of a scenario at ``output`` that extends ``base`` with the forecast's arrivals:
    ``{path: text}`` for the YAML and one ``<stem>_<channel>.csv`` rates table per channel.
    """
    base, output = Path(base), Path(output)
    minutes = forecast.interval_minutes
    if minutes not in SCENARIO_INTERVALS:
        raise ValueError(f"a scenario's interval is 15, 30 or 60 minutes; this forecast's is {minutes}")
    scenario = load_scenario(base)
    names = channel_names(forecast, [c.name for c in scenario.channels])
    files: dict[Path, str] = {}
    channels: list[dict[str, Any]] = []
    for channel, target in names.items():
        table_path = output.with_name(f"{output.stem}_{target}.csv")
        files[table_path] = rates_table(forecast, channel).to_csv(index=False, lineterminator="\n")
        arrivals: dict[str, Any] = {
            "csv": table_path.name,
            "daily_cv": round(min(forecast.fits[channel].daily_cv, 2.0), 4),
        }
        entry: dict[str, Any] = {"name": target, "arrivals": arrivals | dict.fromkeys(_OTHER_FORMS)}
        if scenario.channel(target).retrial is not None:
            entry["retrial"] = None  # the forecast counts calls, callbacks included: not twice
        channels.append(entry)
    start = forecast.train_until
    data = {
        "extends": os.path.relpath(base.resolve(), output.resolve().parent),
        "name": f"{scenario.name} (forecast from {start.date()})",
        "description": f"{scenario.description} Arrivals: forecast from {start.date()}.".strip(),
        "horizon": {
            "days": forecast.horizon_days,
            "interval_minutes": minutes,
            "start_weekday": WEEKDAYS[start.day_of_week],
        },
        "channels": channels,
    }
    header = (
        f"# Written by supportsim forecast from {Path(forecast.history.source).name}: arrivals per interval in the\n"
        "# CSV table(s) beside this file; daily_cv carries the forecast's day-level uncertainty.\n"
        "# The history counts every call, callbacks included, so the base's retrial is turned off.\n"
    )
    files[output] = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return files
