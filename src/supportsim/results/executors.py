"""Where tasks run: in this process, beside helpers forked for one run, in a kept local process pool, or on Dask.

This is the only module that runs tasks. An executor maps a picklable function over
picklable tasks: :meth:`Executor.run` yields results as they finish (callers put them back
in order by replication index), :meth:`Executor.map` returns them in task order. Used as a
context manager, an executor keeps its pool or cluster between calls (a staffing search
runs hundreds of rounds on one pool) and closes it on exit. A call with one run or a few
(``simulate(workers=N)``) is faster without a pool: :class:`ForkPerRun` forks helpers for
each run and the caller works beside them. SimPy objects never cross a process boundary: a
task carries a scenario and a seed, a result is plain data.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import mmap
import multiprocessing
import os
import pickle
import queue
import re
import signal
import threading
import traceback
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_readable
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any


class ExecutorError(RuntimeError):
    """An executor cannot run: a malformed or unreachable Dask address."""


def _ignore_ctrl_c() -> None:
    """Worker start-up: Ctrl-C is the parent's to handle (it cancels the work); a worker that
    took it too would print its own traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _children_ignore_ctrl_c() -> Generator[None, None, None]:
    """Start processes (forked or spawned: an ignored signal stays ignored) deaf to Ctrl-C."""
    if signal.getsignal(signal.SIGINT) is None or os.getpid() != _MAIN_PID:
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals cannot be changed here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_MAIN_PID = os.getpid()

_FORKING = threading.Lock()
"""Held while ForkPerRun forks its helpers and LocalPool its workers, so that neither inherits
the writer end of another thread's run (that run's helper's death would then never read as
the end). Forks by other code do not take it."""


def _new_forking_lock() -> None:
    global _FORKING
    _FORKING = threading.Lock()  # a forked child inherits the lock as held by a thread it does not have


os.register_at_fork(after_in_child=_new_forking_lock)


def _indexed(fn: Callable[[Any], Any], item: tuple[int, Any]) -> tuple[int, Any]:
    index, task = item
    return index, fn(task)


class Executor:
    """Runs ``fn(task)`` for every task; subclasses say where (this process by default)."""

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task, in the order they finish."""
        for task in tasks:
            yield fn(task)

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        """``[fn(task) for task in tasks]``, in task order, wherever they ran."""
        results: dict[int, Any] = dict(self.run(partial(_indexed, fn), enumerate(tasks)))
        return [results[i] for i in range(len(results))]

    def close(self) -> None:
        """Release the pool or cluster (nothing to release in this process)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class InProcess(Executor):
    """Run tasks one after the other in this process."""


class LocalPool(Executor):
    """Run tasks in a pool of ``workers`` local processes (default: one per core), started on
    first use and kept until :meth:`close`.
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        tasks = list(tasks)
        if not tasks:
            return
        pending: set[Future[Any]] = set()
        try:
            if self._pool is None:
                # Forked workers inherit this process's objects; frozen, the workers' garbage
                # collector skips them instead of walking (and copying) every inherited page.
                with _FORKING:
                    gc.freeze()
                    try:
                        self._pool = ProcessPoolExecutor(
                            max_workers=min(self.workers, len(tasks)), initializer=_ignore_ctrl_c
                        )
                        pending = {self._pool.submit(fn, task) for task in tasks}  # forks the workers
                    finally:
                        gc.unfreeze()
            else:
                pending = {self._pool.submit(fn, task) for task in tasks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except KeyboardInterrupt:
            self._stop()
            raise
        finally:
            for future in pending:
                future.cancel()

    def _stop(self) -> None:
        """Ctrl-C: cancel what has not started; each worker ends after its current replication.

        Workers are not killed: one killed while sending its result would leave half a message
        in the pool's pipe, and the pool's manager thread (joined at exit) would wait forever.
        """
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@contextmanager
def _ctrl_c_held_back() -> Generator[None, None, None]:
    """While helpers are forked and registered, a Ctrl-C waits and is delivered afterwards, so it
    never lands half-way through (a helper forked but not yet known could not be stopped). On
    the main thread its handler only records it meanwhile; the forking thread blocks it, so that
    helpers inherit it blocked and ignore it before they unblock it.
    """
    pressed: list[int] = []
    previous = signal.getsignal(signal.SIGINT)
    recording = threading.current_thread() is threading.main_thread() and previous is not None
    if recording:
        signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if recording:
            signal.signal(signal.SIGINT, previous)
    if pressed:
        signal.raise_signal(signal.SIGINT)  # to the handler it was meant for


class _Shared:
    """One run's tasks, handed out by a counter that this process and its forked helpers share
    (in an anonymous shared mapping: nothing a signal could leave half-built), and a flag that
    tells helpers the caller has given up.
    """

    def __init__(self, fn: Callable[[Any], Any], tasks: list[Any], context: Any):
        self.fn = fn
        self.tasks = tasks
        self._memory = mmap.mmap(-1, 16)  # shared with forked children
        self.counter = ctypes.c_int64.from_buffer(self._memory, 0)
        self.abandoned = ctypes.c_int64.from_buffer(self._memory, 8)
        self.lock = context.Lock()

    def take(self, stop: Callable[[], bool]) -> int | None:
        """The index of the next task nobody has started; None when all have, or when ``stop()``
        says to while the lock is held elsewhere (a process killed holding it never releases it).
        """
        while not self.lock.acquire(True, 1.0):
            if stop():
                return None
        try:
            index = self.counter.value
            self.counter.value = index + 1
        finally:
            self.lock.release()
        return index if index < len(self.tasks) else None


_END = None  # what a helper sends after its last result


class _HelperTraceback(Exception):
    """The traceback of an error in a helper process, shown as the cause of the error raised here."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


