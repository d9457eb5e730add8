"""Running a scenario: replications, their metrics, and the result object users get."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd

from supportsim.engine import ArrivalTrace, ReplicationOutput, run_replication
from supportsim.engine.kept import KeptTickets
from supportsim.engine.streams import replication_seeds
from supportsim.results.executors import Executor, InProcess, make_executor
from supportsim.results.metrics import Metrics, interval_frame, replication_metrics, ticket_frame
from supportsim.results.stats import confidence_half_width, row_means_and_half_widths
from supportsim.scenario.limits import MAX_REPLICATIONS
from supportsim.scenario.model import Scenario

SCOPES = ("channels", "categories", "groups", "overall")

ReplicationMetrics = dict[str, dict[str, Metrics]]


@dataclass(frozen=True)
class Replication:
    """What one replication returns: plain data, safe to send between processes."""

    index: int
    metrics: ReplicationMetrics
    intervals: pd.DataFrame
    tickets: KeptTickets | None  # the per-ticket rows, made a DataFrame by SimulationResult.tickets
    warnings: list[str]
    warning_kinds: list[tuple[str, float]] = field(default_factory=list)
    """Each warning as (text with ``{value}`` for its number, the number): grouped across replications."""


@dataclass(frozen=True)
class SimulationResult:
    """Results of ``replications`` runs of one scenario.

    ``summary`` maps ``channels``, ``categories``, ``groups`` and ``overall`` to metrics,
    each ``{"mean": x, "ci95": h}`` over replications (``h`` is None for one replication).
    ``tickets`` (one row per ticket), ``intervals`` (one row per interval and scope) and
    ``groups`` (one row per agent group) are tidy DataFrames with a ``replication`` column;
    ``tickets`` is built from the packed rows (``kept_tickets``) when first read.
    """

    scenario: Scenario
    seed: int
    replications: int
    summary: dict[str, Any]
    intervals: pd.DataFrame
    groups: pd.DataFrame
    per_replication: list[ReplicationMetrics] = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    grouped_warnings: list[str] = field(default_factory=list)
    """The warnings as a reader wants them: each kind once, "in k of n replications: ..."."""
    interrupted: tuple[int, int] | None = None
    """After Ctrl-C: (replications finished, replications asked for); None for a complete run."""
    kept_tickets: tuple[tuple[int, KeptTickets], ...] = field(default=(), repr=False, compare=False)
    """Per replication that kept its tickets: (replication index, its packed per-ticket rows)."""

    @cached_property
    def tickets(self) -> pd.DataFrame:
        """One row per ticket of every replication (empty without ``keep_tickets``), built on first read."""
        if not self.kept_tickets:
            return pd.DataFrame()
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frames = [
                ticket_frame(self.scenario, cast(ReplicationOutput, _Columns(kept))).assign(replication=index)
                for index, kept in self.kept_tickets
            ]
        return pd.concat(frames, ignore_index=True)

    def metric(self, scope: str, name: str, metric: str) -> float:
        """Mean over replications of one metric, e.g. ``metric("channels", "phone", "asa_seconds")``."""
        value = self.summary[scope][metric]["mean"] if scope == "overall" else self.summary[scope][name][metric]["mean"]
        return math.nan if value is None else float(value)

    def values(self, scope: str, name: str, metric: str) -> np.ndarray:
        """The metric's value in each replication (NaN where undefined)."""
        key = "all" if scope == "overall" else name
        if scope not in ("overall", "channels", "categories", "groups"):
            raise ValueError(f"unknown scope '{scope}': overall, channels, categories or groups")
        if scope != "overall" and name not in self.summary[scope]:
            known = ", ".join(self.summary[scope])
            raise ValueError(f"no {scope} named '{name}' in scenario '{self.scenario.name}' (it has {known})")
        if self.per_replication and all(metric not in r[scope][key] for r in self.per_replication):
            known = ", ".join(sorted(self.per_replication[0][scope][key]))
            raise ValueError(f"no metric '{metric}' for {scope} {name or ''}: choose one of {known}")
        return np.array([r[scope][key].get(metric, math.nan) for r in self.per_replication], dtype=float)


