"""Helpers every command shares: loading a scenario or exiting 2, output folders, progress."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from supportsim.results.comparison import Kpi
from supportsim.results.executors import ExecutorError
from supportsim.scenario.io import ScenarioError, load_scenario
from supportsim.scenario.model import Scenario

console = Console()

# Metrics that are shares, printed as percentages (besides every ``*_rate``).
SHARES = {
    "service_level",
    "service_level_answered",
    "service_level_realtime",
    "service_level_async",
    "utilization",
    "occupancy",
}


def load_or_exit(path: Path) -> Scenario:
    """The scenario at ``path``, or its problems on stderr (one line each) and exit code 2."""
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


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


def parse_kpis(texts: list[str] | None) -> list[Kpi] | None:
    """The ``--kpi`` texts as KPIs (None when none were given), or one line and exit code 2."""
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


