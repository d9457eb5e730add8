"""Forecasting: volume histories in (interval reports or contact logs), volume forecasts with a
calibrated 80% band out, and scenarios that carry the forecast and its uncertainty.

``history`` (:class:`VolumeHistory`, counts from a log), ``interval_reports`` (reading an
ACD's interval export), ``open_hours`` (closed days and hours recognised), ``outliers``
(outages, spikes, odd days replaced), ``candidates`` (the methods), ``backtests`` (rolling
origins inside the training history), ``accuracy`` (WAPE, coverage, the count distribution),
``forecasting`` (:func:`forecast_volume`), ``scenarios`` (:func:`forecast_scenario`).
The report files are written by :mod:`supportsim.reports`.
"""

from supportsim.forecast.accuracy import coverage, wape
from supportsim.forecast.candidates import METHODS
from supportsim.forecast.forecasting import FORECAST_COLUMNS, ChannelFit, VolumeForecast, forecast_volume
from supportsim.forecast.history import VOLUME_COLUMNS, VolumeHistory, history_from_log
from supportsim.forecast.interval_reports import IntervalColumns, IntervalReportError, read_interval_report
from supportsim.forecast.open_hours import OpenHours, detect_open_hours
from supportsim.forecast.scenarios import forecast_scenario

__all__ = [
    "FORECAST_COLUMNS",
    "METHODS",
    "VOLUME_COLUMNS",
    "ChannelFit",
    "IntervalColumns",
    "IntervalReportError",
    "OpenHours",
    "VolumeForecast",
    "VolumeHistory",
    "coverage",
    "detect_open_hours",
    "forecast_scenario",
    "forecast_volume",
    "history_from_log",
    "read_interval_report",
    "wape",
]
