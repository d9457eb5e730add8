"""Results: replications on an executor, their metrics, and paired comparisons.

``simulation`` (``simulate`` and the result object), ``metrics`` (one definition per metric),
``executors`` (in-process, process pool, Dask: the only place that runs tasks),
``comparison`` (paired comparison on common random numbers), ``stats`` (confidence intervals),
``by_time`` (per-interval results by time of day), ``flow`` (process-flow graph and bottleneck).
"""

from supportsim.results.by_time import mean_by_interval, mean_by_time_of_day
from supportsim.results.comparison import (
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    Comparison,
    Kpi,
    compare,
    comparison_table,
    default_kpis,
)
from supportsim.results.executors import Executor, ExecutorError, make_executor
from supportsim.results.flow import Flow, FlowEdge, FlowNode, bottleneck, process_flow, stage_waits
from supportsim.results.replay import flow_by_interval
from supportsim.results.simulation import SimulationResult, simulate, simulate_to_precision
from supportsim.results.stats import confidence_half_width, paired_interval, unpaired_half_width

__all__ = [
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "Comparison",
    "Executor",
    "ExecutorError",
    "Flow",
    "FlowEdge",
    "FlowNode",
    "Kpi",
    "SimulationResult",
    "bottleneck",
    "compare",
    "comparison_table",
    "confidence_half_width",
    "default_kpis",
    "flow_by_interval",
    "make_executor",
    "mean_by_interval",
    "mean_by_time_of_day",
    "paired_interval",
    "process_flow",
    "simulate",
    "simulate_to_precision",
    "stage_waits",
    "unpaired_half_width",
]
