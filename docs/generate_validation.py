"""Write ``docs/validation.md``: the engine against exact queueing theory.

Each case is a scenario whose steady state is known exactly: M/M/c (Erlang C), M/M/c+M
(Erlang A), two tiers in tandem (a Jackson network) and Little's law. The script simulates
it with independent replications from a fixed root seed and prints, per quantity, the
exact value, the mean over replications, the half-width of its 95% Student-t confidence
interval and whether the exact value lies inside. Every number on the page comes from
this run and from :mod:`supportsim.planning.analytic`.

    .venv/bin/python docs/generate_validation.py           # full run, rewrites the page (~30 s)
    .venv/bin/python docs/generate_validation.py --quick   # a short run, printed only

``tests/test_docs.py`` runs the full mode (the run is seeded, so every number is
reproduced), checks the committed page is exactly that run, and holds each exact value to
its 99.9% interval and each KPI's error pooled over the cases to a few percent.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

import supportsim
from supportsim.planning import analytic
from supportsim.results.simulation import SimulationResult
from supportsim.scenario.model import Scenario

PAGE = Path(__file__).resolve().parent / "validation.md"
SEED = 2024
"""Root seed; case ``k`` uses ``SEED + k`` so the cases are independent of each other."""


@dataclass(frozen=True)
class Mode:
    """How long to simulate each case."""

    name: str
    replications: int
    days: int
    warmup_hours: float


FULL = Mode("full", replications=10, days=4, warmup_hours=12)
QUICK = Mode("quick", replications=4, days=1, warmup_hours=6)


@dataclass(frozen=True)
class Row:
    """One quantity of one case: the exact value and the value in each replication."""

    quantity: str
    exact: float
    values: np.ndarray

    @property
    def mean(self) -> float:
        """Mean over replications."""
        return float(self.values.mean())

    def half_width(self, level: float = 0.95) -> float:
        """Half-width of the Student-t confidence interval of the mean."""
        n = self.values.size
        return float(stats.t.ppf(0.5 + level / 2, n - 1) * self.values.std(ddof=1) / math.sqrt(n))

    def covers(self, level: float = 0.95) -> bool:
        """Whether the exact value lies in the confidence interval at ``level``."""
        return abs(self.mean - self.exact) <= self.half_width(level)


@dataclass(frozen=True)
class Case:
    """A model with a known answer, its parameters in words, and its rows."""

    title: str
    model: str
    rows: list[Row]
    note: str = ""


def _exp(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean}


def _single_queue(mode: Mode, per_hour: float, aht_minutes: float, agents: int, target_seconds: float,
                  patience_seconds: float | None = None) -> Scenario:
    channel: dict[str, Any] = {
        "name": "phone", "mode": "realtime", "arrivals": {"per_hour": per_hour},
        "target": {"answer_within_seconds": target_seconds},
    }
    if patience_seconds is not None:
        channel["patience_seconds"] = _exp(patience_seconds)
    return Scenario.model_validate({
        "name": "validation",
        "horizon": {"days": mode.days, "interval_minutes": 60, "warmup_hours": mode.warmup_hours},
        "channels": [channel],
        "categories": [{"name": "general", "channels": {"phone": 1.0}, "skill": "general",
                        "handle_minutes": _exp(aht_minutes)}],
        "groups": [{"name": "agents", "skills": ["general"], "headcount": agents}],
    })


def _per_replication(result: SimulationResult, fn: Callable[[Any], float]) -> np.ndarray:
    return np.array([fn(t) for _, t in result.tickets.groupby("replication")], dtype=float)


def erlang_c_case(mode: Mode, seed: int, agents: int, rho: float) -> Case:
    """M/M/c: Poisson arrivals, exponential handle times, no abandonment."""
    aht_minutes, target = 6.0, 20.0
    per_hour = rho * agents * 60 / aht_minutes
    load = per_hour * aht_minutes / 60
    result = supportsim.simulate(_single_queue(mode, per_hour, aht_minutes, agents, target),
                                 seed=seed, replications=mode.replications)
    p_wait = analytic.erlang_c(agents, load)
    rows = [
        Row("P(wait) of answered contacts", p_wait,
            _per_replication(result, lambda t: float((t["wait_seconds"] > 0)[t["answered"]].mean()))),
        Row(f"service level (answered within {target:g} s)",
            analytic.erlang_c_service_level(agents, load, aht_minutes * 60, target),
            result.values("channels", "phone", "service_level")),
        Row("ASA (s)", analytic.erlang_c_asa_seconds(agents, load, aht_minutes * 60),
            result.values("channels", "phone", "asa_seconds")),
        Row("mean number waiting", p_wait * load / (agents - load), result.values("channels", "phone", "mean_waiting")),
        Row("utilization", analytic.occupancy(agents, load), result.values("groups", "agents", "utilization")),
    ]
    model = (f"{per_hour:g} calls/hour, exponential handle time of mean {aht_minutes:g} min "
             f"(load {load:g} erlangs), {agents} agents (utilization {rho:g}), no abandonment.")
    return Case(f"Erlang C: M/M/{agents} at utilization {rho:g}", model, rows)


def erlang_a_case(
    mode: Mode, seed: int, per_hour: float, agents: int, patience_seconds: float
) -> tuple[Case, SimulationResult]:
    """M/M/c+M: exponential patience."""
    aht_minutes, target = 6.0, 20.0
    scenario = _single_queue(mode, per_hour, aht_minutes, agents, target, patience_seconds)
    result = supportsim.simulate(scenario, seed=seed, replications=mode.replications)
    exact = analytic.erlang_a(agents, per_hour, aht_minutes * 60, patience_seconds, target)
    rows = [
        Row("P(wait)", exact.p_wait, _per_replication(result, lambda t: float((t["wait_seconds"] > 0).mean()))),
        Row("abandonment rate", exact.abandon_rate, result.values("channels", "phone", "abandon_rate")),
        Row(f"service level (answered within {target:g} s ÷ all)", exact.service_level,
            result.values("channels", "phone", "service_level")),
        Row(f"service level of answered (within {target:g} s)", exact.service_level_answered,
            result.values("channels", "phone", "service_level_answered")),
        Row("ASA of answered (s)", exact.asa_seconds, result.values("channels", "phone", "asa_seconds")),
        Row("mean number waiting", exact.mean_queue, result.values("channels", "phone", "mean_waiting")),
        Row("occupancy", exact.occupancy, result.values("groups", "agents", "utilization")),
    ]
    load = per_hour * aht_minutes / 60
    model = (f"{per_hour:g} calls/hour, exponential handle time of mean {aht_minutes:g} min "
             f"(load {load:g} erlangs), {agents} agents, exponential patience of mean "
             f"{patience_seconds:g} s.")
    return Case(f"Erlang A: M/M/{agents}+M, patience {patience_seconds:g} s", model, rows), result


def _sojourn_minutes(per_hour: float, aht_minutes: float, agents: int) -> float:
    load = per_hour * aht_minutes / 60
    return analytic.erlang_c_asa_seconds(agents, load, aht_minutes * 60) / 60 + aht_minutes


def tandem_case(mode: Mode, seed: int) -> Case:
    """Tier 1 escalates to tier 2 with probability p: an open Jackson network of two M/M/c."""
    per_hour, p = 90.0, 0.3
    t1_minutes, t1_agents = 6.0, 11
    t2_minutes, t2_agents = 12.0, 7
    scenario = Scenario.model_validate({
        "name": "tandem",
        "horizon": {"days": mode.days, "interval_minutes": 60, "warmup_hours": mode.warmup_hours},
        "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": per_hour}}],
        "categories": [{
            "name": "general", "channels": {"phone": 1.0}, "skill": "t1", "handle_minutes": _exp(t1_minutes),
            "escalation": [{"skill": "t2", "probability": p, "handle_minutes": _exp(t2_minutes)}],
        }],
        "groups": [{"name": "tier1", "skills": ["t1"], "headcount": t1_agents},
                   {"name": "tier2", "skills": ["t2"], "headcount": t2_agents}],
    })
    result = supportsim.simulate(scenario, seed=seed, replications=mode.replications, keep_tickets=False)
    resolution = _sojourn_minutes(per_hour, t1_minutes, t1_agents) + p * _sojourn_minutes(
        p * per_hour, t2_minutes, t2_agents)
    rows = [
        Row("mean resolution time (min)", resolution, result.values("overall", "", "resolution_minutes")),
        Row("escalation rate", p, result.values("categories", "general", "escalation_rate_tier1")),
        Row("tier 1 utilization", per_hour * t1_minutes / 60 / t1_agents,
            result.values("groups", "tier1", "utilization")),
        Row("tier 2 utilization", p * per_hour * t2_minutes / 60 / t2_agents,
            result.values("groups", "tier2", "utilization")),
    ]
    model = (f"{per_hour:g} calls/hour to tier 1 ({t1_agents} agents, exponential {t1_minutes:g} min); "
             f"a share {p:g} goes on to tier 2 ({t2_agents} agents, exponential {t2_minutes:g} min). "
             "By Burke's theorem tier 1's departures are Poisson, so tier 2 is an M/M/c queue at "
             "the escalated rate and the mean resolution time is the sum of the two M/M/c sojourn "
             "times (tier 2's weighted by the escalation probability).")
    return Case("Jackson network: two tiers in tandem", model, rows)


def little_case(result: SimulationResult, per_hour: float, agents: int, patience_seconds: float) -> Case:
    """Little's law L = λ·W on the Erlang A run: the time-average queue from the step function,
    against the rate of queued contacts times their mean wait (abandoners' waits included).
    """
    horizon_s = result.scenario.horizon.days * 86400
    exact = analytic.erlang_a(agents, per_hour, 360, patience_seconds, 20)

    def lam_w(t: Any) -> float:
        waits = t.loc[t["queued"], "wait_seconds"]
        return float(waits.sum() / horizon_s)

    big_l = result.values("channels", "phone", "mean_waiting")
    lam_times_w = _per_replication(result, lam_w)
    gap = float(np.max(np.abs(big_l - lam_times_w) / big_l))
    rows = [
        Row("L: time-average number waiting", exact.mean_queue, big_l),
        Row("λ·W: queued per second × mean wait (s)", exact.mean_queue, lam_times_w),
    ]
    note = (f"In each replication L and λ·W agree to within {gap:.2%} of L; the difference is "
            "the boundary term of a finite window (waits of contacts already queued at the "
            "start of the window, or still queued at its end). Both are compared with Erlang A's "
            "exact mean queue.")
    model = ("The Erlang A run above with patience "
             f"{patience_seconds:g} s, measured two ways from the same replications.")
    return Case("Little's law", model, rows, note)


def run(mode: Mode) -> list[Case]:
    """Simulate every case in ``mode``."""
    cases = [
        erlang_c_case(mode, SEED + 1, agents=10, rho=0.8),
        erlang_c_case(mode, SEED + 2, agents=20, rho=0.9),
        erlang_c_case(mode, SEED + 3, agents=30, rho=0.85),
    ]
    a1, a1_result = erlang_a_case(mode, SEED + 4, per_hour=100, agents=10, patience_seconds=180)
    a2, _ = erlang_a_case(mode, SEED + 5, per_hour=150, agents=12, patience_seconds=60)
    cases += [a1, a2, tandem_case(mode, SEED + 6), little_case(a1_result, 100, 10, 180)]
    return cases


def _number(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.1f}"
    if magnitude >= 1:
        return f"{value:.3f}"
    return f"{value:.4f}"


def render(cases: list[Case], mode: Mode) -> str:
    """The validation page as Markdown."""
    rows = [row for case in cases for row in case.rows]
    covered = sum(row.covers() for row in rows)
    lines = [
        "# Validation against queueing theory",
        "",
        "<!-- Generated by docs/generate_validation.py; do not edit by hand. Regenerate with",
        "`.venv/bin/python docs/generate_validation.py`. -->",
        "",
        "Each case below is a scenario whose long-run behaviour is known exactly. It is simulated "
        f"with {mode.replications} independent replications of {mode.days} days each, after a "
        f"{mode.warmup_hours:g}-hour warm-up that is not measured, from root seed "
        f"{SEED} + case number. *simulated* is the mean over replications and *± 95%* the "
        "half-width of its Student-t confidence interval (from the spread between "
        "replications); *in CI* says whether the exact value lies inside it. Exact values come "
        "from `supportsim.planning.analytic` (Erlang C and Erlang A are computed exactly, Erlang A as a "
        "birth-death chain) and from the closed forms named in each case.",
        "",
        f"**{covered} of {len(rows)}** exact values lie inside their 95% interval. If the engine "
        "is right, each interval misses with probability about 5%, so an occasional *no* is "
        "expected; a systematic bias would show as many misses in one case. The quantities of "
        "one case are correlated (they come from the same runs).",
        "",
        "`tests/test_docs.py` repeats this run in CI and checks that this page is exactly its "
        "output, that every exact value lies inside its 99.9% interval, and that the relative "
        "error of ASA, service level and utilization, pooled over the cases, is zero within "
        "an interval of a few percent (so a systematic 10% error fails). More comparisons, "
        "with longer runs, are assertions in `tests/test_theory.py` (which also covers "
        "deflection, disjoint skills, chat concurrency, priorities, arrival profiles and "
        "shifts).",
        "",
        "Definitions of the simulated metrics: [metrics.md](metrics.md). Quantities taken from "
        "the ticket table: P(wait) (share of contacts with a positive wait) and λ·W.",
        "",
    ]
    for number, case in enumerate(cases, start=1):
        lines += [f"## {number}. {case.title}", "", case.model, ""]
        lines += ["| quantity | exact | simulated | ± 95% | in CI |", "|---|---:|---:|---:|:---:|"]
        for row in case.rows:
            lines.append(f"| {row.quantity} | {_number(row.exact)} | {_number(row.mean)} | "
                         f"{_number(row.half_width())} | {'yes' if row.covers() else 'no'} |")
        lines.append("")
        if case.note:
            lines += [case.note, ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the cases, print the page and (in full mode) write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs; print the page, do not write it")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    text = render(run(mode), mode)
    print(text)
    if not args.quick:
        PAGE.write_text(text, encoding="utf-8")
        print(f"wrote {PAGE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
