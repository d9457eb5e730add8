"""Line limits and retrials against exact queueing theory (issue 15): Erlang B, M/M/c/K, and a
Markov chain of an M/M/c+M queue with a retrial orbit, computed here.

Student-t intervals across replications at level 1 - ALPHA; each model is simulated with
exactly the theory's assumptions (Poisson arrivals, exponential handle, patience and delays).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve

import supportsim
from supportsim.scenario.io import scenario_from_dict
from tests.conftest import exp
from tests.test_contact_centre import covers, fixed, measured, one_queue, per_replication


def erlang_b(servers: int, load: float) -> float:
    """Erlang B blocking probability by the stable recursion."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


# --- lines ------------------------------------------------------------------------------


def test_lines_equal_to_the_agents_give_erlang_b_blocking() -> None:
    data = one_queue(5, 40, exp(6), lines=5)  # A = 4 erlangs on 5 lines and 5 agents
    tickets = measured(supportsim.simulate(scenario_from_dict(data), seed=3, replications=8).tickets)
    blocked = per_replication(tickets, tickets["outcome"] == "blocked")
    assert covers(blocked, erlang_b(5, 4.0))
    assert (tickets.loc[tickets["outcome"] != "blocked", "wait_seconds"] == 0).all()


def test_patience_zero_without_lines_gives_erlang_b_losses() -> None:
    data = one_queue(5, 40, exp(6), patience_seconds=fixed(0))
    tickets = measured(supportsim.simulate(scenario_from_dict(data), seed=4, replications=8).tickets)
    lost = per_replication(tickets, tickets["outcome"] == "abandoned")
    assert covers(lost, erlang_b(5, 4.0))


def mmck(servers: int, capacity: int, load: float) -> np.ndarray:
    """Stationary distribution of the number in an M/M/c/K system."""
    weights = [
        load**n / math.factorial(n)
        if n <= servers
        else load**servers / math.factorial(servers) * (load / servers) ** (n - servers)
        for n in range(capacity + 1)
    ]
    return np.array(weights) / sum(weights)


def test_lines_with_a_queue_give_the_exact_mmck_blocking_and_waiting() -> None:
    data = one_queue(3, 30, exp(5), lines=6)  # A = 2.5 erlangs, c = 3, K = 6
    tickets = measured(supportsim.simulate(scenario_from_dict(data), seed=5, replications=8).tickets)
    pi = mmck(3, 6, 2.5)
    assert covers(per_replication(tickets, tickets["outcome"] == "blocked"), pi[6])
    waited = (tickets["outcome"] != "blocked") & (tickets["wait_seconds"] > 0)
    assert covers(per_replication(tickets, waited), pi[3:6].sum())
    queue_length = sum((n - 3) * pi[n] for n in range(4, 7))
    mean_wait_s = queue_length / (30 / 3600 * (1 - pi[6]))  # Little's law on admitted calls
    admitted = tickets[tickets["outcome"] != "blocked"]
    assert covers(admitted.groupby("replication")["wait_seconds"].mean().to_numpy(), mean_wait_s)


# --- retrials ---------------------------------------------------------------------------


def retrial_chain(
    lam: float, mu: float, theta: float, nu: float, p: float, servers: int, n_max: int = 25, m_max: int = 60
) -> dict[str, float]:
    """Rates (per minute) of attempts, retrials and abandonments of an M/M/c+M queue whose
    abandoning customers retry with probability ``p`` after an exponential delay of rate
    ``nu``: the stationary distribution of (in system, in orbit), truncated.
    """
    index = {(n, m): i for i, (n, m) in enumerate((n, m) for n in range(n_max + 1) for m in range(m_max + 1))}
    rows, cols, vals = [], [], []

    def rate(a: tuple[int, int], b: tuple[int, int], r: float) -> None:
        if r > 0 and b in index:
            rows.append(index[a])
            cols.append(index[b])
            vals.append(r)

    for n, m in index:
        rate((n, m), (n + 1, m), lam)
        rate((n, m), (n - 1, m), min(n, servers) * mu)
        queued = max(n - servers, 0)
        rate((n, m), (n - 1, m + 1), queued * theta * p)
        rate((n, m), (n - 1, m), queued * theta * (1 - p))
        rate((n, m), (n + 1, m - 1), m * nu)
    q = sparse.coo_matrix((vals, (rows, cols)), shape=(len(index), len(index))).tocsr()
    q = q - sparse.diags(np.asarray(q.sum(axis=1)).ravel())
    a = q.T.tolil()
    a[0, :] = 1.0
    b = np.zeros(len(index))
    b[0] = 1.0
    pi = spsolve(a.tocsr(), b)
    orbit = sum(pi[i] * m for (n, m), i in index.items())
    queue = sum(pi[i] * max(n - servers, 0) for (n, m), i in index.items())
    assert sum(pi[i] for (n, m), i in index.items() if n == n_max or m == m_max) < 1e-6  # truncation is harmless
    return {"attempts": lam + nu * orbit, "retrials": nu * orbit, "abandoned": theta * queue}


def test_retrials_agree_with_the_exact_markov_chain() -> None:
    retrial = {"probability": 0.6, "delay_minutes": exp(10)}
    data = one_queue(2, 30, exp(4), days=4, patience_seconds=exp(2 * 60), retrial=retrial)
    result = supportsim.simulate(scenario_from_dict(data), seed=6, replications=10)
    tickets = measured(result.tickets)
    minutes = 4 * 1440
    exact = retrial_chain(lam=0.5, mu=0.25, theta=0.5, nu=0.1, p=0.6, servers=2)
    by_replication = tickets.groupby("replication")
    assert covers(by_replication.size().to_numpy() / minutes, exact["attempts"])
    assert covers(by_replication["attempt"].apply(lambda a: (a > 1).sum()).to_numpy() / minutes, exact["retrials"])
    abandoned = by_replication["outcome"].apply(lambda o: (o == "abandoned").sum()).to_numpy()
    assert covers(abandoned / minutes, exact["abandoned"])
