"""Where replications run: in this process, a local process pool, or a Dask cluster.

Every executor maps a picklable function over picklable tasks and yields results as they
finish, in any order; callers put them back in order by replication index. SimPy objects
never cross a process boundary: a task carries a scenario and a seed, a result is plain data.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol


class ExecutorError(RuntimeError):
    """An executor cannot run: a malformed or unreachable Dask address."""


class Executor(Protocol):
    """Runs ``fn(task)`` for every task and yields the results as they complete."""

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]: ...


class InProcess:
    """Run tasks one after the other in this process."""

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)


class LocalPool:
    """Run tasks in a pool of ``workers`` local processes (default: one per core)."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        tasks = list(tasks)
        # Forked workers inherit this process's objects; frozen, the workers' garbage collector
        # skips them instead of walking (and copying) every inherited page.
        gc.freeze()
        pool = ProcessPoolExecutor(max_workers=min(self.workers, max(len(tasks), 1)))
        pending: set[Future[Any]] = set()
        try:
            pending = {pool.submit(fn, task) for task in tasks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()


class DaskCluster:
    """Run tasks on Dask: ``"local"`` starts a ``LocalCluster`` for the run, anything else is
    the address of a running scheduler (``tcp://host:8786``). Needs ``supportsim[distributed]``.

    Dask re-runs the tasks of a worker that dies, so a lost worker costs time, not results.
    """

    def __init__(self, address: str = "local", workers: int | None = None):
        if address != "local" and not re.fullmatch(r"(tcp|tls|ucx|inproc)://[^\s:/]+:\d+", address):
            raise ExecutorError(f"--dask: '{address}' is neither 'local' nor a scheduler address like tcp://host:8786")
        self.address = address
        self.workers = workers

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError("Dask is not installed: pip install 'supportsim[distributed]'") from exc
        cluster = None
        if self.address == "local":
            cluster = LocalCluster(
                n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1,
                processes=True, dashboard_address=None,
            )
            client = Client(cluster)
        else:
            try:
                client = Client(self.address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ExecutorError(f"--dask: no Dask scheduler answers at {self.address} ({exc})") from None
        try:
            futures = client.map(fn, list(tasks), pure=False)
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def make_executor(workers: int | None = None, dask: str | None = None) -> Executor:
    """The executor for ``workers`` processes (1: this process; None: all cores), or Dask."""
    if dask:
        return DaskCluster(dask, workers)
    if workers == 1:
        return InProcess()
    return LocalPool(workers)
