"""One measurement in a fresh process: ``run.py --child SPEC`` runs it, the suite spawns it.

The child imports, runs the case once untimed at a small size (the warm-up), collects
garbage, sets the timed run up, resets the peak-memory mark and times one run: wall clock
with ``time.perf_counter``, CPU with ``time.process_time``, peak resident memory from
``VmHWM`` in ``/proc/self/status`` (reset through ``/proc/self/clear_refs`` where the
kernel allows it). It prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cases

RUN = Path(__file__).resolve().parent / "run.py"


def status_kb(field: str) -> int:
    """One field of ``/proc/self/status`` in kB (-1 where it is missing)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _warm_up(case: str, engine: str, size: dict[str, Any], seed: int) -> None:
    """One untimed run of the same engine at the case's small size."""
    warm = cases.prepare(case, engine, cases.warmup_size(case) or size, seed + 10_000)
    warm()
    if hasattr(warm, "finish"):
        warm.finish()


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Take one measurement (in this process) and return it as plain data."""
    case, engine, size, seed = spec["case"], spec["engine"], spec["size"], spec["seed"]
    if spec.get("warmup", True):
        _warm_up(case, engine, size, seed)
    gc.collect()
    run = cases.prepare(case, engine, size, seed)
    gc.collect()
    peak_reset = reset_peak()
    rss_before_kb = status_kb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    outcome = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_kb = status_kb("VmHWM")
    if hasattr(run, "finish"):
        outcome = run.finish()
    return {
        "case": case,
        "engine": engine,
        "size": size,
        "seed": seed,
        "wall_s": wall,
        "cpu_s": cpu,
        "tickets": outcome.tickets,
        "measured": outcome.measured,
        "tickets_per_s": outcome.tickets / wall,
        "tickets_per_cpu_s": outcome.tickets / cpu,
        "mean_wait_s": None if math.isnan(outcome.mean_wait_s) else outcome.mean_wait_s,
        "peak_rss_mb": peak_kb / 1024,
        "rss_before_mb": rss_before_kb / 1024,
        "peak_reset": peak_reset,
    }


def spawn(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`child` in a fresh ``python run.py --child`` process and read its JSON line."""
    proc = subprocess.run(
        [sys.executable, str(RUN), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=cases.ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({spec}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
