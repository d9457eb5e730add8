"""Where the time goes: cProfile of one ``simulate`` call, grouped by what the code does.

Nothing here knows the engine's private names. Entries are grouped by the module that
holds them (``supportsim/engine/records.py`` is the ticket log, ``simpy/*`` the kernel, …);
time spent in numpy, pandas, scipy, the standard library and builtins is charged to the
supportsim or SimPy function that called it (split by the caller's share of the cumulative
time), so ``pandas`` under ``interval_frame`` counts as "tables". When the engine's modules
are renamed, the grouping degrades to coarser categories instead of failing.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path
from typing import Any

Func = tuple[str, int, str]  # (file, line, function name), cProfile's key
Row = tuple[int, int, float, float, dict[Func, tuple[int, int, float, float]]]

KERNEL = "SimPy kernel: event loop and heap"
HANDLERS = "engine: event handlers, routing, set-up"
CALLS = "engine: timed calls onto SimPy's queue"
ENTITIES = "engine: tickets and agents (entities)"
DRAWS = "engine: random draws (arrivals, ticket attributes)"
RECORDS = "engine: records (ticket log, counters, kept rows)"
LEVELS = "engine: time-weighted levels"
DUTY = "engine: agents on duty"
METRICS = "results: metrics"
TABLES = "results: tables (interval / ticket DataFrames)"
COLLECT = "results: replications, summary, warnings"
SCENARIO = "scenario: rates, profiles"
SUPPORTSIM = "supportsim: other"
OUTSIDE = "outside supportsim (no supportsim caller)"

ENGINE_MODULES = {
    "draws.py": DRAWS,
    "streams.py": DRAWS,
    "records.py": RECORDS,
    "levels.py": LEVELS,
    "duty.py": DUTY,
    "calls.py": CALLS,
    "entities.py": ENTITIES,
}
DRAW_WORDS = ("draw", "ppf", "arrival_times")


def own_category(file: str, func: str) -> str | None:
    """The category of a profiled function, or None where its callers decide."""
    path = file.replace("\\", "/")
    if "/simpy/" in path:
        return KERNEL
    if "/supportsim/" not in path or func.startswith("<"):
        return None  # libraries, builtins, comprehensions: charged to the caller
    package, _, module = path.rsplit("/supportsim/", 1)[1].partition("/")
    if package == "engine":
        if any(word in func for word in DRAW_WORDS):
            return DRAWS
        return ENGINE_MODULES.get(module, HANDLERS)
    if package == "results":
        if func.startswith("_") and not func.startswith("__"):
            return None  # a private helper counts for the public function that called it
        if "frame" in func:
            return TABLES
        return METRICS if module == "metrics.py" else COLLECT
    if package == "scenario":
        return SCENARIO
    return SUPPORTSIM


def categorize(rows: dict[Func, Row]) -> dict[str, dict[Func, float]]:
    """Own time (seconds) per category and, within it, per function that was charged."""
    memo: dict[Func, dict[str, float]] = {}

    def shares(func: Func, visiting: frozenset[Func]) -> dict[str, float]:
        """The categories ``func``'s own time is charged to, as fractions summing to 1."""
        if func in memo:
            return memo[func]
        category = own_category(func[0], func[2])
        if category is not None:
            return {category: 1.0}
        callers = {c: v[3] for c, v in rows[func][4].items() if c in rows and c not in visiting}
        weight = sum(callers.values())
        mixed: dict[str, float] = {}
        for caller, ct in callers.items():
            part = ct / weight if weight > 0 else 1.0 / len(callers)
            for cat, share in shares(caller, visiting | {func}).items():
                mixed[cat] = mixed.get(cat, 0.0) + part * share
        memo[func] = mixed or {OUTSIDE: 1.0}  # in a recursion cycle: without the callers in it
        return memo[func]

    out: dict[str, dict[Func, float]] = {}
    for func, row in rows.items():
        for cat, share in shares(func, frozenset()).items():
            per = out.setdefault(cat, {})
            per[func] = per.get(func, 0.0) + row[2] * share
    return out


def _label(func: Func) -> str:
    file, line, name = func
    return f"{name} ({Path(file).name}:{line})" if file != "~" else name


def _short_label(func: Func) -> str:
    file, _line, name = func
    return f"{name} ({Path(file).name})" if file != "~" else name


