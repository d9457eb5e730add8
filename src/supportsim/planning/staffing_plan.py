"""The plan: Erlang first guess, simulated requirement, cheapest shifts, and the roster checked
on fresh seeds (what ``supportsim staff`` reports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from supportsim.engine import replication_seeds
from supportsim.planning.search import DEFAULT_REPLICATIONS, RequirementSearch, simulated_requirement
from supportsim.planning.shifts import schedule
from supportsim.planning.targets import DEFAULT_CONFIDENCE, DEFAULT_MAX_OCCUPANCY, Targets, evaluate, replicate
from supportsim.planning.workload import timeline
from supportsim.results.executors import Executor, make_executor
from supportsim.results.simulation import SimulationResult, simulate
from supportsim.scenario.model import Scenario

__all__ = ["StaffingPlan", "achieved_kpis", "check_targets", "plan", "simulate_roster"]


def check_targets(
    scenario: Scenario,
    *,
    seed: int,
    replications: int,
    confidence: float = DEFAULT_CONFIDENCE,
    max_occupancy: float | None = DEFAULT_MAX_OCCUPANCY,
    workers: int = 1,
    dask: str | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Per-interval target checks of ``scenario`` as it is staffed (e.g. a roster of shifts),
    simulated on its planning timeline (lead days, cyclic schedules, tail days).

    An open ``executor`` runs the replications instead of ``workers`` / ``dask`` (it stays open).
    """
    if executor is None:
        with make_executor(workers, dask) as own:
            return check_targets(scenario, seed=seed, replications=replications, confidence=confidence,
                                 max_occupancy=max_occupancy, executor=own)
    tl = timeline(scenario)
    targets = Targets.of(tl, max_occupancy)
    counts = executor.map(replicate, [(tl.scenario, s) for s in replication_seeds(seed, replications)])
    return evaluate(targets, counts, confidence).checks


def achieved_kpis(result: SimulationResult) -> pd.DataFrame:
    """KPIs of a simulated scenario with their targets: one row per channel/group metric with
    ``mean``, ``ci95`` (95% half-width over replications), ``target`` and ``met``.
    """
    rows: list[dict[str, Any]] = []
    scenario = result.scenario
    for channel in scenario.channels:
        entry = result.summary["channels"][channel.name]
        target = channel.target
        wanted: list[tuple[str, float | None, str]] = [
            ("service_level", target.service_level if target else None, ">="),
            ("abandon_rate", target.max_abandon_rate if target else None, "<="),
            ("asa_seconds", None, ""),
            ("first_response_minutes", None, ""),
        ]
        for metric, goal, sense in wanted:
            if metric == "abandon_rate" and channel.mode != "realtime":
                continue
            mean, half = entry[metric]["mean"], entry[metric]["ci95"]
            met = None if goal is None or mean is None else (mean >= goal if sense == ">=" else mean <= goal)
            rows.append({"scope": "channel", "name": channel.name, "metric": metric, "mean": mean,
                         "ci95": half, "target": goal, "met": met})
    for group in scenario.groups:
        entry = result.summary["groups"][group.name]
        for metric in ("occupancy", "utilization", "paid_hours", "agent_cost"):
            rows.append({"scope": "group", "name": group.name, "metric": metric,
                         "mean": entry[metric]["mean"], "ci95": entry[metric]["ci95"], "target": None,
                         "met": None})
    return pd.DataFrame(rows)


def simulate_roster(
    scenario: Scenario,
    *,
    seed: int,
    replications: int,
    workers: int = 1,
    dask: str | None = None,
    executor: Executor | None = None,
) -> SimulationResult:
    """Simulate a rostered scenario as ``supportsim run`` would (fresh seeds are the caller's),
    on an open ``executor`` if given (else on ``workers`` / ``dask``).
    """
    return simulate(scenario, seed=seed, replications=replications, workers=workers, dask=dask,
                    keep_tickets=False, executor=executor)


