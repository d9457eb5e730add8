"""Command line: ``supportsim fit`` (a scenario from a log) and ``supportsim backtest``.

``register(app)`` adds both commands to a Typer app. Bad input (a log that cannot be read,
a scenario that does not load, a log and scenario that do not match) prints one clear line
naming the file and the column or row, exits with code 2, and writes nothing.
"""

from __future__ import annotations

import math
import shlex
import textwrap
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from supportsim.calibration import (
    BACKTEST_KPIS,
    BacktestError,
    ColumnMap,
    ContactLog,
    FitOptions,
    FitResult,
    LogError,
    backtest,
    fit,
    read_log,
)
from supportsim.cli.common import console
from supportsim.reports.backtest_report import write_backtest
from supportsim.reports.files import OutputRefused, check_writable_file, staged_output, write_text_atomic
from supportsim.reports.fit_report import scenario_yaml, write_fit_report
from supportsim.scenario.calendar import WEEKDAYS
from supportsim.scenario.io import ScenarioError, load_scenario


class LogFormat(StrEnum):
    """Log formats ``fit`` and ``backtest`` read."""

    anonymous_bank = "anonymous_bank"
    servicenow = "servicenow"
    csv = "csv"


_CSV = "Generic CSV columns (with --format csv)"

LogArg = Annotated[Path, typer.Argument(help="The log file.", show_default=False)]
FormatOpt = Annotated[LogFormat, typer.Option("--format", "-f", help="Log format.", show_default=False)]
MappingOpt = Annotated[
    Path | None,
    typer.Option(help="YAML column mapping for --format csv (flags override it).", rich_help_panel=_CSV),
]


