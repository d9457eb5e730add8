"""Backtest output: ``backtest.csv``, ``summary.json`` and one plot per channel."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from supportsim.calibration import BACKTEST_KPIS, BacktestResult
from supportsim.reports.files import json_ready, staged_output

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def write_backtest(result: BacktestResult, out: Path) -> None:
    """Write ``backtest.csv``, ``summary.json`` and plots into ``out``, all or nothing."""
    with staged_output(out) as staging:
        result.intervals.to_csv(staging / "backtest.csv", index=False)
        (staging / "summary.json").write_text(json.dumps(json_ready(result.summary), indent=2) + "\n")
        write_backtest_plots(result, staging)


def backtest_figures(result: BacktestResult) -> dict[str, Figure]:
    """Per channel: observed and simulated KPIs over the time of day (all days pooled)."""
    from matplotlib.figure import Figure  # heavy: imported when a figure is drawn

    figures = {}
    interval_minutes = result.summary["interval_minutes"]
    frame = result.by_time_of_day
    for channel, rows in frame.groupby("channel"):
        fig = Figure(figsize=(11, 7), layout="constrained")
        axes = fig.subplots(math.ceil(len(BACKTEST_KPIS) / 2), 2, squeeze=False).flat
        for ax, kpi in zip(axes, BACKTEST_KPIS, strict=False):
            for side, style in (
                ("observed", {"color": "black"}),
                ("simulated", {"color": "tab:blue", "ls": "--"}),
            ):
                part = rows[rows["side"] == side].sort_values("slot")
                hours = part["slot"].to_numpy() * interval_minutes / 60
                ax.step(hours, part[kpi].to_numpy(), where="post", label=side, **style)
            ax.set(title=kpi, xlabel="hour of day", xlim=(0, 24))
        fig.axes[0].legend()
        for ax in fig.axes[len(BACKTEST_KPIS) :]:
            ax.set_visible(False)
        fig.suptitle(
            f"{channel}: observed vs simulated over the day, "
            f"{result.summary['period']['days']} days pooled "
            f"({result.summary['replications']} replications)"
        )
        figures[str(channel)] = fig
    return figures


def write_backtest_plots(result: BacktestResult, folder: Path) -> list[str]:
    """One PNG per channel (:func:`backtest_figures`) into ``folder``; returns the file names."""
    names = []
    for channel, fig in backtest_figures(result).items():
        name = f"backtest_{''.join(ch if ch.isalnum() else '_' for ch in channel)}.png"
        fig.savefig(folder / name, dpi=90)
        names.append(name)
    return names
