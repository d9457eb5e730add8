"""Calibration: contact logs in, a fitted scenario and a backtest against the log out."""

from supportsim.calibration.backtesting import BacktestError, backtest
from supportsim.calibration.fitting import FitOptions, FitResult, fit
from supportsim.calibration.logs import ColumnMap, ContactLog, LogError, read_log

__all__ = [
    "BacktestError",
    "ColumnMap",
    "ContactLog",
    "FitOptions",
    "FitResult",
    "LogError",
    "backtest",
    "fit",
    "read_log",
]
