"""The peers of benchmark case 1: the same M/M/c queue in Ciw and in plain SimPy.

Both are written the way their documentation teaches (no tuning, no deliberate slowness)
and follow supportsim's horizon semantics:

- customers arrive from ``-warmup`` to ``horizon`` (seconds; time 0 is the start of the
  measured window), a Poisson process of rate ``per_hour``;
- ``servers`` identical servers, exponential service of mean ``handle_minutes``, FIFO;
- the mean wait is over customers that arrived in ``[0, horizon)`` and started service
  before the end (supportsim's ``asa_seconds``);
- ``tickets`` counts every customer that arrived in the simulation, warm-up included.

One boundary difference: Ciw writes a customer's record when service *ends*, so the
(at most ``servers``) customers still in service at the end are missing from its mean; on
a horizon of 10^5 customers or more this is far below the run's own noise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueRun:
    """What one run of a peer reports."""

    tickets: int  # customers that arrived in the simulation, warm-up included
    measured: int  # customers of the measured window whose wait is known
    mean_wait_s: float  # mean wait (seconds) of those


def simpy_mmc(
    *,
    per_hour: float,
    handle_minutes: float,
    servers: int,
    horizon_s: float,
    warmup_s: float,
    seed: int,
) -> QueueRun:
    """A minimal SimPy M/M/c: one generator per customer and a ``simpy.Resource``."""
    import simpy

    rng = random.Random(seed)
    rate = per_hour / 3600.0  # arrivals per second
    service_rate = 1.0 / (handle_minutes * 60.0)
    env = simpy.Environment(initial_time=-warmup_s)
    agents = simpy.Resource(env, capacity=servers)
    waits: list[float] = []
    arrived = 0

    def customer(env: simpy.Environment) -> object:
        arrival = env.now
        with agents.request() as request:
            yield request
            if arrival >= 0.0:
                waits.append(env.now - arrival)
            yield env.timeout(rng.expovariate(service_rate))

    def source(env: simpy.Environment) -> object:
        nonlocal arrived
        while True:
            yield env.timeout(rng.expovariate(rate))
            arrived += 1
            env.process(customer(env))

    env.process(source(env))
    env.run(until=horizon_s)
    return QueueRun(arrived, len(waits), sum(waits) / len(waits))


def ciw_network(*, per_hour: float, handle_minutes: float, servers: int) -> object:
    """The Ciw network of the M/M/c queue (time unit: minutes)."""
    import ciw

    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=per_hour / 60.0)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / handle_minutes)],
        number_of_servers=[servers],
    )


def ciw_mmc(
    *,
    per_hour: float,
    handle_minutes: float,
    servers: int,
    horizon_s: float,
    warmup_s: float,
    seed: int,
    network: object | None = None,
) -> QueueRun:
    """Ciw's documented recipe: seed, simulate until a time, filter the records by arrival date."""
    import ciw

    if network is None:
        network = ciw_network(per_hour=per_hour, handle_minutes=handle_minutes, servers=servers)
    warmup = warmup_s / 60.0
    end = warmup + horizon_s / 60.0
    ciw.seed(seed)
    q = ciw.Simulation(network)
    q.simulate_until_max_time(end)
    records = q.get_all_records()
    waits = [r.waiting_time for r in records if r.arrival_date >= warmup]
    arrived = q.nodes[0].number_of_individuals
    return QueueRun(arrived, len(waits), 60.0 * sum(waits) / len(waits))
