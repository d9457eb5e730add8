"""Exact queueing formulas for contact-centre planning.

Units used throughout:

* arrival rates (``per_hour``) are calls per hour;
* handling, patience, wait and target times are in seconds;
* offered load is in erlangs: ``load = per_hour * aht_seconds / 3600``.

Models:

* Erlang B (M/M/n/n) and Erlang C (M/M/n), computed with the stable recursion
  ``B(k) = a·B(k-1) / (k + a·B(k-1))`` (never factorials or powers), so thousands of agents
  are fine.
* Erlang A (M/M/n+M, exponential patience), solved exactly as a birth–death chain. Only the
  window of queue lengths that carries the probability is kept (from 0 unless the system is
  so overloaded that short queues are negligible); it is widened until the dropped mass is
  provably below 1e-15 of the kept mass.
  Service level and the mean wait of answered customers come from the tagged-customer chain:
  a customer with ``j`` customers ahead leaves each stage ``i = j, ..., 0`` at rate
  ``n·μ + (i+1)·θ``; it is served with probability ``n·μ / (n·μ + (j+1)·θ)`` and, since the
  stage durations do not depend on how a stage ends, its wait given service is the sum of
  independent exponentials with rates ``n·μ + m·θ`` (``m = 1..j+1``). That sum is distributed
  as ``-ln(Beta(n·μ/θ + 1, j+1)) / θ``, which gives the closed form used below.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = [
    "ErlangAResult",
    "Requirement",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa_seconds",
    "erlang_c_service_level",
    "erlang_table",
    "halfin_whitt_p_wait",
    "occupancy",
    "required_agents",
    "square_root_staffing",
]

SECONDS_PER_HOUR = 3600.0
"""Seconds in an hour (conversion of ``per_hour`` rates)."""

_TAIL_TOL = 1e-15
"""Relative bound on the probability (and queue-length) mass dropped by truncation."""

_MAX_TAIL_STATES = 5_000_000
"""Refuse Erlang A chains whose queue part would need more states than this."""

_WINDOW_LOG_DROP = 45.0
"""Initial Erlang A window: half-width where the log-probability has dropped by about this."""

_TARGET_TOL = 1e-12
"""Slack when comparing a metric with a target, so float noise cannot add an agent."""


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------


def _as_agents(agents: int, minimum: int = 0) -> int:
    """Return ``agents`` as an int, checking it is an integer ``>= minimum``."""
    if isinstance(agents, bool):
        raise ValueError(f"agents must be an integer, got {agents!r}")
    try:
        n = operator.index(agents)
    except TypeError:
        raise ValueError(f"agents must be an integer, got {agents!r}") from None
    if n < minimum:
        raise ValueError(f"agents must be >= {minimum}, got {n}")
    return n


def _finite_nonneg(name: str, value: float) -> float:
    """Return ``value`` as a float, checking it is finite and ``>= 0``."""
    v = float(value)
    if not math.isfinite(v) or v < 0.0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _finite_positive(name: str, value: float) -> float:
    """Return ``value`` as a float, checking it is finite and ``> 0``."""
    v = float(value)
    if not math.isfinite(v) or v <= 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def _nonneg_or_inf(name: str, value: float) -> float:
    """Return ``value`` as a float, checking it is ``>= 0`` (``math.inf`` allowed)."""
    v = float(value)
    if math.isnan(v) or v < 0.0:
        raise ValueError(f"{name} must be >= 0 (math.inf allowed), got {value!r}")
    return v


MAX_LOAD_ERLANGS = 100_000.0  # the solvers walk agent counts one by one up to about the load


def _load(per_hour: float, aht_seconds: float) -> float:
    """Offered load in erlangs from calls per hour and AHT in seconds (at most ``MAX_LOAD_ERLANGS``)."""
    load = per_hour * aht_seconds / SECONDS_PER_HOUR
    if load > MAX_LOAD_ERLANGS:
        raise ValueError(
            f"offered load {load:,.0f} erlangs (per hour x AHT) is above {MAX_LOAD_ERLANGS:,.0f}: "
            "split the queue, or check the units (AHT is in seconds)"
        )
    return load


# ---------------------------------------------------------------------------------------------
# Erlang B / C
# ---------------------------------------------------------------------------------------------


class _ErlangBSequence:
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


def _erlang_c_from_b(n: int, a: float, b: float) -> float:
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
    n = _as_agents(agents)
    a = _finite_nonneg("load_erlangs", load_erlangs)
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
    n = _as_agents(agents)
    a = _finite_nonneg("load_erlangs", load_erlangs)
    if a >= n:
        return 1.0
    return _erlang_c_from_b(n, a, erlang_b(n, a))


def _erlang_c_sl(n: int, a: float, c: float, aht: float, t: float) -> float:
    """``P(wait <= t)`` in M/M/n given the Erlang C value ``c``."""
    if a >= n:
        return 0.0
    return min(1.0, max(0.0, 1.0 - c * math.exp(-(n - a) * t / aht)))


def _erlang_c_asa(n: int, a: float, c: float, aht: float) -> float:
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
    n = _as_agents(agents)
    a = _finite_nonneg("load_erlangs", load_erlangs)
    aht = _finite_positive("aht_seconds", aht_seconds)
    t = _nonneg_or_inf("answer_within_seconds", answer_within_seconds)
    if a >= n:
        return 0.0
    return _erlang_c_sl(n, a, erlang_c(n, a), aht, t)


def erlang_c_asa_seconds(agents: int, load_erlangs: float, aht_seconds: float) -> float:
    """Erlang C average speed of answer ``C·aht/(n-a)``, over all arrivals.

    Args:
        agents: Number of agents ``n``.
        load_erlangs: Offered load ``a`` in erlangs.
        aht_seconds: Mean handling time in seconds (> 0).

    Returns:
        Mean wait in seconds; ``math.inf`` when ``a >= n``.
    """
    n = _as_agents(agents)
    a = _finite_nonneg("load_erlangs", load_erlangs)
    aht = _finite_positive("aht_seconds", aht_seconds)
    if a >= n:
        return math.inf
    return _erlang_c_asa(n, a, erlang_c(n, a), aht)


def occupancy(agents: int, load_erlangs: float) -> float:
    """Erlang C agent occupancy ``min(a/n, 1)`` (dimensionless).

    Args:
        agents: Number of agents ``n >= 1``.
        load_erlangs: Offered load ``a`` in erlangs.
    """
    n = _as_agents(agents, minimum=1)
    a = _finite_nonneg("load_erlangs", load_erlangs)
    return min(a / n, 1.0)


# ---------------------------------------------------------------------------------------------
# Erlang A
# ---------------------------------------------------------------------------------------------


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


def _erlang_a_core(
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
        c = _erlang_c_from_b(n, a, b)
        aht = 1.0 / mu
        sl = _erlang_c_sl(n, a, c, aht, t)
        asa = _erlang_c_asa(n, a, c, aht)
        return ErlangAResult(c, 0.0, sl, sl, asa, asa, a / n, lam * asa)
    if math.isinf(theta):
        # Zero patience: arrivals finding all agents busy leave at once (Erlang B).
        return ErlangAResult(b, b, 1.0 - b, 1.0, 0.0, 0.0, a * (1.0 - b) / n, 0.0)

    nmu = n * mu
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
            break
        half_width *= 2

    w = np.exp(logt - top)
    w_below = math.exp(log_below - top) if j_lo == 0 else 0.0
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


def _rates(
    per_hour: float, aht_seconds: float, patience_seconds: float
) -> tuple[float, float, float, float]:
    """Validate and convert to per-second rates ``(λ, μ, θ)`` plus the load in erlangs."""
    ph = _finite_nonneg("per_hour", per_hour)
    aht = _finite_positive("aht_seconds", aht_seconds)
    patience = _nonneg_or_inf("patience_seconds", patience_seconds)
    theta = 0.0 if math.isinf(patience) else (math.inf if patience == 0.0 else 1.0 / patience)
    return ph / SECONDS_PER_HOUR, 1.0 / aht, theta, _load(ph, aht)


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
    n = _as_agents(agents, minimum=1)
    lam, mu, theta, a = _rates(per_hour, aht_seconds, patience_seconds)
    t = _nonneg_or_inf("answer_within_seconds", answer_within_seconds)
    if theta == 0.0 and a >= n:
        raise ValueError(
            f"infinite patience needs load < agents for a steady state (load {a:g} erlangs, "
            f"{n} agents)"
        )
    return _erlang_a_core(n, lam, mu, theta, t, a, erlang_b(n, a))


# ---------------------------------------------------------------------------------------------
# Halfin–Whitt
# ---------------------------------------------------------------------------------------------


def square_root_staffing(load_erlangs: float, beta: float) -> int:
    """Square-root staffing ``ceil(a + β·sqrt(a))`` (agents).

    A relative slack of 1e-12 keeps float noise (e.g. ``100 + 1·10``) from adding an agent.

    Args:
        load_erlangs: Offered load ``a`` in erlangs.
        beta: Quality-of-service parameter ``β`` (may be negative).
    """
    a = _finite_nonneg("load_erlangs", load_erlangs)
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


# ---------------------------------------------------------------------------------------------
# Inverse solvers and tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """Agents needed to meet targets.

    Attributes:
        agents: Agents to roster after shrinkage, ``ceil(raw_agents / (1 - shrinkage))``.
        raw_agents: Fewest agents on the phones that meet every target.
    """

    agents: int
    raw_agents: int


def _smallest_passing(pred: Callable[[int], bool], lo: int, guess: int, hi: int) -> int:
    """Smallest ``n`` in ``[lo, hi]`` with ``pred(n)``, for a monotone ``pred``.

    Gallops from ``guess`` (steps 1, 2, 4, ...) to bracket the answer, then bisects.
    """
    g = min(max(guess, lo), hi)
    if pred(g):
        good = g
        step = 1
        while True:
            if good == lo:
                return lo
            cand = max(lo, good - step)
            if pred(cand):
                good = cand
                step *= 2
            else:
                bad = cand
                break
    else:
        bad = g
        step = 1
        while True:
            if bad >= hi:
                raise ValueError(f"targets cannot be met with up to {hi} agents")
            cand = min(hi, bad + step)
            if pred(cand):
                good = cand
                break
            bad = cand
            step *= 2
    while good - bad > 1:
        mid = (good + bad) // 2
        if pred(mid):
            good = mid
        else:
            bad = mid
    return good


def required_agents(
    per_hour: float,
    aht_seconds: float,
    *,
    answer_within_seconds: float | None = None,
    service_level: float | None = None,
    max_asa_seconds: float | None = None,
    max_abandon_rate: float | None = None,
    max_occupancy: float | None = None,
    patience_seconds: float = math.inf,
    shrinkage: float = 0.0,
) -> Requirement:
    """Fewest agents meeting every given target (Erlang C, or Erlang A if patience is finite).

    Args:
        per_hour: Arrival rate in calls per hour.
        aht_seconds: Mean handling time in seconds.
        answer_within_seconds: Target answer time ``T`` in seconds (needed with
            ``service_level``).
        service_level: Minimum fraction of all arrivals answered within ``T`` (same
            definition as :attr:`ErlangAResult.service_level`; ``P(wait <= T)`` for Erlang C).
        max_asa_seconds: Maximum mean wait of answered customers, in seconds.
        max_abandon_rate: Maximum fraction of arrivals abandoning.
        max_occupancy: Maximum agent occupancy.
        patience_seconds: Mean patience in seconds; ``math.inf`` selects Erlang C.
        shrinkage: Fraction of paid time unavailable, in ``[0, 1)``.

    Returns:
        A :class:`Requirement` with the raw figure and the figure grossed up for shrinkage.

    Raises:
        ValueError: On invalid inputs or unreachable targets.
    """
    lam, mu, theta, a = _rates(per_hour, aht_seconds, patience_seconds)
    aht = float(aht_seconds)
    s = float(shrinkage)
    if not 0.0 <= s < 1.0:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    t = 0.0
    if service_level is not None:
        if answer_within_seconds is None:
            raise ValueError("service_level needs answer_within_seconds")
        t = _nonneg_or_inf("answer_within_seconds", answer_within_seconds)
        if not 0.0 <= service_level < 1.0:
            raise ValueError(f"service_level must be in [0, 1), got {service_level!r}")
    if max_asa_seconds is not None and not (max_asa_seconds > 0.0):
        raise ValueError(f"max_asa_seconds must be > 0, got {max_asa_seconds!r}")
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    if max_abandon_rate is not None:
        lowest = 0.0 if theta == 0.0 else math.ulp(0.0)
        if not lowest <= max_abandon_rate <= 1.0:
            raise ValueError(
                "max_abandon_rate must be in (0, 1] (0 allowed only with infinite patience), "
                f"got {max_abandon_rate!r}"
            )

    bseq = _ErlangBSequence(a)
    erlang_c_model = theta == 0.0

    def meets(n: int) -> bool:
        if erlang_c_model:
            c = _erlang_c_from_b(n, a, bseq(n))
            sl = _erlang_c_sl(n, a, c, aht, t)
            asa = _erlang_c_asa(n, a, c, aht)
            abandon = 0.0
            occ = a / n
        else:
            r = _erlang_a_core(n, lam, mu, theta, t, a, bseq(n))
            sl, asa, abandon, occ = r.service_level, r.asa_seconds, r.abandon_rate, r.occupancy
        return (
            (service_level is None or sl >= service_level - _TARGET_TOL)
            and (max_asa_seconds is None or asa <= max_asa_seconds * (1.0 + _TARGET_TOL))
            and (max_abandon_rate is None or abandon <= max_abandon_rate * (1.0 + _TARGET_TOL))
            and (max_occupancy is None or occ <= max_occupancy + _TARGET_TOL)
        )

    lo = math.floor(a) + 1 if erlang_c_model else 1
    guess = square_root_staffing(a, 1.0)
    floor_occ = 0
    if max_occupancy is not None:
        floor_occ = math.ceil(a / max_occupancy - _TARGET_TOL * max(1.0, a / max_occupancy))
        guess = max(guess, floor_occ)
    hi = max(lo, floor_occ, math.ceil(a + 100.0 * math.sqrt(a))) + 1000
    raw = _smallest_passing(meets, lo, guess, hi)
    gross = raw / (1.0 - s)
    agents = math.ceil(gross - 1e-9 * max(1.0, gross))
    return Requirement(agents=max(agents, raw), raw_agents=raw)


def erlang_table(
    per_hour: float,
    aht_seconds: float,
    answer_within_seconds: float,
    *,
    patience_seconds: float = math.inf,
    agents: range,
) -> list[dict[str, float]]:
    """Metrics for each staffing level in ``agents``.

    Uses Erlang C when ``patience_seconds`` is infinite (unstable rows get service level 0,
    ASA inf, P(wait) 1, occupancy 1), Erlang A otherwise.

    Args:
        per_hour: Arrival rate in calls per hour.
        aht_seconds: Mean handling time in seconds.
        answer_within_seconds: Service-level target time in seconds.
        patience_seconds: Mean patience in seconds.
        agents: Staffing levels (each ``>= 1``).

    Returns:
        One dict per level with keys ``agents`` (int), ``service_level`` (fraction of all
        arrivals answered within target), ``asa_seconds`` (mean wait of answered calls),
        ``p_wait``, ``abandon_rate`` and ``occupancy``.
    """
    lam, mu, theta, a = _rates(per_hour, aht_seconds, patience_seconds)
    t = _nonneg_or_inf("answer_within_seconds", answer_within_seconds)
    aht = float(aht_seconds)
    bseq = _ErlangBSequence(a)
    rows: list[dict[str, float]] = []
    for raw_n in agents:
        n = _as_agents(raw_n, minimum=1)
        b = bseq(n)
        if theta == 0.0:
            c = _erlang_c_from_b(n, a, b)
            row: dict[str, float] = {
                "agents": n,
                "service_level": _erlang_c_sl(n, a, c, aht, t),
                "asa_seconds": _erlang_c_asa(n, a, c, aht),
                "p_wait": c,
                "abandon_rate": 0.0,
                "occupancy": min(a / n, 1.0),
            }
        else:
            r = _erlang_a_core(n, lam, mu, theta, t, a, b)
            row = {
                "agents": n,
                "service_level": r.service_level,
                "asa_seconds": r.asa_seconds,
                "p_wait": r.p_wait,
                "abandon_rate": r.abandon_rate,
                "occupancy": r.occupancy,
            }
        rows.append(row)
    return rows