@dataclass(frozen=True)
class StaffingPlan:
    """Everything ``supportsim staff`` reports, as DataFrames (see :func:`plan`).

    Attributes:
        scenario: The scenario planned for.
        requirement: One row per plan interval and group: ``interval``, ``day``, ``weekday``,
            ``time``, ``group``, ``load_erlangs``, ``analytic_agents`` and
            ``analytic_headcount`` (Erlang first guess), ``simulated_agents`` and
            ``simulated_headcount`` (simulation-based requirement), ``scheduled_headcount``
            (people on duty in the chosen shifts). Agents take contacts; headcount is
            rostered people before shrinkage.
        shifts: The chosen shifts (:attr:`supportsim.planning.shifts.Roster.shifts`).
        roster: The scenario with every group staffed by the chosen shifts.
        achieved: KPIs of the roster simulated on fresh seeds (:func:`achieved_kpis`).
        checks: Per-interval target checks of the roster on those fresh seeds.
        search: The requirement search (log, checks on the search's own seeds).
        paid_hours: Total paid hours of the roster over the plan.
        cost: Their cost (paid hours × ``cost_per_hour``).
        seed: Root seed of the search; the roster is simulated with root seed ``seed + 1``.
        replications: Replications per candidate and of the roster.
        confidence: One-sided confidence of each target check.
        warnings: Anything the planner wants the user to know.
    """

    scenario: Scenario
    requirement: pd.DataFrame
    shifts: pd.DataFrame
    roster: Scenario
    achieved: pd.DataFrame
    checks: pd.DataFrame
    search: RequirementSearch
    paid_hours: float
    cost: float
    seed: int
    replications: int
    confidence: float
    warnings: list[str] = field(default_factory=list)

    @property
    def erlang(self) -> pd.DataFrame:
        """The analytic (Erlang) requirement per interval and group."""
        keep = ["interval", "day", "weekday", "time", "group", "load_erlangs", "analytic_agents", "analytic_headcount"]
        return self.requirement[keep]

    @property
    def simulated(self) -> pd.DataFrame:
        """The simulation-based requirement per interval and group."""
        keep = ["interval", "day", "weekday", "time", "group", "simulated_agents", "simulated_headcount"]
        return self.requirement[keep]


def plan(
    scenario: Scenario,
    *,
    seed: int = 0,
    replications: int = DEFAULT_REPLICATIONS,
    confidence: float = DEFAULT_CONFIDENCE,
    workers: int = 1,
    dask: str | None = None,
    max_occupancy: float | None = DEFAULT_MAX_OCCUPANCY,
    progress: Callable[[int, str], None] | None = None,
) -> StaffingPlan:
    """Plan staffing for ``scenario``: Erlang first guess, simulation-based requirement on
    common random numbers, cheapest shifts covering it (MILP), and the roster's KPIs
    simulated on fresh seeds (root seed ``seed + 1``).

    Every replication runs on one executor (``workers`` local processes, 1: this process, or
    Dask: ``"local"`` or a scheduler address), opened once; results do not depend on it.
    """
    with make_executor(workers, dask) as executor:
        search = simulated_requirement(
            scenario, seed=seed, replications=replications, confidence=confidence,
            max_occupancy=max_occupancy, progress=progress, executor=executor,
        )
        headcount = search.table["simulated_headcount"].to_numpy().reshape(len(scenario.groups), -1)
        roster = schedule(scenario, headcount)
        requirement = search.table.assign(scheduled_headcount=roster.coverage["scheduled_headcount"].to_numpy())
        result = simulate_roster(roster.scenario, seed=seed + 1, replications=replications, executor=executor)
        checks = check_targets(
            roster.scenario, seed=seed + 1, replications=replications, confidence=confidence,
            max_occupancy=max_occupancy, executor=executor,
        )
    warnings = list(search.warnings)
    if not roster.optimal:
        warnings.append("the shift MILP hit its time limit: the shifts are feasible, not proven cheapest")
    warnings += result.grouped_warnings
    return StaffingPlan(
        scenario=scenario, requirement=requirement, shifts=roster.shifts, roster=roster.scenario,
        achieved=achieved_kpis(result), checks=checks, search=search, paid_hours=roster.paid_hours,
        cost=roster.cost, seed=seed, replications=replications, confidence=confidence, warnings=warnings,
    )
