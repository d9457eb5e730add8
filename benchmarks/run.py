"""supportsim benchmark suite: ``python benchmarks/run.py`` (or ``make bench``).

Every measurement runs in a fresh Python subprocess (``--child``): set-up, one untimed
warm-up run of the same engine at a small size, then one timed run (wall clock with
``time.perf_counter``, CPU with ``time.process_time``) and the process's peak resident
memory (``VmHWM`` from ``/proc/self/status``, reset after the warm-up through
``/proc/self/clear_refs`` where the kernel allows it). Children run one at a time.

Repeat ``i`` of a case runs every engine of the case once, with seed ``seed + i``, in an
order rotated by ``i``; ratios against peers are computed per repeat (the engines of one
repeat ran seconds apart, under about the same machine load) and their median reported.
All other figures are medians over the repeats.

``--profile mmc|helpdesk`` instead profiles supportsim in this process: phase times,
SimPy events per ticket by kind, cProfile (and pyinstrument, if installed) top entries
and micro-costs of the SimPy kernel. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402

TARGET_TICKETS = 10_000_000


# --- child: one measurement -------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child(spec: dict[str, Any]) -> dict[str, Any]:
    import gc

    case, engine, size, seed = spec["case"], spec["engine"], spec["size"], spec["seed"]
    if spec.get("warmup", True):
        warm = cases.prepare(case, engine, cases.warmup_size(case) or size, seed + 10_000)
        warm()
        if hasattr(warm, "finish"):
            warm.finish()
        del warm
    gc.collect()
    run = cases.prepare(case, engine, size, seed)
    gc.collect()
    peak_reset = _reset_peak()
    rss_before_kb = _status_kb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    outcome = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_kb = _status_kb("VmHWM")
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
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=cases.ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({spec}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- parent: cases, repeats, statistics -------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def _mean_ci(values: list[float]) -> tuple[float, float | None]:
    """Mean and 95% Student-t half-width (None for fewer than two values)."""
    if len(values) < 2:
        return (values[0] if values else math.nan), None
    from scipy import stats

    n = len(values)
    half = float(stats.t.ppf(0.975, n - 1) * statistics.stdev(values) / math.sqrt(n))
    return statistics.fmean(values), half


def load() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def measure_case(
    case: cases.Case, size: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
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
            r = spawn(spec)
            runs[engine].append(r)
            print(
                f"  [{case.key} {cases.size_label(case, size)} repeat {i + 1}/{args.repeats}] "
                f"{engine:<19} {r['wall_s']:8.3f} s  {r['tickets_per_s']:>10,.0f} tickets/s  "
                f"{r['peak_rss_mb']:7.0f} MB  (load {load()})",
                file=sys.stderr,
                flush=True,
            )
    summary: dict[str, Any] = {}
    for engine, rs in runs.items():
        waits = [r["mean_wait_s"] for r in rs if r["mean_wait_s"] is not None]
        mean_wait, half = _mean_ci(waits)
        summary[engine] = {
            "tickets": int(_median([r["tickets"] for r in rs])),
            "measured": int(_median([r["measured"] for r in rs])),
            "wall_s": _median([r["wall_s"] for r in rs]),
            "cpu_s": _median([r["cpu_s"] for r in rs]),
            "tickets_per_s": _median([r["tickets_per_s"] for r in rs]),
            "tickets_per_cpu_s": _median([r["tickets_per_cpu_s"] for r in rs]),
            "peak_rss_mb": _median([r["peak_rss_mb"] for r in rs]),
            "rss_before_mb": _median([r["rss_before_mb"] for r in rs]),
            "mean_wait_s": mean_wait if waits else None,
            "mean_wait_ci95_s": half,
            "repeats": rs,
        }
    ratios: dict[str, Any] = {}
    subjects = [e for e in case.engines if e.startswith("supportsim")]
    for subject in subjects if case.peers else []:
        for peer in case.peers:
            paired = [
                a["tickets_per_s"] / b["tickets_per_s"]
                for a, b in zip(runs[subject], runs[peer], strict=True)
            ]
            paired_cpu = [
                a["tickets_per_cpu_s"] / b["tickets_per_cpu_s"]
                for a, b in zip(runs[subject], runs[peer], strict=True)
            ]
            ratios[f"{subject}/{peer}"] = {
                "median": _median(paired),
                "min": min(paired),
                "max": max(paired),
                "per_repeat": paired,
                "cpu_median": _median(paired_cpu),
            }
    return {
        "size": size,
        "label": cases.size_label(case, size),
        "engines": summary,
        "ratios": ratios,
    }


def extrapolate(points: list[tuple[float, float]], x: float) -> dict[str, float] | None:
    """Least-squares line through ``points``, evaluated at ``x``."""
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


def run_suite(args: argparse.Namespace) -> dict[str, Any]:
    import ciw
    import numpy
    import simpy

    import supportsim

    meta = {
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
        "engine_sha256": _engine_hash(),
        "src_changes": _src_changes(),
        "repeats": args.repeats,
        "seed": args.seed,
        "quick": args.quick,
        "load_before": load(),
        "note": "wall-clock figures; other jobs may share the machine (see load_before/load_after)",
    }
    out: dict[str, Any] = {"meta": meta, "cases": {}}
    for key in args.cases:
        case = cases.CASES[key]
        sizes = dict(case.quick_sizes if args.quick else case.sizes)
        if key == "mmc" and args.days:
            sizes["days"] = args.days
        if key == "memory" and args.tickets:
            sizes["tickets"] = args.tickets
        size_list = [{"tickets": n} for n in sizes["tickets"]] if key == "memory" else [sizes]
        print(f"case {case.number} ({key}): {case.title}", file=sys.stderr, flush=True)
        results = [measure_case(case, s, args) for s in size_list]
        entry: dict[str, Any] = {
            "number": case.number,
            "title": case.title,
            "target": case.target,
            "results": results,
        }
        if key == "mmc":
            from supportsim.planning.analytic import erlang_c_asa_seconds

            load_erl = cases.MMC["per_hour"] * cases.MMC["handle_minutes"] / 60
            entry["erlang_c_asa_s"] = erlang_c_asa_seconds(
                int(cases.MMC["servers"]), load_erl, cases.MMC["handle_minutes"] * 60
            )
        if key == "memory":
            pts_mem = [
                (r["engines"]["supportsim"]["tickets"], r["engines"]["supportsim"]["peak_rss_mb"])
                for r in results
            ]
            pts_wall = [
                (r["engines"]["supportsim"]["tickets"], r["engines"]["supportsim"]["wall_s"])
                for r in results
            ]
            measured_at_target = [p for p in pts_mem if p[0] >= 0.99 * args.extrapolate_to]
            entry["extrapolation"] = {
                "to_tickets": args.extrapolate_to,
                "peak_rss_mb": extrapolate(pts_mem, args.extrapolate_to),
                "wall_s": extrapolate(pts_wall, args.extrapolate_to),
                "measured_at_target": bool(measured_at_target),
            }
        entry["verdict"] = verdict(key, entry)
        out["cases"][key] = entry
    meta["load_after"] = load()
    meta["engine_sha256_after"] = _engine_hash()
    return out


def verdict(key: str, entry: dict[str, Any]) -> dict[str, Any]:
    r = entry["results"][-1]
    s = r["engines"]["supportsim"]
    if key == "mmc":
        vs_ciw = r["ratios"]["supportsim/ciw"]["median"]
        vs_simpy = r["ratios"]["supportsim/simpy"]["median"]
        return {"vs_ciw": vs_ciw, "vs_simpy": vs_simpy, "met": vs_ciw >= 2.0 and vs_simpy >= 1.0}
    if key == "helpdesk":
        return {"tickets_per_s": s["tickets_per_s"], "met": s["tickets_per_s"] >= 60_000}
    if key == "day":
        return {"wall_s": s["wall_s"], "met": s["wall_s"] < 0.25}
    ex = entry["extrapolation"]
    at_target = ex["measured_at_target"]
    value = s["peak_rss_mb"] if at_target else (ex["peak_rss_mb"] or {}).get("value", math.nan)
    return {"peak_rss_mb_at_target": value, "extrapolated": not at_target, "met": value < 500}


def _git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=cases.ROOT
        ).stdout.strip()
    except OSError:
        return "?"


def _engine_hash() -> str:
    """sha256 (12 hex digits) of the engine.py that ``import supportsim`` loads."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("supportsim.engine.replication")
    if spec is None or spec.origin is None:
        return "?"
    return hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()[:12]


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


