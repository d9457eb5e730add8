"""Units and input checks shared by the Erlang formulas.

Arrival rates (``per_hour``) are calls per hour; handling, patience, wait and target times
are in seconds; offered load is in erlangs: ``load = per_hour * aht_seconds / 3600``.
"""

from __future__ import annotations

import math
import operator

SECONDS_PER_HOUR = 3600.0
"""Seconds in an hour (conversion of ``per_hour`` rates)."""

MAX_LOAD_ERLANGS = 100_000.0
"""Largest offered load accepted: the solvers walk agent counts one by one up to about the load."""


def checked_agents(agents: int, minimum: int = 0) -> int:
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


def finite_nonneg(name: str, value: float) -> float:
    """Return ``value`` as a float, checking it is finite and ``>= 0``."""
    v = float(value)
    if not math.isfinite(v) or v < 0.0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def finite_positive(name: str, value: float) -> float:
    """Return ``value`` as a float, checking it is finite and ``> 0``."""
    v = float(value)
    if not math.isfinite(v) or v <= 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def nonneg_or_inf(name: str, value: float) -> float:
    """Return ``value`` as a float, checking it is ``>= 0`` (``math.inf`` allowed)."""
    v = float(value)
    if math.isnan(v) or v < 0.0:
        raise ValueError(f"{name} must be >= 0 (math.inf allowed), got {value!r}")
    return v


def load_erlangs(per_hour: float, aht_seconds: float) -> float:
    """Offered load in erlangs from calls per hour and AHT in seconds (at most ``MAX_LOAD_ERLANGS``)."""
    load = per_hour * aht_seconds / SECONDS_PER_HOUR
    if load > MAX_LOAD_ERLANGS:
        raise ValueError(
            f"offered load {load:,.0f} erlangs (per hour x AHT) is above {MAX_LOAD_ERLANGS:,.0f}: "
            "split the queue, or check the units (AHT is in seconds)"
        )
    return load


def queue_rates(
    per_hour: float, aht_seconds: float, patience_seconds: float
) -> tuple[float, float, float, float]:
    """Validate and convert to per-second rates ``(λ, μ, θ)`` plus the load in erlangs.

    ``θ`` is 0 for infinite patience (nobody abandons) and ``math.inf`` for zero patience.
    """
    ph = finite_nonneg("per_hour", per_hour)
    aht = finite_positive("aht_seconds", aht_seconds)
    patience = nonneg_or_inf("patience_seconds", patience_seconds)
    theta = 0.0 if math.isinf(patience) else (math.inf if patience == 0.0 else 1.0 / patience)
    return ph / SECONDS_PER_HOUR, 1.0 / aht, theta, load_erlangs(ph, aht)
