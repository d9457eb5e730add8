"""The benchmark cases: what each one simulates, with which engines, at which size.

A case is data (:class:`Case`); :func:`prepare` turns one (case, engine, size, seed) into
a zero-argument callable whose call is the timed region. Everything before it (building
the scenario or network, imports) is set-up and not timed. The callable returns an
:class:`Outcome`: tickets that arrived in the simulation (warm-up and follow-ups
included; the numerator of "tickets per second") and, where the case has one, the mean
wait to compare with Erlang C.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HELPDESK = ROOT / "scenarios" / "helpdesk_baseline.yaml"

# Case 1: the M/M/12 queue of the issue.
MMC = {"per_hour": 100.0, "handle_minutes": 6.0, "servers": 12, "warmup_hours": 24.0}
# Case 4: an M/M/c of the same load factor (rho = 0.833) but 10.5x the rate, so that ten
# million tickets fit into the 400-day horizon limit of the scenario format.
BIG = {"per_hour": 1050.0, "handle_minutes": 6.0, "servers": 126, "warmup_hours": 1.0}
# Case 3: the helpdesk baseline's Monday with volumes and shift counts scaled so that the
# measured day has about 5,000 contacts.
DAY_SCALE = 2.2


@dataclass(frozen=True)
class Outcome:
    """What one timed run reports (besides time and memory, which measure.py measures)."""

    tickets: int  # arrived in the simulation: warm-up and follow-ups included
    measured: int  # tickets of the measured window (offered, or the peers' measured customers)
    mean_wait_s: float = math.nan  # mean wait of answered measured tickets (case 1)


@dataclass(frozen=True)
class Case:
    """One benchmark case."""

    key: str
    number: int
    title: str
    engines: tuple[str, ...]  # the first is the subject; the others are peers or variants
    peers: tuple[str, ...] = ()  # engines whose throughput supportsim is divided by
    sizes: dict[str, Any] = field(default_factory=dict)  # full run
    quick_sizes: dict[str, Any] = field(default_factory=dict)  # --quick
    target: str = ""


CASES: dict[str, Case] = {
    case.key: case
    for case in (
        Case(
            "mmc",
            1,
            "M/M/12 (100 calls/h, 6-min exponential handle time, FIFO, no abandonment): "
            "supportsim vs Ciw vs a minimal SimPy model",
            engines=("supportsim", "supportsim_tickets", "ciw", "simpy"),
            peers=("ciw", "simpy"),
            sizes={"days": 100},
            quick_sizes={"days": 3},
            target="default call (supportsim_tickets): tickets/s >= 3x Ciw and >= 1.5x minimal SimPy; "
            "ticket table <= 15% of its time",
        ),
        Case(
            "helpdesk",
            2,
            "helpdesk baseline week (scenarios/helpdesk_baseline.yaml, every feature on), "
            "one replication, ticket table kept",
            engines=("supportsim",),
            target="tickets/s >= 150,000",
        ),
        Case(
            "day",
            3,
            f"one day of about 5,000 contacts (helpdesk baseline Monday, volumes and shift "
            f"counts x{DAY_SCALE}, its 24 h warm-up kept): one simulate() call with metrics",
            engines=("supportsim",),
            target="wall <= 0.05 s",
        ),
        Case(
            "memory",
            4,
            "M/M/126 at 1,050 calls/h (rho 0.83), simulate(..., keep_tickets=False): peak "
            "memory by size, measured at 10,000,000 tickets",
            engines=("supportsim",),
            sizes={"tickets": [1_000_000, 10_000_000]},
            quick_sizes={"tickets": [25_200, 50_400]},
            target="peak RSS <= 300 MB at 10,000,000 tickets",
        ),
    )
}


# --- scenarios ------------------------------------------------------------------------


def _exp(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean}


def mmc_scenario(
    *, per_hour: float, handle_minutes: float, servers: int, days: int, warmup_hours: float
) -> Any:
    """supportsim's M/M/c: one realtime channel without patience, one skill, one group."""
    from supportsim import scenario_from_dict

    return scenario_from_dict(
        {
            "name": f"M/M/{servers}",
            "horizon": {"days": days, "interval_minutes": 60, "warmup_hours": warmup_hours},
            "channels": [
                {
                    "name": "phone",
                    "mode": "realtime",
                    "arrivals": {"per_hour": per_hour},
                    "target": {"answer_within_seconds": 20, "service_level": 0.8},
                }
            ],
            "categories": [
                {
                    "name": "general",
                    "channels": {"phone": 1.0},
                    "skill": "general",
                    "handle_minutes": _exp(handle_minutes),
                }
            ],
            "groups": [{"name": "agents", "skills": ["general"], "headcount": servers}],
        }
    )