CreatedOpt = Annotated[
    str | None,
    typer.Option("--created", help="Column of the arrival time.", rich_help_panel=_CSV, show_default=False),
]
QueuedOpt = Annotated[
    str | None,
    typer.Option(
        "--queued",
        help="Column of the time the contact joined the human queue.",
        rich_help_panel=_CSV,
        show_default=False,
    ),
]
AnsweredOpt = Annotated[
    str | None,
    typer.Option(
        "--answered",
        help="Column of the start of service.",
        rich_help_panel=_CSV,
        show_default=False,
    ),
]
ResolvedOpt = Annotated[
    str | None,
    typer.Option(
        "--resolved",
        help="Column of the end of service (abandoned contacts: when they left).",
        rich_help_panel=_CSV,
        show_default=False,
    ),
]
ChannelOpt = Annotated[
    str | None,
    typer.Option("--channel", help="Column of the channel.", rich_help_panel=_CSV, show_default=False),
]
CategoryOpt = Annotated[
    str | None,
    typer.Option("--category", help="Column of the category.", rich_help_panel=_CSV, show_default=False),
]
AgentOpt = Annotated[
    str | None,
    typer.Option("--agent", help="Column of the agent.", rich_help_panel=_CSV, show_default=False),
]
OutcomeOpt = Annotated[
    str | None,
    typer.Option(
        "--outcome",
        help="Column of the outcome (served, abandoned, left_ivr, open, phantom).",
        rich_help_panel=_CSV,
        show_default=False,
    ),
]
EscalatedOpt = Annotated[
    str | None,
    typer.Option(
        "--escalated",
        help="Column telling whether the contact was escalated.",
        rich_help_panel=_CSV,
        show_default=False,
    ),
]
ReopenedOpt = Annotated[
    str | None,
    typer.Option(
        "--reopened",
        help="Column telling whether the contact was reopened.",
        rich_help_panel=_CSV,
        show_default=False,
    ),
]
TimeFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--time-format",
        help="strftime format of the times (default: inferred).",
        rich_help_panel=_CSV,
        show_default=False,
    ),
]
ModeOpt = Annotated[
    str | None,
    typer.Option(help="realtime or async (csv logs).", rich_help_panel=_CSV, show_default=False),
]
GapOpt = Annotated[
    float,
    typer.Option(min=1, help="Services of one agent further apart start a new session (minutes)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(" ".join(message.split()), err=True)
    return typer.Exit(2)


def _read(log_file: Path, fmt: LogFormat, mapping_file: Path | None, columns: dict[str, str | None]) -> ContactLog:
    mapping = None
    if fmt is LogFormat.csv:
        if mapping_file is not None:
            mapping = ColumnMap.from_yaml(mapping_file, **columns)
        else:
            given = {k: v for k, v in columns.items() if v is not None}
            mapping = ColumnMap.build(given, source=str(log_file))
    elif mapping_file is not None or any(v is not None for v in columns.values()):
        raise LogError(log_file, f"column options and --mapping go with --format csv, not {fmt.value}")
    return read_log(log_file, fmt.value, mapping)


_MAPPING_FILE_ONLY = ("priority", "satisfied", "id")
"""Columns a ``--mapping`` file maps that have no flag of their own."""
_COLUMN_FLAGS = (*(f for f in ColumnMap.COLUMN_FIELDS if f not in _MAPPING_FILE_ONLY), "time_format", "mode")
"""The column-mapping flags of ``fit`` and ``backtest``: the column map's fields, less those above."""


def _header(result: FitResult, command: list[str]) -> list[str]:
    report = result.report
    period = report["period"]
    return [
        "Generated by `supportsim fit`; do not edit by hand. To refresh, run from the repository root:",
        f"  {shlex.join(command)}",
        "It also writes the fit report (choices, AIC and KS tables, plots) to the folder "
        "<this file's stem>_fit_report/",
        "beside this file, or to --report DIR.",
        f"Source: {Path(report['source']).name}, sha256 {report['sha256']}",
        f"Period: {period['days']} days from {period['start']} ({period['start_weekday']}); "
        f"{report['contacts']} contacts, {report['rows_excluded']} rows excluded.",
        *[
            line
            for choice in report["choices"]
            for line in textwrap.wrap(f"- {choice}", 96, subsequent_indent="  ", break_on_hyphens=False)
        ],
    ]


RetrialsOpt = Annotated[
    bool, typer.Option(help="Estimate callbacks after abandonment (logs that name their customers).")
]
VipCreditOpt = Annotated[
    float | None,
    typer.Option(min=0, max=86400, help="Priority customers' waiting credit (s), instead of the estimate."),
]


def _command(log_file: Path, fmt: LogFormat, output: Path, options: dict[str, Any]) -> list[str]:
    """Build the command line that reproduces a fit (options that differ from their defaults)."""
    parts = ["supportsim", "fit", str(log_file), "--format", fmt.value]
    for name, value in options.items():
        if value is False:
            parts.append(f"--no-{name.replace('_', '-')}")
        elif value is not None:
            parts += [f"--{name.replace('_', '-')}", str(value)]
    return [*parts, "-o", str(output)]


def fit_command(
    log_file: LogArg,
    format: FormatOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="Scenario YAML to write.", show_default=False)],
    report: Annotated[
        Path | None,
        typer.Option(help="Folder for the fit report (fit_report.md, .json, PNG plots)."),
    ] = None,
    interval_minutes: Annotated[
        int, typer.Option(help="Interval of the arrival and agents-on-duty tables (15, 30, 60).")
    ] = 30,
    answer_within_seconds: Annotated[float, typer.Option(help="Service target of realtime channels (assumed).")] = 20.0,
    respond_within_hours: Annotated[float, typer.Option(help="Service target of async channels (assumed).")] = 24.0,
    gap_minutes: GapOpt = 30.0,
    min_sample: Annotated[int, typer.Option(min=2, help="Fewer services than this: pooled fit of the channel.")] = 30,
    name: Annotated[str | None, typer.Option(help="Scenario name.")] = None,
    retrials: RetrialsOpt = True,
    vip_credit_seconds: VipCreditOpt = None,
    mapping: MappingOpt = None,
    created: CreatedOpt = None,
    queued: QueuedOpt = None,
    answered: AnsweredOpt = None,
    resolved: ResolvedOpt = None,
    channel: ChannelOpt = None,
    category: CategoryOpt = None,
    agent: AgentOpt = None,
    outcome: OutcomeOpt = None,
    escalated: EscalatedOpt = None,
    reopened: ReopenedOpt = None,
    time_format: TimeFormatOpt = None,
    mode: ModeOpt = None,
) -> None:
    """Fit a scenario to a log: arrivals, handle, patience, IVR, escalation, agents, callbacks, priority."""
    given = locals()
    columns = {name: given[name] for name in _COLUMN_FLAGS}
    options = FitOptions(
        interval_minutes=interval_minutes,
        answer_within_seconds=answer_within_seconds,
        respond_within_hours=respond_within_hours,
        gap_minutes=gap_minutes,
        min_sample=min_sample,
        name=name,
        retrials=retrials,
        vip_credit_seconds=vip_credit_seconds,
    )
    if interval_minutes not in (15, 30, 60):
        raise _fail(f"--interval-minutes must be 15, 30 or 60, got {interval_minutes}")
    _check_output_file(output)
    report_dir = _report_folder(report, output)
    try:
        log = _read(log_file, format, mapping, columns)
        with console.status(f"Fitting {log_file.name} ..."):
            result = fit(log, options)
    except (LogError, ScenarioError) as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(f"{log_file}: {exc}") from None
    defaults = FitOptions()
    changed = {k: v for k, v in options.__dict__.items() if v != getattr(defaults, k)}
    command = _command(log_file, format, output, changed | {"mapping": mapping} | columns)
    text = scenario_yaml(result, _header(result, command))
    try:
        _write_fit(result, text, output, report_dir)
    except OutputRefused as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{exc.filename or output}: cannot write ({exc.strerror or exc})") from None
    _print_fit(result, output, report_dir)


