"""supportsim benchmark suite: ``python benchmarks/run.py`` (or ``make bench``).

The entry point of every mode; each job lives in its own module:

- ``cases.py``: what each case simulates, with which engines, at which sizes;
- ``peers.py``: the same M/M/c queue in Ciw and in a minimal SimPy model;
- ``measure.py``: one measurement in a fresh process (``--child``): warm-up, timed run,
  wall and CPU time, peak memory;
- ``suite.py``: every case's engines, sizes and repeats, medians and paired ratios;
- ``report.py``: the printed report of the suite;
- ``profiler.py`` (``--profile mmc|helpdesk|day|memory``): supportsim profiled through its
  public API, in a process on the engine's Python sources (cProfile cannot see into compiled
  functions), with ``hotspots.py`` (cProfile grouped by what the code does, pyinstrument)
  and ``kernel.py`` (micro-costs of the SimPy kernel).

See benchmarks/README.md for the definitions and the commands.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

# ``python benchmarks/run.py`` puts this folder first on sys.path: the modules below are siblings.
import cases
import measure
import profiler
import report
import suite

from supportsim.engine.compiled import PURE_PYTHON

TARGET_TICKETS = 10_000_000


def _suite_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="small sizes, 1 repeat: a smoke run of every case")
    p.add_argument("--repeats", type=int, default=None, help="runs per engine and size (default 5, --quick 1)")
    p.add_argument(
        "--cases",
        default="mmc,helpdesk,day,memory",
        help="comma-separated subset of: mmc (1), helpdesk (2), day (3), memory (4); numbers work too",
    )
    p.add_argument("--days", type=int, default=None, help="case 1: measured days (default 100, --quick 3)")
    p.add_argument(
        "--tickets",
        default=None,
        help="case 4: comma-separated sizes in tickets (default 1000000,10000000; --quick 25200,50400), "
        "rounded to whole days of 25,200",
    )
    p.add_argument("--extrapolate-to", type=int, default=TARGET_TICKETS, help="case 4: size to extrapolate to")
    p.add_argument("--seed", type=int, default=1, help="repeat i uses seed + i")
    p.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up run in each child")
    p.add_argument("--json", metavar="FILE", help="also write every figure (and every repeat) to FILE")


def _profile_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile", choices=["mmc", "helpdesk", "day", "memory"], help="profile supportsim on a case instead"
    )
    p.add_argument("--profile-days", type=int, default=30, help="--profile mmc: measured days (default 30)")
    p.add_argument(
        "--profile-tickets", type=int, default=200_000, help="--profile memory: tickets (default 200,000)"
    )
    p.add_argument(
        "--ablation-repeats", type=int, default=5, help="--profile: repeats of the phases and of each ablation"
    )
    p.add_argument(
        "--micro-events", type=int, default=200_000, help="--profile: events per SimPy micro-cost (default 200,000)"
    )
    p.add_argument("--profile-out", metavar="DIR", help="--profile: write .prof / pyinstrument files here")


def parser() -> argparse.ArgumentParser:
    """The command line of every mode."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    _suite_options(p)
    _profile_options(p)
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the mode the arguments ask for; 0 on success."""
    p = parser()
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(measure.child(json.loads(args.child))))
        return 0
    if args.profile:
        if os.environ.get(PURE_PYTHON) != "1":  # cProfile cannot see into compiled functions
            command = [sys.executable, __file__, *(sys.argv[1:] if argv is None else argv)]
            return subprocess.run(command, env={**os.environ, PURE_PYTHON: "1"}, check=False).returncode
        profiler.run_profile(args)
        return 0
    numbers = {str(c.number): c.key for c in cases.CASES.values()}
    args.cases = [numbers.get(k.strip(), k.strip()) for k in args.cases.split(",") if k.strip()]
    unknown = [k for k in args.cases if k not in cases.CASES]
    if unknown:
        p.error(f"unknown case(s): {', '.join(unknown)}")
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    if args.tickets:
        args.tickets = [int(float(n)) for n in args.tickets.split(",")]
    out = suite.run_suite(args)
    report.report(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
