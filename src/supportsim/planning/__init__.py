"""Capacity planning: Erlang formulas, offered load, simulation-based requirement, shifts.

``analytic`` (Erlang B, C and A, square-root staffing, the fewest agents for targets),
``workload`` (offered load per interval and group, the Erlang first guess, the planning
timeline), ``targets`` (staffing targets and their per-interval checks on replications),
``search`` (the simulation-based requirement), ``shifts`` (the cheapest shifts covering a
requirement under the scenario's ``planning:`` rules, as MILPs), ``weekly`` (work patterns and
the weekly roster of anonymous agents), ``current`` (today's roster measured like a plan's),
``staffing_plan`` (all of it together: :func:`plan`).
"""

from supportsim.planning.analytic import (
    ErlangAResult,
    Requirement,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_asa_seconds,
    erlang_c_service_level,
    erlang_table,
    halfin_whitt_p_wait,
    occupancy,
    required_agents,
    square_root_staffing,
)
from supportsim.planning.search import (
    COARSE_REPLICATIONS,
    DEFAULT_REPLICATIONS,
    SEQUENTIAL_FACTOR,
    RequirementSearch,
    simulated_requirement,
)
from supportsim.planning.shifts import Roster, ShiftOption, schedule, shift_options
from supportsim.planning.staffing_plan import (
    CurrentRoster,
    StaffingPlan,
    achieved_kpis,
    check_targets,
    plan,
    simulate_roster,
)
from supportsim.planning.targets import (
    CLEAR_QUEUE_BELOW,
    DEFAULT_CONFIDENCE,
    DEFAULT_MAX_OCCUPANCY,
    Counts,
    Evaluation,
    Targets,
    evaluate,
    meet_count,
    replicate,
)
from supportsim.planning.workload import KINDS, Timeline, analytic_requirement, offered_load, timeline

__all__ = [
    "CLEAR_QUEUE_BELOW",
    "COARSE_REPLICATIONS",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MAX_OCCUPANCY",
    "DEFAULT_REPLICATIONS",
    "KINDS",
    "SEQUENTIAL_FACTOR",
    "Counts",
    "CurrentRoster",
    "ErlangAResult",
    "Evaluation",
    "Requirement",
    "RequirementSearch",
    "Roster",
    "ShiftOption",
    "StaffingPlan",
    "Targets",
    "Timeline",
    "achieved_kpis",
    "analytic_requirement",
    "check_targets",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa_seconds",
    "erlang_c_service_level",
    "erlang_table",
    "evaluate",
    "halfin_whitt_p_wait",
    "meet_count",
    "occupancy",
    "offered_load",
    "plan",
    "replicate",
    "required_agents",
    "schedule",
    "shift_options",
    "simulate_roster",
    "simulated_requirement",
    "square_root_staffing",
    "timeline",
]
