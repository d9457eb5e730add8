"""The suite: every case's engines, sizes and repeats, each a child process; medians and ratios.

Repeat ``i`` of a case runs every engine of the case once, with seed ``seed + i``, in an
order rotated by ``i``; ratios against peers are computed per repeat (the engines of one
repeat ran seconds apart, under about the same machine load) and their median reported.
All other figures are medians over the repeats. :func:`run_suite` returns plain data
(what ``--json`` writes); ``report.py`` prints it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import math
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cases
import measure


def median(values: list[float]) -> float:
    """The median (NaN for no values)."""
    return statistics.median(values) if values else math.nan


def mean_ci(values: list[float]) -> tuple[float, float | None]:
    """Mean and 95% Student-t half-width (None for fewer than two values)."""
    import numpy as np

    from supportsim import confidence_half_width

    if not values:
        return math.nan, None
    return statistics.fmean(values), confidence_half_width(np.array(values, dtype=float))


def load() -> str:
    """The load averages over 1, 5 and 15 minutes, as ``/proc/loadavg`` writes them."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# --- one case at one size -----------------------------------------------------------------


def _run_repeats(
    case: cases.Case, size: dict[str, Any], args: argparse.Namespace
) -> dict[str, list[dict[str, Any]]]:
    """Every engine once per repeat, in an order rotated by the repeat, each in a child."""
    runs: dict[str, list[dict[str, Any]]] = {e: [] for e in case.engines}
    engines = list(case.engines)
    for i in range(args.repeats):
        order = engines[i % len(engines) :] + engines[: i % len(engines)]
        for engine in order:
            spec = {
                "case": case.key,
                "engine": engine,
                "size": size,
                "seed": args.seed + i,
                "warmup": not args.no_warmup,
            }
            r = measure.spawn(spec)
            runs[engine].append(r)
            print(
                f"  [{case.key} {cases.size_label(case, size)} repeat {i + 1}/{args.repeats}] "
                f"{engine:<19} {r['wall_s']:8.3f} s  {r['tickets_per_s']:>10,.0f} tickets/s  "
                f"{r['peak_rss_mb']:7.0f} MB  (load {load()})",
                file=sys.stderr,
                flush=True,
            )
    return runs


