"""Erlang A (M/M/n+M: exponential patience), solved exactly as a birth–death chain.

Only the window of queue lengths that carries the probability is kept (from 0 unless the
system is so overloaded that short queues are negligible); it is widened until the dropped
mass is provably below 1e-15 of the kept mass.

Service level and the mean wait of answered customers come from the tagged-customer chain: a
customer with ``j`` customers ahead leaves each stage ``i = j, ..., 0`` at rate
``n·μ + (i+1)·θ``; it is served with probability ``n·μ / (n·μ + (j+1)·θ)`` and, since the
stage durations do not depend on how a stage ends, its wait given service is the sum of
independent exponentials with rates ``n·μ + m·θ`` (``m = 1..j+1``). That sum is distributed as
``-ln(Beta(n·μ/θ + 1, j+1)) / θ``, which gives the closed form used below.

Rates are per second inside, per hour (arrivals) and seconds (times) at the public functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from supportsim.planning.analytic.erlang import asa_given_c, erlang_b, erlang_c_from_b, service_level_given_c
from supportsim.planning.analytic.inputs import checked_agents, nonneg_or_inf, queue_rates

__all__ = ["ErlangAResult", "erlang_a"]

_TAIL_TOL = 1e-15
"""Relative bound on the probability (and queue-length) mass dropped by truncation."""

_MAX_TAIL_STATES = 5_000_000
"""Refuse Erlang A chains whose queue part would need more states than this."""

_WINDOW_LOG_DROP = 45.0
"""Initial Erlang A window: half-width where the log-probability has dropped by about this."""


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state metrics of an M/M/n+M (Erlang A) queue.

    Attributes:
        p_wait: Probability an arrival finds all agents busy and must wait.
        abandon_rate: Fraction of all arrivals that abandon.
        service_level: Fraction of ALL arrivals answered within the target time
            (abandoners count in the denominator and are never answered).
        service_level_answered: Answered within the target ÷ answered.
        asa_seconds: Mean wait of answered customers, in seconds.
        mean_wait_all_seconds: Mean time in queue over all arrivals (abandoners' time in
            queue included), in seconds.
        occupancy: Mean number of busy agents ÷ number of agents.
        mean_queue: Mean number of customers waiting.
    """

    p_wait: float
    abandon_rate: float
    service_level: float
    service_level_answered: float
    asa_seconds: float
    mean_wait_all_seconds: float
    occupancy: float
    mean_queue: float


@dataclass(frozen=True)
class _Window:
    """The kept queue lengths ``j`` (customers waiting) and their unnormalised log weights."""

    j_lo: int
    j: NDArray[np.float64]
    logt: NDArray[np.float64]  # log(p_{n+j} / p_n), up to a constant
    top: float  # largest kept log weight (the scale of the weights)
    log_below: float  # log of sum_{k<n} p_k / p_n


def _window(lam: float, nmu: float, theta: float, b: float) -> _Window:
    """The window of queue lengths carrying all but a provably negligible share of the mass."""
    r = nmu / theta
    # log of sum_{k<n} p_k / p_n = 1/B - 1.
    log_below = math.log1p(-b) - math.log(b) if b < 1.0 else -math.inf
    # The queue-length distribution (j waiting) is unimodal with mode near j_star. Keep a
    # window [j_lo, j_hi] around it, widened until the dropped mass is provably negligible.
    j_star = max(0.0, (lam - nmu) / theta)
    half = math.sqrt(2.0 * _WINDOW_LOG_DROP * lam / theta)
    rho0 = lam / (nmu + theta)
    if rho0 < 1.0:  # geometric decay from j = 0 on
        half = min(half, _WINDOW_LOG_DROP / -math.log(rho0))
    half_width = math.ceil(half) + 64
    while True:
        j_lo = max(0, math.floor(j_star) - half_width)
        j_hi = math.ceil(j_star) + half_width
        if j_hi - j_lo + 1 > _MAX_TAIL_STATES:
            raise ValueError(
                "Erlang A chain too long to solve exactly (patience too long for this load: "
                f"more than {_MAX_TAIL_STATES} queue states needed); for customers who never "
                "abandon use patience_seconds=math.inf (Erlang C)"
            )
        j = np.arange(j_lo, j_hi + 1, dtype=float)
        # log(p_{n+j} / p_n) = sum_{i<=j} log(λ / (nμ + iθ)); the offset at j_lo only matters
        # relative to states that are dropped anyway.
        if j_lo == 0:
            offset = 0.0
        else:
            offset = j_lo * math.log(lam / theta) - float(
                special.gammaln(r + j_lo + 1.0) - special.gammaln(r + 1.0)
            )
        steps = np.log(lam / (nmu + theta * j[1:]))
        logt = offset + np.concatenate(([0.0], np.cumsum(steps)))
        top = max(float(logt.max()), log_below if j_lo == 0 else -math.inf)
        kept = float(np.exp(logt - top).sum()) + (math.exp(log_below - top) if j_lo == 0 else 0.0)
        # Rigorous bounds on the dropped mass (and dropped sum of j·p_j) relative to the kept:
        # right of j_hi the terms fall at least geometrically with ratio rho < 1; left of j_lo
        # (states below n included) every term is at most the one at j_lo.
        rho = lam / (nmu + theta * (j_hi + 1))
        right_factor = max(1.0, j_hi * rho / (1.0 - rho) + rho / (1.0 - rho) ** 2)
        dropped = math.exp(float(logt[-1]) - top) * right_factor
        if j_lo > 0:
            left_log = float(np.logaddexp(math.log(j_lo), log_below))
            dropped += math.exp(float(logt[0]) - top + left_log)
        if dropped <= _TAIL_TOL * kept:
            return _Window(j_lo, j, logt, top, log_below)
        half_width *= 2