class _Columns:
    """What :func:`ticket_frame` reads of a replication's output: its per-ticket columns."""

    def __init__(self, kept: KeptTickets):
        self.tickets = kept.columns()


def _summarise(per_replication: list[ReplicationMetrics]) -> dict[str, Any]:
    """Every metric's mean and 95% CI half-width over the replications, nested as the
    metrics are (scope -> name -> metric); ``overall`` is its one name's entry.
    """
    first = per_replication[0]
    keys = [(scope, name, metric) for scope in SCOPES for name, metrics in first[scope].items() for metric in metrics]
    if len(per_replication) == 1:  # one replication (a slider's call): its values, without array work
        values = [float(first[s][n][m]) for s, n, m in keys]
        entries = [{"mean": None if math.isnan(v) else v, "ci95": None} for v in values]
    else:
        entries = _means_and_ci95(np.array([[r[s][n][m] for r in per_replication] for s, n, m in keys], dtype=float))
    summary: dict[str, Any] = {scope: {name: {} for name in first[scope]} for scope in SCOPES}
    for (scope, name, metric), entry in zip(keys, entries, strict=True):
        summary[scope][name][metric] = entry
    summary["overall"] = summary["overall"]["all"]
    return summary


def _means_and_ci95(table: np.ndarray) -> list[dict[str, float | None]]:
    """Each row of ``table`` (a metric over 2 or more replications): the mean of its defined
    (non-NaN) values and the 95% CI half-width (None without a defined value).
    """
    undefined = np.isnan(table).any(axis=1)
    means, halves = row_means_and_half_widths(np.where(undefined[:, None], 0.0, table))
    entries: list[dict[str, float | None]] = []
    for row, mean, half, some_undefined in zip(table, means.tolist(), halves.tolist(), undefined.tolist(), strict=True):
        if some_undefined:  # the rare metric undefined in some replications: its defined values alone
            finite = row[~np.isnan(row)]
            entries.append({"mean": float(finite.mean()) if finite.size else None, "ci95": confidence_half_width(row)})
        else:
            entries.append({"mean": mean, "ci95": half})
    return entries


_BACKLOG = (
    "channel '{name}': {share} of queued contacts were still in the system when the horizon ended: "
    "demand exceeds capacity (the scenario is unstable) or the backlog needs a longer horizon"
)
_SATURATED = "group '{name}': utilization {share}, agents are saturated"


def _stability_warnings(scenario: Scenario, metrics: ReplicationMetrics) -> tuple[list[str], list[tuple[str, float]]]:
    """Warnings of one replication, as sentences and as (kind, number) to group across replications."""
    texts: list[str] = []
    kinds: list[tuple[str, float]] = []
    for name, m in metrics["channels"].items():
        waiting = m["open_at_end"]
        if m["queued"] >= 20 and waiting > 0.1 * m["queued"]:
            texts.append(
                f"channel '{name}': {waiting:.0f} of {m['queued']:.0f} queued contacts "
                f"({waiting / m['queued']:.0%}) were still in the system when the horizon ended: "
                "demand exceeds capacity (the scenario is unstable) or the backlog needs a longer horizon"
            )
            kinds.append((_BACKLOG.replace("{name}", name), waiting / m["queued"]))
    for name, g in metrics["groups"].items():
        if g["utilization"] > 0.985:
            texts.append(f"group '{name}': utilization {g['utilization']:.1%}, agents are saturated")
            kinds.append((_SATURATED.replace("{name}", name), g["utilization"]))
    return texts, kinds


def grouped(done: list[Replication]) -> list[str]:
    """Each kind of warning once: "in 5 of 5 replications: channel 'phone': 48-52% of queued ..."."""
    seen: dict[str, list[float]] = {}
    for replication in done:
        for kind, value in replication.warning_kinds:
            seen.setdefault(kind, []).append(value)
    lines = []
    for kind, values in seen.items():
        low, high = min(values), max(values)
        share = f"{low:.0%}" if f"{low:.0%}" == f"{high:.0%}" else f"{low:.0%} to {high:.0%}"
        lines.append(f"in {len(values)} of {len(done)} replications: " + kind.replace("{share}", share))
    return lines


