"""Running a scenario: replications, their metrics, and the result object users get."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from supportsim.engine import ArrivalTrace, run_replication
from supportsim.metrics import Metrics, interval_frame, replication_metrics, ticket_frame
from supportsim.scenario import Scenario
from supportsim.streams import replication_seeds

SCOPES = ("channels", "categories", "groups", "overall")

ReplicationMetrics = dict[str, dict[str, Metrics]]


@dataclass(frozen=True)
class Replication:
    """What one replication returns: plain data, safe to send between processes."""

    index: int
    metrics: ReplicationMetrics
    intervals: pd.DataFrame
    tickets: pd.DataFrame | None
    warnings: list[str]


@dataclass(frozen=True)
class SimulationResult:
    """Results of ``replications`` runs of one scenario.

    ``summary`` maps ``channels``, ``categories``, ``groups`` and ``overall`` to metrics,
    each ``{"mean": x, "ci95": h}`` over replications (``h`` is None for one replication).
    ``tickets`` (one row per ticket), ``intervals`` (one row per interval and scope) and
    ``groups`` (one row per agent group) are tidy DataFrames with a ``replication`` column.
    """

    scenario: Scenario
    seed: int
    replications: int
    summary: dict[str, Any]
    tickets: pd.DataFrame
    intervals: pd.DataFrame
    groups: pd.DataFrame
    per_replication: list[ReplicationMetrics] = field(repr=False)
    warnings: list[str] = field(default_factory=list)

    def metric(self, scope: str, name: str, metric: str) -> float:
        """Mean over replications of one metric, e.g. ``metric("channels", "phone", "asa_seconds")``."""
        value = self.summary[scope][metric]["mean"] if scope == "overall" else self.summary[scope][name][metric]["mean"]
        return math.nan if value is None else float(value)

    def values(self, scope: str, name: str, metric: str) -> np.ndarray:
        """The metric's value in each replication (NaN where undefined)."""
        key = "all" if scope == "overall" else name
        return np.array([r[scope][key].get(metric, math.nan) for r in self.per_replication], dtype=float)


def confidence_half_width(values: np.ndarray, level: float = 0.95) -> float | None:
    """Half-width of the Student-t confidence interval of the mean of ``values``; None for < 2 values."""
    values = values[~np.isnan(values)]
    if values.size < 2:
        return None
    return float(stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))


def _summarise(per_replication: list[ReplicationMetrics]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for scope in SCOPES:
        names = per_replication[0][scope]
        scope_summary: dict[str, Any] = {}
        for name, metrics in names.items():
            entry: dict[str, Any] = {}
            for metric in metrics:
                values = np.array([r[scope][name][metric] for r in per_replication], dtype=float)
                finite = values[~np.isnan(values)]
                entry[metric] = {
                    "mean": float(finite.mean()) if finite.size else None,
                    "ci95": confidence_half_width(values) if len(per_replication) > 1 else None,
                }
            scope_summary[name] = entry
        summary[scope] = scope_summary["all"] if scope == "overall" else scope_summary
    return summary


def _stability_warnings(scenario: Scenario, metrics: ReplicationMetrics) -> list[str]:
    warnings = []
    for name, m in metrics["channels"].items():
        waiting = m["open_at_end"] - m["deflected"] * 0
        if m["queued"] >= 20 and waiting > 0.1 * m["queued"]:
            warnings.append(
                f"channel '{name}': {waiting:.0f} of {m['queued']:.0f} queued contacts "
                f"({waiting / m['queued']:.0%}) were still in the system when the horizon ended: "
                "demand exceeds capacity (the scenario is unstable) or the backlog needs a longer horizon"
            )
    for name, g in metrics["groups"].items():
        if g["utilization"] > 0.985:
            warnings.append(f"group '{name}': utilization {g['utilization']:.1%}, agents are saturated")
    return warnings


def run_one(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    index: int,
    *,
    keep_tickets: bool = True,
    trace: ArrivalTrace | None = None,
) -> Replication:
    """Simulate one replication and compute its metrics (runs in a worker process)."""
    output = run_replication(scenario, seed, trace)
    metrics = replication_metrics(scenario, output)
    intervals = interval_frame(scenario, output).assign(replication=index)
    tickets = ticket_frame(scenario, output).assign(replication=index) if keep_tickets else None
    return Replication(index, metrics, intervals, tickets, _stability_warnings(scenario, metrics))


def _run_star(args: tuple[Scenario, np.random.SeedSequence, int, bool, ArrivalTrace | None]) -> Replication:
    scenario, seed, index, keep, trace = args
    return run_one(scenario, seed, index, keep_tickets=keep, trace=trace)


def simulate(
    scenario: Scenario,
    *,
    seed: int = 0,
    replications: int = 1,
    workers: int = 1,
    keep_tickets: bool = True,
    trace: ArrivalTrace | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate ``scenario`` ``replications`` times under the root ``seed``.

    Replication ``i`` uses the ``i``-th child of ``SeedSequence(seed)``, so results do not
    depend on ``workers`` (processes used; 1 runs in this process). ``keep_tickets=False``
    drops the per-ticket table to save memory. A ``trace`` replays observed arrivals instead
    of the scenario's arrival profiles (see :class:`supportsim.engine.ArrivalTrace`).
    ``progress(done, total)`` is called as replications finish.
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    seeds = replication_seeds(seed, replications)
    tasks = [(scenario, s, i, keep_tickets, trace) for i, s in enumerate(seeds)]
    done: list[Replication] = []
    if workers <= 1 or replications == 1:
        for task in tasks:
            done.append(_run_star(task))
            if progress:
                progress(len(done), replications)
    else:
        with ProcessPoolExecutor(max_workers=min(workers, replications)) as pool:
            for replication in pool.map(_run_star, tasks):
                done.append(replication)
                if progress:
                    progress(len(done), replications)
    return collect(scenario, seed, done)


def collect(scenario: Scenario, seed: int, done: list[Replication]) -> SimulationResult:
    """Assemble finished replications (in any order) into one result."""
    done = sorted(done, key=lambda r: r.index)
    per_replication = [r.metrics for r in done]
    groups = pd.DataFrame(
        [
            {"replication": r.index, "group": name, **metrics}
            for r in done
            for name, metrics in r.metrics["groups"].items()
        ]
    )
    tickets = [r.tickets for r in done if r.tickets is not None]
    warnings = sorted({w for r in done for w in r.warnings})
    summary = _summarise(per_replication)
    summary = {"scenario": scenario.name, "seed": seed, "replications": len(done), **summary, "warnings": warnings}
    return SimulationResult(
        scenario=scenario,
        seed=seed,
        replications=len(done),
        summary=summary,
        tickets=pd.concat(tickets, ignore_index=True) if tickets else pd.DataFrame(),
        intervals=pd.concat([r.intervals for r in done], ignore_index=True),
        groups=groups,
        per_replication=per_replication,
        warnings=warnings,
    )
