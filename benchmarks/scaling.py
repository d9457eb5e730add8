"""Replications scale with cores: wall time of ``simulate(..., replications=20)`` on 1 and 2 workers.

    .venv/bin/python benchmarks/scaling.py [--replications 20] [--repeats 5] [--scenario day|week]

``day`` is the helpdesk baseline's Monday (its 24 h warm-up kept, volumes and rosters as
written); ``week`` is the whole baseline week. Each repeat times 1 worker (in-process) and
2 local workers (process pool, started inside the timed region) back to back, in alternating
order, and checks that both give identical results. Prints the median wall times and the
median of the paired ratios (1 worker / 2 workers; 2.0 is perfect scaling).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases

from supportsim import simulate


def _scenario(which: str):  # type: ignore[no-untyped-def]
    return cases.day_scenario(scale=1.0) if which == "day" else cases.helpdesk_scenario()


def _timed(scenario, replications: int, workers: int, seed: int):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = simulate(scenario, seed=seed, replications=replications, workers=workers, keep_tickets=False)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scenario", choices=("day", "week"), default="day")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scenario = _scenario(args.scenario)
    _timed(scenario, 2, 1, args.seed)  # warm caches and imports outside the timed runs
    one, two, ratios = [], [], []
    for i in range(args.repeats):
        order = (1, 2) if i % 2 == 0 else (2, 1)
        walls, results = {}, {}
        for workers in order:
            walls[workers], results[workers] = _timed(scenario, args.replications, workers, args.seed + i)
        if json.dumps(results[1].summary, sort_keys=True) != json.dumps(results[2].summary, sort_keys=True):
            print("results differ between 1 and 2 workers", file=sys.stderr)
            return 1
        one.append(walls[1])
        two.append(walls[2])
        ratios.append(walls[1] / walls[2])
        print(f"  repeat {i + 1}: 1 worker {walls[1]:.3f} s, 2 workers {walls[2]:.3f} s, "
              f"speed-up {ratios[-1]:.2f}x  (load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    print(f"{args.replications} replications of the helpdesk {args.scenario} ({scenario.name}), "
          f"{os.cpu_count()} CPUs, medians of {args.repeats} repeats:")
    print(f"  1 worker   {statistics.median(one):.3f} s")
    print(f"  2 workers  {statistics.median(two):.3f} s")
    spread = f"range {min(ratios):.2f}-{max(ratios):.2f}"
    print(f"  speed-up   {statistics.median(ratios):.2f}x ({spread}; target >= 1.9x, issue 14)")
    print("  results identical on 1 and 2 workers: yes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
