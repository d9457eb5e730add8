"""One replication of a scenario: the general handlers (:mod:`supportsim.engine.simulation`),
or the plain path's (:mod:`supportsim.engine.plain`) where the scenario allows, run once.
"""

from __future__ import annotations

import gc

import numpy as np

from supportsim.engine.draws import ArrivalTrace
from supportsim.engine.output import ReplicationOutput
from supportsim.engine.plain import PlainSimulation, plain_scenario
from supportsim.engine.simulation import Simulation
from supportsim.scenario.model import Scenario

__all__ = ["PLAIN_PATH", "run_replication"]

PLAIN_PATH = True
"""Run plain scenarios on the plain path (:mod:`supportsim.engine.plain`); False: the general
handlers for every scenario (tests compare the two)."""


def run_replication(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    trace: ArrivalTrace | None = None,
    *,
    keep_tickets: bool = True,
) -> ReplicationOutput:
    """Simulate ``scenario`` once with the replication seed ``seed``.

    With a ``trace``, contacts arrive exactly when (and, if given, in the category) the trace
    says instead of following the channels' arrival profiles; channels the trace does not
    mention get no new contacts. ``keep_tickets=False`` keeps only streaming statistics,
    no per-ticket rows.

    Python's cyclic garbage collector is paused during the run: tickets, agents and events are
    freed by reference counting (they form no cycles), and the collector would otherwise walk
    every live ticket again and again (a quarter of the run time with the ticket table kept).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        simulation = PlainSimulation if PLAIN_PATH and plain_scenario(scenario, trace) else Simulation
        return simulation(scenario, seed, trace, keep_tickets=keep_tickets).run()
    finally:
        if collecting:
            gc.enable()