def _report_folder(report: Path | None, output: Path) -> Path:
    """The fit report's folder: ``--report``, or ``<stem>_fit_report`` beside the scenario; not a file."""
    folder = report if report is not None else output.with_name(f"{output.stem}_fit_report")
    if folder.exists() and not folder.is_dir():
        raise _fail(f"{folder}: is a file; --report names a folder")
    return folder


def _check_output_file(output: Path) -> None:
    """Refuse, before any work, an -o that is a folder or not a regular file (a device, FIFO)."""
    if output.is_dir():
        raise _fail(f"{output}: is a folder; -o names the scenario YAML file to write")
    try:
        check_writable_file(output)
    except OutputRefused as exc:
        raise _fail(str(exc)) from None


def _write_fit(result: FitResult, text: str, output: Path, report_dir: Path) -> None:
    """Write the report (staged beside its folder) and the scenario; all or nothing."""
    with staged_output(report_dir) as staging:
        write_fit_report(result, staging)
        write_text_atomic(output, text)


def _print_problems(r: dict[str, Any]) -> None:
    """The log's row count and every kind of bad row, with how many and the first lines."""
    console.print(
        f"{r['source']}: {r['rows_read']} rows, {r['contacts']} contacts, {r['rows_excluded']} rows excluded",
        highlight=False,
    )
    for problem in r["problems"]:
        console.print(
            f"  {problem['rows']} x {problem['reason']} ({problem['action']}; lines {problem['lines']})",
            highlight=False,
        )


def _print_fit(result: FitResult, output: Path, report_dir: Path) -> None:
    r = result.report
    _print_problems(r)
    table = Table(title="Fitted categories", title_justify="left")
    for header in ("category", "share", "handle", "mean (min)", "cv", "KS"):
        table.add_column(header, justify="left" if header == "category" else "right")
    for channel_categories in r["categories"].values():
        for cat in channel_categories.values():
            best = cat["handle"]["candidates"][0]
            table.add_row(
                cat["scenario_category"],
                f"{cat['share']:.3f}",
                best["family"],
                f"{best['mean']:.2f}",
                f"{best['cv']:.2f}",
                f"{best['ks']:.3f}",
            )
    console.print(table)
    for channel, info in r["channels"].items():
        patience = info.get("patience")
        if patience and patience.get("chosen"):
            best = patience["candidates"][0]
            console.print(
                f"{channel}: patience {best['family']} mean {best['mean']:.0f} s "
                f"(Erlang A estimate {patience['erlang_a_mean_seconds']:.0f} s); "
                f"shrinkage {info['staffing']['shrinkage']:.1%}",
                highlight=False,
            )
    console.print(f"Wrote {output} and {report_dir}/fit_report.md", highlight=False)


