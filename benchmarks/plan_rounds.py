"""How the Staffing page's plans spend their time: the figures behind ``app/plan_progress.py``.

    .venv/bin/python benchmarks/plan_rounds.py [SCENARIO ...] [--weekday mon] [--replications 10] [--workers N]

Plans one weekday of each scenario (default: every example in ``scenarios/``) as the
Staffing page does (``supportsim.plan``, seed 0, on one process per core:
``app/state.py``'s ``PLAN_WORKERS``; ``--workers`` to change) and prints, per plan:

- the search's rounds (the ``round`` of the planner's last progress call) and seconds;
- the seconds choosing the shifts (``supportsim.planning.staffing_plan.schedule``) took;
- the roster's simulation and the two target checks after it, in *rounds on the plan's
  replications*: their seconds ÷ (replications × seconds a replication, a round's seconds
  divided by its replications averaged over the rounds that say them), the clock's
  ``CHECK_ROUNDS``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import supportsim
from supportsim.planning import staffing_plan

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the app's package, for the clock's own reading of the progress messages

from app.plan_progress import REPLICATIONS  # noqa: E402


def measure(path: Path, weekday: str, replications: int, workers: int) -> dict[str, float]:
    """One plan's rounds and the seconds of its parts (module docstring)."""
    scenario = supportsim.one_day(supportsim.load_scenario(path), weekday)
    calls: list[tuple[float, int, str]] = []
    spent = {"schedule": 0.0}
    schedule = staffing_plan.schedule

    def timed_schedule(*args, **kwargs):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return schedule(*args, **kwargs)
        finally:
            spent["schedule"] += time.perf_counter() - began

    staffing_plan.schedule = timed_schedule
    try:
        began = time.perf_counter()
        supportsim.plan(scenario, seed=0, replications=replications, workers=workers,
                        progress=lambda r, m: calls.append((time.perf_counter(), r, m)))
        total = time.perf_counter() - began
    finally:
        staffing_plan.schedule = schedule
    ends = [began] + [t for t, _, _ in calls]
    per_replication = []
    for (t, _, message), start in zip(calls, ends, strict=False):
        found = REPLICATIONS.search(message)
        if found:
            per_replication.append((t - start) / int(found.group(1)))
    search = ends[-1] - began
    replication_round = sum(per_replication) / len(per_replication)
    checks = total - search - spent["schedule"]
    return {"rounds": calls[-1][1] if calls else 0, "search_s": search, "schedule_s": spent["schedule"],
            "checks_s": checks, "check_rounds": checks / (replications * replication_round), "total_s": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--weekday", default="mon")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    paths = args.scenarios or sorted((ROOT / "scenarios").glob("*.yaml"))
    print(f"{'scenario':32} rounds  search  shifts  checks (rounds)  total")
    for path in paths:
        m = measure(path, args.weekday, args.replications, args.workers)
        print(f"{path.stem:32} {m['rounds']:6.0f} {m['search_s']:6.1f}s {m['schedule_s']:6.1f}s "
              f"{m['checks_s']:6.1f}s ({m['check_rounds']:4.1f}) {m['total_s']:6.1f}s", flush=True)


if __name__ == "__main__":
    main()
