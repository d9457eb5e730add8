"""Paired comparison of scenarios on common random numbers.

Every scenario runs on the same replication seeds, and every random source has its own
stream per channel, so replication ``i`` of the base and of a variant see the same
arrivals, handle times and patience wherever the two scenarios agree. The difference of a
KPI is then taken replication by replication, and its confidence interval is the paired
Student-t interval of those differences: much narrower than comparing two independent
means when the change is small.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from supportsim.engine.streams import replication_seeds
from supportsim.results.executors import make_executor
from supportsim.results.simulation import SimulationResult, Task, collect, run_tasks
from supportsim.results.stats import confidence_half_width, paired_interval
from supportsim.scenario.model import Scenario

LOWER_IS_BETTER = {
    "resolution_minutes",
    "resolution_minutes_p50",
    "resolution_minutes_p90",
    "first_response_minutes",
    "asa_seconds",
    "asa_seconds_realtime",
    "abandon_rate",
    "mean_waiting",
    "max_waiting",
    "cost_per_resolved",
    "total_cost",
    "agent_cost",
    "bot_cost",
    "open_at_end",
    "oldest_age_hours",
    "backlog_end_of_day",
    "blocked_rate",
    "customer_abandon_rate",
    "overtime_hours",
}
HIGHER_IS_BETTER = {
    "service_level",
    "service_level_answered",
    "service_level_realtime",
    "service_level_async",
    "deflection_rate",
    "resolved",
    "csat",
    "first_contact_resolution",
}
OVERALL_KPIS = (
    "resolution_minutes",
    "resolution_minutes_p90",
    "first_response_minutes",
    "asa_seconds",
    "service_level_realtime",
    "service_level_async",
    "abandon_rate",
    "mean_waiting",
    "deflection_rate",
    "cost_per_resolved",
    "total_cost",
)
CHANNEL_KPIS = ("service_level", "asa_seconds", "abandon_rate", "mean_waiting", "resolution_minutes")
GROUP_KPIS = ("occupancy",)


@dataclass(frozen=True)
class Kpi:
    """A metric in a scope: ``Kpi("channels", "phone", "asa_seconds")``; ``name`` is "" overall."""

    scope: str
    name: str
    metric: str

    @property
    def label(self) -> str:
        """Readable name, e.g. ``phone asa_seconds``."""
        return self.metric if self.scope == "overall" else f"{self.name} {self.metric}"

    @classmethod
    def parse(cls, text: str) -> Kpi:
        """``overall:resolution_minutes`` or ``channels:phone:service_level``."""
        parts = text.split(":")
        if len(parts) == 2 and parts[0] == "overall":
            return cls("overall", "", parts[1])
        if len(parts) == 3 and parts[0] in ("channels", "categories", "groups"):
            return cls(parts[0], parts[1], parts[2])
        raise ValueError(f"'{text}' is not a KPI: write overall:METRIC or channels|categories|groups:NAME:METRIC")


def unique_names(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios, a repeated name numbered (``"Helpdesk (2)"``): results are keyed by name."""
    seen: dict[str, int] = {}
    out = []
    for scenario in scenarios:
        seen[scenario.name] = seen.get(scenario.name, 0) + 1
        if seen[scenario.name] > 1:
            scenario = scenario.model_copy(update={"name": f"{scenario.name} ({seen[scenario.name]})"})
        out.append(scenario)
    return out


def default_kpis(scenario: Scenario) -> list[Kpi]:
    """The KPIs a manager looks at: overall ones, per channel, and group utilization; a KPI
    that cannot exist in this scenario (an async service level without async channels) is left out.
    """
    modes = {c.mode for c in scenario.channels}
    skip = {m for m, mode in (("service_level_realtime", "realtime"), ("asa_seconds_realtime", "realtime"),
                              ("service_level_async", "async")) if mode not in modes}
    kpis = [Kpi("overall", "", m) for m in OVERALL_KPIS if m not in skip]
    kpis += [
        Kpi("channels", c.name, m)
        for c in scenario.channels
        for m in CHANNEL_KPIS
        if not (m == "service_level" and c.target is None) and not (m == "abandon_rate" and c.mode == "async")
    ]
    kpis += [Kpi("groups", g.name, m) for g in scenario.groups for m in GROUP_KPIS]
    return kpis