# --- report ---------------------------------------------------------------------------


def _fmt_wait(e: dict[str, Any]) -> str:
    if e["mean_wait_s"] is None:
        return ""
    half = e["mean_wait_ci95_s"]
    return f"{e['mean_wait_s']:6.1f}" + (f" ± {half:4.1f}" if half is not None else "       ")


def report(out: dict[str, Any]) -> None:
    m = out["meta"]
    print(
        f"supportsim benchmarks  {m['date']}  git {m['git']}  {m['cpus']} CPUs  "
        f"Python {m['python']}  "
        f"repeats {m['repeats']}{'  (--quick)' if m['quick'] else ''}"
    )
    print(f"supportsim imported from {m['supportsim_path']}")
    if m["src_changes"] and m["supportsim_path"].startswith(str(cases.ROOT)):
        print(f"uncommitted changes under src/: {', '.join(m['src_changes'])}")
    changed = m["engine_sha256_after"] != m["engine_sha256"]
    print(
        f"engine.py sha256 {m['engine_sha256']}"
        + (f" -> {m['engine_sha256_after']}: CHANGED DURING THE RUN" if changed else "")
    )
    print(
        f"load average before {m['load_before']}, after {m['load_after']}: "
        "figures are medians of wall-clock "
        "runs and move with machine load; ratios are paired per repeat."
    )
    for key, entry in out["cases"].items():
        print()
        print(f"Case {entry['number']}: {entry['title']}")
        print(f"  target: {entry['target']}")
        print(
            f"  {'engine':<19} {'size':<34} {'tickets':>11} {'wall s':>8} {'cpu s':>8} "
            f"{'tickets/s':>10} "
            f"{'peak MB':>8} {'base MB':>8}  {'mean wait s (95% CI)':<20}"
        )
        for r in entry["results"]:
            for engine, e in r["engines"].items():
                print(
                    f"  {engine:<19} {r['label']:<34} {e['tickets']:>11,} {e['wall_s']:>8.3f} "
                    f"{e['cpu_s']:>8.3f} "
                    f"{e['tickets_per_s']:>10,.0f} {e['peak_rss_mb']:>8.0f} "
                    f"{e['rss_before_mb']:>8.0f}  "
                    f"{_fmt_wait(e)}"
                )
            for name, ratio in r["ratios"].items():
                print(
                    f"  ratio {name:<28} tickets/s  median {ratio['median']:.2f}x "
                    f"(range {ratio['min']:.2f}-{ratio['max']:.2f} "
                    f"over {len(ratio['per_repeat'])} repeats; "
                    f"on CPU time {ratio['cpu_median']:.2f}x)"
                )
        if key == "mmc":
            print(f"  Erlang C mean wait (all arrivals answered): {entry['erlang_c_asa_s']:.1f} s")
            for engine, e in entry["results"][-1]["engines"].items():
                if e["mean_wait_s"] is not None and e["mean_wait_ci95_s"]:
                    z = (e["mean_wait_s"] - entry["erlang_c_asa_s"]) / (
                        e["mean_wait_ci95_s"] / 1.96
                    )
                    print(
                        f"    {engine:<19} {e['mean_wait_s']:6.1f} s, "
                        f"{z:+.1f} standard errors from Erlang C "
                        "(over the repeats' means)"
                    )
        if key == "memory":
            ex = entry["extrapolation"]
            if ex["measured_at_target"]:
                print(f"  {ex['to_tickets']:,} tickets measured directly (last row).")
            elif ex["peak_rss_mb"]:
                pm, pw = ex["peak_rss_mb"], ex["wall_s"]
                print(
                    "  EXTRAPOLATED (straight line through the sizes above) to "
                    f"{ex['to_tickets']:,} tickets: "
                    f"peak RSS ≈ {pm['value']:,.0f} MB "
                    f"({pm['slope'] * 1024 * 1024:,.0f} bytes/ticket "
                    f"+ {pm['intercept']:,.0f} MB), wall ≈ {pw['value']:,.0f} s"
                )
        v = entry["verdict"]
        print(
            "  verdict: "
            + ("met" if v["met"] else "NOT met")
            + "  "
            + ", ".join(f"{k}={_short(x)}" for k, x in v.items() if k != "met")
        )


