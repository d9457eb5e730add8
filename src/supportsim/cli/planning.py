"""Command line for capacity planning: ``supportsim erlang`` and ``supportsim staff``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from supportsim.cli.common import (
    DaskOption,
    WorkersOption,
    check_output,
    check_replications,
    console,
    load_or_exit,
    running,
    write_or_exit,
)
from supportsim.planning import DEFAULT_REPLICATIONS, SEQUENTIAL_FACTOR, StaffingPlan, plan
from supportsim.reports.files import json_ready
from supportsim.reports.plan_report import erlang_report, write_plan


def _fmt(value: float | None, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return fmt.format(value)


def erlang(
    per_hour: Annotated[float, typer.Option(min=0.0, help="Arrivals per hour.")],
    aht_seconds: Annotated[float, typer.Option(min=0.001, help="Mean handle time in seconds.")],
    answer_within_seconds: Annotated[float, typer.Option(min=0.0, help="Service-level threshold T in seconds.")],
    service_level: Annotated[float, typer.Option(min=0.0, max=0.999999, help="Share to answer within T.")],
    patience_seconds: Annotated[
        float | None, typer.Option(min=0.001, help="Mean patience (Erlang A); absent: nobody abandons (Erlang C).")
    ] = None,
    shrinkage: Annotated[float, typer.Option(min=0.0, max=0.99, help="Share of paid time not on the phones.")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Agents needed for a service level (Erlang C, or Erlang A with --patience-seconds)."""
    try:
        report = erlang_report(per_hour, aht_seconds, answer_within_seconds, service_level,
                               patience_seconds=patience_seconds, shrinkage=shrinkage)
    except ValueError as exc:
        typer.echo(f"erlang: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(json_ready(report), indent=2))
        return
    console.print(
        f"{report['model']}: {per_hour:g} contacts/h, AHT {aht_seconds:g} s, target {service_level:.0%} within "
        f"{answer_within_seconds:g} s: [bold]{report['required_agents']}[/] agents"
        + (f", {report['required_headcount']} rostered with {shrinkage:.0%} shrinkage" if shrinkage else ""),
        highlight=False,
    )
    table = Table(title_justify="left")
    for header in ("Agents", "Service level", "ASA (s)", "P(wait)", "Abandoned", "Occupancy"):
        table.add_column(header, justify="right")
    for row in report["table"]:
        style = "bold" if row["agents"] == report["required_agents"] else None
        table.add_row(
            str(row["agents"]), _fmt(row["service_level"], "{:.1%}"), _fmt(row["asa_seconds"], "{:.1f}"),
            _fmt(row["p_wait"], "{:.1%}"), _fmt(row["abandon_rate"], "{:.1%}"), _fmt(row["occupancy"], "{:.1%}"),
            style=style,
        )
    console.print(table)


def staff(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    seed: Annotated[int, typer.Option(min=0, help="Root seed of the search; the roster is checked with seed + 1.")] = 0,
    replications: Annotated[
        int, typer.Option(min=2, help="Replications per candidate staffing and of the roster.")
    ] = DEFAULT_REPLICATIONS,
    max_replications: Annotated[
        int | None, typer.Option(min=2, help=f"Replications at most for close decisions (default: "
                                             f"{SEQUENTIAL_FACTOR} x --replications).", show_default=False)
    ] = None,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="One-sided confidence of each target in each interval.")
    ] = 0.9,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    target_probability: Annotated[
        float | None, typer.Option(help="Each target must hold in at least this share of replications (days drawn "
                                        "from the volume uncertainty), between 0 and 1; overrides the scenario's "
                                        "planning.target_probability.", show_default=False)
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write staffing.csv, shifts.csv, roster.csv, kpis.csv, checks.csv, misses.csv, "
                                       "uncovered.csv, summary.json and staffing.png here.")
    ] = None,
) -> None:
    """Staff a scenario: Erlang first guess, simulated requirement, cheapest shifts, achieved KPIs.

    The requirement search simulates every candidate staffing on the same seeds (common random
    numbers), with more replications, up to --max-replications, where a decision is close.
    Shifts and the weekly roster are chosen by MILPs (HiGHS) under the scenario's
    planning: rules (shift lengths and breaks, part-time share, start times, weekly hours,
    days off, agents per group); today's roster is checked on the same fresh seeds.
    With --target-probability P each target must hold in at least P of the replications
    (shown at --confidence), not just on average; checks.csv reports P(meet) per interval.
    """
    check_replications("--replications", replications)
    if max_replications is not None:
        check_replications("--max-replications", max_replications)
        if max_replications < replications:
            typer.echo(f"--max-replications: must be at least --replications ({replications}), "
                       f"got {max_replications}", err=True)
            raise typer.Exit(2)
    if target_probability is not None and not 0 < target_probability < 1:  # NaN fails too
        typer.echo(f"--target-probability: must be between 0 and 1 (exclusive), got {target_probability:g}", err=True)
        raise typer.Exit(2)
    scenario = load_or_exit(scenario_file)
    check_output(out)
    with running(), console.status(f"Planning {scenario.name}") as status:

        def progress(i: int, message: str) -> None:
            status.update(f"Planning {scenario.name}: round {i}, {message}")

        result = plan(scenario, seed=seed, replications=replications, confidence=confidence, workers=workers,
                      dask=dask, progress=progress, target_probability=target_probability,
                      max_replications=max_replications)
    _print_plan(result)
    if out is not None:
        write_or_exit(out, lambda: write_plan(result, out))
        console.print(f"Wrote {out}/staffing.csv, shifts.csv, roster.csv, kpis.csv, checks.csv, misses.csv, "
                      "uncovered.csv, summary.json and staffing.png.")


