"""The comparison report: ``comparison.csv``, ``comparison.json`` and two PNG charts.

Figures are built with ``matplotlib.figure.Figure`` directly, so importing this module never
changes the pyplot backend of a notebook or an app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from supportsim.reports.files import json_ready
from supportsim.results.by_time import mean_by_time_of_day
from supportsim.results.comparison import Comparison
from supportsim.results.simulation import SimulationResult

if TYPE_CHECKING:
    pass


def queue_by_time_of_day(result: SimulationResult) -> pd.Series:
    """Mean number of tickets waiting (all channels) at each time of day, over days and
    replications.
    """
    means = mean_by_time_of_day(result, "channel", "mean_waiting", total=True)
    return means.set_index("time")["mean_waiting"]


def plot_kpi_deltas(comparison: Comparison, path: Path) -> None:
    """Horizontal bars: each variant's paired difference from the base, in % of the base,
    with its 95% confidence interval.
    """
    from matplotlib.figure import Figure  # heavy: imported when a figure is drawn

    table = comparison.table[comparison.table["scenario"] != comparison.base.scenario.name]
    table = table[table["base_mean"].abs() > 0]
    kpis = list(dict.fromkeys(table["kpi"]))
    variants = list(dict.fromkeys(table["scenario"]))
    fig = Figure(figsize=(9, 0.45 * len(kpis) * max(1, len(variants)) + 1.5))
    ax = fig.subplots()
    height = 0.8 / max(1, len(variants))
    for v, variant in enumerate(variants):
        rows = table[table["scenario"] == variant].set_index("kpi").reindex(kpis)
        relative = 100 * rows["difference"] / rows["base_mean"].abs()
        error = 100 * rows["difference_ci95"] / rows["base_mean"].abs()
        y = [k + v * height for k in range(len(kpis))]
        ax.barh(y, relative, height=height, xerr=error.fillna(0), capsize=3, label=variant)
    ax.set_yticks([k + height * (len(variants) - 1) / 2 for k in range(len(kpis))], kpis)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("difference from base (% of base), with 95% paired confidence interval")
    ax.set_title(f"Change against {comparison.base.scenario.name} ({comparison.replications} paired replications)")
    ax.legend(loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_queue_over_day(comparison: Comparison, path: Path) -> None:
    """Mean number waiting by time of day, one line per scenario."""
    from matplotlib.figure import Figure  # heavy: imported when a figure is drawn

    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    for result in comparison.results:
        series = queue_by_time_of_day(result)
        ax.plot(range(len(series)), series.to_numpy(), label=result.scenario.name)
        ticks = list(range(0, len(series), max(1, len(series) // 12)))
        ax.set_xticks(ticks, [series.index[t] for t in ticks], rotation=45)
    ax.set_xlabel("time of day")
    ax.set_ylabel("tickets waiting (mean over days)")
    ax.set_title("Queue length over the day")
    ax.legend(loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_comparison(comparison: Comparison, out: Path) -> None:
    """Write ``comparison.csv``, ``comparison.json`` and the two PNG charts into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    comparison.table.to_csv(out / "comparison.csv", index=False)
    payload = {
        "seed": comparison.seed,
        "replications": comparison.replications,
        "base": comparison.base.scenario.name,
        "scenarios": [r.scenario.name for r in comparison.results],
        "rows": comparison.table.to_dict(orient="records"),
        "warnings": {r.scenario.name: r.warnings for r in comparison.results},
    }
    (out / "comparison.json").write_text(json.dumps(json_ready(payload), indent=2) + "\n")
    plot_kpi_deltas(comparison, out / "kpi_deltas.png")
    plot_queue_over_day(comparison, out / "queue_over_day.png")
