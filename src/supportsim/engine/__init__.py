"""The engine: one replication of a scenario as a SimPy discrete-event simulation.

``replication`` (the SimPy model), ``streams`` (one random stream per source), ``records``
(what a replication keeps of its tickets), ``levels`` (time-weighted statistics).
"""

from supportsim.engine.replication import ArrivalTrace, ReplicationOutput, run_replication
from supportsim.engine.streams import replication_seeds

__all__ = ["ArrivalTrace", "ReplicationOutput", "replication_seeds", "run_replication"]
