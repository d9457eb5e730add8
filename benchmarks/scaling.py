"""Replications scale with cores: wall time of ``simulate(..., replications=20)`` on 1 and 2 workers.

    .venv/bin/python benchmarks/scaling.py [--replications 20] [--repeats 5] [--scenario day|week]

``day`` is the helpdesk baseline's Monday (its 24 h warm-up kept, volumes and rosters as
written); ``week`` is the whole baseline week. Each repeat times, back to back in rotating
order and each checked to give the same summary as the others:

- ``1 worker``: ``simulate(..., workers=1)``, in this process;
- ``2 cold``: ``simulate(..., workers=2)`` as users call it, everything inside the timed
  region (one helper forked for the call while this process works beside it, the helper's
  results sent back; the helper exits by itself, and its CPU is counted);
- ``2 warm``: ``simulate(..., executor=pool)`` on an open ``make_executor(2)`` that has
  already run (its kept pool of 2 processes started outside the timed region), as the
  planner uses it;
- ``2 apart``: the machine's ceiling for any pool: two processes started (and warmed up)
  outside the timed region each simulate half the replications on their own, with nothing
  sent but "go" and "done" (their results are not compared: they simulate other seeds).

Prints the median wall times, the medians of the paired ratios (1 worker / 2 workers; 2.0 is
perfect scaling) and the CPU time of all processes (this one and its workers) per call.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases

from supportsim import make_executor, simulate

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _scenario(which: str):  # type: ignore[no-untyped-def]
    return cases.day_scenario(scale=1.0) if which == "day" else cases.helpdesk_scenario()


def _pool_cpu() -> float:
    """CPU seconds (user + system) of this process's live children, read from /proc (0 elsewhere)."""
    total = 0.0
    for child in multiprocessing.active_children():
        try:
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _cpu() -> float:
    """CPU seconds of this process, its reaped children and its live ones."""
    live = _pool_cpu()  # first: it reaps the children that have ended (a forked helper is never joined)
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime + live


def _apart(conn, which: str, replications: int) -> None:  # type: ignore[no-untyped-def]
    """One of the ``2 apart`` processes: on each seed received, simulate ``replications``."""
    scenario = _scenario(which)
    simulate(scenario, seed=0, replications=2, keep_tickets=False)  # imports, caches
    conn.send("ready")
    while (seed := conn.recv()) is not None:
        simulate(scenario, seed=seed, replications=replications, keep_tickets=False)
        conn.send("done")


def _timed(scenario, replications: int, mode: str, seed: int, pool, apart):  # type: ignore[no-untyped-def]
    cpu, start = _cpu(), time.perf_counter()
    if mode == "2 apart":
        for k, conn in enumerate(apart):
            conn.send(seed + 1000 * (k + 1))
        for conn in apart:
            conn.recv()
        return time.perf_counter() - start, _cpu() - cpu, None
    if mode == "2 warm":
        result = simulate(scenario, seed=seed, replications=replications, executor=pool, keep_tickets=False)
    else:
        workers = 1 if mode == "1 worker" else 2
        result = simulate(scenario, seed=seed, replications=replications, workers=workers, keep_tickets=False)
    return time.perf_counter() - start, _cpu() - cpu, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scenario", choices=("day", "week"), default="day")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scenario = _scenario(args.scenario)
    modes = ("1 worker", "2 cold", "2 warm", "2 apart")
    walls: dict[str, list[float]] = {m: [] for m in modes}
    cpus: dict[str, list[float]] = {m: [] for m in modes}
    ratios: dict[str, list[float]] = {m: [] for m in modes[1:]}
    fork = multiprocessing.get_context("fork")
    halves = (args.replications // 2, args.replications - args.replications // 2)
    pipes = [fork.Pipe() for _ in halves]
    helpers = [
        fork.Process(target=_apart, args=(child, args.scenario, n))
        for (_, child), n in zip(pipes, halves, strict=True)
    ]
    for helper in helpers:
        helper.start()
    apart = [parent for parent, _ in pipes]
    for conn in apart:
        conn.recv()  # ready
    with make_executor(2) as pool:
        for _ in range(2):  # imports, caches; the open executor's first run forks, its second starts the pool
            simulate(scenario, seed=args.seed, replications=2, executor=pool, keep_tickets=False)
        simulate(scenario, seed=args.seed, replications=2, workers=1, keep_tickets=False)
        for i in range(args.repeats):
            order = modes[i % len(modes) :] + modes[: i % len(modes)]
            summaries = set()
            for mode in order:
                wall, cpu, result = _timed(scenario, args.replications, mode, args.seed + i, pool, apart)
                walls[mode].append(wall)
                cpus[mode].append(cpu)
                if result is not None:
                    summaries.add(json.dumps(result.summary, sort_keys=True))
            if len(summaries) != 1:
                print("results differ between 1 and 2 workers", file=sys.stderr)
                return 1
            for mode in modes[1:]:
                ratios[mode].append(walls["1 worker"][-1] / walls[mode][-1])
            print(
                f"  repeat {i + 1}: "
                + ", ".join(f"{m} {walls[m][-1]:.3f} s (CPU {cpus[m][-1]:.3f} s)" for m in modes)
                + f"  (load {os.getloadavg()[0]:.2f})",
                file=sys.stderr,
            )
    for conn, helper in zip(apart, helpers, strict=True):
        conn.send(None)
        helper.join()
    print(
        f"{args.replications} replications of the helpdesk {args.scenario} ({scenario.name}), "
        f"{os.cpu_count()} CPUs, medians of {args.repeats} repeats:"
    )
    for mode in modes:
        line = f"  {mode:9s} {statistics.median(walls[mode]):.3f} s wall, {statistics.median(cpus[mode]):.3f} s CPU"
        if mode in ratios:
            spread = f"range {min(ratios[mode]):.2f}-{max(ratios[mode]):.2f}"
            line += f", speed-up {statistics.median(ratios[mode]):.2f}x ({spread}"
            line += "; the machine's ceiling)" if mode == "2 apart" else "; target >= 1.9x, issue 14)"
        print(line)
    for mode in ("2 cold", "2 warm"):
        share = statistics.median(a / b for a, b in zip(ratios[mode], ratios["2 apart"], strict=True))
        print(f"  {mode} reaches {share:.0%} of the ceiling's speed-up (median of the paired shares)")
    print("  results identical on 1 and 2 workers, cold and warm: yes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
