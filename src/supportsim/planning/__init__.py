"""Capacity planning: Erlang formulas, offered load, simulation-based requirement, shifts."""

from supportsim.planning.analytic import erlang_a, erlang_b, erlang_c, erlang_table, required_agents
from supportsim.planning.requirement import (
    StaffingPlan,
    achieved_kpis,
    check_targets,
    plan,
    simulate_roster,
    simulated_requirement,
)
from supportsim.planning.shifts import schedule

__all__ = [
    "StaffingPlan",
    "achieved_kpis",
    "check_targets",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_table",
    "plan",
    "required_agents",
    "schedule",
    "simulate_roster",
    "simulated_requirement",
]
