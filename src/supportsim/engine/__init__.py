"""The engine: one replication of a scenario as a SimPy discrete-event simulation.

``replication`` (runs one: the general event handlers of ``simulation``, or the plain path's
of ``plain`` where a scenario allows; ``dispatch``: queues and matching; ``output``: what it
hands on), ``entities`` (tickets and agents),
``draws`` (random attributes and arrival times; ``streams``: one random stream per source;
``rows``: the draws as the handlers read them),
``duty`` (agents on duty over time), ``calls`` (timed callbacks on SimPy's queue),
``records`` (what a replication keeps of its tickets; ``kept``: their rows; ``counting``: the
counters, added a chunk of rows at a time), ``levels`` (time-weighted statistics).
``compiled`` says whether the mypyc-compiled modules run (:func:`engine_build`).
"""

# first: importing ``compiled`` chooses between compiled modules and sources for the rest
from supportsim.engine.compiled import engine_build
from supportsim.engine.draws import ArrivalTrace
from supportsim.engine.output import ReplicationOutput
from supportsim.engine.replication import run_replication
from supportsim.engine.streams import replication_seeds

__all__ = ["ArrivalTrace", "ReplicationOutput", "engine_build", "replication_seeds", "run_replication"]