def run_one(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    index: int,
    *,
    keep_tickets: bool = True,
    trace: ArrivalTrace | None = None,
) -> Replication:
    """Simulate one replication and compute its metrics (runs in a worker process)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():  # a floating-point warning is no news to a user
        warnings.simplefilter("ignore", RuntimeWarning)
        output = run_replication(scenario, seed, trace, keep_tickets=keep_tickets)
        metrics = replication_metrics(scenario, output)
        intervals = interval_frame(scenario, output).assign(replication=index)
        tickets = output.kept if keep_tickets else None
    texts, kinds = _stability_warnings(scenario, metrics)
    return Replication(index, metrics, intervals, tickets, texts, kinds)


@dataclass(frozen=True)
class Task:
    """One replication to run: plain data, so it can go to another process or machine."""

    scenario: Scenario
    seed: np.random.SeedSequence
    index: int
    keep_tickets: bool = True
    trace: ArrivalTrace | None = None
    key: int = 0  # which of several scenarios (``compare``) this task belongs to


def run_task(task: Task) -> tuple[int, Replication]:
    """Run one task (in whichever process the executor chose)."""
    replication = run_one(task.scenario, task.seed, task.index, keep_tickets=task.keep_tickets, trace=task.trace)
    return task.key, replication


def run_tasks(
    tasks: list[Task],
    executor: Executor,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[tuple[int, Replication]], bool]:
    """Run ``tasks`` on ``executor`` (a single task in this process); returns the finished ones
    and whether the run was interrupted (Ctrl-C), in which case those finished so far are kept.
    """
    if len(tasks) == 1:
        executor = InProcess()
    done: list[tuple[int, Replication]] = []
    try:
        for finished in executor.run(run_task, tasks):
            done.append(finished)
            if progress:
                progress(len(done), len(tasks))
    except KeyboardInterrupt:
        if not done:
            raise
        return done, True
    return done, False


def simulate(
    scenario: Scenario,
    *,
    seed: int = 0,
    replications: int = 1,
    workers: int | None = 1,
    dask: str | None = None,
    keep_tickets: bool = True,
    trace: ArrivalTrace | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> SimulationResult:
    """Simulate ``scenario`` ``replications`` times under the root ``seed``.

    Replication ``i`` uses the ``i``-th child of ``SeedSequence(seed)``, so results do not
    depend on where they run: ``workers`` local processes (1: this process; None: one per
    core) or a Dask cluster (``dask="local"`` or a scheduler address). ``keep_tickets=False``
    drops the per-ticket table to save memory. A ``trace`` replays observed arrivals instead
    of the scenario's arrival profiles (see :class:`supportsim.engine.ArrivalTrace`).
    ``progress(done, total)`` is called as replications finish. Ctrl-C returns the
    replications finished so far, with a warning. An open ``executor`` (see
    :mod:`supportsim.results.executors`) runs the replications instead of ``workers`` / ``dask``,
    and stays open for the caller's next run.
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if replications > MAX_REPLICATIONS:
        raise ValueError(f"replications: {replications:,} is over the cap of {MAX_REPLICATIONS:,}")
    seeds = replication_seeds(seed, replications)
    tasks = [Task(scenario, s, i, keep_tickets, trace) for i, s in enumerate(seeds)]
    if executor is None:
        with make_executor(workers, dask, kept=False) as own:  # built (and its address checked) even for one task
            done, interrupted = run_tasks(tasks, own, progress=progress)
    else:
        done, interrupted = run_tasks(tasks, executor, progress=progress)
    result = collect(scenario, seed, [replication for _, replication in done])
    if interrupted:
        note = f"interrupted: {result.replications} of {replications} replications finished"
        result = replace(
            result,
            warnings=[note, *result.warnings],
            grouped_warnings=[note, *result.grouped_warnings],
            interrupted=(result.replications, replications),
        )
        result.summary["warnings"] = result.warnings
    return result


