"""Command line: ``supportsim run | validate | schema``."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from supportsim.loader import ScenarioError, load_scenario
from supportsim.scenario import Scenario
from supportsim.simulation import SimulationResult, simulate

app = typer.Typer(
    name="supportsim",
    help="Simulate a customer-service operation from a scenario file and report its KPIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

_CHANNEL_COLUMNS = [
    ("offered", "Offered", "{:,.0f}"),
    ("answered", "Answered", "{:,.0f}"),
    ("deflection_rate", "Deflection rate", "{:.1%}"),
    ("service_level", "Service level", "{:.1%}"),
    ("asa_seconds", "ASA (s)", "{:.1f}"),
    ("abandon_rate", "Abandonment rate", "{:.1%}"),
    ("mean_waiting", "Mean queue length", "{:.2f}"),
    ("max_waiting", "Max queue length", "{:.0f}"),
    ("first_response_minutes", "First response (min)", "{:.1f}"),
    ("resolution_minutes", "Resolution (min)", "{:.1f}"),
    ("resolution_minutes_p90", "Resolution p90 (min)", "{:.1f}"),
    ("escalation_rate", "Escalation rate", "{:.1%}"),
]
_GROUP_COLUMNS = [
    ("headcount", "Headcount", "{:.1f}"),
    ("staffed", "Staffed", "{:.1f}"),
    ("utilization", "Utilization", "{:.1%}"),
    ("occupancy", "Occupancy", "{:.1%}"),
    ("served", "Contacts served", "{:,.0f}"),
    ("paid_hours", "Paid hours", "{:,.0f}"),
    ("agent_cost", "Cost", "{:,.0f}"),
]


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


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
        table.add_row(header, *[_cell(metrics.get(key), fmt) for metrics in scopes.values()])
    return table


def _print_report(result: SimulationResult) -> None:
    summary = result.summary
    title = f"{result.scenario.name}: {result.replications} replication(s), seed {result.seed} (mean ± 95% CI)"
    scopes = dict(summary["channels"]) | {"overall": summary["overall"]}
    console.print(_kpi_table(title, scopes, _CHANNEL_COLUMNS))
    console.print(_kpi_table("Agent groups", summary["groups"], _GROUP_COLUMNS))
    overall = summary["overall"]
    console.print(
        f"Resolved {_cell(overall['resolved'], '{:,.0f}')}, cost per resolved ticket "
        f"{_cell(overall['cost_per_resolved'], '{:,.2f}')}, total cost {_cell(overall['total_cost'], '{:,.0f}')}",
        highlight=False,
    )
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def write_outputs(result: SimulationResult, out: Path, *, parquet: bool = False) -> None:
    """Write ``summary.json``, ``intervals`` and ``tickets`` tables into ``out`` all at once.

    Files are written to a temporary folder beside ``out`` and moved in place at the end,
    so a failure never leaves a half-written output folder.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        (staging / "summary.json").write_text(json.dumps(_nan_to_none(result.summary), indent=2) + "\n")
        if parquet:
            result.intervals.to_parquet(staging / "intervals.parquet", index=False)
            result.tickets.to_parquet(staging / "tickets.parquet", index=False)
        else:
            result.intervals.to_csv(staging / "intervals.csv", index=False)
            result.tickets.to_csv(staging / "tickets.csv", index=False)
        out.mkdir(exist_ok=True)
        for item in staging.iterdir():
            item.replace(out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@app.command()
def run(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    seed: Annotated[int, typer.Option(help="Root random seed.")] = 0,
    replications: Annotated[int, typer.Option(min=1, help="Independent replications.")] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    out: Annotated[Path | None, typer.Option(help="Write summary.json, intervals and tickets here.")] = None,
    parquet: Annotated[bool, typer.Option(help="Write Parquet instead of CSV (needs pyarrow).")] = False,
) -> None:
    """Simulate a scenario and print its KPIs (mean ± 95% confidence half-width)."""
    scenario = _load(scenario_file)
    with console.status(f"Simulating {scenario.name} ..."):
        result = simulate(scenario, seed=seed, replications=replications, workers=workers)
    _print_report(result)
    if out is not None:
        write_outputs(result, out, parquet=parquet)
        console.print(f"Wrote {out}/summary.json, intervals and tickets.")


@app.command()
def validate(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
) -> None:
    """Check a scenario file and say what is wrong with it, if anything."""
    scenario = _load(scenario_file)
    console.print(f"{scenario_file}: valid scenario '{scenario.name}'", highlight=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    console.print_json(json.dumps(scenario_json_schema()))


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (as in ``scenarios/scenario.schema.json``)."""
    return Scenario.model_json_schema(by_alias=True)


if __name__ == "__main__":  # pragma: no cover
    app()
