"""Results: replications on an executor, their metrics, and paired comparisons.

``simulation`` (``simulate`` and the result object), ``metrics`` (one definition per metric),
``executors`` (in-process, process pool, Dask: the only place that runs tasks),
``comparison`` (paired comparison on common random numbers), ``stats`` (confidence intervals).
"""

from supportsim.results.comparison import Comparison, Kpi, compare, comparison_table
from supportsim.results.executors import Executor, ExecutorError, make_executor
from supportsim.results.simulation import SimulationResult, simulate, simulate_to_precision
from supportsim.results.stats import confidence_half_width, paired_interval, unpaired_half_width

__all__ = [
    "Comparison",
    "Executor",
    "ExecutorError",
    "Kpi",
    "SimulationResult",
    "compare",
    "comparison_table",
    "confidence_half_width",
    "make_executor",
    "paired_interval",
    "simulate",
    "simulate_to_precision",
    "unpaired_half_width",
]