def _short(x: Any) -> str:
    return f"{x:,.3g}" if isinstance(x, float) else str(x)


# --- profiling --------------------------------------------------------------------------


class _Timers:
    """Accumulates wall time of wrapped functions (``patch``), restoring them on ``undo``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.rss_after: dict[str, float] = {}  # MB, after the last call
        self._undo: list[tuple[Any, str, Any]] = []
        self.in_run = False

    def patch(self, owner: Any, name: str, label: str | None = None) -> None:
        original = getattr(owner, name)
        label = label or name
        timers = self

        def wrapper(*a: Any, **k: Any) -> Any:
            key = f"{label} (inside env.run)" if timers.in_run and label != "env.run" else label
            t0 = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                timers.seconds[key] = timers.seconds.get(key, 0.0) + time.perf_counter() - t0
                timers.calls[key] = timers.calls.get(key, 0) + 1
                timers.rss_after[key] = _status_kb("VmRSS") / 1024

        self._undo.append((owner, name, original))
        setattr(owner, name, wrapper)

    def undo(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


def _profile_scenario(args: argparse.Namespace) -> tuple[Any, bool, str]:
    if args.profile == "mmc":
        kw = {k: cases.MMC[k] for k in ("per_hour", "handle_minutes", "servers")}
        scenario = cases.mmc_scenario(
            **kw, days=args.profile_days, warmup_hours=cases.MMC["warmup_hours"]
        )
        return (
            scenario,
            False,
            f"case 1 M/M/12, {args.profile_days} days + 24 h warm-up, keep_tickets=False",
        )
    if args.profile == "helpdesk":
        return cases.helpdesk_scenario(), True, "case 2 helpdesk baseline week, keep_tickets=True"
    if args.profile == "memory":
        days = cases.big_days(args.profile_tickets)
        scenario = cases.mmc_scenario(
            per_hour=cases.BIG["per_hour"],
            handle_minutes=cases.BIG["handle_minutes"],
            servers=int(cases.BIG["servers"]),
            days=days,
            warmup_hours=cases.BIG["warmup_hours"],
        )
        return scenario, False, f"case 4 M/M/126, {days} days, keep_tickets=False"
    return cases.day_scenario(), True, "case 3 helpdesk Monday x2.2, keep_tickets=True"


def _warm_scenario(args: argparse.Namespace, scenario: Any) -> Any:
    """A one-day version of the M/M/c profiles (a warm-up that allocates little)."""
    if args.profile not in ("mmc", "memory"):
        return scenario
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data["horizon"]["days"] = 1
    from supportsim.scenario.io import scenario_from_dict

    return scenario_from_dict(data)


def run_profile(args: argparse.Namespace) -> None:
    import cProfile
    import gc
    import pstats

    import simpy

    import supportsim
    from supportsim.engine import replication as engine
    from supportsim.results import simulation

    scenario, keep, label = _profile_scenario(args)
    seed = args.seed
    outdir = Path(args.profile_out) if args.profile_out else None
    if outdir:
        outdir.mkdir(parents=True, exist_ok=True)

    def once() -> float:
        t0 = time.perf_counter()
        supportsim.simulate(scenario, seed=seed, keep_tickets=keep)
        return time.perf_counter() - t0

    print(f"profile of {label}, seed {seed}  (load average {load()})")
    supportsim.simulate(_warm_scenario(args, scenario), seed=seed + 1, keep_tickets=keep)  # warm

    # 1. phases, first, in a process that has run only a small warm-up ---------------
    timers = _Timers()
    original_env_run = simpy.Environment.run

    def env_run(env: Any, until: Any = None) -> Any:
        timers.in_run = True
        try:
            return original_env_run(env, until)
        finally:
            timers.in_run = False

    simpy.Environment.run = env_run
    timers.patch(simpy.Environment, "run", "env.run")
    for name in ("arrival_times", "draw_tickets", "staffing_steps", "_integrate_per_interval"):
        timers.patch(engine, name)
    timers.patch(engine._Simulation, "__init__", "_Simulation.__init__")
    timers.patch(engine._Simulation, "_ticket_columns", "_ticket_columns")
    timers.patch(simulation, "run_replication", "run_replication (engine, all of it)")
    for name in (
        "replication_metrics",
        "interval_frame",
        "ticket_frame",
        "collect",
        "_stability_warnings",
    ):
        timers.patch(simulation, name)
    gc_log: list[tuple[int, float]] = []  # (generation, seconds) per collection
    gc_state: dict[str, float] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_state["t0"] = time.perf_counter()
        else:
            gc_log.append((info["generation"], time.perf_counter() - gc_state["t0"]))

    gc.callbacks.append(on_gc)
    gc.collect()
    rss0 = _status_kb("VmRSS") / 1024
    reset = _reset_peak()
    try:
        total = once()
        peak = _status_kb("VmHWM") / 1024
    finally:
        gc.callbacks.remove(on_gc)
        timers.undo()
        simpy.Environment.run = original_env_run

    # 2. the capture: tickets, the _Simulation object, events by kind -------------------

    captured: dict[str, Any] = {}
    original_run = engine._Simulation.run

    def capture_run(self: Any) -> Any:
        captured["sim"] = self
        return original_run(self)

    kinds: dict[str, int] = {}
    heap = {"max": 0}
    original_step = simpy.Environment.step

    def counting_step(env: Any) -> None:
        queue = env._queue
        if len(queue) > heap["max"]:
            heap["max"] = len(queue)
        event = queue[0][3]
        names = []
        for cb in event.callbacks or ():
            owner = getattr(cb, "__self__", None)
            generator = getattr(owner, "_generator", None)
            names.append(
                f"process {generator.__name__}"
                if generator is not None
                else getattr(cb, "__name__", "?")
            )
        key = f"{type(event).__name__} -> {', '.join(names) or '(no callback)'}"
        kinds[key] = kinds.get(key, 0) + 1
        original_step(env)

    stale = {n: [0, 0] for n in ("_patience_out", "_overflow") if hasattr(engine._Simulation, n)}
    originals = {n: getattr(engine._Simulation, n) for n in stale}

    def checking(name: str) -> Any:
        def handler(self: Any, event: Any) -> None:
            try:
                ticket, visit = event._value[0], event._value[1]
                live = ticket.state == engine.WAITING and ticket.visit == visit
                stale[name][0 if live else 1] += 1
            except Exception:  # the engine changed its internals: count nothing
                pass
            originals[name](self, event)

        return handler

    engine._Simulation.run = capture_run
    simpy.Environment.step = counting_step
    for n in stale:
        setattr(engine._Simulation, n, checking(n))
    try:
        supportsim.simulate(scenario, seed=seed, keep_tickets=keep)
    finally:
        engine._Simulation.run = original_run
        simpy.Environment.step = original_step
        for n, f in originals.items():
            setattr(engine._Simulation, n, f)
    sim = captured["sim"]
    tickets = len(sim.tickets)
    events = sum(kinds.values())
    print(
        f"\ntickets in the simulation: {tickets:,} (warm-up and follow-ups included); "
        "SimPy events processed: "
        f"{events:,} = {events / tickets:.2f} per ticket; events left in the heap at the end: "
        f"{len(sim.env._queue):,}; largest heap: {heap['max']:,}"
    )
    for key, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {n:>10,}  {n / tickets:6.3f}/ticket  {key}")
    for name, (live, dead) in stale.items():
        if live + dead:
            print(
                f"  {name}: {live + dead:,} fired, {dead:,} ({dead / (live + dead):.0%}) "
                "found the ticket no "
                "longer waiting (no-op)"
            )

    # 3. per-ticket memory ----------------------------------------------------------------
    sample = sim.tickets[:: max(1, tickets // 2000)]
    slot_bytes = 0
    for t in sample:
        slot_bytes += sys.getsizeof(t)
        for name in engine.Ticket.__slots__:
            value = getattr(t, name, None)
            if isinstance(value, float):
                slot_bytes += sys.getsizeof(value)
            elif isinstance(value, list):
                slot_bytes += sys.getsizeof(value) + sum(sys.getsizeof(v) for v in value)
    draw_bytes = sum(a.nbytes for d in sim.draws for a in vars(d).values())
    print(
        f"\nmemory per ticket kept alive by the engine: Ticket object with its floats and lists "
        f"≈ {slot_bytes / len(sample):.0f} B (sys.getsizeof, sampled), + 8 B in the tickets list, "
        f"+ pre-drawn attributes {draw_bytes / tickets:.0f} B (numpy)"
    )
    captured.clear()
    del sim

    print(
        f"\nphases of one simulate() call: {total:.3f} s wall ({tickets / total:,.0f} tickets/s), "
        f"{total / tickets * 1e6:.1f} µs per ticket"
    )
    print(
        f"  RSS before the call {rss0:.0f} MB, peak during it {peak:.0f} MB"
        + ("" if reset else " (peak not reset: includes earlier calls)")
        + f": {(peak - rss0) * 1024 * 1024 / tickets:,.0f} B per ticket at the peak"
    )
    for key, sec in sorted(timers.seconds.items(), key=lambda kv: -kv[1]):
        print(
            f"  {sec:8.3f} s  {sec / total:6.1%}  {timers.calls[key]:>8,} calls  "
            f"RSS after {timers.rss_after[key]:7.0f} MB"
            f"  {key}"
        )
    run_s = timers.seconds.get("env.run", math.nan)
    print(
        f"  env.run per ticket {run_s / tickets * 1e6:.1f} µs, "
        f"per event {run_s / events * 1e6:.2f} µs "
        f"(event handlers included)"
    )
    gc_total = sum(d for _, d in gc_log)
    per_gen = ", ".join(
        f"gen{g}: {sum(1 for x, _ in gc_log if x == g)} x, "
        f"{sum(d for x, d in gc_log if x == g):.3f} s"
        for g in (0, 1, 2)
    )
    print(
        f"  garbage collector: {gc_total:.3f} s ({gc_total / total:.1%} of the call) "
        f"in {len(gc_log)} "
        f"collections ({per_gen}); a full (gen2) collection walks every live Ticket"
    )

    # 4. ablations, alternating: upper bounds of what removing a cost can gain ----------------
    from supportsim.engine import levels

    def no_gc() -> Any:
        gc.disable()
        return gc.enable

    def no_levels() -> Any:
        add, set_ = levels.Level.add, levels.Level.set
        levels.Level.add = lambda self, now, delta: None  # type: ignore[method-assign]
        levels.Level.set = lambda self, now, value: None  # type: ignore[method-assign]

        def undo() -> None:
            levels.Level.add, levels.Level.set = add, set_  # type: ignore[method-assign]

        return undo

    def both() -> Any:
        undo_gc, undo_levels = no_gc(), no_levels()
        return lambda: (undo_levels(), undo_gc())

    variants: dict[str, Any] = {
        "as is": None,
        "gc disabled during the call": no_gc,
        "Level.add/set made no-ops": no_levels,
        "both": both,
    }
    samples: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.ablation_repeats):
        for name, setup in variants.items():
            gc.collect()
            undo = setup() if setup else None
            try:
                samples[name].append(once())
            finally:
                if undo:
                    undo()
    base = _median(samples["as is"])
    print(
        f"\nablations (median of {args.ablation_repeats}, alternating, "
        "gc.collect() before each call; "
        "metrics are wrong in the ablated runs, only their time counts):"
    )
    for name, xs in samples.items():
        m = _median(xs)
        print(
            f"  {m:7.3f} s  {tickets / m:>9,.0f} tickets/s  {1 - m / base:6.1%} less time  "
            f"{(base - m) / tickets * 1e6:5.2f} µs/ticket saved  {name}"
        )

    # 4b. repeated calls in one process (a trainer's slider, a planner's search) ------------
    if args.profile in ("helpdesk", "day", "mmc"):
        gc.collect()
        n_calls = 12
        walls, gcs, gen2s = [], [], []
        gc_log.clear()
        gc.callbacks.append(on_gc)
        try:
            for _ in range(n_calls):
                before = len(gc_log)
                walls.append(once())
                mine = gc_log[before:]
                gcs.append(sum(d for _, d in mine))
                gen2s.append(sum(1 for g, _ in mine if g == 2))
        finally:
            gc.callbacks.remove(on_gc)
        alive = sum(1 for o in gc.get_objects() if type(o).__name__ == "Ticket")
        print(
            f"\n{n_calls} calls in a row in one process, no explicit gc.collect(): wall median "
            f"{_median(walls):.3f} s, max {max(walls):.3f} s; gc per call median "
            f"{_median(gcs) * 1e3:.1f} ms, max {max(gcs) * 1e3:.1f} ms; full collections "
            f"{sum(gen2s)} (in calls {[i + 1 for i, n in enumerate(gen2s) if n]}); "
            f"Ticket objects still in memory after the last call returned: {alive:,}"
        )
        print("  per call: " + ", ".join(f"{w:.3f}" for w in walls))

    # 5. cProfile ----------------------------------------------------------------------------
    prof = cProfile.Profile()
    prof.enable()
    supportsim.simulate(scenario, seed=seed, keep_tickets=keep)
    prof.disable()
    if outdir:
        prof.dump_stats(str(outdir / f"{args.profile}.prof"))
    st = pstats.Stats(prof)
    total_tt = st.total_tt  # type: ignore[attr-defined]
    rows = st.stats  # type: ignore[attr-defined]
    print(
        f"\ncProfile ({total_tt:.2f} s under the profiler; shares are of that total): "
        "top 30 by own time"
    )
    print(f"  {'own s':>7} {'own %':>6} {'cum %':>6} {'calls':>10} {'calls/ticket':>12}  function")
    for (file, line, func), (_cc, nc, tt, ct, _callers) in sorted(
        rows.items(), key=lambda kv: -kv[1][2]
    )[:30]:
        where = f"{Path(file).name}:{line}" if file != "~" else "builtin"
        print(
            f"  {tt:7.3f} {tt / total_tt:6.1%} {ct / total_tt:6.1%} {nc:>10,} "
            f"{nc / tickets:12.2f}  "
            f"{func} ({where})"
        )
    print("  cumulative, supportsim functions with >= 2% of the total:")
    for (file, line, func), (_cc, nc, _tt, ct, _callers) in sorted(
        rows.items(), key=lambda kv: -kv[1][3]
    ):
        if "supportsim" in file and ct / total_tt >= 0.02:
            print(f"  {ct:7.3f} {ct / total_tt:6.1%} {nc:>10,}  {func} ({Path(file).name}:{line})")

    # 6. pyinstrument ------------------------------------------------------------------------
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("\n(pyinstrument not installed: skipped)")
    else:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        supportsim.simulate(scenario, seed=seed, keep_tickets=keep)
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        if outdir:
            (outdir / f"{args.profile}.pyinstrument.txt").write_text(text)
            (outdir / f"{args.profile}.pyinstrument.html").write_text(profiler.output_html())
        print("\npyinstrument (first 60 lines):")
        print("\n".join(text.splitlines()[:60]))

    # 7. micro-costs --------------------------------------------------------------------------
    print("\nmicro-costs (median of 5, this machine, now):")
    for name, per in _micro_costs(scenario, seed).items():
        print(f"  {per * 1e6:7.3f} µs  {name}")


def _micro_costs(scenario: Any, seed: int) -> dict[str, float]:
    import gc
    import heapq
    import random

    import numpy as np
    import simpy
    from simpy.events import Timeout

    from supportsim.engine import replication as engine
    from supportsim.engine.levels import Level
    from supportsim.engine.streams import replication_seeds

    n = 200_000
    rng = random.Random(1)
    delays = [rng.expovariate(1.0) for _ in range(n)]

    def timeout_chains(chains: int) -> Any:
        def run() -> None:
            env = simpy.Environment()
            left = iter(delays)

            def cb(event: Any) -> None:
                d = next(left, None)
                if d is not None:
                    Timeout(env, d, None).callbacks.append(cb)

            for _ in range(chains):
                cb(None)
            env.run()

        return run

    def heap_only() -> None:
        queue: list[Any] = [(0.0, 1, -k, None) for k in range(12)]
        for i, d in enumerate(delays):
            now = heapq.heappop(queue)[0]
            heapq.heappush(queue, (now + d, 1, i, None))

    def process_yields() -> None:
        env = simpy.Environment()

        def proc(env: Any) -> Any:
            for d in delays:
                yield env.timeout(d)

        env.process(proc(env))
        env.run()

    try:  # engine internals: skipped if the engine no longer has them
        sim = engine._Simulation(scenario, replication_seeds(seed, 1)[0])
        channel = sim.channels[0]
        draws = engine.draw_tickets(scenario, channel, n, sim.streams)
        interval_s, end_s = sim.interval_s, sim.end_s
    except Exception:
        sim = None
        interval_s, end_s = 3600.0, scenario.horizon.intervals * 3600.0

    def new_tickets() -> None:
        sim.tickets = []
        for i in range(n):
            sim._new_ticket(0, draws, i, 0.0)

    level = Level(scenario.horizon.intervals, interval_s)
    times = sorted(rng.uniform(0, end_s) for _ in range(n))

    def level_adds() -> None:
        for t in times:
            level.add(t, 1.0)

    def follow_up_draw() -> None:
        for _ in range(2000):
            engine.draw_tickets(
                scenario,
                channel,
                1,
                sim.streams,
                source_prefix="follow_up",
                categories=np.array([0]),
            )

    def per(fn: Any, count: int) -> float:
        """Seconds per operation, median of 5, with the garbage collector off (its cost is
        reported separately); NaN if the engine's internals changed."""
        samples = []
        for _ in range(5):
            gc.collect()
            gc.disable()
            try:
                t0 = time.perf_counter()
                fn()
                samples.append((time.perf_counter() - t0) / count)
            except Exception:
                return math.nan
            finally:
                gc.enable()
        return _median(samples)

    costs = {
        "SimPy Timeout(env, d, v) + callbacks.append + heap + step, 1 pending event": per(
            timeout_chains(1), n
        ),
        "the same with 12 events pending (the M/M/12 heap)": per(timeout_chains(12), n),
        "  of which heappush + heappop of the same tuples (12 pending)": per(heap_only, n),
        "SimPy process step: `yield env.timeout(d)` in a generator, 1 pending": per(
            process_yields, n
        ),
        "_Simulation._new_ticket (Ticket() + 11 numpy scalar reads), per ticket": per(
            new_tickets, n
        ),
        "Level.add (time-weighted accumulator), per call": per(level_adds, n),
        "draw_tickets(n=1) for one follow-up, per call": per(follow_up_draw, 2000),
    }
    if sim is not None:
        sim.tickets = []
    return costs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument(
        "--quick", action="store_true", help="small sizes, 1 repeat: a smoke run of every case"
    )
    p.add_argument(
        "--repeats", type=int, default=None, help="runs per engine and size (default 5, --quick 1)"
    )
    p.add_argument(
        "--cases",
        default="mmc,helpdesk,day,memory",
        help="comma-separated subset of: mmc (1), helpdesk (2), day (3), memory (4); "
        "numbers work too",
    )
    p.add_argument(
        "--days", type=int, default=None, help="case 1: measured days (default 100, --quick 3)"
    )
    p.add_argument(
        "--tickets",
        default=None,
        help="case 4: comma-separated sizes in tickets (default 200000,1000000; "
        "--quick 25200,50400), rounded to whole days of 25,200",
    )
    p.add_argument(
        "--extrapolate-to", type=int, default=TARGET_TICKETS, help="case 4: size to extrapolate to"
    )
    p.add_argument("--seed", type=int, default=1, help="repeat i uses seed + i")
    p.add_argument(
        "--no-warmup", action="store_true", help="skip the untimed warm-up run in each child"
    )
    p.add_argument(
        "--json", metavar="FILE", help="also write every figure (and every repeat) to FILE"
    )
    p.add_argument(
        "--profile",
        choices=["mmc", "helpdesk", "day", "memory"],
        help="profile supportsim on a case instead",
    )
    p.add_argument(
        "--profile-days", type=int, default=30, help="--profile mmc: measured days (default 30)"
    )
    p.add_argument(
        "--profile-tickets",
        type=int,
        default=200_000,
        help="--profile memory: tickets (default 200,000)",
    )
    p.add_argument(
        "--ablation-repeats", type=int, default=5, help="--profile: repeats of each ablation"
    )
    p.add_argument(
        "--profile-out", metavar="DIR", help="--profile: write .prof / pyinstrument files here"
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    if args.profile:
        run_profile(args)
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
    out = run_suite(args)
    report(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
