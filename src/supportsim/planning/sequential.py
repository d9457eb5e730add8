"""Sequential replications: more replications only while some decision is close.

After the search has settled on its replications, a check is *close* when its target lies
within :data:`~supportsim.planning.targets.CLOSE_HALF_WIDTHS` half-widths of its estimate:
other replications could decide it the other way, and two root seeds would then staff its
cells differently. While any check of the best staffing is close, the replications are
multiplied by :data:`SEQUENTIAL_FACTOR` (the same seeds first, then new ones, so every
candidate still shares them: common random numbers) up to ``max_replications``, and the
search goes on from the best staffing on the larger set: agents are added wherever a target
misses, but cut only from the cells that can help a close check; the others keep the level
the first replications decided.
A replication covers the whole horizon, so the added replications simulate every interval;
only the close decisions are taken again.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from supportsim.planning.cells import CellSearch, Context, SearchState, run_stage
from supportsim.results.executors import Executor

__all__ = ["SEQUENTIAL_FACTOR", "close_cells", "refine"]

SEQUENTIAL_FACTOR = 2
"""Close decisions are taken again on this many times the replications (and, by default, at
most once: ``max_replications`` is this many times the search's replications). The helpdesk
week (``--replications 10 --workers 2``, root seeds 0 and 1), when settling still smoothed the
agents over ±1 h: with 2, 96.6% of cells within one agent (95.1% with none), 55-58 s a plan,
four weeks in 231 s; with 4, 98.4%, but 74-76 s a plan and four weeks in 321 s (before a round
on the best staffing reused its replications). Settling the correction to Erlang instead
(:mod:`supportsim.planning.settling`), with 2: 99.8%, 52-53 s a plan, four weeks in 200 s.
``--max-replications`` buys more where time allows."""


def close_cells(search: CellSearch, checks: list[tuple[str, int, int]]) -> NDArray[np.bool_]:
    """The cells (group, plan interval) whose agents can help one of ``checks``."""
    out = np.zeros(search.agents.shape, dtype=bool)
    for kind, index, k in checks:
        for cell in search.candidates(kind, index, k):
            out[cell] = True
    return out


def refine(
    state: SearchState, stage: int, seeds: list[np.random.SeedSequence], replications: int,
    context: Context, executor: Executor, progress: Callable[[int, str], None] | None,
) -> int:
    """Multiply the replications from ``replications`` by :data:`SEQUENTIAL_FACTOR`, up to
    ``len(seeds)``, while the best staffing has close checks, searching again on each larger
    set (module docstring); returns the replications the last decisions were taken on.
    """
    targets = context[1]
    while state.best is not None and state.best[2].close and replications < len(seeds):
        movable = close_cells(CellSearch(targets, state.best[1], targets.max_occupancy), state.best[2].close)
        replications = min(SEQUENTIAL_FACTOR * replications, len(seeds))
        run_stage(state, stage, seeds[:replications], context, executor, progress, movable=movable)
    return replications
