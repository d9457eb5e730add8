"""Erlang B and C (M/M/n/n and M/M/n), occupancy and Halfin–Whitt square-root staffing.

Computed with the stable recursion ``B(k) = a·B(k-1) / (k + a·B(k-1))`` (never factorials or
powers), so thousands of agents are fine. Loads are in erlangs, times in seconds.
"""

from __future__ import annotations

import math

from scipy import special

from supportsim.planning.analytic.inputs import checked_agents, finite_nonneg, finite_positive, nonneg_or_inf

__all__ = [
    "erlang_b",
    "erlang_c",
    "erlang_c_asa_seconds",
    "erlang_c_service_level",
    "halfin_whitt_p_wait",
    "occupancy",
    "square_root_staffing",
]


class ErlangBSequence:
    """Lazily extended Erlang B values ``B(k, a)`` for ``k = 0, 1, 2, ...``."""

    def __init__(self, load_erlangs: float) -> None:
        self._a = load_erlangs
        self._values = [1.0]

    def __call__(self, n: int) -> float:
        values = self._values
        a = self._a
        b = values[-1]
        for k in range(len(values), n + 1):
            b = a * b / (k + a * b)
            values.append(b)
        return values[n]


def erlang_c_from_b(n: int, a: float, b: float) -> float:
    """Erlang C from the Erlang B value ``b = B(n, a)``; 1.0 when ``a >= n``."""
    if a >= n:
        return 1.0
    return min(1.0, n * b / (n - a * (1.0 - b)))


def erlang_b(agents: int, load_erlangs: float) -> float:
    """Blocking probability of an M/M/n/n loss system.

    Args:
        agents: Number of servers ``n >= 0``.
        load_erlangs: Offered load ``a >= 0`` in erlangs.

    Returns:
        ``B(n, a)`` (dimensionless); ``B(0, a) = 1``.
    """
    n = checked_agents(agents)
    a = finite_nonneg("load_erlangs", load_erlangs)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(agents: int, load_erlangs: float) -> float:
    """Probability that an arrival must wait in an M/M/n queue.

    Args:
        agents: Number of servers ``n >= 0``.
        load_erlangs: Offered load ``a >= 0`` in erlangs.

    Returns:
        ``C(n, a)``; 1.0 when ``a >= n`` (unstable).
    """
    n = checked_agents(agents)
    a = finite_nonneg("load_erlangs", load_erlangs)
    if a >= n:
        return 1.0
    return erlang_c_from_b(n, a, erlang_b(n, a))


def service_level_given_c(n: int, a: float, c: float, aht: float, t: float) -> float:
    """``P(wait <= t)`` in M/M/n given the Erlang C value ``c``."""
    if a >= n:
        return 0.0
    return min(1.0, max(0.0, 1.0 - c * math.exp(-(n - a) * t / aht)))


def asa_given_c(n: int, a: float, c: float, aht: float) -> float:
    """Mean wait (seconds) over all arrivals in M/M/n given the Erlang C value ``c``."""
    if a >= n:
        return math.inf
    return c * aht / (n - a)


def erlang_c_service_level(
    agents: int, load_erlangs: float, aht_seconds: float, answer_within_seconds: float
) -> float:
    """Erlang C service level ``P(wait <= T) = 1 - C·exp(-(n-a)·T/aht)``.

    Args:
        agents: Number of agents ``n``.
        load_erlangs: Offered load ``a`` in erlangs.
        aht_seconds: Mean handling time in seconds (> 0).
        answer_within_seconds: Target answer time ``T`` in seconds (>= 0, inf allowed).

    Returns:
        Fraction of calls answered within ``T``; 0.0 when ``a >= n``.
    """
    n = checked_agents(agents)
    a = finite_nonneg("load_erlangs", load_erlangs)
    aht = finite_positive("aht_seconds", aht_seconds)
    t = nonneg_or_inf("answer_within_seconds", answer_within_seconds)
    if a >= n:
        return 0.0
    return service_level_given_c(n, a, erlang_c(n, a), aht, t)


def erlang_c_asa_seconds(agents: int, load_erlangs: float, aht_seconds: float) -> float:
    """Erlang C average speed of answer ``C·aht/(n-a)``, over all arrivals.

    Args:
        agents: Number of agents ``n``.
        load_erlangs: Offered load ``a`` in erlangs.
        aht_seconds: Mean handling time in seconds (> 0).

    Returns:
        Mean wait in seconds; ``math.inf`` when ``a >= n``.
    """
    n = checked_agents(agents)
    a = finite_nonneg("load_erlangs", load_erlangs)
    aht = finite_positive("aht_seconds", aht_seconds)
    if a >= n:
        return math.inf
    return asa_given_c(n, a, erlang_c(n, a), aht)


def occupancy(agents: int, load_erlangs: float) -> float:
    """Erlang C agent occupancy ``min(a/n, 1)`` (dimensionless).

    Args:
        agents: Number of agents ``n >= 1``.
        load_erlangs: Offered load ``a`` in erlangs.
    """
    n = checked_agents(agents, minimum=1)
    a = finite_nonneg("load_erlangs", load_erlangs)
    return min(a / n, 1.0)


def square_root_staffing(load_erlangs: float, beta: float) -> int:
    """Square-root staffing ``ceil(a + β·sqrt(a))`` (agents).

    A relative slack of 1e-12 keeps float noise (e.g. ``100 + 1·10``) from adding an agent.

    Args:
        load_erlangs: Offered load ``a`` in erlangs.
        beta: Quality-of-service parameter ``β`` (may be negative).
    """
    a = finite_nonneg("load_erlangs", load_erlangs)
    b = float(beta)
    if not math.isfinite(b):
        raise ValueError(f"beta must be finite, got {beta!r}")
    x = a + b * math.sqrt(a)
    return max(0, math.ceil(x - 1e-12 * max(1.0, abs(x))))


def halfin_whitt_p_wait(beta: float) -> float:
    """Halfin–Whitt limit of ``P(wait)``: ``1/(1 + β·Φ(β)/φ(β))`` for ``β >= 0``."""
    b = float(beta)
    if math.isnan(b) or b < 0.0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    if math.isinf(b):
        return 0.0
    if b == 0.0:
        return 1.0
    # 1/(1 + e^x) with x = ln(β·Φ(β)/φ(β)), in log space so large β cannot overflow.
    log_phi = -0.5 * b * b - 0.5 * math.log(2.0 * math.pi)
    x = math.log(b) + float(special.log_ndtr(b)) - log_phi
    return float(special.expit(-x))

