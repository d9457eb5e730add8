"""Exact queueing formulas for contact-centre planning (the analytic side of planning).

``erlang`` (Erlang B and C, occupancy, square-root staffing), ``abandonment`` (Erlang A:
exponential patience, solved as a birth–death chain), ``solver`` (the fewest agents meeting
targets, tables per agent count), ``inputs`` (units and input checks).

Units throughout: arrival rates (``per_hour``) in calls per hour; handling, patience, wait
and target times in seconds; offered load in erlangs, ``load = per_hour * aht_seconds / 3600``.
"""

from supportsim.planning.analytic.abandonment import ErlangAResult, erlang_a
from supportsim.planning.analytic.erlang import (
    erlang_b,
    erlang_c,
    erlang_c_asa_seconds,
    erlang_c_service_level,
    halfin_whitt_p_wait,
    occupancy,
    square_root_staffing,
)
from supportsim.planning.analytic.solver import Requirement, erlang_table, required_agents

__all__ = [
    "ErlangAResult",
    "Requirement",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa_seconds",
    "erlang_c_service_level",
    "erlang_table",
    "halfin_whitt_p_wait",
    "occupancy",
    "required_agents",
    "square_root_staffing",
]