def helpdesk_scenario() -> Any:
    """The baseline week as written in scenarios/helpdesk_baseline.yaml."""
    from supportsim import load_scenario

    return load_scenario(HELPDESK)


def day_scenario(scale: float = DAY_SCALE) -> Any:
    """One Monday of the helpdesk baseline, volumes and every shift line's count x ``scale``."""
    from supportsim.scenario.edit import edited

    def scaled(data: dict[str, Any]) -> None:
        data["name"] = f"Helpdesk Monday x{scale}"
        data["horizon"]["days"] = 1
        data["horizon"]["start_weekday"] = "mon"
        for channel in data["channels"]:
            arrivals = channel["arrivals"]
            for key in ("per_hour", "per_day"):
                if arrivals.get(key) is not None:
                    arrivals[key] *= scale
            if arrivals.get("rates_per_hour") is not None:
                arrivals["rates_per_hour"] = [r * scale for r in arrivals["rates_per_hour"]]
        for group in data["groups"]:
            if group.get("headcount") is not None:
                group["headcount"] = max(1, round(group["headcount"] * scale))
            if group.get("headcount_per_interval") is not None:
                group["headcount_per_interval"] = [round(n * scale) for n in group["headcount_per_interval"]]
            for shift in group.get("shifts") or []:
                shift["count"] = max(1, round(shift["count"] * scale))

    return edited(helpdesk_scenario(), scaled, source="benchmarks: day_scenario")


def one_day(scenario: Any) -> Any:
    """``scenario`` with a one-day horizon (a warm-up that allocates little)."""
    from supportsim.scenario.edit import edited

    def shortened(data: dict[str, Any]) -> None:
        data["horizon"]["days"] = 1

    return edited(scenario, shortened, source="benchmarks: one_day")


def mmc_case_scenario(days: int) -> Any:
    """Case 1's M/M/12 over ``days`` measured days, after its 24 h warm-up."""
    return mmc_scenario(
        per_hour=MMC["per_hour"],
        handle_minutes=MMC["handle_minutes"],
        servers=int(MMC["servers"]),
        days=days,
        warmup_hours=MMC["warmup_hours"],
    )


def big_scenario(days: int) -> Any:
    """Case 4's M/M/126 over ``days`` measured days."""
    return mmc_scenario(
        per_hour=BIG["per_hour"],
        handle_minutes=BIG["handle_minutes"],
        servers=int(BIG["servers"]),
        days=days,
        warmup_hours=BIG["warmup_hours"],
    )


def big_days(tickets: int) -> int:
    """Measured days of case 4 for about ``tickets`` tickets (the format allows <= 400)."""
    days = round(tickets / (BIG["per_hour"] * 24))
    if not 1 <= days <= 400:
        raise SystemExit(
            f"--tickets {tickets}: case 4 covers 25,200 .. 10,080,000 tickets (1..400 days)"
        )
    return days


# --- counting supportsim's tickets -----------------------------------------------------


