"""``run.py --profile CASE``: where supportsim's time and memory go on one case, in this process.

Only public calls are timed or wrapped (``supportsim.simulate``,
``supportsim.engine.run_replication`` and ``replication_seeds``); everything finer comes from
statistics Python keeps anyway (cProfile, the garbage collector's callbacks, tracemalloc,
``/proc/self/status``), so the profiler keeps working while the engine's insides change.

1. one ``simulate`` call, first after a small warm-up: wall time, memory, garbage collector;
2. phases: the engine (``run_replication``) against the whole call;
3. memory per ticket: the engine's peak Python allocations, the kept ticket table;
4. ablations (garbage collector off, ``keep_tickets`` flipped): upper bounds of a change;
5. calls in a row in one process (a trainer's slider, a planner's search);
6. cProfile grouped by what the code does (``hotspots.py``), pyinstrument if installed;
7. micro-costs of the SimPy kernel (``kernel.py``).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import cases
import hotspots
import kernel
from measure import reset_peak, status_kb
from suite import load, median


@dataclass(frozen=True)
class Subject:
    """The scenario profiled, how it is simulated, and what the report calls it."""

    scenario: Any
    keep: bool  # keep_tickets of the simulate calls
    seed: int
    label: str

    def simulate(self, keep: bool | None = None) -> float:
        """Wall seconds of one ``supportsim.simulate`` call (one replication)."""
        import supportsim

        keep = self.keep if keep is None else keep
        t0 = time.perf_counter()
        supportsim.simulate(self.scenario, seed=self.seed, keep_tickets=keep)
        return time.perf_counter() - t0

    def engine(self) -> tuple[float, Any]:
        """Wall seconds and output of ``run_replication`` with the seed ``simulate`` gives it."""
        from supportsim.engine import replication_seeds, run_replication

        seed = replication_seeds(self.seed, 1)[0]
        t0 = time.perf_counter()
        output = run_replication(self.scenario, seed, keep_tickets=self.keep)
        return time.perf_counter() - t0, output


class GcLog:
    """Garbage collections while in the ``with`` block: (generation, seconds) each."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, float]] = []
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.entries.append((info["generation"], time.perf_counter() - self._t0))

    def __enter__(self) -> GcLog:
        gc.callbacks.append(self)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        gc.callbacks.remove(self)

    def seconds(self, generation: int | None = None) -> float:
        return sum(s for g, s in self.entries if generation is None or g == generation)

    def per_generation(self) -> str:
        return ", ".join(
            f"gen{g}: {sum(1 for x, _ in self.entries if x == g)} x, {self.seconds(g):.3f} s" for g in (0, 1, 2)
        )


def subject_of(args: argparse.Namespace) -> Subject:
    """The case to profile, at the size ``--profile-days`` / ``--profile-tickets`` say."""
    if args.profile == "mmc":
        scenario = cases.mmc_case_scenario(args.profile_days)
        label = f"case 1 M/M/12, {args.profile_days} days + 24 h warm-up, keep_tickets=False"
        return Subject(scenario, False, args.seed, label)
    if args.profile == "helpdesk":
        return Subject(cases.helpdesk_scenario(), True, args.seed, "case 2 helpdesk baseline week, keep_tickets=True")
    if args.profile == "memory":
        days = cases.big_days(args.profile_tickets)
        scenario = cases.big_scenario(days)
        return Subject(scenario, False, args.seed, f"case 4 M/M/126, {days} days, keep_tickets=False")
    return Subject(cases.day_scenario(), True, args.seed, "case 3 helpdesk Monday x2.2, keep_tickets=True")


def _first_call(subject: Subject) -> dict[str, Any]:
    """One ``simulate`` call with the garbage collector watched and the memory peak reset."""
    gc.collect()
    rss0 = status_kb("VmRSS") / 1024
    reset = reset_peak()
    with GcLog() as log:
        total = subject.simulate()
    return {"total": total, "rss0": rss0, "peak": status_kb("VmHWM") / 1024, "reset": reset, "gc": log}


def _print_first_call(first: dict[str, Any], tickets: int) -> None:
    total, log = first["total"], first["gc"]
    print(
        f"\none simulate() call: {total:.3f} s wall ({tickets / total:,.0f} tickets/s), "
        f"{total / tickets * 1e6:.1f} µs per ticket"
    )
    print(
        f"  RSS before the call {first['rss0']:.0f} MB, peak during it {first['peak']:.0f} MB"
        + ("" if first["reset"] else " (peak not reset: includes earlier calls)")
        + f": {(first['peak'] - first['rss0']) * 1024 * 1024 / tickets:,.0f} B per ticket at the peak"
    )
    print(
        f"  garbage collector: {log.seconds():.3f} s ({log.seconds() / total:.1%} of the call) in "
        f"{len(log.entries)} collections ({log.per_generation()}); a full (gen2) collection walks "
        "every live object the engine holds"
    )


