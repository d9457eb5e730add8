"""supportsim: simulate customer-service operations and plan their capacity.

>>> import supportsim
>>> scenario = supportsim.load_scenario("scenarios/single_queue.yaml")
>>> result = supportsim.simulate(scenario, seed=1, replications=2)
>>> result.summary["channels"]["phone"]["asa_seconds"]["mean"] > 0
True
"""

from supportsim.calibration import (
    BacktestError,
    ColumnMap,
    ContactLog,
    FitOptions,
    FitResult,
    LogError,
    backtest,
    fit,
    read_log,
)
from supportsim.planning import (
    StaffingPlan,
    achieved_kpis,
    check_targets,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_table,
    plan,
    required_agents,
    schedule,
    simulate_roster,
    simulated_requirement,
)
from supportsim.results import (
    Comparison,
    Kpi,
    SimulationResult,
    compare,
    comparison_table,
    confidence_half_width,
    paired_interval,
    simulate,
    simulate_to_precision,
    unpaired_half_width,
)
from supportsim.scenario import (
    WEEKDAYS,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
    scenario_from_dict,
    scenario_to_yaml,
)

__all__ = [
    "WEEKDAYS",
    "BacktestError",
    "ColumnMap",
    "Comparison",
    "ContactLog",
    "FitOptions",
    "FitResult",
    "Kpi",
    "LogError",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "StaffingPlan",
    "achieved_kpis",
    "backtest",
    "check_targets",
    "compare",
    "comparison_table",
    "confidence_half_width",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_table",
    "fit",
    "load_scenario",
    "paired_interval",
    "parse_scenario",
    "plan",
    "read_log",
    "required_agents",
    "scenario_from_dict",
    "scenario_to_yaml",
    "schedule",
    "simulate",
    "simulate_roster",
    "simulate_to_precision",
    "simulated_requirement",
    "unpaired_half_width",
]
__version__ = "0.1.0"
