"""``supportsim run | validate | schema``: simulate a scenario and print its KPIs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from supportsim.cli.common import (
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
from supportsim.reports.files import write_run
from supportsim.results.simulation import SimulationResult, mark_incomplete, simulate, simulate_to_precision
from supportsim.scenario.io import scenario_json_schema

app = typer.Typer()

_CHANNEL_COLUMNS = [
    ("offered", "Offered", "{:,.0f}"),
    ("answered", "Answered", "{:,.0f}"),
    ("deflection_rate", "Deflection rate", "{:.1%}"),
    ("bot_abandoned", "Left in the bot", "{:,.0f}"),
    ("service_level", "Service level", "{:.1%}"),
    ("asa_seconds", "ASA (s)", "{:.1f}"),
    ("abandon_rate", "Abandonment rate", "{:.1%}"),
    ("customers", "Customers", "{:,.0f}"),
    ("retrials", "Retrials", "{:,.0f}"),
    ("blocked_rate", "Blocked rate", "{:.1%}"),
    ("customer_abandon_rate", "Customers who gave up", "{:.1%}"),
    ("disconnected", "Disconnected", "{:,.0f}"),
    ("first_contact_resolution", "First-contact resolution", "{:.1%}"),
    ("csat", "CSAT", "{:.1%}"),
    ("oldest_age_hours", "Oldest age (h)", "{:.1f}"),
    ("mean_waiting", "Mean waiting", "{:.2f}"),
    ("max_waiting", "Max waiting", "{:.0f}"),
    ("first_response_minutes", "First response (min)", "{:.1f}"),
    ("resolution_minutes", "Resolution (min)", "{:.1f}"),
    ("resolution_minutes_p90", "Resolution p90 (min)", "{:.1f}"),
    ("escalation_rate", "Escalation rate", "{:.1%}"),
]
_GROUP_COLUMNS = [
    ("headcount_peak", "Peak headcount", "{:.0f}"),
    ("headcount", "Mean headcount", "{:.1f}"),
    ("staffed", "Mean staffed", "{:.1f}"),
    ("occupancy", "Occupancy", "{:.1%}"),
    ("paid_utilization", "Utilization (staffed/paid)", "{:.1%}"),
    ("served", "Contacts served", "{:,.0f}"),
    ("paid_hours", "Paid hours", "{:,.0f}"),
    ("overtime_hours", "Overtime hours", "{:,.1f}"),
    ("agent_cost", "Cost", "{:,.0f}"),
]


def _cell(entry: dict[str, Any] | None, fmt: str) -> str:
    if entry is None:
        return "–"
    mean, half = entry["mean"], entry["ci95"]
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    text = fmt.format(mean)
    if half is not None:
        text += " ± " + fmt.format(half)
    return text


def _kpi_table(title: str, scopes: dict[str, dict[str, Any]], columns: list[tuple[str, str, str]]) -> Table:
    """KPIs as rows, scopes (channels, groups) as columns: fits a narrow terminal."""
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for name in scopes:
        table.add_column(name, justify="right")
    for key, header, fmt in columns:
        shown_if = _SHOWN_IF_USED.get(key)
        if shown_if and not any(_used(metrics.get(shown_if)) for metrics in scopes.values()):
            continue
        table.add_row(header, *[_cell(metrics.get(key), fmt) for metrics in scopes.values()])
    return table


_SHOWN_IF_USED = {
    "customers": "retrials",
    "retrials": "retrials",
    "customer_abandon_rate": "retrials",
    "blocked_rate": "blocked_rate",
    "disconnected": "disconnected",
    "csat": "csat",
    "oldest_age_hours": "oldest_age_hours",
}
"""Rows of features a scenario may not use: printed only when the named metric is not zero."""


def _used(entry: dict[str, Any] | None) -> bool:
    mean = None if entry is None else entry["mean"]
    return mean is not None and not (isinstance(mean, float) and math.isnan(mean)) and mean != 0


def _print_report(result: SimulationResult) -> None:
    summary = result.summary
    title = f"{result.scenario.name}: {result.replications} replication(s), seed {result.seed} (mean ± 95% CI)"
    scopes = dict(summary["channels"]) | {"overall": summary["overall"]}
    console.print(_kpi_table(title, scopes, _CHANNEL_COLUMNS))
    console.print(_kpi_table("Agent groups", summary["groups"], _GROUP_COLUMNS))
    overall = summary["overall"]
    console.print(
        f"Resolved by agents {_cell(overall['resolved'], '{:,.0f}')}, by automation "
        f"{_cell(overall['deflected'], '{:,.0f}')}; cost per resolved ticket "
        f"{_cell(overall['cost_per_resolved'], '{:,.2f}')}; total cost {_cell(overall['total_cost'], '{:,.0f}')}",
        highlight=False,
    )
    console.print(
        "Waiting counts contacts not yet answered (overall: every queue, escalations included); "
        "headcount and staffed are averages over the whole horizon, closed hours included.",
        style="dim",
    )
    for warning in result.grouped_warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


@app.command()
def run(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    seed: Annotated[int, typer.Option(min=0, help="Root random seed.")] = 0,
    replications: Annotated[int, typer.Option(min=1, help="Independent replications.")] = 1,
    precision: Annotated[
        float | None,
        typer.Option(min=0.0001, help="Add replications until the KPIs' relative 95% half-widths are below this."),
    ] = None,
    max_replications: Annotated[int, typer.Option(min=2, help="Upper limit with --precision.")] = 200,
    kpi: Annotated[
        list[str] | None,
        typer.Option(help="KPI for --precision, e.g. overall:resolution_minutes or channels:phone:service_level."),
    ] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: Annotated[Path | None, typer.Option(help="Write summary.json, intervals and tickets here.")] = None,
    parquet: Annotated[bool, typer.Option(help="Write Parquet instead of CSV (needs pyarrow).")] = False,
    keep_partial: KeepPartialOption = False,
) -> None:
    """Simulate a scenario and print its KPIs (mean ± 95% confidence half-width)."""
    check_replications("--replications", replications)
    check_replications("--max-replications", max_replications)
    scenario = load_or_exit(scenario_file)
    kpis = parse_kpis(kpi)
    if kpis and precision is None:
        typer.echo("--kpi chooses the KPIs of --precision: give --precision too", err=True)
        raise typer.Exit(2)
    check_output(out)
    if parquet:
        _require_pyarrow()
    wanted = replications if precision is None else max(replications, max_replications)
    with running(replications=wanted), progress_bar(f"Simulating {scenario.name}") as update:
        if precision is None:
            result = simulate(
                scenario, seed=seed, replications=replications, workers=workers, dask=dask, progress=update,
                keep_tickets=out is not None,  # the per-ticket table is only written, never printed
            )
        else:
            watched = [(k.scope, k.name, k.metric) for k in kpis] if kpis else None
            result = simulate_to_precision(
                scenario,
                precision=precision,
                kpis=watched,
                seed=seed,
                min_replications=replications,
                max_replications=max_replications,
                workers=workers,
                dask=dask,
                progress=update,
                keep_tickets=out is not None,
            )
    stopped = result.interrupted
    if stopped is not None:
        if out is not None and keep_partial:
            write_or_exit(out, lambda: write_run(mark_incomplete(result), out, parquet=parquet))
            console.print(f"Wrote {out}/summary.json, intervals and tickets (incomplete).")
        raise interrupted(*stopped)
    _print_report(result)
    if out is not None:
        write_or_exit(out, lambda: write_run(result, out, parquet=parquet))
        console.print(f"Wrote {out}/summary.json, intervals and tickets.")


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        typer.echo("--parquet needs pyarrow: pip install 'supportsim[parquet]'", err=True)
        raise typer.Exit(2) from None


@app.command()
def validate(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
) -> None:
    """Check a scenario file and say what is wrong with it, if anything."""
    scenario = load_or_exit(scenario_file)
    console.print(f"{scenario_file}: valid scenario '{scenario.name}'", highlight=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    console.print_json(json.dumps(scenario_json_schema()))