def verdict(metric: str, difference: float, half_width: float) -> str:
    """``better``, ``worse``, ``higher``/``lower`` (no preferred direction) or ``no significant
    difference`` when the interval contains 0.
    """
    if math.isnan(difference):
        return "not available"
    if math.isnan(half_width) or abs(difference) <= half_width:
        return "no significant difference"
    if metric in LOWER_IS_BETTER:
        return "better" if difference < 0 else "worse"
    if metric in HIGHER_IS_BETTER:
        return "better" if difference > 0 else "worse"
    return "higher" if difference > 0 else "lower"


@dataclass(frozen=True)
class Comparison:
    """Results of comparing variants with a base on common random numbers.

    ``table`` has one row per KPI and scenario: the scenario's mean and CI, the base's mean,
    the paired difference from the base with its 95% half-width, and the verdict.
    """

    results: list[SimulationResult]
    kpis: list[Kpi]
    table: pd.DataFrame
    seed: int
    replications: int

    @property
    def base(self) -> SimulationResult:
        """The base scenario's result."""
        return self.results[0]


def _values(result: SimulationResult, kpi: Kpi) -> np.ndarray:
    key = "all" if kpi.scope == "overall" else kpi.name
    return np.array([r[kpi.scope].get(key, {}).get(kpi.metric, math.nan) for r in result.per_replication])


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def comparison_table(results: list[SimulationResult], kpis: list[Kpi]) -> pd.DataFrame:
    """The comparison table of ``results`` (the first is the base) on ``kpis``."""
    rows = []
    for kpi in kpis:
        base_values = _values(results[0], kpi)
        for result in results:
            values = _values(result, kpi)
            finite = values[~np.isnan(values)]
            difference, half = paired_interval(values - base_values)
            rows.append(
                {
                    "kpi": kpi.label,
                    "scope": kpi.scope,
                    "name": kpi.name,
                    "metric": kpi.metric,
                    "scenario": result.scenario.name,
                    "mean": float(finite.mean()) if finite.size else math.nan,
                    "ci95": _or_nan(confidence_half_width(values)),
                    "base_mean": float(np.nanmean(base_values)) if np.isfinite(base_values).any() else math.nan,
                    "difference": difference,
                    "difference_ci95": half,
                    "verdict": verdict(kpi.metric, difference, half),
                }
            )
    return pd.DataFrame(rows)


def compare(
    scenarios: list[Scenario],
    *,
    seed: int = 0,
    replications: int = 10,
    workers: int | None = 1,
    dask: str | None = None,
    kpis: list[Kpi] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run every scenario on the same ``replications`` seeds and compare each with the first."""
    if len(scenarios) < 2:
        raise ValueError("compare needs a base and at least one variant")
    if replications < 2:
        raise ValueError("a paired comparison needs at least 2 replications")
    scenarios = unique_names(scenarios)
    seeds = replication_seeds(seed, replications)
    tasks = [
        Task(scenario, s, i, keep_tickets=False, key=k)
        for k, scenario in enumerate(scenarios)
        for i, s in enumerate(seeds)
    ]
    with make_executor(workers, dask, kept=False) as executor:
        done, interrupted = run_tasks(tasks, executor, progress=progress)
    finished: dict[int, list[Any]] = {}
    for key, replication in done:
        finished.setdefault(key, []).append(replication)
    common = set.intersection(*({r.index for r in finished.get(k, [])} for k in range(len(scenarios))))
    if not common:
        raise KeyboardInterrupt("interrupted before every scenario finished a replication")
    results = [
        collect(scenario, seed, [r for r in finished[k] if r.index in common]) for k, scenario in enumerate(scenarios)
    ]
    chosen = kpis or default_kpis(scenarios[0])
    for kpi in chosen:  # a KPI unknown to the base is a mistake: say so instead of a column of blanks
        results[0].values(kpi.scope, kpi.name, kpi.metric)
    table = comparison_table(results, chosen)
    return Comparison(results, chosen, table, seed, len(common) if interrupted else replications)