def _phases(subject: Subject, repeats: int) -> int:
    """The engine against the whole call, alternating; returns the tickets of the run."""
    engine_s, total_s, tickets = [], [], 0
    for _ in range(repeats):
        gc.collect()
        wall, output = subject.engine()
        engine_s.append(wall)
        tickets = output.tickets_created
        del output
        gc.collect()
        total_s.append(subject.simulate())
    total, engine = median(total_s), median(engine_s)
    print(
        f"\ntickets in the simulation: {tickets:,} (warm-up and follow-ups included; "
        "ReplicationOutput.tickets_created)"
    )
    print(f"phases (median of {repeats}, separate calls in alternation, so the parts are estimates):")
    print(f"  {total:8.3f} s  100.0%  simulate(): the whole call")
    print(f"  {engine:8.3f} s  {engine / total:6.1%}  run_replication(): the engine (draws, event loop, records)")
    rest = total - engine
    print(f"  {rest:8.3f} s  {rest / total:6.1%}  the rest: metrics, interval and ticket tables, summary")
    print(f"  engine per ticket {engine / tickets * 1e6:.1f} µs, the rest {rest / tickets * 1e6:.1f} µs")
    return tickets


def _memory(subject: Subject, tickets: int) -> None:
    """Peak Python allocations of the engine (tracemalloc) and the kept table, per ticket."""
    gc.collect()
    tracemalloc.start()
    try:
        _, output = subject.engine()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(
        f"\nmemory per ticket: the engine's peak of Python and numpy allocations {peak / tickets:,.0f} B "
        "(tracemalloc over run_replication)"
    )
    kept = output.kept
    rows = len(kept.rows)
    if rows:
        packed = kept.rows.nbytes + kept.waiting_at_end.nbytes + kept.satisfied.nbytes
        print(f"  kept ticket rows (packed, as simulate() keeps them): {rows:,} rows, {packed / rows:,.0f} B per row")
        columns = output.tickets  # the columns, built on first read
        nbytes = sum(getattr(col, "nbytes", 0) for col in columns.values())
        print(
            f"  as columns once read: {len(columns)} columns, {nbytes / rows:,.0f} B per row "
            "(numpy nbytes; object columns count their pointers only)"
        )
    else:
        print("  no ticket table kept (keep_tickets=False): memory is flat in the number of tickets")


def _ablations(subject: Subject, repeats: int, tickets: int) -> None:
    """Alternating variants of the call: what removing a cost can gain at most."""
    variants = {
        "as is": (False, subject.keep),
        "gc disabled during the call": (True, subject.keep),
        f"keep_tickets={not subject.keep} instead of {subject.keep}": (False, not subject.keep),
    }
    samples: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(repeats):
        for name, (no_gc, keep) in variants.items():
            gc.collect()
            if no_gc:
                gc.disable()
            try:
                samples[name].append(subject.simulate(keep))
            finally:
                gc.enable()
    base = median(samples["as is"])
    print(f"\nablations (median of {repeats}, alternating, gc.collect() before each call):")
    for name, xs in samples.items():
        m = median(xs)
        print(
            f"  {m:7.3f} s  {tickets / m:>9,.0f} tickets/s  {1 - m / base:6.1%} less time  "
            f"{(base - m) / tickets * 1e6:5.2f} µs/ticket saved  {name}"
        )


def _engine_object(o: object) -> bool:
    module = getattr(type(o), "__module__", None)
    return isinstance(module, str) and module.startswith("supportsim.engine")


def _calls_in_a_row(subject: Subject, n_calls: int = 12) -> None:
    """Repeated calls without an explicit collection: how the garbage collector spreads."""
    gc.collect()
    walls, gcs, gen2s = [], [], []
    with GcLog() as log:
        for _ in range(n_calls):
            before = len(log.entries)
            walls.append(subject.simulate())
            mine = log.entries[before:]
            gcs.append(sum(s for _, s in mine))
            gen2s.append(sum(1 for g, _ in mine if g == 2))
    alive = sum(1 for o in gc.get_objects() if _engine_object(o))
    print(
        f"\n{n_calls} calls in a row in one process, no explicit gc.collect(): wall median "
        f"{median(walls):.3f} s, max {max(walls):.3f} s; gc per call median {median(gcs) * 1e3:.1f} ms, "
        f"max {max(gcs) * 1e3:.1f} ms; full collections {sum(gen2s)} "
        f"(in calls {[i + 1 for i, n in enumerate(gen2s) if n]}); engine objects still tracked "
        f"after the last call returned: {alive:,}"
    )
    print("  per call: " + ", ".join(f"{w:.3f}" for w in walls))


def run_profile(args: argparse.Namespace) -> None:
    """Print every section of the profile of ``args.profile``."""
    subject = subject_of(args)
    outdir = Path(args.profile_out) if args.profile_out else None
    if outdir:
        outdir.mkdir(parents=True, exist_ok=True)
    from supportsim.engine import engine_build

    print(f"profile of {subject.label}, seed {subject.seed}  (load average {load()}; engine: {engine_build()})")
    warm = cases.one_day(subject.scenario) if args.profile in ("mmc", "memory") else subject.scenario
    Subject(warm, subject.keep, subject.seed + 1, "warm-up").simulate()
    first = _first_call(subject)  # first: in a process that has run only a small warm-up
    tickets = _phases(subject, args.ablation_repeats)
    _print_first_call(first, tickets)
    _memory(subject, tickets)
    _ablations(subject, args.ablation_repeats, tickets)
    _calls_in_a_row(subject)
    hotspots.cprofile_section(subject.simulate, tickets, outdir, args.profile)
    hotspots.pyinstrument_section(subject.simulate, outdir, args.profile)
    kernel.print_micro_costs(args.micro_events)
