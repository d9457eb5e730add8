"""Confidence intervals over replications: Student t on independent replications, paired
differences on common random numbers, and Welch's interval for comparison.

Student-t quantiles come from ``scipy.special.stdtrit`` (what ``scipy.stats.t.ppf`` computes),
which spares every run the import of ``scipy.stats``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]


def t_quantile(dof: float, level: float = 0.95) -> float:
    """The Student-t quantile of a two-sided ``level`` interval with ``dof`` degrees of freedom."""
    return float(special.stdtrit(dof, 0.5 + level / 2))


def confidence_half_width(values: FloatArray, level: float = 0.95) -> float | None:
    """Half-width of the Student-t confidence interval of the mean of ``values`` (NaN left out);
    None for fewer than 2 values.
    """
    values = values[~np.isnan(values)]
    if values.size < 2:
        return None
    return float(t_quantile(values.size - 1, level) * values.std(ddof=1) / math.sqrt(values.size))


def row_means_and_half_widths(table: FloatArray, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Each row's mean and :func:`confidence_half_width`, to the bit, for a C-ordered table
    without NaN and with at least 2 columns (a row is summed as a 1-D array is).
    """
    n = table.shape[1]
    return table.mean(axis=1), t_quantile(n - 1, level) * table.std(axis=1, ddof=1) / math.sqrt(n)


def paired_interval(differences: FloatArray, level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of the paired t-interval of per-replication differences (NaN left
    out); the half-width is NaN for fewer than 2 differences, both are NaN for none.
    """
    d = differences[~np.isnan(differences)]
    if d.size == 0:
        return math.nan, math.nan
    half = confidence_half_width(d, level)
    return float(d.mean()), math.nan if half is None else half


def unpaired_half_width(a: FloatArray, b: FloatArray, level: float = 0.95) -> float:
    """Half-width of Welch's interval for ``mean(b) - mean(a)`` as if the runs were independent."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    if va + vb == 0:
        return 0.0
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return float(t_quantile(dof, level) * math.sqrt(va + vb))
