"""Reports: the files and charts made from results, plans, fits and backtests.

Every writer puts all its files in place or none (:func:`staged_output`); figures are
``matplotlib.figure.Figure`` objects, never pyplot state.
"""

from supportsim.reports.backtest_report import backtest_figures, write_backtest
from supportsim.reports.comparison import write_comparison
from supportsim.reports.files import json_ready, staged_output, write_run
from supportsim.reports.fit_report import scenario_yaml, write_fit_report
from supportsim.reports.forecast_report import forecast_figures, write_forecast, write_forecast_scenario
from supportsim.reports.plan_report import erlang_report, plan_figure, plan_summary, write_plan
from supportsim.reports.side_by_side import StaffingNeeds, staffing_needs
from supportsim.reports.workbook import workbook_bytes

__all__ = [
    "StaffingNeeds",
    "backtest_figures",
    "erlang_report",
    "forecast_figures",
    "json_ready",
    "plan_figure",
    "plan_summary",
    "scenario_yaml",
    "staffing_needs",
    "staged_output",
    "workbook_bytes",
    "write_backtest",
    "write_comparison",
    "write_fit_report",
    "write_forecast",
    "write_forecast_scenario",
    "write_plan",
    "write_run",
]