def _failure(error: BaseException) -> tuple[int, BaseException, str]:
    """What a helper sends for ``error``: -1, the error (or, if it does not survive pickling, a
    RuntimeError that names it) and its traceback.
    """
    trace = "".join(traceback.format_exception(error))
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        error = RuntimeError(f"{type(error).__name__}: {error}")
    return -1, error, trace


def _send_all(outbox: queue.SimpleQueue[Any], writer: Connection, failed: threading.Event) -> None:
    """Send what the helper puts in ``outbox`` until ``_END``, then ``_END``. When a send fails
    (a result that cannot be pickled, or the caller gone), send the error if possible and stop.
    """
    try:
        for item in iter(outbox.get, _END):
            writer.send(item)  # pickles in full before it writes: a failure writes nothing
        writer.send(_END)
    except Exception as error:
        failed.set()
        with suppress(OSError):  # the caller has gone: its pipe is broken
            writer.send(_failure(error))


def _helper(shared: _Shared, writer: Connection, callers_ends: list[Connection]) -> None:
    """A forked helper: run tasks from the shared counter and send ``(index, result)`` for
    each, or ``(-1, error, traceback)``, then ``_END``. A thread sends, so a full pipe (a
    result is hundreds of kB; the caller reads between its own tasks) never stops the
    simulating. It stops early when sending fails, or the caller has gone or given up.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a handler the caller installed is not ours
    signal.pthread_sigmask(signal.SIG_SETMASK, [])  # nor what the forking thread had blocked
    for end in callers_ends:  # held here, they would keep a send to a caller that has gone from failing
        end.close()
    caller = os.getppid()
    failed = threading.Event()
    outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outbox, writer, failed), daemon=True)
    sender.start()

    def stop() -> bool:
        return failed.is_set() or os.getppid() != caller or bool(shared.abandoned.value)

    try:
        while not stop() and (index := shared.take(stop)) is not None:
            outbox.put((index, shared.fn(shared.tasks[index])))
    except BaseException as error:
        outbox.put(_failure(error))
    outbox.put(_END)
    while sender.is_alive() and not stop():
        sender.join(timeout=1.0)


class ForkPerRun(Executor):
    """Run each call's tasks in this process and ``workers - 1`` helper processes forked for
    that call. All take tasks from one shared counter, so the caller works too and a task
    reaches a helper by inheritance, never pickled; each helper sends its results as they
    finish and exits once no task is left and all are sent. Needs fork as the way processes
    start (Linux).
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        tasks = list(tasks)
        processes = min(self.workers, len(tasks))
        if processes < 2:
            yield from super().run(fn, tasks)
            return
        context = multiprocessing.get_context("fork")
        helpers: dict[Connection, BaseProcess] = {}  # by the pipe it sends on
        finished = False
        try:
            with _FORKING, _ctrl_c_held_back():
                shared = _Shared(fn, tasks, context)
                gc.freeze()  # as in LocalPool: the helpers' garbage collector skips what they inherit
                try:
                    for _ in range(processes - 1):
                        reader, writer = context.Pipe(duplex=False)
                        _widen(writer)
                        ends = [reader, *helpers]
                        process = context.Process(target=_helper, args=(shared, writer, ends), daemon=True)
                        helpers[reader] = process  # known before it exists: stopped whatever happens next
                        try:
                            process.start()
                        finally:
                            writer.close()  # the helper holds the only writer: its death reads as the end
                finally:
                    gc.unfreeze()
            sending = dict(helpers)
            ended = [helper.sentinel for helper in helpers.values()]

            def a_helper_ended() -> bool:  # read from its sentinel: true even if someone else reaped it
                return bool(wait_readable(ended, timeout=0))

            while (index := shared.take(a_helper_ended)) is not None:
                yield fn(tasks[index])
                yield from _received(sending, block=False)
            yield from _received(sending, block=True)
            finished = True
        finally:
            if not finished:  # an error or Ctrl-C here: nothing more is wanted from them
                if helpers:
                    shared.abandoned.value = 1  # heard even by a helper forked but never told its pid
                started = [helper for helper in helpers.values() if helper.pid is not None]
                for helper in started:
                    helper.kill()  # not terminate(): a SIGTERM handler could outlive it
                for helper in started:
                    helper.join()
            for reader in helpers:
                reader.close()
            # Helpers that sent everything exit by themselves, and multiprocessing reaps them
            # (at the next process start, active_children() or exit): joining them here would
            # add their exit, 5-15 ms of unmapping memory, to every call.


