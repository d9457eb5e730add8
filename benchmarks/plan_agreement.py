"""Is the plan noise? Issue 18's checks, measured on two root seeds of ``supportsim staff``.

    .venv/bin/python benchmarks/plan_agreement.py [SCENARIO] [--seeds 0,1] [--replications 10] [--workers 2]

Runs the real command once per root seed (default: the helpdesk week, 10 replications, 2
workers) and prints, from the ``staffing.csv`` and ``summary.json`` each wrote:

- agreement: the share of interval × group rows whose simulated agents, and whose simulated
  headcount (rostered people), agree within one between the first two seeds;
- spikes: cells needing 4+ people more than both neighbours where the Erlang requirement of
  the demand has no such spike (``supportsim.planning.settling.spike_cells``);
- the share of paid hours in shifts of 6 hours or more, and whether the plan is compared with
  today's roster (``current_roster`` in ``summary.json``);
- the wall time of each run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from supportsim.planning.settling import spike_cells

ROOT = Path(__file__).resolve().parent.parent


def _cells(table: pd.DataFrame, column: str) -> np.ndarray:
    """``column`` as an array (groups, intervals), groups in the table's order."""
    return np.stack([rows[column].to_numpy() for _, rows in table.groupby("group", sort=False)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "helpdesk_baseline.yaml"))
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    tables, summaries = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            out = Path(tmp) / f"seed{seed}"
            began = time.perf_counter()
            subprocess.run(
                [str(Path(sys.executable).parent / "supportsim"), "staff", args.scenario, "--seed", str(seed),
                 "--replications", str(args.replications), "--workers", str(args.workers), "--out", str(out)],
                check=True, stdout=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - began
            table = pd.read_csv(out / "staffing.csv")
            summary = json.loads((out / "summary.json").read_text())
            tables.append(table)
            summaries.append(summary)
            demand = spike_cells(_cells(table, "analytic_headcount"))
            spikes = spike_cells(_cells(table, "simulated_headcount")) & ~demand
            print(f"seed {seed}: {seconds:.0f} s; spikes the demand has not: {int(spikes.sum())}; "
                  f"paid hours in shifts of 6 h or more: {summary['share_of_paid_hours_in_shifts_of_6h_or_more']:.1%}; "
                  f"compared with today's roster: {'current_roster' in summary}; "
                  f"targets met {summary['targets_met']} of {summary['targets_total']}", flush=True)
    if len(tables) >= 2:
        for column in ("simulated_agents", "simulated_headcount"):
            a, b = (t[column].to_numpy() for t in tables[:2])
            print(f"{column} within one between seeds {seeds[0]} and {seeds[1]}: {np.mean(np.abs(a - b) <= 1):.1%} "
                  f"of {len(a)} rows")


if __name__ == "__main__":
    main()