def _engine_summary(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the repeats of one engine (the mean wait: mean and 95% half-width)."""
    waits = [r["mean_wait_s"] for r in rs if r["mean_wait_s"] is not None]
    mean_wait, half = mean_ci(waits)
    return {
        "tickets": int(median([r["tickets"] for r in rs])),
        "measured": int(median([r["measured"] for r in rs])),
        "wall_s": median([r["wall_s"] for r in rs]),
        "cpu_s": median([r["cpu_s"] for r in rs]),
        "tickets_per_s": median([r["tickets_per_s"] for r in rs]),
        "tickets_per_cpu_s": median([r["tickets_per_cpu_s"] for r in rs]),
        "peak_rss_mb": median([r["peak_rss_mb"] for r in rs]),
        "rss_before_mb": median([r["rss_before_mb"] for r in rs]),
        "mean_wait_s": mean_wait if waits else None,
        "mean_wait_ci95_s": half,
        "repeats": rs,
    }


def _ratios(case: cases.Case, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Throughput of each supportsim variant over each peer, paired per repeat."""
    ratios: dict[str, Any] = {}
    subjects = [e for e in case.engines if e.startswith("supportsim")]
    for subject in subjects if case.peers else []:
        for peer in case.peers:
            pairs = list(zip(runs[subject], runs[peer], strict=True))
            paired = [a["tickets_per_s"] / b["tickets_per_s"] for a, b in pairs]
            paired_cpu = [a["tickets_per_cpu_s"] / b["tickets_per_cpu_s"] for a, b in pairs]
            ratios[f"{subject}/{peer}"] = {
                "median": median(paired),
                "min": min(paired),
                "max": max(paired),
                "per_repeat": paired,
                "cpu_median": median(paired_cpu),
            }
    return ratios


def measure_case(case: cases.Case, size: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Every engine of ``case`` at ``size``, ``args.repeats`` times: medians and paired ratios."""
    runs = _run_repeats(case, size, args)
    entry = {
        "size": size,
        "label": cases.size_label(case, size),
        "engines": {engine: _engine_summary(rs) for engine, rs in runs.items()},
        "ratios": _ratios(case, runs),
    }
    if "supportsim" in runs and "supportsim_tickets" in runs:
        entry["table_share"] = _table_share(runs["supportsim"], runs["supportsim_tickets"])
    return entry


def _table_share(off: list[dict[str, Any]], on: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of the default call's time that the ticket table costs: ``1 - t_off / t_on``,
    paired per repeat (same scenario and seed, run back to back), on wall and CPU time.
    """
    shares = [1.0 - a["wall_s"] / b["wall_s"] for a, b in zip(off, on, strict=True)]
    cpu = [1.0 - a["cpu_s"] / b["cpu_s"] for a, b in zip(off, on, strict=True)]
    return {"median": median(shares), "min": min(shares), "max": max(shares), "cpu_median": median(cpu)}


# --- the suite ------------------------------------------------------------------------------


def extrapolate(points: list[tuple[float, float]], x: float) -> dict[str, float] | None:
    """Least-squares line through ``points``, evaluated at ``x`` (None for a single x)."""
    if len(points) < 2:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((a - mx) ** 2 for a in xs)
    if sxx == 0:
        return None
    slope = sum((a - mx) * (b - my) for a, b in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    return {"intercept": intercept, "slope": slope, "at": x, "value": intercept + slope * x}


def erlang_c_asa_s() -> float:
    """Erlang C mean wait (seconds, over all arrivals) of case 1's M/M/12."""
    from supportsim import erlang_c

    servers, aht_s = int(cases.MMC["servers"]), cases.MMC["handle_minutes"] * 60.0
    load_erlangs = cases.MMC["per_hour"] * aht_s / 3600.0
    return erlang_c(servers, load_erlangs) * aht_s / (servers - load_erlangs)


def _sizes(key: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The sizes of one case: full, ``--quick``, or as ``--days`` / ``--tickets`` say."""
    case = cases.CASES[key]
    sizes = dict(case.quick_sizes if args.quick else case.sizes)
    if key == "mmc" and args.days:
        sizes["days"] = args.days
    if key == "memory" and args.tickets:
        sizes["tickets"] = args.tickets
    return [{"tickets": n} for n in sizes["tickets"]] if key == "memory" else [sizes]


def _memory_extrapolation(results: list[dict[str, Any]], to_tickets: int) -> dict[str, Any]:
    """Case 4: peak memory and wall time along a straight line to ``to_tickets``."""
    engines = [r["engines"]["supportsim"] for r in results]
    pts_mem = [(e["tickets"], e["peak_rss_mb"]) for e in engines]
    pts_wall = [(e["tickets"], e["wall_s"]) for e in engines]
    return {
        "to_tickets": to_tickets,
        "peak_rss_mb": extrapolate(pts_mem, to_tickets),
        "wall_s": extrapolate(pts_wall, to_tickets),
        "measured_at_target": any(p[0] >= 0.99 * to_tickets for p in pts_mem),
    }


def _case_entry(key: str, args: argparse.Namespace) -> dict[str, Any]:
    case = cases.CASES[key]
    print(f"case {case.number} ({key}): {case.title}", file=sys.stderr, flush=True)
    results = [measure_case(case, s, args) for s in _sizes(key, args)]
    entry: dict[str, Any] = {
        "number": case.number,
        "title": case.title,
        "target": case.target,
        "results": results,
    }
    if key == "mmc":
        entry["erlang_c_asa_s"] = erlang_c_asa_s()
    if key == "memory":
        entry["extrapolation"] = _memory_extrapolation(results, args.extrapolate_to)
    entry["verdict"] = verdict(key, entry)
    return entry


def verdict(key: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Whether the case met its target, at its largest size, and the figure that decides."""
    r = entry["results"][-1]
    s = r["engines"]["supportsim"]
    if key == "mmc":  # decided on the call as users make it: simulate() with the ticket table
        vs_ciw = r["ratios"]["supportsim_tickets/ciw"]["median"]
        vs_simpy = r["ratios"]["supportsim_tickets/simpy"]["median"]
        share = r["table_share"]["median"]
        met = vs_ciw >= 3.0 and vs_simpy >= 1.5 and share <= 0.15
        return {"vs_ciw": vs_ciw, "vs_simpy": vs_simpy, "table_share": share, "met": met}
    if key == "helpdesk":
        return {"tickets_per_s": s["tickets_per_s"], "met": s["tickets_per_s"] >= 150_000}
    if key == "day":
        return {"wall_s": s["wall_s"], "met": s["wall_s"] <= 0.05}
    ex = entry["extrapolation"]
    at_target = ex["measured_at_target"]
    value = s["peak_rss_mb"] if at_target else (ex["peak_rss_mb"] or {}).get("value", math.nan)
    return {"peak_rss_mb_at_target": value, "extrapolated": not at_target, "met": value <= 300}


def run_suite(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every case of ``args.cases``; returns the meta data and every figure."""
    meta = _meta(args)
    out: dict[str, Any] = {"meta": meta, "cases": {}}
    for key in args.cases:
        out["cases"][key] = _case_entry(key, args)
    meta["load_after"] = load()
    meta["engine_sha256_after"] = engine_hash()
    return out


# --- what was measured ----------------------------------------------------------------------


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    import ciw
    import numpy
    import simpy

    import supportsim

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "versions": {
            "supportsim": supportsim.__version__,
            "simpy": simpy.__version__,
            "ciw": ciw.__version__,
            "numpy": numpy.__version__,
        },
        "git": _git_head(),
        "supportsim_path": str(Path(supportsim.__file__).parent),
        "engine_sha256": engine_hash(),
        "engine_build": supportsim.engine.engine_build(),
        "src_changes": _src_changes(),
        "repeats": args.repeats,
        "seed": args.seed,
        "quick": args.quick,
        "load_before": load(),
        "note": "wall-clock figures; other jobs may share the machine (see load_before/load_after)",
    }


def _git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=cases.ROOT
        ).stdout.strip()
    except OSError:
        return "?"


def engine_hash() -> str:
    """sha256 (12 hex digits) of the ``supportsim.engine`` package's modules that Python loads."""
    spec = importlib.util.find_spec("supportsim.engine")
    if spec is None or not spec.submodule_search_locations:
        return "?"
    digest = hashlib.sha256()
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _src_changes() -> list[str]:
    """Uncommitted changes under src/ (the measured code may differ from the commit)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            cwd=cases.ROOT,
        ).stdout
    except OSError:
        return []
    return [line.strip() for line in out.splitlines()]