class TicketCounter:
    """Counts the tickets of the replications ``simulate`` runs, from the engine's own output.

    ``simulate`` has no public hook that reports ``ReplicationOutput.tickets_created``, so
    this wraps the name ``run_replication`` inside ``supportsim.results.simulation`` (one
    attribute look-up and one call per replication, nothing per ticket). Where that name is
    gone or was not called, :meth:`count` runs the public ``supportsim.engine.run_replication``
    again after the timed region, with the same replication seeds (the engine is
    deterministic), so the count never silently becomes zero.
    """

    def __init__(self) -> None:
        import supportsim.results.simulation as simulation

        self.simulation = simulation
        self.original = getattr(simulation, "run_replication", None)
        self.tickets = 0
        self.calls = 0
        if self.original is not None:
            simulation.run_replication = self._wrapped

    def _wrapped(self, *args: Any, **kwargs: Any) -> Any:
        output = self.original(*args, **kwargs)  # type: ignore[misc]
        self.tickets += output.tickets_created
        self.calls += 1
        return output

    def restore(self) -> None:
        if self.original is not None:
            self.simulation.run_replication = self.original

    def count(self, scenario: Any, seed: int, replications: int = 1) -> int:
        """Tickets of the ``simulate(scenario, seed=seed, replications=...)`` call just made."""
        if self.calls == replications:
            return self.tickets
        from supportsim.engine import replication_seeds, run_replication

        return sum(
            run_replication(scenario, s, keep_tickets=False).tickets_created
            for s in replication_seeds(seed, replications)
        )


# --- preparing a timed run ------------------------------------------------------------


def size_label(case: Case, size: dict[str, Any]) -> str:
    if case.key == "mmc":
        return f"{size['days']} days + {MMC['warmup_hours']:.0f} h warm-up"
    if case.key == "memory":
        days = big_days(size["tickets"])
        return f"{days} days (~{days * 24 * BIG['per_hour']:,.0f} tickets)"
    return ""


def prepare(case_key: str, engine: str, size: dict[str, Any], seed: int) -> Callable[[], Outcome]:
    """Set up one run; the returned callable is the timed region."""
    if case_key == "mmc":
        days = int(size["days"])
        horizon_s, warmup_s = days * 86400.0, MMC["warmup_hours"] * 3600.0
        kw = {
            "per_hour": MMC["per_hour"],
            "handle_minutes": MMC["handle_minutes"],
            "servers": MMC["servers"],
        }
        if engine == "simpy":
            from peers import simpy_mmc

            def run_simpy() -> Outcome:
                r = simpy_mmc(**kw, horizon_s=horizon_s, warmup_s=warmup_s, seed=seed)
                return Outcome(r.tickets, r.measured, r.mean_wait_s)

            return run_simpy
        if engine == "ciw":
            from peers import ciw_mmc, ciw_network

            network = ciw_network(**kw)

            def run_ciw() -> Outcome:
                r = ciw_mmc(
                    **kw, horizon_s=horizon_s, warmup_s=warmup_s, seed=seed, network=network
                )
                return Outcome(r.tickets, r.measured, r.mean_wait_s)

            return run_ciw
        return _supportsim_run(
            mmc_case_scenario(days), seed, keep_tickets=engine == "supportsim_tickets", with_wait=True
        )
    if case_key == "helpdesk":
        return _supportsim_run(helpdesk_scenario(), seed, keep_tickets=True)
    if case_key == "day":
        return _supportsim_run(day_scenario(), seed, keep_tickets=True)
    if case_key == "memory":
        return _supportsim_run(big_scenario(big_days(int(size["tickets"]))), seed, keep_tickets=False)
    raise KeyError(case_key)


def _supportsim_run(
    scenario: Any, seed: int, *, keep_tickets: bool, with_wait: bool = False
) -> Callable[[], Outcome]:
    import supportsim

    counter = TicketCounter()
    holder: dict[str, Any] = {}

    def run() -> Outcome:
        holder["result"] = supportsim.simulate(scenario, seed=seed, keep_tickets=keep_tickets)
        return Outcome(-1, -1)

    def finish() -> Outcome:
        """Untimed: read the counts and the mean wait from the result."""
        result = holder.pop("result")
        counter.restore()
        overall = result.summary["overall"]
        return Outcome(
            counter.count(scenario, seed),
            int(overall["offered"]["mean"]),
            float(overall["asa_seconds"]["mean"]) if with_wait else math.nan,
        )

    run.finish = finish  # type: ignore[attr-defined]
    return run


def warmup_size(case_key: str) -> dict[str, Any]:
    """A tiny size of the same case: run once, untimed, before the timed run."""
    return {"mmc": {"days": 1}, "memory": {"tickets": 25_200}}.get(case_key, {})
