"""The plan: Erlang first guess, simulated requirement, cheapest shifts, and the roster checked
on fresh seeds (what ``supportsim staff`` reports).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from supportsim.engine import replication_seeds
from supportsim.planning.current import current_headcount, weekly_paid_hours
from supportsim.planning.search import DEFAULT_REPLICATIONS, RequirementSearch, simulated_requirement
from supportsim.planning.shifts import GAP, schedule
from supportsim.planning.targets import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MAX_OCCUPANCY,
    Targets,
    evaluate,
    replicate,
)
from supportsim.planning.workload import timeline
from supportsim.results.executors import Executor, make_executor
from supportsim.results.simulation import SimulationResult, simulate
from supportsim.scenario.edit import edited
from supportsim.scenario.model import Scenario

__all__ = [
    "CurrentRoster",
    "StaffingPlan",
    "achieved_kpis",
    "check_targets",
    "misses",
    "plan",
    "simulate_roster",
]


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
        with make_executor(workers, dask, kept=False) as own:
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
        for metric in ("occupancy", "paid_utilization", "paid_hours", "agent_cost"):
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


MISS_COLUMNS = [
    "roster", "interval", "day", "weekday", "time", "scope", "name", "kpi", "value", "bound", "target", "p_meet",
]


def misses(checks: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every failed check of each roster (``{"plan": checks, "current": checks}``): ``roster``,
    the interval (``interval``, ``day``, ``weekday``, ``time``; a daily check names the day's
    first interval), ``scope`` and ``name`` (channel, group or skill), ``kpi``, ``value``
    (the estimate), ``bound`` (the value that decided: the estimate's one-sided confidence
    bound, or with a target probability the tolerance limit), ``target`` and ``p_meet`` (the
    share of replications in which the target held there).
    """
    frames = []
    for roster, table in checks.items():
        if table.empty:
            continue
        failed = table[~table["met"].astype(bool)]
        frames.append(failed.rename(columns={"kind": "kpi", "estimate": "value"}).assign(roster=roster)[MISS_COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MISS_COLUMNS)


@dataclass(frozen=True)
class CurrentRoster:
    """The scenario's own staffing, checked on the plan roster's seeds.

    Attributes:
        paid_hours: Paid hours per roster week (:func:`supportsim.planning.current.weekly_paid_hours`).
        cost: Their cost (paid hours × ``cost_per_hour``).
        targets_met: Per-interval target checks that hold.
        targets_total: Per-interval target checks.
        checks: The checks themselves (as :attr:`StaffingPlan.checks`).
    """

    paid_hours: float
    cost: float
    targets_met: int
    targets_total: int
    checks: pd.DataFrame


def _current(scenario: Scenario, checks: pd.DataFrame) -> CurrentRoster:
    hours = weekly_paid_hours(scenario)
    met = int(checks["met"].astype(bool).sum()) if len(checks) else 0
    return CurrentRoster(
        paid_hours=float(sum(hours.values())),
        cost=float(sum(hours[g.name] * g.cost_per_hour for g in scenario.groups)),
        targets_met=met, targets_total=len(checks), checks=checks,
    )


@dataclass(frozen=True)
class StaffingPlan:
    """Everything ``supportsim staff`` reports, as DataFrames (see :func:`plan`).

    Attributes:
        scenario: The scenario planned for.
        requirement: One row per plan interval and group: ``interval``, ``day``, ``weekday``,
            ``time``, ``group``, ``load_erlangs``, ``analytic_agents`` and
            ``analytic_headcount`` (Erlang first guess), ``simulated_agents`` and
            ``simulated_headcount`` (simulation-based requirement), ``scheduled_headcount``
            (time-average people on duty in the chosen shifts) and ``current_headcount``
            (the same for the scenario's own staffing). Agents take contacts; headcount is
            rostered people before shrinkage.
        shifts: The chosen shifts of the roster week (:attr:`supportsim.planning.shifts.Roster.shifts`).
        roster: The scenario with every group staffed by the chosen shifts.
        achieved: KPIs of the roster simulated on fresh seeds (:func:`achieved_kpis`).
        checks: Per-interval target checks of the roster on those fresh seeds, with ``p_meet``
            (share of replications meeting each target in its interval).
        search: The requirement search (log, checks on the search's own seeds).
        paid_hours: Paid hours of the roster week (seven days).
        cost: Their cost (paid hours × ``cost_per_hour``).
        seed: Root seed of the search; the roster is simulated with root seed ``seed + 1``.
        replications: Replications per candidate and of the roster.
        confidence: One-sided confidence of each target check.
        warnings: Anything the planner wants the user to know.
        agents: The weekly roster: one row per anonymous agent, a column per roster day.
        fte: Full-time equivalents of the roster week.
        uncovered: Roster-week intervals the shifts leave short (:attr:`~supportsim.planning.shifts.Roster.uncovered`).
        current: Today's roster on the same seeds (None if not checked).
        misses: Every check the plan or today misses (:func:`misses`).
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
    agents: pd.DataFrame = field(default_factory=pd.DataFrame)
    fte: float = 0.0
    uncovered: pd.DataFrame = field(default_factory=pd.DataFrame)
    current: CurrentRoster | None = None
    misses: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def target_probability(self) -> float | None:
        """Share of replications in which each target must hold (None: on the mean)."""
        return self.scenario.planning.target_probability

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


def _with_target_probability(scenario: Scenario, probability: float | None) -> Scenario:
    """``scenario`` with ``planning.target_probability`` set to ``probability`` (None: off).

    Raises:
        ScenarioError: ``probability`` is not in (0, 1).
    """

    def change(data: dict[str, Any]) -> None:
        rules = data.setdefault("planning", {})
        rules.pop("target_probability", None)
        if probability is not None:
            rules["target_probability"] = probability

    return edited(scenario, change, source="<target probability>")


def _probability_warnings(scenario: Scenario, replications: int, confidence: float) -> list[str]:
    """Say so when the replications are too few to show the target probability at ``confidence``."""
    p = scenario.planning.target_probability
    if p is None or p**replications <= 1 - confidence:
        return []
    enough = math.ceil(math.log(1 - confidence) / math.log(p) - 1e-9)
    return [f"with {replications} replications even all of them meeting a target does not show "
            f"P(meet) >= {p:g} at {confidence:.0%} confidence: every replication must meet it "
            f"(at least {enough} replications would show it)"]


def plan(
    scenario: Scenario,
    *,
    seed: int = 0,
    replications: int = DEFAULT_REPLICATIONS,
    confidence: float = DEFAULT_CONFIDENCE,
    workers: int | None = 1,
    dask: str | None = None,
    max_occupancy: float | None = DEFAULT_MAX_OCCUPANCY,
    progress: Callable[[int, str], None] | None = None,
    compare_current: bool = True,
    target_probability: float | None = None,
    max_replications: int | None = None,
) -> StaffingPlan:
    """Plan staffing for ``scenario``: Erlang first guess, simulation-based requirement on
    common random numbers, cheapest shifts and weekly roster under the scenario's
    ``planning:`` rules (MILP), the roster's KPIs simulated on fresh seeds (root seed
    ``seed + 1``) and, with ``compare_current``, the scenario's own staffing checked on the
    same fresh seeds.

    Every replication runs on one executor (``workers`` local processes, 1: this process,
    None: one per core, or Dask: ``"local"`` or a scheduler address), opened once; results do not depend on it.
    ``target_probability`` replaces the scenario's ``planning.target_probability`` (each
    target must hold in at least this share of replications, see
    :mod:`supportsim.planning.targets`); None keeps the scenario's. ``max_replications``:
    replications at most for close decisions (:mod:`supportsim.planning.sequential`).
    """
    if target_probability is not None:
        scenario = _with_target_probability(scenario, target_probability)
    with make_executor(workers, dask) as executor:
        search = simulated_requirement(
            scenario, seed=seed, replications=replications, confidence=confidence,
            max_occupancy=max_occupancy, progress=progress, executor=executor, settle=True,
            max_replications=max_replications,
        )
        headcount = search.table["simulated_headcount"].to_numpy().reshape(len(scenario.groups), -1)
        roster = schedule(scenario, headcount, executor=executor)
        result = simulate_roster(roster.scenario, seed=seed + 1, replications=replications, executor=executor)
        checked = {"plan": check_targets(
            roster.scenario, seed=seed + 1, replications=replications, confidence=confidence,
            max_occupancy=max_occupancy, executor=executor,
        )}
        if compare_current:
            checked["current"] = check_targets(
                scenario, seed=seed + 1, replications=replications, confidence=confidence,
                max_occupancy=max_occupancy, executor=executor,
            )
    requirement = search.table.assign(
        scheduled_headcount=roster.coverage["scheduled_headcount"].to_numpy(),
        current_headcount=current_headcount(scenario)["current_headcount"].to_numpy(),
    )
    warnings = list(search.warnings) + roster.warnings + _probability_warnings(scenario, replications, confidence)
    if not roster.optimal:
        warnings.append(f"a shift program stopped at its node or time limit: the shifts are feasible, not proven "
                        f"within {GAP:.0%} of the cheapest")
    if len(roster.uncovered):
        warnings.append(f"the planning rules leave {roster.uncovered['short'].sum():,.1f} person-intervals of the "
                        f"requirement uncovered in {len(roster.uncovered)} intervals (see uncovered.csv)")
    checks = checked["plan"]
    missed = int((~checks["met"].astype(bool)).sum()) if len(checks) else 0
    if missed:
        warnings.append(f"the plan's roster misses {missed} of {len(checks)} per-interval targets on fresh seeds "
                        "(see misses.csv)")
    warnings += result.grouped_warnings
    return StaffingPlan(
        scenario=scenario, requirement=requirement, shifts=roster.shifts, roster=roster.scenario,
        achieved=achieved_kpis(result), checks=checks, search=search, paid_hours=roster.paid_hours,
        cost=roster.cost, seed=seed, replications=replications, confidence=confidence, warnings=warnings,
        agents=roster.agents, fte=roster.fte, uncovered=roster.uncovered,
        current=_current(scenario, checked["current"]) if compare_current else None, misses=misses(checked),
    )