def _print_plan(result: StaffingPlan) -> None:
    """Print the plan's requirement per day, its shifts, achieved KPIs and checks."""
    row: Any  # rows of pandas tables: plain values, typed loosely by the stubs
    req = result.requirement
    daily = req.groupby(["day", "group"], sort=False)[
        ["analytic_headcount", "simulated_headcount", "scheduled_headcount"]
    ].sum().reset_index()
    hours = result.scenario.horizon.interval_minutes / 60
    table = Table(title="Requirement (person-hours per day and group; rostered, before shrinkage)",
                  title_justify="left")
    for header in ("Day", "Group", "Erlang", "Simulated", "Scheduled"):
        table.add_column(header, justify="right")
    for row in daily.itertuples():
        table.add_row(str(row.day), str(row.group), f"{row.analytic_headcount * hours:,.1f}",
                      f"{row.simulated_headcount * hours:,.1f}", f"{row.scheduled_headcount * hours:,.1f}")
    console.print(table)
    shifts = Table(title=f"Shifts: {result.paid_hours:,.1f} paid hours, cost {result.cost:,.0f}", title_justify="left")
    for header in ("Group", "Weekday", "Start", "End", "Hours", "Breaks", "Count"):
        shifts.add_column(header)
    for row in result.shifts.itertuples():
        shifts.add_row(row.group, row.weekdays, row.start, row.end, f"{row.hours:g}", row.breaks, str(row.count))
    console.print(shifts)
    kpis = Table(title=f"Achieved KPIs of the roster ({result.replications} fresh replications, mean ± 95% CI)",
                 title_justify="left")
    for header in ("Scope", "Name", "KPI", "Value", "Target", "Met"):
        kpis.add_column(header)
    for row in result.achieved.itertuples():
        rate = row.metric in ("service_level", "abandon_rate", "occupancy", "utilization")
        fmt = "{:.1%}" if rate else "{:,.1f}"
        value = _fmt(row.mean, fmt) + ("" if row.ci95 is None or row.ci95 != row.ci95 else " ± " + _fmt(row.ci95, fmt))
        target = "" if row.target is None or row.target != row.target else _fmt(row.target, fmt)
        met = "" if row.met is None else ("[green]yes[/]" if row.met else "[red]no[/]")
        kpis.add_row(row.scope, row.name, row.metric, value, target, met)
    console.print(kpis)
    missed = int((~result.checks["met"].astype(bool)).sum()) if len(result.checks) else 0
    p = result.target_probability
    rule = "" if p is None else f" in at least {p:.0%} of days"
    console.print(f"Per-interval target checks of the roster on fresh seeds: {len(result.checks) - missed} of "
                  f"{len(result.checks)} hold{rule} at {result.confidence:.0%} one-sided confidence.", highlight=False)
    console.print(f"Weekly roster: {len(result.agents)} agents, {result.fte:,.1f} FTE, "
                  f"{result.paid_hours:,.1f} paid hours a week, cost {result.cost:,.0f}.", highlight=False)
    if result.current is not None:
        now = result.current
        console.print(f"Today's roster on the same seeds: {now.paid_hours:,.1f} paid hours a week, "
                      f"cost {now.cost:,.0f}; "
                      f"{now.targets_met} of {now.targets_total} per-interval targets hold.", highlight=False)
    if p is not None:
        for name, checks in (("plan", result.checks), ("today", None if result.current is None
                                                         else result.current.checks)):
            if checks is not None and len(checks):
                share = float((checks["p_meet"] >= p - 1e-12).mean())
                console.print(f"P(meet) >= {p:.0%} in {share:.0%} of the checks ({name}).", highlight=False)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


app = typer.Typer()
app.command("erlang")(erlang)
app.command("staff")(staff)
