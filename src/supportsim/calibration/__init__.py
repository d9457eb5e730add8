"""Calibration: contact logs in, a fitted scenario and a backtest against the log out.

``logs`` (one reader per log format, the tidy contact table), ``durations`` (family fits by
AIC, censored patience, Kaplan–Meier, Wilson intervals), ``arrivals`` (counts per interval,
weekly profile, day-to-day variation), ``on_duty`` (agents on duty and ready inferred from a
log), ``categories`` (shares, handle time, escalation, reopen), ``retrials`` (callbacks after
abandonment and priority classes), ``scores`` (backtest KPIs and errors), ``fitting`` (:func:`fit`: the
scenario put together), ``backtesting`` (:func:`backtest`: the log's period replayed).
The fit and backtest files are written by :mod:`supportsim.reports`.
"""

from supportsim.calibration.backtesting import BACKTEST_KPIS, BacktestError, BacktestResult, backtest, replay
from supportsim.calibration.durations import FAMILIES, DistributionFit, fit_durations, kaplan_meier, wilson
from supportsim.calibration.fitting import FitOptions, FitResult, fit
from supportsim.calibration.logs import (
    CONTACT_COLUMNS,
    FORMATS,
    ColumnMap,
    ContactLog,
    LogError,
    count_problems,
    read_anonymous_bank,
    read_csv_log,
    read_log,
    read_servicenow,
)
from supportsim.calibration.on_duty import OnDuty, infer_on_duty
from supportsim.calibration.retrials import PriorityFit, RetrialFit, fit_priority, fit_retrials
from supportsim.calibration.satisfaction import SatisfactionFit, fit_satisfaction

__all__ = [
    "BACKTEST_KPIS",
    "CONTACT_COLUMNS",
    "FAMILIES",
    "FORMATS",
    "BacktestError",
    "BacktestResult",
    "ColumnMap",
    "ContactLog",
    "DistributionFit",
    "FitOptions",
    "FitResult",
    "LogError",
    "OnDuty",
    "PriorityFit",
    "RetrialFit",
    "SatisfactionFit",
    "backtest",
    "count_problems",
    "fit",
    "fit_durations",
    "fit_priority",
    "fit_retrials",
    "fit_satisfaction",
    "infer_on_duty",
    "kaplan_meier",
    "read_anonymous_bank",
    "read_csv_log",
    "read_log",
    "read_servicenow",
    "replay",
    "wilson",
]