def erlang_a_metrics(
    n: int, lam: float, mu: float, theta: float, t: float, a: float, b: float
) -> ErlangAResult:
    """Erlang A metrics; rates per second, ``t`` in seconds, load ``a = λ/μ``, ``b = B(n, a)``.

    Handles ``lam == 0``, ``theta == 0`` (Erlang C, needs ``a < n``) and ``theta == inf``
    (pure loss system).
    """
    if lam == 0.0 or b == 0.0:
        # No traffic, or waiting is so rare that it underflows: nobody waits.
        return ErlangAResult(0.0, 0.0, 1.0, 1.0, 0.0, 0.0, min(a / n, 1.0), 0.0)
    if theta == 0.0:
        c = erlang_c_from_b(n, a, b)
        aht = 1.0 / mu
        sl = service_level_given_c(n, a, c, aht, t)
        asa = asa_given_c(n, a, c, aht)
        return ErlangAResult(c, 0.0, sl, sl, asa, asa, a / n, lam * asa)
    if math.isinf(theta):
        # Zero patience: arrivals finding all agents busy leave at once (Erlang B).
        return ErlangAResult(b, b, 1.0 - b, 1.0, 0.0, 0.0, a * (1.0 - b) / n, 0.0)

    nmu = n * mu
    r = nmu / theta
    window = _window(lam, nmu, theta, b)
    j_lo, j, top = window.j_lo, window.j, window.top
    w = np.exp(window.logt - top)
    w_below = math.exp(window.log_below - top) if j_lo == 0 else 0.0
    z = w_below + float(w.sum())
    p = w / z  # p_{n+j}, j = j_lo..j_hi
    p_below = w_below / z

    p_wait = float(p.sum())
    mean_queue = float((j * p).sum())
    abandon = theta * mean_queue / lam

    # Tagged customer finding j waiting: stages m = 1..j+1 with rates nμ + mθ.
    stage_rate = nmu + theta * (j + 1.0)
    p_serve = nmu / stage_rate
    weight = p * p_serve
    p_answered = p_below + float(weight.sum())
    if t > 0.0:
        within = special.betainc(j + 1.0, r + 1.0, -math.expm1(-theta * t))
        sl = p_below + float((weight * within).sum())
    else:
        sl = p_below
    # E[wait | served, j ahead] = sum_{m=1}^{j+1} 1/(nμ + mθ); the part for m <= j_lo is
    # (ψ(r + j_lo + 1) - ψ(r + 1)) / θ.
    head = (
        0.0
        if j_lo == 0
        else float(special.digamma(r + j_lo + 1.0) - special.digamma(r + 1.0)) / theta
    )
    mean_wait_served = head + np.cumsum(1.0 / stage_rate)
    asa = float((weight * mean_wait_served).sum()) / p_answered
    return ErlangAResult(
        p_wait=min(1.0, p_wait),
        abandon_rate=min(1.0, abandon),
        service_level=min(1.0, sl),
        service_level_answered=min(1.0, sl / p_answered),
        asa_seconds=asa,
        mean_wait_all_seconds=mean_queue / lam,
        occupancy=min(1.0, a * p_answered / n),
        mean_queue=mean_queue,
    )


def erlang_a(
    agents: int,
    per_hour: float,
    aht_seconds: float,
    patience_seconds: float,
    answer_within_seconds: float,
) -> ErlangAResult:
    """Exact Erlang A (M/M/n+M) metrics.

    Args:
        agents: Number of agents ``n >= 1``.
        per_hour: Arrival rate in calls per hour.
        aht_seconds: Mean handling time in seconds.
        patience_seconds: Mean (exponential) patience in seconds; ``math.inf`` gives
            Erlang C (then the load must be below ``n``), 0 gives a loss system.
        answer_within_seconds: Service-level target time ``T`` in seconds.

    Returns:
        An :class:`ErlangAResult`.

    Raises:
        ValueError: On invalid inputs, infinite patience with load ``>= n``, or a finite
            patience so long (for an overloaded system) that the exact chain would need
            millions of states.
    """
    n = checked_agents(agents, minimum=1)
    lam, mu, theta, a = queue_rates(per_hour, aht_seconds, patience_seconds)
    t = nonneg_or_inf("answer_within_seconds", answer_within_seconds)
    if theta == 0.0 and a >= n:
        raise ValueError(
            f"infinite patience needs load < agents for a steady state (load {a:g} erlangs, "
            f"{n} agents)"
        )
    return erlang_a_metrics(n, lam, mu, theta, t, a, erlang_b(n, a))
