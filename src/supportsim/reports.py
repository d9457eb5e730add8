"""Charts and files made from results (PNG via matplotlib figures, CSV, JSON).

Figures are built with ``matplotlib.figure.Figure`` directly, so importing this module never
changes the pyplot backend of a notebook or an app.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from supportsim.comparison import Comparison
from supportsim.simulation import SimulationResult


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` whose files are moved into ``out`` only once all of
    them are written, so a failure never leaves a half-written output folder.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        yield staging
        out.mkdir(exist_ok=True)
        for item in staging.iterdir():
            item.replace(out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON: NaN and infinities become None, numpy scalars Python ones,
    mapping keys strings.
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def queue_by_time_of_day(result: SimulationResult) -> pd.Series:
    """Mean number of tickets waiting (all channels) at each time of day, over days and
    replications.
    """
    channels = result.intervals[result.intervals["scope"] == "channel"]
    per_interval = channels.groupby(["replication", "interval", "time"], observed=True)["mean_waiting"].sum()
    return per_interval.groupby("time").mean()


def plot_kpi_deltas(comparison: Comparison, path: Path) -> None:
    """Horizontal bars: each variant's paired difference from the base, in % of the base,
    with its 95% confidence interval.
    """
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
