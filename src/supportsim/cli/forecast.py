"""``supportsim forecast``: volume forecasts from an interval report or a contact log.

Bad input (a file that cannot be read, a column that is not there, too little history, a
base scenario the forecast does not fit) prints one line naming the file and the column or
flag, exits with code 2, and writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from supportsim.calibration import ColumnMap, LogError, read_log
from supportsim.cli.common import check_output, console
from supportsim.forecast import (
    IntervalColumns,
    IntervalReportError,
    VolumeForecast,
    VolumeHistory,
    forecast_scenario,
    forecast_volume,
    history_from_log,
    read_interval_report,
)
from supportsim.reports.forecast_report import write_forecast, write_forecast_scenario
from supportsim.scenario.io import ScenarioError


class HistoryFormat(StrEnum):
    """What the history file is: an interval report, or a per-contact log of a known format."""

    interval = "interval"
    anonymous_bank = "anonymous_bank"
    servicenow = "servicenow"
    csv = "csv"


_REPORT = "Interval report columns (--format interval)"


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _history(
    path: Path,
    fmt: HistoryFormat,
    interval_minutes: int,
    mapping: Path | None,
    columns: dict[str, str | None],
) -> VolumeHistory:
    if fmt is HistoryFormat.interval:
        if mapping is not None:
            spec = IntervalColumns.from_yaml(mapping, **columns)
        else:
            for key in ("time", "volume"):
                if columns[key] is None:
                    raise _fail(f"{path}: an interval report needs {IntervalColumns.FLAGS[key]} (or --mapping)")
            spec = IntervalColumns(**{k: v for k, v in columns.items() if v is not None})
        return read_interval_report(path, spec, interval_minutes)
    if any(v is not None for v in columns.values()):
        raise _fail(f"{path}: column options go with --format interval, not {fmt.value}")
    if fmt is HistoryFormat.csv:
        if mapping is None:
            raise _fail(f"{path}: a per-contact csv log needs --mapping (a column mapping as for 'supportsim fit')")
        return history_from_log(read_log(path, "csv", ColumnMap.from_yaml(mapping)), interval_minutes)
    if mapping is not None:
        raise _fail(f"{path}: --mapping goes with --format interval or csv, not {fmt.value}")
    if fmt is HistoryFormat.anonymous_bank:
        return history_from_log(read_log(path, "anonymous_bank"), interval_minutes)
    return history_from_log(read_log(path, "servicenow"), interval_minutes)


def forecast_command(
    history_file: Annotated[Path, typer.Argument(help="History: an interval report CSV or a contact log.")],
    out: Annotated[Path, typer.Option(help="Folder for forecast.csv, report.md, plots and accuracy.json.")],
    train_until: Annotated[str, typer.Option(help="Fit on the days before this date (YYYY-MM-DD).")],
    horizon_days: Annotated[int, typer.Option(min=1, max=366, help="Calendar days to forecast from --train-until.")],
    interval_minutes: Annotated[int, typer.Option(help="Planning interval (5, 15, 30, 60 minutes).")] = 30,
    format: Annotated[
        HistoryFormat, typer.Option("--format", "-f", help="interval (a report) or a log format.")
    ] = HistoryFormat.interval,
    time_column: Annotated[
        str | None, typer.Option(help="Column of the interval start.", rich_help_panel=_REPORT)
    ] = None,
    volume_column: Annotated[
        str | None, typer.Option(help="Column of the contacts offered.", rich_help_panel=_REPORT)
    ] = None,
    channel_column: Annotated[
        str | None, typer.Option(help="Column of the queue or channel.", rich_help_panel=_REPORT)
    ] = None,
    aht_column: Annotated[
        str | None, typer.Option(help="Column of the AHT in seconds.", rich_help_panel=_REPORT)
    ] = None,
    time_format: Annotated[
        str | None, typer.Option(help="strftime format of the times (default ISO 8601).", rich_help_panel=_REPORT)
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="YAML column mapping (interval: flags override it; csv: as for fit).", rich_help_panel=_REPORT
        ),
    ] = None,
    scenario: Annotated[
        Path | None, typer.Option("--scenario", "-s", help="Base scenario: also write one with the forecast.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Scenario YAML to write (with --scenario).")
    ] = None,
) -> None:
    """Forecast contacts per interval with an 80% band; optionally write a scenario carrying it."""
    try:
        until = datetime.strptime(train_until, "%Y-%m-%d")
    except ValueError:
        raise _fail(f"--train-until: '{train_until}' is not a date YYYY-MM-DD") from None
    if interval_minutes not in (5, 15, 30, 60):
        raise _fail(f"--interval-minutes must be 5, 15, 30 or 60, got {interval_minutes}")
    if (scenario is None) != (output is None):
        raise _fail("--scenario and --output go together: the base scenario and the scenario to write")
    if scenario is not None and interval_minutes not in (15, 30, 60):
        raise _fail(f"--interval-minutes {interval_minutes}: a scenario's interval is 15, 30 or 60 minutes")
    if output is not None and output.is_dir():
        raise _fail(f"{output}: is a folder; -o names the scenario YAML file to write")
    check_output(out)
    columns = {
        "time": time_column,
        "volume": volume_column,
        "channel": channel_column,
        "aht": aht_column,
        "time_format": time_format,
    }
    try:
        history = _history(history_file, format, interval_minutes, mapping, columns)
        with console.status(f"Forecasting {history_file.name} ..."):
            result = forecast_volume(history, until.date().isoformat(), horizon_days)
        if scenario is not None and output is not None:
            forecast_scenario(result, scenario, output)  # refuse a base it does not fit before writing anything
        written = write_forecast(result, out)
        if scenario is not None and output is not None:
            write_forecast_scenario(result, scenario, output)
    except (IntervalReportError, LogError, ScenarioError) as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(f"{history_file}: {exc}") from None
    except OSError as exc:
        raise _fail(f"{exc.filename or out}: cannot write ({exc.strerror or exc})") from None
    _print(result)
    console.print(f"Wrote {', '.join(f'{out}/{name}' for name in written)}", highlight=False)
    if output is not None:
        console.print(f"Wrote {output} (extends {scenario})", highlight=False)


def _print(result: VolumeForecast) -> None:
    history = result.history
    console.print(f"{history.source}: {history.rows_read} rows, {len(history.problems)} problem rows", highlight=False)
    for row in history.problem_counts().itertuples(index=False):
        console.print(f"  {row.rows} x {row.reason} ({row.action}; lines {row.lines})", highlight=False)
    table = Table(title="Forecast", title_justify="left")
    for header in ("channel", "method", "backtest WAPE", "contacts", "outliers replaced"):
        table.add_column(header, justify="left" if header in ("channel", "method") else "right")
    for channel, fit in result.fits.items():
        wape = fit.candidates.loc[fit.candidates["chosen"], "wape"]
        total = result.daily.loc[result.daily["channel"] == channel, "volume"].sum()
        table.add_row(
            channel, fit.method, f"{wape.iloc[0]:.1%}" if len(wape) else "–", f"{total:,.0f}", str(len(fit.outliers))
        )
    console.print(table)
    if result.accuracy is not None:
        acc = result.accuracy
        console.print(
            f"Held-out {acc['days']} days: interval WAPE {acc['forecast']['wape_interval']:.1%} "
            f"(seasonal naive {acc['seasonal_naive']['wape_interval']:.1%}), "
            f"80% band coverage {acc['forecast']['coverage_80']:.1%}",
            highlight=False,
        )


app = typer.Typer()
app.command("forecast")(forecast_command)
