"""Command line: ``supportsim run | validate | schema``."""

from __future__ import annotations

import json
import math
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from supportsim.comparison import Comparison, Kpi, compare
from supportsim.executors import ExecutorError
from supportsim.loader import ScenarioError, load_scenario
from supportsim.reports import json_ready, staged_output, write_comparison
from supportsim.scenario import Scenario
from supportsim.simulation import SimulationResult, simulate, simulate_to_precision

app = typer.Typer(
    name="supportsim",
    help="Simulate a customer-service operation from a scenario file and report its KPIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "channels:phone:service_level" must not become an emoji
)
console = Console()

_CHANNEL_COLUMNS = [
    ("offered", "Offered", "{:,.0f}"),
    ("answered", "Answered", "{:,.0f}"),
    ("deflection_rate", "Deflection rate", "{:.1%}"),
    ("bot_abandoned", "Left in the bot", "{:,.0f}"),
    ("service_level", "Service level", "{:.1%}"),
    ("asa_seconds", "ASA (s)", "{:.1f}"),
    ("abandon_rate", "Abandonment rate", "{:.1%}"),
    ("mean_waiting", "Mean waiting", "{:.2f}"),
    ("max_waiting", "Max waiting", "{:.0f}"),
    ("first_response_minutes", "First response (min)", "{:.1f}"),
    ("resolution_minutes", "Resolution (min)", "{:.1f}"),
    ("resolution_minutes_p90", "Resolution p90 (min)", "{:.1f}"),
    ("escalation_rate", "Escalation rate", "{:.1%}"),
]
# Metrics that are shares, printed as percentages (besides every ``*_rate``).
_SHARES = {
    "service_level",
    "service_level_answered",
    "service_level_realtime",
    "service_level_async",
    "utilization",
    "occupancy",
}
_GROUP_COLUMNS = [
    ("headcount_peak", "Peak headcount", "{:.0f}"),
    ("headcount", "Mean headcount", "{:.1f}"),
    ("staffed", "Mean staffed", "{:.1f}"),
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
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def check_output(out: Path | None) -> None:
    """Refuse, before any work, an output folder that names a file or cannot be written."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        typer.echo(f"{out}: is a file; --out names a folder", err=True)
        raise typer.Exit(2)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        Path(tempfile.mkdtemp(prefix=f".{out.name}-check-", dir=out.parent)).rmdir()
    except OSError as exc:
        typer.echo(f"{out}: cannot write here ({exc.strerror or exc})", err=True)
        raise typer.Exit(2) from None


@contextmanager
def running() -> Iterator[None]:
    """Turn what a user can get wrong at run time (a KPI that does not exist, an unreachable
    Dask scheduler) into one line and exit code 2.
    """
    try:
        yield
    except (ValueError, ExecutorError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def write_outputs(result: SimulationResult, out: Path, *, parquet: bool = False) -> None:
    """Write ``summary.json`` and the ``intervals`` and ``tickets`` tables into ``out``."""
    with staged_output(out) as staging:
        (staging / "summary.json").write_text(json.dumps(json_ready(result.summary), indent=2) + "\n")
        if parquet:
            result.intervals.to_parquet(staging / "intervals.parquet", index=False)
            result.tickets.to_parquet(staging / "tickets.parquet", index=False)
        else:
            result.intervals.to_csv(staging / "intervals.csv", index=False)
            result.tickets.to_csv(staging / "tickets.csv", index=False)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback ``(done, total)`` that shows a bar only for runs over a second."""
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replications"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task(label, total=None)
    timer = threading.Timer(1.0, bar.start)
    timer.daemon = True
    timer.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        timer.cancel()
        bar.stop()


def _parse_kpis(texts: list[str] | None) -> list[Kpi] | None:
    if not texts:
        return None
    try:
        return [Kpi.parse(text) for text in texts]
    except ValueError as exc:
        typer.echo(f"--kpi: {exc}", err=True)
        raise typer.Exit(2) from None


WorkersOption = Annotated[
    int | None, typer.Option(min=1, help="Local worker processes (default: one per core).", show_default=False)
]
DaskOption = Annotated[
    str | None,
    typer.Option(help="Run on Dask: 'local' starts a LocalCluster, or a scheduler address tcp://host:8786."),
]


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
) -> None:
    """Simulate a scenario and print its KPIs (mean ± 95% confidence half-width)."""
    scenario = _load(scenario_file)
    kpis = _parse_kpis(kpi)
    if kpis and precision is None:
        typer.echo("--kpi chooses the KPIs of --precision: give --precision too", err=True)
        raise typer.Exit(2)
    check_output(out)
    if parquet:
        _require_pyarrow()
    with running(), progress_bar(f"Simulating {scenario.name}") as update:
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
    _print_report(result)
    if out is not None:
        write_outputs(result, out, parquet=parquet)
        console.print(f"Wrote {out}/summary.json, intervals and tickets.")


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        typer.echo("--parquet needs pyarrow: pip install 'supportsim[parquet]'", err=True)
        raise typer.Exit(2) from None


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
        fmt = "{:.1%}" if kpi.metric.endswith("_rate") or kpi.metric in _SHARES else "{:,.2f}"
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
        for warning in result.warnings:
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
) -> None:
    """Compare variants with a base scenario on common random numbers (paired differences)."""
    if len(scenario_files) < 2:
        typer.echo("compare needs a base scenario and at least one variant", err=True)
        raise typer.Exit(2)
    scenarios = [_load(path) for path in scenario_files]
    kpis = _parse_kpis(kpi)
    check_output(out)
    with running(), progress_bar(f"Comparing {len(scenarios)} scenarios") as update:
        comparison = compare(
            scenarios, seed=seed, replications=replications, workers=workers, dask=dask, kpis=kpis, progress=update
        )
    _print_comparison(comparison)
    if out is not None:
        with staged_output(out) as staging:
            write_comparison(comparison, staging)
        console.print(f"Wrote {out}/comparison.csv, comparison.json, kpi_deltas.png and queue_over_day.png.")


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


# Commands from other modules register themselves here (imported last: they use this module's helpers).
from supportsim import cli_calibration  # noqa: E402

cli_calibration.register(app)
from supportsim import cli_planning  # noqa: E402

cli_planning.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
