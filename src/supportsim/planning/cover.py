"""The covering program under the shift programs: whole numbers of people on each option so
that every interval has its requirement on duty, at least cost (``scipy.optimize.milp``,
HiGHS), and a greedy cover to compare it with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scipy.optimize import LinearConstraint

__all__ = ["Cover", "greedy_cover", "solve_cover"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Cover:
    """A solved cover: ``x`` people per option, ``short`` people missing per interval (where no
    option reaches it), ``optimal`` if HiGHS proved it optimal (within ``gap``).
    """

    x: IntArray
    short: FloatArray
    optimal: bool


def solve_cover(
    matrix: FloatArray, required: IntArray, costs: FloatArray, *, extra: list[LinearConstraint] | None = None,
    time_limit: float = 60.0, gap: float = 1e-4, short_cost: float | None = None, node_limit: int | None = None,
) -> Cover:
    """Whole numbers ``x >= 0`` minimising ``costs @ x`` with ``matrix @ x >= required`` in every
    interval some option reaches (the others are reported ``short``, never raised), under the
    ``extra`` constraints on ``x``. ``gap``: HiGHS's relative optimality gap; ``node_limit``:
    branch-and-bound nodes at most (the cover is then not proven ``optimal``). With
    ``short_cost``, a person-interval may also be left short at that cost (when ``extra``
    caps the people); otherwise a cap too tight leaves the whole requirement short.
    """
    from scipy.optimize import LinearConstraint, milp  # heavy: imported when a cover is solved
    from scipy.sparse import csc_matrix

    required = np.asarray(required, dtype=float)
    n_x = matrix.shape[1]
    reach = matrix.max(axis=1) if n_x else np.zeros(len(required))
    short = np.where(reach > 0, 0.0, required).astype(float)
    rows = np.flatnonzero((required > 0) & (reach > 0))
    if rows.size == 0:
        return Cover(np.zeros(n_x, dtype=np.int64), short, True)
    n_s = rows.size if short_cost is not None else 0
    cover = np.hstack([matrix[rows], np.eye(rows.size)[:, :n_s]])
    widened = [LinearConstraint(np.hstack([c.A.toarray() if hasattr(c.A, "toarray") else c.A,
                                           np.zeros((c.A.shape[0], n_s))]), lb=c.lb, ub=c.ub) for c in extra or []]
    result = milp(
        np.concatenate([costs, np.full(n_s, short_cost or 0.0)]),
        constraints=[LinearConstraint(csc_matrix(cover), lb=required[rows], ub=np.inf), *widened],
        integrality=np.concatenate([np.ones(n_x), np.zeros(n_s)]),
        bounds=(0, np.inf),
        options={"time_limit": time_limit, "mip_rel_gap": gap} | ({"node_limit": node_limit} if node_limit else {}),
    )
    if result.x is None:  # infeasible (a cap) or no solution in time: nothing rostered, all short
        short[rows] = required[rows]
        return Cover(np.zeros(n_x, dtype=np.int64), short, False)
    if n_s:
        short[rows] = np.maximum(result.x[n_x:], 0.0)
    return Cover(np.rint(result.x[:n_x]).astype(np.int64), short, bool(result.status == 0))


def greedy_cover(matrix: FloatArray, required: IntArray, costs: FloatArray) -> IntArray:
    """A greedy cover (for comparison): repeatedly add the option covering the most missing
    people-intervals per unit cost, until every interval is covered or nothing helps.
    """
    x = np.zeros(matrix.shape[1], dtype=np.int64)
    missing = np.asarray(required, dtype=float).copy()
    while (missing > 1e-9).any():
        gain = matrix.T @ np.clip(missing, 0.0, 1.0)
        if not gain.any():
            break
        j = int(np.argmax(gain / costs))
        x[j] += 1
        missing -= matrix[:, j]
    return x
