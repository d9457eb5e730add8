"""Tests for supportsim.planning.analytic: reference tables, published cases and independent checks."""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.linalg import solve_triangular
from scipy.optimize import brentq
from scipy.sparse.linalg import expm_multiply
from scipy.special import gammaln, logsumexp

from supportsim.planning.analytic import (
    ErlangAResult,
    Requirement,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_asa_seconds,
    erlang_c_service_level,
    erlang_table,
    halfin_whitt_p_wait,
    occupancy,
    required_agents,
    square_root_staffing,
)

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
ITU_TABLE = REFERENCE / "itu_erlang_b_subset.tsv"
PUBLISHED = REFERENCE / "published_cases.csv"


# ---------------------------------------------------------------------------------------------
# ITU Erlang B table
# ---------------------------------------------------------------------------------------------


def _itu_cells() -> list[tuple[int, str, str]]:
    """(servers, grade-of-service text, cell text) for every cell of the table."""
    with ITU_TABLE.open(newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header, body = rows[0], rows[1:]
    assert header[0] == "n"
    cells: list[tuple[int, str, str]] = []
    for row in body:
        if not row:
            continue
        assert len(row) == len(header)
        cells.extend((int(row[0]), g, c) for g, c in zip(header[1:], row[1:], strict=True))
    return cells


ITU_CELLS = _itu_cells()

def _half_unit(cell: str) -> float:
    """Half a unit in the last place of a cell: 5 significant digits, at most 5 decimals."""
    x = Decimal(cell)
    exponent = x.adjusted()  # floor(log10(x))
    return 0.5 * max(float(10.0 ** (exponent - 4)), 1e-5)


def _dbda(n: int, a: float) -> float:
    """Derivative of Erlang B in the load: dB/da = B·(n/a - 1 + B)."""
    b = erlang_b(n, a)
    return b * (n / a - 1.0 + b)


def _exact_erlang_b(n: int, load: Fraction) -> Fraction:
    """Erlang B in exact rational arithmetic (independent of the module's recursion)."""
    term = Fraction(1)
    total = Fraction(1)
    for k in range(1, n + 1):
        term = term * load / k
        total += term
    return term / total


def _solve_load(n: int, blocking: float) -> float:
    root = brentq(
        lambda a: erlang_b(n, a) - blocking, 1e-12, 10.0 * n + 10.0, xtol=1e-13, rtol=1e-15
    )
    return float(root)


def test_itu_table_shape() -> None:
    assert len({n for n, _, _ in ITU_CELLS}) == 38
    assert len(ITU_CELLS) == 38 * 20


@pytest.mark.parametrize(
    ("n", "gos", "cell"), ITU_CELLS, ids=[f"n{n}-B{g}" for n, g, _ in ITU_CELLS]
)
def test_itu_erlang_b_cell(n: int, gos: str, cell: str) -> None:
    """Every cell within the table's stated precision: Erlang B at the cell's load is the
    column's grade of service to 1e-4 (shared/reference/README.md). Where the printed load is
    our value equals exact rational arithmetic, so any gap is the table's rounding, not ours."""
    blocking = float(gos)
    load = float(cell)
    b_at_cell = erlang_b(n, load)
    assert abs(b_at_cell - blocking) <= 1e-4
    assert b_at_cell == pytest.approx(float(_exact_erlang_b(n, Fraction(cell))), rel=1e-12)


def test_erlang_b_matches_exact_rational_arithmetic() -> None:
    for n, a in [(1, "0.5"), (5, "3.2"), (30, "25.5"), (120, "101.04"), (301, "244.26")]:
        assert erlang_b(n, float(a)) == pytest.approx(
            float(_exact_erlang_b(n, Fraction(a))), rel=1e-13
        )


# ---------------------------------------------------------------------------------------------
# Published cases
# ---------------------------------------------------------------------------------------------


def _published() -> dict[str, dict[str, str]]:
    with PUBLISHED.open(newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def test_published_cases_file_lists_expected_ids() -> None:
    assert {"EC1", "EC2", "EC3", "EC5", "EA1", "HW1"} <= set(_published())


def _close(value: float, stated: float, decimals: int) -> bool:
    """``value`` rounds to ``stated`` at the stated number of decimals."""
    return abs(value - stated) <= 0.5 * 10.0**-decimals * (1.0 + 1e-9)


def test_ec1() -> None:
    # 100 calls per 30 min = 200 per hour; AHT 3 min; A = 10 E; 14 agents; 20 s target.
    a = 200 * 180 / 3600
    assert a == pytest.approx(10.0)
    assert _close(erlang_c_service_level(14, a, 180, 20), 0.888, 3)
    assert _close(occupancy(14, a), 0.714, 3)
    assert _close(erlang_c(14, a), 0.174, 3)
    req = required_agents(
        200, 180, answer_within_seconds=20, service_level=0.8, max_occupancy=0.85, shrinkage=0.3
    )
    assert req == Requirement(agents=20, raw_agents=14)
    assert required_agents(200, 180, answer_within_seconds=20, service_level=0.8).raw_agents == 14


def test_ec2() -> None:
    a = 10.0
    req = required_agents(
        200, 180, answer_within_seconds=20, service_level=0.8, max_occupancy=0.70, shrinkage=0.3
    )
    assert req == Requirement(agents=22, raw_agents=15)
    assert _close(erlang_c_service_level(15, a, 180, 20), 0.941, 3)
    assert _close(occupancy(15, a), 0.667, 3)
    assert _close(erlang_c(15, a), 0.102, 3)


def test_ec3() -> None:
    assert _close(erlang_c_service_level(13, 10.0, 180, 20), 0.7956, 4)
    assert _close(erlang_c_service_level(14, 10.0, 180, 20), 0.8884, 4)


@pytest.mark.parametrize("load", [27.083, 650 * 150 / 3600])
def test_ec5(load: float) -> None:
    per_hour = load * 3600 / 150
    by_asa = required_agents(per_hour, 150, max_asa_seconds=5)
    assert by_asa.raw_agents == 34
    assert erlang_c_asa_seconds(34, load, 150) <= 5 < erlang_c_asa_seconds(33, load, 150)
    by_sl = required_agents(per_hour, 150, answer_within_seconds=20, service_level=0.94)
    assert by_sl.raw_agents == 34
    assert (
        erlang_c_service_level(34, load, 150, 20)
        >= 0.94
        > erlang_c_service_level(33, load, 150, 20)
    )


def test_ea1() -> None:
    # lambda = 100/30 per minute = 200 per hour; AHT 3 min; mean patience 5 min; n = 14; T = 20 s.
    r = erlang_a(14, 200, 180, 300, 20)
    assert _close(r.p_wait, 0.14526, 5)
    assert _close(r.abandon_rate, 0.013984, 6)
    assert _close(r.occupancy, 0.704297, 6)
    # The stated ASA is the mean wait over all arrivals, in minutes.
    assert _close(r.mean_wait_all_seconds / 60, 0.069919, 6)
    # The stated SL counts answered within 20 s over all arrivals.
    assert _close(r.service_level, 0.916792, 6)
    # Answered-only figures are consistent with the all-arrivals ones.
    assert r.service_level_answered == pytest.approx(r.service_level / (1 - r.abandon_rate))
    assert r.asa_seconds < r.mean_wait_all_seconds


def test_hw1() -> None:
    for beta, stated in [(0.5, 0.5045), (1.0, 0.2234), (1.5, 0.0847), (2.0, 0.0269)]:
        assert _close(halfin_whitt_p_wait(beta), stated, 4)
    assert _close(erlang_c(1032, 1000.0), 0.2231, 4)
    assert square_root_staffing(1000.0, 1.0) == 1032
    assert halfin_whitt_p_wait(0.0) == 1.0
    assert 0.0 <= halfin_whitt_p_wait(40.0) < 1e-300
    assert halfin_whitt_p_wait(math.inf) == 0.0


# ---------------------------------------------------------------------------------------------
# Independent checks at large n
# ---------------------------------------------------------------------------------------------


def _log_space_erlang_c(n: int, a: float) -> float:
    k = np.arange(n)
    log_terms = k * math.log(a) - gammaln(k + 1)
    log_last = n * math.log(a) - gammaln(n + 1) + math.log(n / (n - a))
    return math.exp(log_last - logsumexp(np.append(log_terms, log_last)))


def _log_space_erlang_b(n: int, a: float) -> float:
    k = np.arange(n + 1)
    log_terms = k * math.log(a) - gammaln(k + 1)
    return math.exp(log_terms[-1] - logsumexp(log_terms))


@pytest.mark.parametrize(
    ("n", "a"), [(2000, 1950.0), (5000, 4900.0), (1032, 1000.0), (3000, 2000.0), (20, 3.5)]
)
def test_erlang_c_large_n_log_space(n: int, a: float) -> None:
    assert erlang_c(n, a) == pytest.approx(_log_space_erlang_c(n, a), rel=1e-10)
    assert erlang_b(n, a) == pytest.approx(_log_space_erlang_b(n, a), rel=1e-10)


def test_erlang_c_edge_cases() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(10, 12.0) == 1.0
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_b(0, 5.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_c_service_level(10, 10.0, 180, 20) == 0.0
    assert erlang_c_asa_seconds(10, 11.0, 180) == math.inf
    assert occupancy(10, 12.0) == 1.0
    assert erlang_c_service_level(14, 10.0, 180, 0) == pytest.approx(1 - erlang_c(14, 10.0))
    assert erlang_c_service_level(14, 10.0, 180, math.inf) == 1.0
    # No overflow / underflow trouble far from the load.
    assert erlang_b(10_000, 10.0) == 0.0
    assert erlang_c(10_000, 9_999.5) == pytest.approx(
        _log_space_erlang_c(10_000, 9_999.5), rel=1e-9
    )


@pytest.mark.parametrize(("n", "a"), [(14, 10.0), (2000, 1950.0), (100, 99.0)])
def test_erlang_a_huge_patience_is_erlang_c(n: int, a: float) -> None:
    aht, t = 180.0, 20.0
    per_hour = a * 3600 / aht
    r = erlang_a(n, per_hour, aht, 1e15, t)
    c = erlang_c(n, a)
    assert r.p_wait == pytest.approx(c, rel=1e-9)
    assert r.service_level == pytest.approx(erlang_c_service_level(n, a, aht, t), rel=1e-9)
    assert r.asa_seconds == pytest.approx(erlang_c_asa_seconds(n, a, aht), rel=1e-8)
    assert r.occupancy == pytest.approx(a / n, rel=1e-9)
    assert r.abandon_rate < 1e-9
    inf = erlang_a(n, per_hour, aht, math.inf, t)
    assert inf.p_wait == pytest.approx(c, rel=1e-12)
    assert inf.abandon_rate == 0.0
    assert inf.service_level == inf.service_level_answered
    assert inf.service_level == pytest.approx(erlang_c_service_level(n, a, aht, t), rel=1e-12)
    assert inf.asa_seconds == inf.mean_wait_all_seconds
    assert inf.asa_seconds == pytest.approx(erlang_c_asa_seconds(n, a, aht), rel=1e-12)
    assert inf.mean_queue == pytest.approx(c * a / (n - a), rel=1e-12)


def test_erlang_a_infinite_patience_requires_stability() -> None:
    with pytest.raises(ValueError, match="load < agents"):
        erlang_a(10, 200, 180, math.inf, 20)
    # Finite patience is fine when overloaded.
    r = erlang_a(5, 200, 180, 60, 20)
    assert 0 < r.abandon_rate < 1
    assert r.p_wait > 0.8


# --- brute force: generator of the truncated chain, solved as a linear system -----------------


def _brute_stationary(n: int, lam: float, mu: float, theta: float, extra: int) -> np.ndarray:
    size = n + extra + 1
    q = np.zeros((size, size))
    for k in range(size - 1):
        q[k, k + 1] = lam
    for k in range(1, size):
        q[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
    q[np.diag_indices(size)] = -q.sum(axis=1)
    lhs = q.T.copy()
    lhs[-1, :] = 1.0
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    return np.linalg.solve(lhs, rhs)


def _tagged(
    n: int, mu: float, theta: float, depth: int, t: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tagged customer with j = 0..depth ahead: P(served by t), P(served), E[W·1{served}], E[W].

    Built as an absorbing CTMC (transient states 'i ahead', absorbing 'served' and 'abandoned'):
    P(served by t) from the matrix exponential of the generator, the rest from the fundamental
    matrix, E[W·1{served} | i] = ((-Q_T)^-1 (-Q_T)^-1 r)_i with r the rate into 'served'.
    """
    nmu = n * mu
    m = depth + 1
    i = np.arange(m, dtype=float)
    down = nmu + i[1:] * theta
    diag = -(nmu + (i + 1) * theta)
    served_rate = np.zeros(m)
    served_rate[0] = nmu
    qt = np.diag(diag) + np.diag(down, k=-1)
    full = sparse.lil_matrix((m + 2, m + 2))
    full[:m, :m] = qt
    full[:m, m] = served_rate[:, None]
    full[:m, m + 1] = theta
    target = np.zeros(m + 2)
    target[m] = 1.0
    by_t = expm_multiply(full.tocsr() * t, target)[:m]
    neg = -qt  # lower bidiagonal
    p_served = solve_triangular(neg, served_rate, lower=True)
    wait_served = solve_triangular(neg, p_served, lower=True)
    wait_all = solve_triangular(neg, np.ones(m), lower=True)
    return by_t, p_served, wait_served, wait_all


ERLANG_A_CASES = [
    # (agents, per_hour, aht_s, patience_s, T_s)
    (14, 200.0, 180.0, 300.0, 20.0),
    (5, 200.0, 180.0, 60.0, 20.0),
    (50, 1100.0, 180.0, 120.0, 30.0),
    (3, 10.0, 180.0, 600.0, 15.0),
    (20, 600.0, 120.0, 1200.0, 60.0),
    (120, 3600.0, 120.0, 30.0, 10.0),
    (1, 30.0, 60.0, 90.0, 5.0),
]


@pytest.mark.parametrize(("n", "per_hour", "aht", "patience", "t"), ERLANG_A_CASES)
def test_erlang_a_against_brute_force(
    n: int, per_hour: float, aht: float, patience: float, t: float
) -> None:
    lam, mu, theta = per_hour / 3600, 1 / aht, 1 / patience
    extra = 400
    pi = _brute_stationary(n, lam, mu, theta, extra)
    assert pi[-50:].sum() < 1e-15  # truncation is harmless (what is left is solver noise)
    k = np.arange(pi.size)
    queue = np.maximum(k - n, 0)
    p_wait = pi[n:].sum()
    lq = float((queue * pi).sum())
    busy = float((np.minimum(k, n) * pi).sum())

    r = erlang_a(n, per_hour, aht, patience, t)
    assert isinstance(r, ErlangAResult)
    assert r.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert r.mean_queue == pytest.approx(lq, rel=1e-9)
    assert r.abandon_rate == pytest.approx(theta * lq / lam, rel=1e-9)
    assert r.occupancy == pytest.approx(busy / n, rel=1e-9)

    by_t, p_served, wait_served, wait_all = _tagged(n, mu, theta, extra, t)
    tail = pi[n:]
    below = pi[:n].sum()
    answered = below + float((tail * p_served).sum())
    assert 1 - r.abandon_rate == pytest.approx(answered, rel=1e-9)
    sl = below + float((tail * by_t).sum())
    assert r.service_level == pytest.approx(sl, rel=1e-8)
    assert r.service_level_answered == pytest.approx(sl / answered, rel=1e-8)
    assert r.asa_seconds == pytest.approx(float((tail * wait_served).sum()) / answered, rel=1e-8)
    assert r.mean_wait_all_seconds == pytest.approx(float((tail * wait_all).sum()), rel=1e-8)


def test_erlang_a_large_n_against_brute_force() -> None:
    n, per_hour, aht, patience, t = 300, 290 * 3600 / 300, 300.0, 600.0, 20.0
    lam, mu, theta = per_hour / 3600, 1 / aht, 1 / patience
    pi = _brute_stationary(n, lam, mu, theta, 400)
    k = np.arange(pi.size)
    r = erlang_a(n, per_hour, aht, patience, t)
    assert r.p_wait == pytest.approx(pi[n:].sum(), rel=1e-8)
    assert r.mean_queue == pytest.approx(float((np.maximum(k - n, 0) * pi).sum()), rel=1e-8)
    by_t, _, _, _ = _tagged(n, mu, theta, 400, t)
    assert r.service_level == pytest.approx(pi[:n].sum() + float((pi[n:] * by_t).sum()), rel=1e-8)


@pytest.mark.parametrize(("n", "per_hour", "aht", "patience", "t"), ERLANG_A_CASES)
def test_erlang_a_identities(
    n: int, per_hour: float, aht: float, patience: float, t: float
) -> None:
    lam, theta = per_hour / 3600, 1 / patience
    r = erlang_a(n, per_hour, aht, patience, t)
    # Little's law on the queue, and abandonment flow.
    assert r.mean_queue == pytest.approx(lam * r.mean_wait_all_seconds, rel=1e-12)
    assert r.abandon_rate == pytest.approx(theta * r.mean_queue / lam, rel=1e-12)
    # Flow balance: served rate = busy agents × service rate.
    load = per_hour * aht / 3600
    assert r.occupancy * n == pytest.approx(load * (1 - r.abandon_rate), rel=1e-9)
    # T = 0: answered within 0 s means not waiting; T = inf: everybody answered counts.
    assert erlang_a(n, per_hour, aht, patience, 0).service_level == pytest.approx(
        1 - r.p_wait, rel=1e-12
    )
    assert erlang_a(n, per_hour, aht, patience, math.inf).service_level == pytest.approx(
        1 - r.abandon_rate, rel=1e-12
    )
    assert erlang_a(n, per_hour, aht, patience, 1e7).service_level == pytest.approx(
        1 - r.abandon_rate, rel=1e-12
    )
    assert 0 <= r.service_level <= r.service_level_answered <= 1
    # Waiting answered customers wait less on average than all waiting customers, here.
    assert r.asa_seconds <= r.mean_wait_all_seconds / (1 - r.abandon_rate) + 1e-12


def test_erlang_a_edge_cases() -> None:
    zero = erlang_a(3, 0.0, 180, 300, 20)
    assert zero == ErlangAResult(0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0)
    loss = erlang_a(5, 200, 180, 0.0, 20)
    b = erlang_b(5, 10.0)
    assert loss.p_wait == pytest.approx(b)
    assert loss.abandon_rate == pytest.approx(b)
    assert loss.service_level == pytest.approx(1 - b)
    # Extremely overstaffed: the waiting probability underflows gracefully.
    far = erlang_a(5000, 36.0, 100, 300, 20)
    assert far.p_wait == 0.0
    assert far.service_level == 1.0
    # Thousands of agents, short patience, heavy overload.
    over = erlang_a(1500, 2000 * 3600 / 300, 300, 60, 20)
    assert over.abandon_rate == pytest.approx(0.25, abs=0.01)
    assert over.mean_queue == pytest.approx(over.mean_wait_all_seconds * 2000 / 300, rel=1e-12)
    assert over.mean_queue > 0


# ---------------------------------------------------------------------------------------------
# Inverse solvers
# ---------------------------------------------------------------------------------------------


def _metrics(n: int, per_hour: float, aht: float, t: float, patience: float) -> dict[str, float]:
    if math.isinf(patience):
        a = per_hour * aht / 3600
        return {
            "sl": erlang_c_service_level(n, a, aht, t),
            "asa": erlang_c_asa_seconds(n, a, aht),
            "abandon": 0.0,
            "occ": occupancy(n, a),
        }
    r = erlang_a(n, per_hour, aht, patience, t)
    return {
        "sl": r.service_level,
        "asa": r.asa_seconds,
        "abandon": r.abandon_rate,
        "occ": r.occupancy,
    }


def _meets(m: dict[str, float], targets: dict[str, float]) -> bool:
    ok = True
    if "service_level" in targets:
        ok &= m["sl"] >= targets["service_level"]
    if "max_asa_seconds" in targets:
        ok &= m["asa"] <= targets["max_asa_seconds"]
    if "max_abandon_rate" in targets:
        ok &= m["abandon"] <= targets["max_abandon_rate"]
    if "max_occupancy" in targets:
        ok &= m["occ"] <= targets["max_occupancy"]
    return ok


INVERSE_CASES = [
    # (per_hour, aht_s, T_s, patience_s, targets)
    (200, 180, 20, math.inf, {"service_level": 0.8}),
    (200, 180, 20, math.inf, {"max_asa_seconds": 10}),
    (200, 180, 20, math.inf, {"max_occupancy": 0.9}),
    (200, 180, 20, 300, {"service_level": 0.8}),
    (200, 180, 20, 300, {"max_abandon_rate": 0.01}),
    (200, 180, 20, 300, {"max_asa_seconds": 5, "max_occupancy": 0.8}),
    (12, 600, 60, math.inf, {"service_level": 0.95}),
    (3, 300, 30, 120, {"service_level": 0.9}),
    (1200, 300, 20, math.inf, {"service_level": 0.8, "max_asa_seconds": 15}),
    (12_000, 300, 20, math.inf, {"service_level": 0.8}),
    (24_000, 300, 20, math.inf, {"service_level": 0.9}),
    (24_000, 300, 30, math.inf, {"max_asa_seconds": 2}),
    (60_000, 300, 20, math.inf, {"service_level": 0.95, "max_occupancy": 0.97}),
    (24_000, 300, 20, 180, {"service_level": 0.8}),
    (24_000, 300, 20, 60, {"max_abandon_rate": 0.02}),
    (24_000, 300, 20, 600, {"max_asa_seconds": 10}),
    (60_000, 300, 20, 300, {"service_level": 0.7, "max_abandon_rate": 0.05}),
    (24_000, 300, 20, 120, {"service_level": 0.3}),
    (200, 180, 20, 1e9, {"service_level": 0.8}),
    (2_400, 300, 20, 1e6, {"max_abandon_rate": 0.05}),
    (2_400, 300, 20, 1e6, {"max_occupancy": 0.9}),
]


@pytest.mark.parametrize(("per_hour", "aht", "t", "patience", "targets"), INVERSE_CASES)
def test_required_agents_is_minimal(
    per_hour: float, aht: float, t: float, patience: float, targets: dict[str, float]
) -> None:
    req = required_agents(
        per_hour, aht, answer_within_seconds=t, patience_seconds=patience, **targets
    )
    n = req.raw_agents
    assert req.agents == n
    assert _meets(_metrics(n, per_hour, aht, t, patience), targets)
    load = per_hour * aht / 3600
    if n > 1 and not (math.isinf(patience) and n - 1 <= load):
        assert not _meets(_metrics(n - 1, per_hour, aht, t, patience), targets)
    if math.isinf(patience):
        assert n > load


def test_required_agents_handles_thousands_of_erlangs() -> None:
    for patience in (math.inf, 60.0, 300.0, 3000.0):
        need = required_agents(
            60_000, 300, answer_within_seconds=20, service_level=0.8, patience_seconds=patience
        )
        n = need.agents
        if math.isinf(patience):
            assert erlang_c_service_level(n, 5000.0, 300, 20) >= 0.8
            assert n - 1 <= 5000 or erlang_c_service_level(n - 1, 5000.0, 300, 20) < 0.8
        else:
            assert erlang_a(n, 60_000, 300, patience, 20).service_level >= 0.8
            assert erlang_a(n - 1, 60_000, 300, patience, 20).service_level < 0.8


def test_required_agents_shrinkage_and_defaults() -> None:
    req = required_agents(200, 180, answer_within_seconds=20, service_level=0.8, shrinkage=0.25)
    assert req == Requirement(agents=math.ceil(14 / 0.75), raw_agents=14)
    # No target: the fewest stable agents.
    assert required_agents(200, 180).raw_agents == 11
    assert required_agents(0, 180).raw_agents == 1
    assert required_agents(0, 180, patience_seconds=60).raw_agents == 1
    # Occupancy exactly on the boundary counts as met.
    assert required_agents(8 * 3600 / 300, 300, max_occupancy=0.8).raw_agents == 10


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_hour": -1.0, "aht_seconds": 180},
        {"per_hour": 200, "aht_seconds": 0},
        {"per_hour": math.nan, "aht_seconds": 180},
        {"per_hour": 200, "aht_seconds": 180, "shrinkage": 1.0},
        {"per_hour": 200, "aht_seconds": 180, "shrinkage": -0.1},
        {"per_hour": 200, "aht_seconds": 180, "service_level": 0.8},
        {"per_hour": 200, "aht_seconds": 180, "service_level": 1.2, "answer_within_seconds": 20},
        {"per_hour": 200, "aht_seconds": 180, "service_level": 0.8, "answer_within_seconds": -1},
        {"per_hour": 200, "aht_seconds": 180, "max_asa_seconds": 0},
        {"per_hour": 200, "aht_seconds": 180, "max_occupancy": 0},
        {"per_hour": 200, "aht_seconds": 180, "max_occupancy": 1.5},
        {"per_hour": 200, "aht_seconds": 180, "max_abandon_rate": 0.0, "patience_seconds": 60},
        {"per_hour": 200, "aht_seconds": 180, "patience_seconds": -5},
    ],
)
def test_required_agents_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        required_agents(**kwargs)


def test_function_validation() -> None:
    with pytest.raises(ValueError, match="agents"):
        erlang_b(-1, 2.0)
    with pytest.raises(ValueError, match="agents"):
        erlang_c(2.5, 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="load_erlangs"):
        erlang_c(3, -1.0)
    with pytest.raises(ValueError, match="aht_seconds"):
        erlang_c_service_level(3, 1.0, 0.0, 20)
    with pytest.raises(ValueError, match="answer_within_seconds"):
        erlang_c_service_level(3, 1.0, 180, -1)
    with pytest.raises(ValueError, match="agents"):
        occupancy(0, 1.0)
    with pytest.raises(ValueError, match="agents"):
        erlang_a(0, 100, 180, 300, 20)
    with pytest.raises(ValueError, match="patience"):
        erlang_a(3, 100, 180, -1, 20)
    with pytest.raises(ValueError, match="beta"):
        halfin_whitt_p_wait(-0.5)
    assert erlang_c(np.int64(14), 10.0) == erlang_c(14, 10.0)  # type: ignore[arg-type]


def test_square_root_staffing() -> None:
    assert square_root_staffing(100.0, 1.0) == 110
    assert square_root_staffing(10.0, 0.5) == 12
    assert square_root_staffing(0.0, 2.0) == 0
    assert square_root_staffing(2000.0, 0.0) == 2000
    assert square_root_staffing(2000.0, -1.0) == math.ceil(2000 - math.sqrt(2000))


# ---------------------------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------------------------


def test_erlang_table_erlang_c() -> None:
    rows = erlang_table(200, 180, 20, agents=range(9, 17))
    assert [r["agents"] for r in rows] == list(range(9, 17))
    assert set(rows[0]) == {
        "agents",
        "service_level",
        "asa_seconds",
        "p_wait",
        "abandon_rate",
        "occupancy",
    }
    for r in rows:
        n = int(r["agents"])
        assert r["p_wait"] == pytest.approx(erlang_c(n, 10.0), rel=1e-12)
        assert r["service_level"] == pytest.approx(
            erlang_c_service_level(n, 10.0, 180, 20), rel=1e-12
        )
        assert r["asa_seconds"] == erlang_c_asa_seconds(n, 10.0, 180) or n <= 10
        assert r["occupancy"] == occupancy(n, 10.0)
        assert r["abandon_rate"] == 0.0
    assert rows[0]["service_level"] == 0.0
    assert rows[0]["asa_seconds"] == math.inf
    assert rows[0]["p_wait"] == 1.0


def test_erlang_table_erlang_a() -> None:
    rows = erlang_table(200, 180, 20, patience_seconds=300, agents=range(5, 20, 3))
    for r in rows:
        ea = erlang_a(int(r["agents"]), 200, 180, 300, 20)
        assert r["service_level"] == pytest.approx(ea.service_level, rel=1e-12)
        assert r["asa_seconds"] == pytest.approx(ea.asa_seconds, rel=1e-12)
        assert r["p_wait"] == pytest.approx(ea.p_wait, rel=1e-12)
        assert r["abandon_rate"] == pytest.approx(ea.abandon_rate, rel=1e-12)
        assert r["occupancy"] == pytest.approx(ea.occupancy, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(
    load=st.floats(min_value=0.01, max_value=3000.0),
    extra=st.integers(min_value=1, max_value=200),
)
def test_erlang_c_decreases_in_agents(load: float, extra: int) -> None:
    n = math.floor(load) + extra
    assert erlang_c(n + 1, load) <= erlang_c(n, load) * (1 + 1e-12)
    assert erlang_b(n + 1, load) <= erlang_b(n, load)
    assert 0.0 <= erlang_c(n, load) <= 1.0
    assert erlang_b(n, load) <= erlang_c(n, load) * (1 + 1e-12)


@settings(deadline=None, max_examples=40)
@given(
    n=st.integers(min_value=1, max_value=150),
    load=st.floats(min_value=0.1, max_value=150.0),
    patience=st.floats(min_value=5.0, max_value=3000.0),
    t=st.floats(min_value=0.0, max_value=120.0),
)
def test_erlang_a_service_level_increases_in_agents(
    n: int, load: float, patience: float, t: float
) -> None:
    aht = 180.0
    per_hour = load * 3600 / aht
    r0 = erlang_a(n, per_hour, aht, patience, t)
    r1 = erlang_a(n + 1, per_hour, aht, patience, t)
    assert r1.service_level >= r0.service_level - 1e-12
    assert r1.abandon_rate <= r0.abandon_rate + 1e-15
    assert r1.occupancy <= r0.occupancy + 1e-12
    assert 0.0 <= r0.service_level <= 1.0
    assert 0.0 <= r0.abandon_rate <= r0.p_wait <= 1.0


def test_erlang_a_overload_long_patience_against_brute_force() -> None:
    # Mode of the queue near 500 waiting: the solver only keeps a window around it.
    n, per_hour, aht, patience, t = 5, 200.0, 180.0, 18_000.0, 12_000.0
    lam, mu, theta = per_hour / 3600, 1 / aht, 1 / patience
    extra = 1500
    pi = _brute_stationary(n, lam, mu, theta, extra)
    k = np.arange(pi.size)
    r = erlang_a(n, per_hour, aht, patience, t)
    assert r.p_wait == pytest.approx(pi[n:].sum(), rel=1e-12)
    lq = float((np.maximum(k - n, 0) * pi).sum())
    assert r.mean_queue == pytest.approx(lq, rel=1e-9)
    assert r.occupancy == pytest.approx(float((np.minimum(k, n) * pi).sum()) / n, rel=1e-9)
    by_t, p_served, wait_served, wait_all = _tagged(n, mu, theta, extra, t)
    tail = pi[n:]
    answered = float((tail * p_served).sum())
    assert 1 - r.abandon_rate == pytest.approx(answered, rel=1e-9)
    assert 0.1 < r.service_level < 0.2
    assert r.service_level == pytest.approx(float((tail * by_t).sum()), rel=1e-9)
    assert r.asa_seconds == pytest.approx(float((tail * wait_served).sum()) / answered, rel=1e-9)
    assert r.mean_wait_all_seconds == pytest.approx(float((tail * wait_all).sum()), rel=1e-9)


@pytest.mark.parametrize("patience", [1e6, 1e8])
def test_erlang_a_overload_very_long_patience_fluid_limit(patience: float) -> None:
    # Heavily overloaded, customers almost never give up quickly: abandonment -> 1 - n/a.
    r = erlang_a(7, 200, 180, patience, 20)
    assert r.abandon_rate == pytest.approx(0.3, rel=1e-6)
    assert r.occupancy == pytest.approx(1.0, rel=1e-9)
    lam, mu, theta = 200 / 3600, 1 / 180, 1 / patience
    assert r.mean_queue == pytest.approx((lam - 7 * mu) / theta, rel=1e-4)
    # Answered customers wait about patience·ln(1 + j·θ/(nμ)) with j the queue ahead.
    assert r.asa_seconds == pytest.approx(patience * math.log(1 / 0.7), rel=1e-3)
