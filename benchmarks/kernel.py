"""Micro-costs of the SimPy kernel, through SimPy's public API only.

What one event costs when it is scheduled the ways a model can: a ``Timeout`` with a
callback (what a callback-driven engine does), a generator process yielding timeouts (the
textbook pattern), and ``heapq`` alone on the same tuples for the floor. Each figure is the median of 5 runs with
the garbage collector off (its cost is reported by the profiler separately).
"""

from __future__ import annotations

import gc
import heapq
import random
import statistics
import time
from collections.abc import Callable
from typing import Any


def _per(fn: Callable[[], None], count: int) -> float:
    """Seconds per operation: median of 5 runs of ``fn`` doing ``count`` operations."""
    samples = []
    for _ in range(5):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) / count)
        finally:
            gc.enable()
    return statistics.median(samples)


def _timeout_chains(delays: list[float], chains: int) -> Callable[[], None]:
    """``chains`` callbacks, each scheduling the next ``Timeout`` when its own fires."""
    import simpy
    from simpy.events import Timeout

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


def _heap_only(delays: list[float]) -> Callable[[], None]:
    def run() -> None:
        queue: list[Any] = [(0.0, 1, -k, None) for k in range(12)]
        for i, d in enumerate(delays):
            now = heapq.heappop(queue)[0]
            heapq.heappush(queue, (now + d, 1, i, None))

    return run


def _process_yields(delays: list[float]) -> Callable[[], None]:
    import simpy

    def run() -> None:
        env = simpy.Environment()

        def proc(env: Any) -> Any:
            for d in delays:
                yield env.timeout(d)

        env.process(proc(env))
        env.run()

    return run


def micro_costs(n: int) -> dict[str, float]:
    """Seconds per event of each way of scheduling, ``n`` events each (exponential delays)."""
    rng = random.Random(1)
    delays = [rng.expovariate(1.0) for _ in range(n)]
    return {
        "SimPy Timeout(env, d, v) + callbacks.append + heap + step, 1 pending event": _per(
            _timeout_chains(delays, 1), n
        ),
        "the same with 12 events pending (the M/M/12 heap)": _per(_timeout_chains(delays, 12), n),
        "  of which heappush + heappop of the same tuples (12 pending)": _per(_heap_only(delays), n),
        "SimPy process step: `yield env.timeout(d)` in a generator, 1 pending": _per(_process_yields(delays), n),
    }


def print_micro_costs(n: int) -> None:
    """Print :func:`micro_costs` in microseconds per event."""
    print(f"\nmicro-costs of the SimPy kernel (median of 5, {n:,} events each, this machine, now):")
    for name, per in micro_costs(n).items():
        print(f"  {per * 1e6:7.3f} µs  {name}")
