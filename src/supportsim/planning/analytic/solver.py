"""The Erlang formulas inverted: the fewest agents meeting targets, and a table per agent count.

Erlang C when patience is infinite, Erlang A otherwise. Rates are calls per hour, times seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from supportsim.planning.analytic.abandonment import erlang_a_metrics
from supportsim.planning.analytic.erlang import (
    ErlangBSequence,
    asa_given_c,
    erlang_c_from_b,
    service_level_given_c,
    square_root_staffing,
)
from supportsim.planning.analytic.inputs import checked_agents, nonneg_or_inf, queue_rates

__all__ = ["Requirement", "erlang_table", "required_agents"]

_TARGET_TOL = 1e-12
"""Slack when comparing a metric with a target, so float noise cannot add an agent."""


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


def _checked_targets(
    theta: float,
    answer_within_seconds: float | None,
    service_level: float | None,
    max_asa_seconds: float | None,
    max_abandon_rate: float | None,
    max_occupancy: float | None,
) -> float:
    """Check the targets of :func:`required_agents`; returns the answer time ``T`` in seconds
    (0 without a service-level target). ``theta`` is the abandonment rate per second.
    """
    t = 0.0
    if service_level is not None:
        if answer_within_seconds is None:
            raise ValueError("service_level needs answer_within_seconds")
        t = nonneg_or_inf("answer_within_seconds", answer_within_seconds)
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
    return t


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
    lam, mu, theta, a = queue_rates(per_hour, aht_seconds, patience_seconds)
    aht = float(aht_seconds)
    s = float(shrinkage)
    if not 0.0 <= s < 1.0:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    t = _checked_targets(
        theta, answer_within_seconds, service_level, max_asa_seconds, max_abandon_rate, max_occupancy
    )
    bseq = ErlangBSequence(a)
    erlang_c_model = theta == 0.0

    def meets(n: int) -> bool:
        if erlang_c_model:
            c = erlang_c_from_b(n, a, bseq(n))
            sl = service_level_given_c(n, a, c, aht, t)
            asa = asa_given_c(n, a, c, aht)
            abandon = 0.0
            occ = a / n
        else:
            r = erlang_a_metrics(n, lam, mu, theta, t, a, bseq(n))
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
    lam, mu, theta, a = queue_rates(per_hour, aht_seconds, patience_seconds)
    t = nonneg_or_inf("answer_within_seconds", answer_within_seconds)
    aht = float(aht_seconds)
    bseq = ErlangBSequence(a)
    rows: list[dict[str, float]] = []
    for raw_n in agents:
        n = checked_agents(raw_n, minimum=1)
        b = bseq(n)
        if theta == 0.0:
            c = erlang_c_from_b(n, a, b)
            row: dict[str, float] = {
                "agents": n,
                "service_level": service_level_given_c(n, a, c, aht, t),
                "asa_seconds": asa_given_c(n, a, c, aht),
                "p_wait": c,
                "abandon_rate": 0.0,
                "occupancy": min(a / n, 1.0),
            }
        else:
            r = erlang_a_metrics(n, lam, mu, theta, t, a, b)
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
