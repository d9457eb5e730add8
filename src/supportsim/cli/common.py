"""Helpers every command shares: loading a scenario or exiting 2, output folders, progress."""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from typer.core import TyperGroup

from supportsim.reports.files import OutputRefused
from supportsim.results.comparison import Kpi
from supportsim.results.executors import ExecutorError
from supportsim.scenario.io import ScenarioError, load_scenario
from supportsim.scenario.limits import MAX_REPLICATIONS, MAX_VALUE_CHARS
from supportsim.scenario.model import Scenario

INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), as shells report it."""


# typer vendors its own click: its exception classes, reached through public names
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class Interrupted(typer.Exit):
    """Ctrl-C, already reported on stderr: exit code 130."""

    def __init__(self) -> None:
        super().__init__(INTERRUPTED)


def interrupted(done: int | None = None, total: int | None = None) -> Interrupted:
    """Say "interrupted after k of n replications" (or just "interrupted") and return the exit."""
    counts = f" after {done} of {total} replications" if done is not None and total is not None else ""
    typer.echo(f"interrupted{counts}", err=True)
    return Interrupted()


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 4 * MAX_VALUE_CHARS else line[: 4 * MAX_VALUE_CHARS - 3] + "..."


class OneLineErrors(TyperGroup):
    """The root command: a wrong flag or value is one line on stderr (exit 2), Ctrl-C anywhere
    is "interrupted" (exit 130), running out of memory one line (exit 2), never a traceback or
    a usage box.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise interrupted() from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        def main(standalone: bool) -> Any:
            return super(OneLineErrors, self).main(
                args, prog_name, complete_var, standalone_mode=standalone,
                windows_expand_args=windows_expand_args, **extra,
            )

        if not standalone_mode:
            return main(False)
        try:
            code = main(False)
        except _USAGE_ERROR as exc:
            context: Any = getattr(exc, "ctx", None)
            message: str = exc.format_message()  # type: ignore[attr-defined]
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help text, as asked for
                typer.echo(message, err=True)
            else:
                where = context.command_path if context is not None else "supportsim"
                typer.echo(_one_line(f"{where}: {message}"), err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except _CLICK_ERROR as exc:
            typer.echo(_one_line(exc.format_message()), err=True)  # type: ignore[attr-defined]
            sys.exit(getattr(exc, "exit_code", 1))
        except (typer.Abort, KeyboardInterrupt):
            typer.echo("interrupted", err=True)
            sys.exit(INTERRUPTED)
        except MemoryError as exc:  # numpy's, Arrow's or Python's, once the failed allocation is let go
            detail = f" ({_one_line(str(exc))})" if str(exc).strip() else ""
            typer.echo(
                f"supportsim: out of memory{detail}: this command needs more memory than the process may use "
                "(fewer replications or a shorter horizon need less; `run` keeps every ticket only with --out)",
                err=True,
            )
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


def check_replications(flag: str, value: int) -> None:
    """Refuse more replications than :data:`~supportsim.scenario.limits.MAX_REPLICATIONS` (one line, exit 2)."""
    if value > MAX_REPLICATIONS:
        typer.echo(f"{flag}: {value:,} is over the cap of {MAX_REPLICATIONS:,} replications", err=True)
        raise typer.Exit(2)


console = Console()

# Metrics that are shares, printed as percentages (besides every ``*_rate``).
SHARES = {
    "service_level",
    "service_level_answered",
    "service_level_realtime",
    "service_level_async",
    "utilization",
    "occupancy",
    "paid_utilization",
    "engaged_share",
    "csat",
    "first_contact_resolution",
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
        kind = "a file" if out.is_file() else "not a folder"
        typer.echo(f"{out}: is {kind}; --out names a folder", err=True)
        raise typer.Exit(2)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        Path(tempfile.mkdtemp(prefix=f".{out.name}-check-", dir=out.parent)).rmdir()
    except OSError as exc:
        typer.echo(f"{out}: cannot write here ({exc.strerror or exc})", err=True)
        raise typer.Exit(2) from None


@contextmanager
def running(replications: int | None = None) -> Iterator[None]:
    """Turn what a user can get wrong at run time (a KPI that does not exist, an unreachable
    Dask scheduler) into one line and exit code 2, and Ctrl-C before any of ``replications``
    finished into "interrupted after 0 of n replications" and exit code 130.
    """
    try:
        yield
    except KeyboardInterrupt:
        raise interrupted(0, replications) if replications else interrupted() from None
    except (ValueError, ExecutorError) as exc:
        typer.echo(_one_line(str(exc)), err=True)
        raise typer.Exit(2) from None


def write_or_exit(out: Path, write: Callable[[], None]) -> None:
    """Run ``write`` (all files into ``out`` or none); a path it may not write is one line, exit 2."""
    try:
        write()
    except OutputRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"{exc.filename or out}: cannot write ({exc.strerror or exc})", err=True)
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
    timer = threading.Timer(1.0, _show, (bar,))
    timer.daemon = True
    timer.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        timer.cancel()
        bar.stop()


def _show(bar: Progress) -> None:
    """Start drawing ``bar``. Short of memory for its drawing thread, the run goes on without a
    bar: the run's own error, if it runs out too, is the one line the user sees.
    """
    with suppress(RuntimeError, MemoryError):  # "can't start new thread"
        bar.start()


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
KeepPartialOption = Annotated[
    bool,
    typer.Option(help='On Ctrl-C, write what finished (summary.json says "complete": false) instead of nothing.'),
]
DaskOption = Annotated[
    str | None,
    typer.Option(help="Run on Dask: 'local' starts a LocalCluster, or a scheduler address tcp://host:8786."),
]