def print_categories(rows: dict[Func, Row], total: float) -> None:
    """The grouped table: own time per category, with its three largest contributors."""
    grouped = categorize(rows)
    print(
        "\nwhere the time goes (cProfile own time; library and builtin time charged to the "
        "supportsim or SimPy function that called it):"
    )
    for cat, funcs in sorted(grouped.items(), key=lambda kv: -sum(kv[1].values())):
        seconds = sum(funcs.values())
        top = sorted(funcs.items(), key=lambda kv: -kv[1])[:3]
        names = ", ".join(f"{_short_label(f)} {s / total:.0%}" for f, s in top)
        print(f"  {seconds:7.3f} s {seconds / total:6.1%}  {cat:<51} {names}")


def print_engine_calls(rows: dict[Func, Row], tickets: int) -> None:
    """SimPy events processed, and calls per ticket of the engine's functions."""
    steps = sum(r[1] for f, r in rows.items() if f[2] == "step" and f[0].replace("\\", "/").endswith("simpy/core.py"))
    if steps:
        print(f"\nSimPy events processed (calls of Environment.step): {steps:,} = {steps / tickets:.2f} per ticket")
    else:
        print("\nSimPy events processed: Environment.step not found in the profile")
    print("  engine functions called at least 0.1 times per ticket (event handlers run once per event):")
    engine = [
        (f, r) for f, r in rows.items() if "/supportsim/engine/" in f[0].replace("\\", "/") and r[1] >= 0.1 * tickets
    ]
    for func, row in sorted(engine, key=lambda kv: -kv[1][1])[:20]:
        print(f"  {row[1]:>10,}  {row[1] / tickets:6.2f}/ticket  {row[2] * 1e6 / row[1]:6.2f} µs own  {_label(func)}")


def print_top(rows: dict[Func, Row], total: float, tickets: int, n: int = 30) -> None:
    """The ``n`` entries with the most own time, then supportsim's with >= 2% cumulative."""
    print(f"\ncProfile top {n} by own time (shares are of the {total:.2f} s under the profiler)")
    print(f"  {'own s':>7} {'own %':>6} {'cum %':>6} {'calls':>10} {'calls/ticket':>12}  function")
    for func, (_cc, nc, tt, ct, _callers) in sorted(rows.items(), key=lambda kv: -kv[1][2])[:n]:
        print(f"  {tt:7.3f} {tt / total:6.1%} {ct / total:6.1%} {nc:>10,} {nc / tickets:12.2f}  {_label(func)}")
    print("  cumulative, supportsim functions with >= 2% of the total:")
    for func, (_cc, nc, _tt, ct, _callers) in sorted(rows.items(), key=lambda kv: -kv[1][3]):
        if "supportsim" in func[0] and ct / total >= 0.02:
            print(f"  {ct:7.3f} {ct / total:6.1%} {nc:>10,}  {_label(func)}")


def cprofile_section(call: Callable[[], Any], tickets: int, outdir: Path | None, name: str) -> None:
    """Profile one ``call()`` and print the grouped table, engine calls and top entries."""
    prof = cProfile.Profile()
    prof.enable()
    call()
    prof.disable()
    if outdir:
        prof.dump_stats(str(outdir / f"{name}.prof"))
    stats = pstats.Stats(prof)
    total: float = stats.total_tt  # type: ignore[attr-defined]
    rows: dict[Func, Row] = stats.stats  # type: ignore[attr-defined]
    print(f"\ncProfile of one simulate() call: {total:.2f} s under the profiler, {tickets:,} tickets")
    print_categories(rows, total)
    print_engine_calls(rows, tickets)
    print_top(rows, total, tickets)


def pyinstrument_section(call: Callable[[], Any], outdir: Path | None, name: str) -> None:
    """A pyinstrument tree of one ``call()`` (first 60 lines), if pyinstrument is installed."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("\n(pyinstrument not installed: skipped)")
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    call()
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    if outdir:
        (outdir / f"{name}.pyinstrument.txt").write_text(text)
        (outdir / f"{name}.pyinstrument.html").write_text(profiler.output_html())
    print("\npyinstrument (first 60 lines):")
    print("\n".join(text.splitlines()[:60]))