def backtest_command(
    log_file: LogArg,
    format: FormatOpt,
    scenario: Annotated[
        Path,
        typer.Option("--scenario", "-s", help="Scenario YAML (e.g. from fit).", show_default=False),
    ],
    out: Annotated[Path | None, typer.Option(help="Write backtest.csv, summary.json and plots here.")] = None,
    replications: Annotated[int, typer.Option(min=1, help="Replications of the replay.")] = 5,
    seed: Annotated[int, typer.Option(min=0, help="Root random seed.")] = 0,
    min_contacts: Annotated[
        int, typer.Option(min=1, help="Score intervals with at least this many queued contacts.")
    ] = 20,
    gap_minutes: GapOpt = 30.0,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    pool_weekdays: Annotated[
        str | None,
        typer.Option(help="Weekdays pooled for the by-hour score, e.g. sun,mon,tue,wed,thu (default: all)."),
    ] = None,
    mapping: MappingOpt = None,
    created: CreatedOpt = None,
    queued: QueuedOpt = None,
    answered: AnsweredOpt = None,
    resolved: ResolvedOpt = None,
    channel: ChannelOpt = None,
    category: CategoryOpt = None,
    agent: AgentOpt = None,
    outcome: OutcomeOpt = None,
    escalated: EscalatedOpt = None,
    reopened: ReopenedOpt = None,
    time_format: TimeFormatOpt = None,
    mode: ModeOpt = None,
) -> None:
    """Replay a log's period (arrivals, agents on duty) through a scenario; compare per interval."""
    given = locals()
    columns = {name: given[name] for name in _COLUMN_FLAGS}
    if out is not None and out.exists() and not out.is_dir():
        raise _fail(f"{out}: is a file; --out names a folder")
    pooled = _weekdays(pool_weekdays)
    try:
        loaded = load_scenario(scenario)
        log = _read(log_file, format, mapping, columns)
        with console.status(f"Replaying {log_file.name} through {loaded.name} ..."):
            result = backtest(
                log,
                loaded,
                replications=replications,
                seed=seed,
                min_contacts=min_contacts,
                gap_minutes=gap_minutes,
                workers=workers,
                pool_weekdays=pooled,
            )
    except (LogError, ScenarioError) as exc:
        raise _fail(str(exc)) from None
    except BacktestError as exc:
        raise _fail(f"{log_file} vs {scenario}: {exc}") from None
    except ValueError as exc:  # a log whose values the replay cannot use (dates out of range, ...)
        raise _fail(f"{log_file}: {exc}") from None
    _print_backtest(result.summary, f"Backtest of {loaded.name} on {log_file.name}")
    if out is not None:
        try:
            write_backtest(result, out)
        except OutputRefused as exc:
            raise _fail(str(exc)) from None
        except OSError as exc:
            raise _fail(f"{exc.filename or out}: cannot write ({exc.strerror or exc})") from None
        console.print(f"Wrote {out}/backtest.csv, summary.json and plots.", highlight=False)


def _weekdays(text: str | None) -> tuple[str, ...] | None:
    """``--pool-weekdays`` as a tuple of weekday names; one line and exit 2 if one is not a weekday."""
    names = tuple(part.strip().lower() for part in text.split(",")) if text is not None else ()
    for n in names:
        if n not in WEEKDAYS:
            raise _fail(f"--pool-weekdays: '{n}' is not a weekday (use {','.join(WEEKDAYS)})")
    return names or None


def _print_backtest(summary: dict[str, Any], title: str) -> None:
    """The log's bad rows, the KPI table (observed, simulated, errors) and the warnings."""
    _print_problems(summary)
    table = Table(
        title=f"{title}: {summary['intervals_scored']} of "
        f"{summary['intervals']} intervals scored (>= {summary['min_contacts']} queued), "
        f"{summary['replications']} replication(s)",
        title_justify="left",
    )
    headers = ("KPI", "observed", "simulated", "bias", "MAPE", "WAPE", "WAPE if the model were right")
    for header in headers:
        table.add_column(header, justify="left" if header == "KPI" else "right")
    for kpi in BACKTEST_KPIS:
        errors = summary["kpis"][kpi]
        for channel_name, totals in summary["totals"].items():
            label = kpi if len(summary["totals"]) == 1 else f"{kpi} ({channel_name})"
            table.add_row(
                label,
                _fmt(totals[kpi]["observed"]),
                _fmt(totals[kpi]["simulated"]),
                _fmt(errors["bias"]),
                _pct(errors["mape"]),
                _pct(errors["wape"]),
                _pct(errors["noise_wape"]),
            )
    console.print(table)
    pooled = summary["pooled_by_hour"]
    scores = ", ".join(
        f"{k} MAPE {_pct(e['mape'])} (bias {_pct(e['relative_bias'])})" for k, e in pooled["kpis"].items()
    )
    days = f"{pooled['days']} days pooled ({','.join(pooled['weekdays'])})"
    console.print(f"Per hour of day, {days}, {pooled['hours_scored']} hours scored: {scores}", highlight=False)
    for warning in summary["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _fmt(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def _pct(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.1%}"


app = typer.Typer()
app.command("fit")(fit_command)
app.command("backtest")(backtest_command)