def _widen(pipe: Connection) -> None:
    """Let ``pipe`` hold a whole result (about 0.6 MB): a helper then seldom waits to send, and the
    caller reads a result in a few reads instead of one per 64 kB (see benchmarks/PROFILE.md).
    Linux lets users widen a pipe to 1 MiB while their pipes stay within a quota (64 MiB by
    default); elsewhere, or past the quota, the pipe stays as it was.
    """
    with suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


def _received(sending: dict[Connection, BaseProcess], *, block: bool) -> Iterator[Any]:
    """The results that helpers still ``sending`` have sent (all of them, until each has
    ended, if ``block``); a helper's error is raised here, and so is a helper that died.
    """
    while sending:
        ready = wait_readable(list(sending), timeout=None if block else 0)
        if not ready:
            return
        for reader in ready:
            assert isinstance(reader, Connection)
            try:
                item = reader.recv()
            except (EOFError, OSError):  # OSError: it died in the middle of a message
                helper = sending[reader]
                helper.join(timeout=5)
                raise RuntimeError(
                    f"a worker process ended before sending its results (exit code {helper.exitcode})"
                ) from None
            if item is _END:
                del sending[reader]
            elif item[0] < 0:
                raise item[1] from _HelperTraceback(item[2])
            else:
                yield item[1]


class DaskCluster(Executor):
    """Run tasks on Dask: ``"local"`` starts a ``LocalCluster`` on first use, anything else is
    the address of a running scheduler (``tcp://host:8786``). Needs ``supportsim[distributed]``.

    Dask re-runs the tasks of a worker that dies, so a lost worker costs time, not results.
    """

    def __init__(self, address: str = "local", workers: int | None = None):
        if address != "local" and not re.fullmatch(r"(tcp|tls|ucx|inproc)://[^\s:/]+:\d+", address):
            raise ExecutorError(f"--dask: '{address}' is neither 'local' nor a scheduler address like tcp://host:8786")
        self.address = address
        self.workers = workers
        self._client: Any = None
        self._cluster: Any = None
        self._quiet = False

    def _connect(self) -> Any:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError("Dask is not installed: pip install 'supportsim[distributed]'") from exc
        if self.address == "local":
            with _children_ignore_ctrl_c(), warnings.catch_warnings():
                # another cluster on this machine holds Dask's default HTTP port: ours takes another
                # one (we serve no dashboard), which is not worth a warning
                warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
                self._cluster = LocalCluster(
                    n_workers=self.workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # workers log only what is critical: a task's error reaches us through its result, and
                    # their chatter at shutdown (cancelled tasks, a heartbeat to a closed scheduler) is not news
                    silence_logs=logging.CRITICAL,
                )
                return Client(self._cluster)
        try:
            return Client(self.address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"--dask: no Dask scheduler answers at {self.address} ({exc})") from None

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from distributed import as_completed

        if self._client is None:
            self._client = self._connect()
        futures = self._client.map(fn, list(tasks), pure=False)
        try:
            for future in as_completed(futures):
                yield future.result()
        except KeyboardInterrupt:
            self._quiet = True
            raise
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        with _quiet_logs(self._quiet):
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None


@contextmanager
def _quiet_logs(quiet: bool) -> Generator[None, None, None]:
    """After Ctrl-C, Dask's shutdown chatter (cancelled tasks, closed comms) is not for the user."""
    if not quiet:
        yield
        return
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def make_executor(workers: int | None = None, dask: str | None = None, *, kept: bool = True) -> Executor:
    """The executor for ``workers`` processes (1: this process; None: all cores), or Dask.

    ``kept=False`` suits a caller with one run or a few (``simulate``, ``compare``): where
    processes start by fork, each run forks its helpers and this process works beside them
    (:class:`ForkPerRun`) instead of starting a pool kept for the executor's life.
    """
    if dask:
        return DaskCluster(dask, workers)
    if workers == 1:
        return InProcess()
    if not kept and _forks_by_default():
        return ForkPerRun(workers)
    return LocalPool(workers)


def _forks_by_default() -> bool:
    """Whether this process starts others by fork (Linux's default before Python 3.14)."""
    method = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]
    return method == "fork"
