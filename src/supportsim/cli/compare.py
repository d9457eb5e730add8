"""``supportsim compare``: variants against a base on common random numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from supportsim.cli.common import (
    SHARES,
    DaskOption,
    KeepPartialOption,
    WorkersOption,
    check_output,
    check_replications,
    console,
    interrupted,
    load_or_exit,
    parse_kpis,
    progress_bar,
    running,
    write_or_exit,
)
from supportsim.reports.comparison import write_comparison
from supportsim.reports.files import json_ready, staged_output
from supportsim.reports.side_by_side import StaffingNeeds, staffing_needs
from supportsim.results.comparison import Comparison, compare
from supportsim.scenario.calendar import WEEKDAYS
from supportsim.scenario.edit import one_day

app = typer.Typer()

_VERDICT_STYLE = {"better": "green", "worse": "red", "no significant difference": "dim"}


def _print_comparison(comparison: Comparison) -> None:
    table = Table(
        title=f"{comparison.replications} paired replications, seed {comparison.seed}: "
        "difference from the base with its 95% confidence interval",
        title_justify="left",
    )
    table.add_column("KPI")
    names = [r.scenario.name for r in comparison.results]
    table.add_column(f"{names[0]} (base)", justify="right")
    for name in names[1:]:
        table.add_column(name, justify="right")
    for kpi in comparison.kpis:
        rows = comparison.table[comparison.table["kpi"] == kpi.label].set_index("scenario")
        fmt = "{:.1%}" if kpi.metric.endswith("_rate") or kpi.metric in SHARES else "{:,.2f}"
        base_mean: Any = rows.loc[names[0], "mean"]
        cells = [_format(float(base_mean), fmt)]
        for name in names[1:]:
            row: Any = rows.loc[name]
            style = _VERDICT_STYLE.get(row["verdict"], "")
            delta = f"{_format(row['difference'], fmt, signed=True)} ± {_format(row['difference_ci95'], fmt)}"
            cells.append(
                f"{_format(row['mean'], fmt)}  [{style}]{delta}[/]"
                if style
                else f"{_format(row['mean'], fmt)}  {delta}"
            )
        table.add_row(kpi.label, *cells)
    console.print(table)
    console.print(
        "[green]green[/]: significantly better, [red]red[/]: significantly worse, "
        "[dim]grey[/]: no significant difference."
    )
    for result in comparison.results:
        for warning in result.grouped_warnings:
            console.print(f"[yellow]warning:[/yellow] {result.scenario.name}: {warning}", highlight=False)


def _format(value: float, fmt: str, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = fmt.format(value)
    return f"+{text}" if signed and value > 0 else text


@app.command("compare")
def compare_command(
    scenario_files: Annotated[
        list[Path], typer.Argument(help="The base scenario, then one or more variants.", show_default=False)
    ],
    seed: Annotated[int, typer.Option(min=0, help="Root random seed shared by all scenarios.")] = 0,
    replications: Annotated[int, typer.Option(min=2, help="Paired replications per scenario.")] = 10,
    kpi: Annotated[list[str] | None, typer.Option(help="KPIs to compare (default: a manager's set).")] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: Annotated[Path | None, typer.Option(help="Write comparison.csv/.json and PNG charts here.")] = None,
    keep_partial: KeepPartialOption = False,
    staffing: Annotated[
        bool, typer.Option("--staffing", help="Also plan every scenario's staffing on the same seeds, side by side.")
    ] = False,
    staffing_day: Annotated[
        str, typer.Option(help="Staffing: plan one day on this weekday (mon..sun), or 'all' for the whole horizon.")
    ] = "mon",
    staffing_replications: Annotated[int, typer.Option(min=2, help="Staffing: replications per candidate.")] = 5,
) -> None:
    """Compare variants with a base scenario on common random numbers (paired differences)."""
    if len(scenario_files) < 2:
        typer.echo("compare needs a base scenario and at least one variant", err=True)
        raise typer.Exit(2)
    check_replications("--replications", replications)
    if staffing and staffing_day not in (*WEEKDAYS, "all"):
        typer.echo(f"--staffing-day: '{staffing_day}' is not one of {', '.join(WEEKDAYS)} or all", err=True)
        raise typer.Exit(2)
    scenarios = [load_or_exit(path) for path in scenario_files]
    kpis = parse_kpis(kpi)
    check_output(out)
    with running(replications=replications), progress_bar(f"Comparing {len(scenarios)} scenarios") as update:
        comparison = compare(
            scenarios, seed=seed, replications=replications, workers=workers, dask=dask, kpis=kpis, progress=update
        )
    if comparison.replications < replications:  # Ctrl-C: only the replications every scenario finished
        if out is not None and keep_partial:
            write_or_exit(out, lambda: _write(comparison, out, (comparison.replications, replications)))
            console.print(f"Wrote {out}/comparison.json and the rest (incomplete).")
        raise interrupted(comparison.replications, replications)
    _print_comparison(comparison)
    needs = None
    if staffing:
        planned = scenarios if staffing_day == "all" else [one_day(s, staffing_day) for s in scenarios]
        label = "Planning staffing (scenarios, not replications)"
        with running(replications=staffing_replications), progress_bar(label) as update:
            needs = staffing_needs(planned, seed=seed, replications=staffing_replications, workers=workers or 1,
                                   progress=lambda k, _m: update(k, len(planned)))
        _print_needs(needs, "the whole horizon" if staffing_day == "all" else f"one {staffing_day}")
    if out is not None:
        write_or_exit(out, lambda: _write(comparison, out, None, needs))
        extra = ", staffing_needs.csv, staffing_by_interval.csv" if needs is not None else ""
        console.print(f"Wrote {out}/comparison.csv, comparison.json{extra}, kpi_deltas.png and queue_over_day.png.")


def _print_needs(needs: StaffingNeeds, span: str) -> None:
    table = Table(
        title=f"Staffing needs, {span}, seed {needs.plans[0].seed}: each scenario planned alone, "
        "difference from the base in brackets",
        title_justify="left",
    )
    for column in ("scenario", "group", "peak people", "paid hours", "FTE (8 h days)", "cost"):
        table.add_column(column, justify="left" if column in ("scenario", "group") else "right")
    for row in needs.summary.itertuples():
        first = row.scenario == needs.plans[0].scenario.name
        cells = [
            f"{value:,.{digits}f}" + ("" if first else f" ({delta:+,.{digits}f})")
            for value, delta, digits in (
                (row.peak_headcount, row.peak_headcount_vs_base, 0),
                (row.paid_hours, row.paid_hours_vs_base, 1),
                (row.fte, row.fte_vs_base, 2),
                (row.cost, row.cost_vs_base, 2),
            )
        ]
        table.add_row(str(row.scenario), str(row.group), *cells)
    console.print(table)


def _write(
    comparison: Comparison, out: Path, partial: tuple[int, int] | None, needs: StaffingNeeds | None = None
) -> None:
    """The comparison's files, all or none; a partial one says ``"complete": false`` and its counts."""
    with staged_output(out) as staging:
        write_comparison(comparison, staging)
        if needs is not None:
            needs.summary.to_csv(staging / "staffing_needs.csv", index=False)
            needs.by_interval.to_csv(staging / "staffing_by_interval.csv", index=False)
        if partial is not None:
            path = staging / "comparison.json"
            data = json.loads(path.read_text())
            data |= {"complete": False, "replications_finished": partial[0], "replications_requested": partial[1]}
            path.write_text(json.dumps(json_ready(data), indent=2) + "\n")