def mark_incomplete(result: SimulationResult) -> SimulationResult:
    """An interrupted result whose summary says so: ``"complete": false`` with the counts."""
    if result.interrupted is None:
        return result
    finished, asked = result.interrupted
    summary = {
        **result.summary,
        "complete": False,
        "replications_finished": finished,
        "replications_requested": asked,
    }
    return replace(result, summary=summary)


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
    kept = tuple((r.index, r.tickets) for r in done if r.tickets is not None)
    texts = sorted({w for r in done for w in r.warnings})
    summary = _summarise(per_replication)
    summary = {"scenario": scenario.name, "seed": seed, "replications": len(done), **summary, "warnings": texts}
    return SimulationResult(
        scenario=scenario,
        seed=seed,
        replications=len(done),
        summary=summary,
        kept_tickets=kept,
        intervals=pd.concat([r.intervals for r in done], ignore_index=True),
        groups=groups,
        per_replication=per_replication,
        warnings=texts,
        grouped_warnings=grouped(done),
    )


def relative_half_width(result: SimulationResult, scope: str, name: str, metric: str) -> float:
    """95% half-width of a metric's mean divided by the mean (inf with fewer than 2 values)."""
    values = result.values(scope, name, metric)
    half = confidence_half_width(values)
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
    if half is None or math.isnan(mean):
        return math.inf
    return half / abs(mean) if mean else (0.0 if half == 0 else math.inf)


PRECISION_KPIS = (
    ("overall", "", "resolution_minutes"),
    ("overall", "", "asa_seconds"),
    ("overall", "", "service_level_realtime"),
)
"""KPIs whose precision ``simulate_to_precision`` watches unless told otherwise."""


def simulate_to_precision(
    scenario: Scenario,
    *,
    precision: float,
    kpis: list[tuple[str, str, str]] | None = None,
    seed: int = 0,
    min_replications: int = 5,
    max_replications: int = 200,
    workers: int | None = 1,
    dask: str | None = None,
    keep_tickets: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Add replications until every KPI's relative 95% half-width is at most ``precision``
    (e.g. 0.02) or ``max_replications`` is reached. Replication ``i`` always uses seed child
    ``i``, so the result equals ``simulate(..., replications=n)`` for the ``n`` it stopped at.
    ``summary["precision"]`` records the target, the KPIs' widths and whether it was met.
    """
    if max_replications > MAX_REPLICATIONS:
        raise ValueError(f"max_replications: {max_replications:,} is over the cap of {MAX_REPLICATIONS:,}")
    watched = list(kpis or PRECISION_KPIS)
    done: list[Replication] = []
    wanted = max(2, min_replications)
    interrupted = False
    with make_executor(workers, dask, kept=False) as executor:
        while True:
            seeds = replication_seeds(seed, wanted)
            tasks = [Task(scenario, seeds[i], i, keep_tickets) for i in range(len(done), wanted)]
            try:
                finished, interrupted = run_tasks(
                    tasks,
                    executor,
                    progress=(lambda k, _n: progress(len(done) + k, wanted)) if progress else None,  # noqa: B023
                )
            except KeyboardInterrupt:
                if not done:
                    raise
                finished, interrupted = [], True
            done += [replication for _, replication in finished]
            result = collect(scenario, seed, done)
            # KPIs undefined in this scenario (e.g. no realtime channel) are not watched
            widths = {
                ":".join(part for part in kpi if part): relative_half_width(result, *kpi)
                for kpi in watched
                if np.isfinite(result.values(*kpi)).any()
            }
            worst = max(widths.values(), default=0.0)
            if interrupted or worst <= precision or len(done) >= max_replications:
                break
            growth = (worst / precision) ** 2 if math.isfinite(worst) else 2.0
            wanted = min(max_replications, max(len(done) + 1, math.ceil(len(done) * growth)))
    met = worst <= precision
    result.summary["precision"] = {"target": precision, "met": met, "relative_half_widths": widths}
    notes = [] if met else [f"precision {precision:g} not reached after {len(done)} replications (widest: {worst:.3g})"]
    if interrupted:
        notes.append(f"interrupted: {len(done)} replications finished")
    if notes:
        result = replace(
            result,
            warnings=[*notes, *result.warnings],
            grouped_warnings=[*notes, *result.grouped_warnings],
            interrupted=(len(done), wanted) if interrupted else None,
        )
        result.summary["warnings"] = result.warnings
    return result
