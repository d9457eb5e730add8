"""ForkPerRun: the caller and helpers forked for one run share the tasks, each exactly once.
A helper's error or death (even mid-message or holding the task counter's lock), a Ctrl-C in
the caller, a SIGTERM handler it installed, its death, or a run in another thread never
leaves a hang or a process behind (helpers that finished end by themselves).
``make_executor(kept=False)`` picks it only where processes start by fork.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from multiprocessing.context import ForkProcess
from pathlib import Path
from typing import Any

import pytest

import supportsim
from supportsim.results import executors
from supportsim.results.executors import ForkPerRun, InProcess, LocalPool, make_executor
from tests.conftest import SCENARIOS
from tests.test_replications import _same, _small

CALLER = os.getpid()


class _Hung(Exception):
    """Not an OSError: multiprocessing swallows those inside ``join()``, and the hang with them."""


@contextmanager
def _within(seconds: int) -> Generator[None, None, None]:
    """Fail instead of hanging: a run that waits forever is the bug these tests guard against."""

    def too_long(signum: int, frame: Any) -> None:
        raise _Hung(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


_BEFORE: set[int] = set()


@pytest.fixture(autouse=True)
def _children_before() -> None:
    _BEFORE.clear()
    _BEFORE.update(p.pid or 0 for p in multiprocessing.active_children())


def _ours() -> list[int]:
    """The live child processes this test started (``active_children`` reaps the ended ones)."""
    return [p.pid or 0 for p in multiprocessing.active_children() if p.pid not in _BEFORE]


def _ours_end_by_themselves(seconds: float = 20) -> bool:
    """Whether every helper this test started ends within ``seconds`` (nobody joins them)."""
    deadline = time.monotonic() + seconds
    while _ours() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not _ours()


def _slow_square(task: int) -> tuple[int, int, int]:
    time.sleep(0.005)  # long enough that every process gets tasks
    return task, task * task, os.getpid()


def test_every_task_runs_exactly_once_and_the_caller_works_too() -> None:
    with _within(60), ForkPerRun(3) as executor:
        results = list(executor.run(_slow_square, range(60)))
    assert sorted((t, square) for t, square, _ in results) == [(t, t * t) for t in range(60)]
    workers = {pid for *_, pid in results}
    assert CALLER in workers and len(workers) == 3
    assert _ours_end_by_themselves()


def test_one_task_or_one_worker_runs_here() -> None:
    assert {pid for *_, pid in ForkPerRun(4).run(_slow_square, [7])} == {CALLER}
    assert {pid for *_, pid in ForkPerRun(1).run(_slow_square, range(5))} == {CALLER}


def _fails_in_a_helper(task: int) -> int:
    time.sleep(0.005)
    if os.getpid() != CALLER:
        raise ValueError(f"task {task} failed in a helper")
    return task


def test_a_helpers_error_reaches_the_caller_with_its_traceback_and_no_helper_is_left() -> None:
    with _within(60), pytest.raises(ValueError, match="failed in a helper") as raised, ForkPerRun(2) as executor:
        list(executor.run(_fails_in_a_helper, range(40)))
    assert _ours() == []
    assert "in _fails_in_a_helper" in str(raised.value.__cause__)  # where it happened, in the helper


class _TwoArguments(Exception):
    def __init__(self, what: str, where: int):
        super().__init__(f"{what} at {where}")

    def __reduce__(self) -> Any:
        """Pickles, but cannot be rebuilt from its args. Without this, importing Dask (an earlier
        test in the same worker) makes tblib rebuild it without calling ``__init__``."""
        return type(self), self.args


def _fails_unrebuildably(task: int) -> int:
    time.sleep(0.005)
    if os.getpid() != CALLER:
        raise _TwoArguments("odd", task)
    return task


def test_an_error_that_cannot_be_rebuilt_is_named() -> None:
    with _within(60), pytest.raises(RuntimeError, match="_TwoArguments: odd at"), ForkPerRun(2) as executor:
        list(executor.run(_fails_unrebuildably, range(40)))


class _Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("not picklable")


def _fails_unpicklably(task: int) -> int:
    time.sleep(0.005)
    if os.getpid() != CALLER:
        raise _Unpicklable("a lock inside")
    return task


def test_an_error_that_cannot_be_sent_is_named() -> None:
    with _within(60), pytest.raises(RuntimeError, match="_Unpicklable: a lock inside"), ForkPerRun(2) as executor:
        list(executor.run(_fails_unpicklably, range(40)))


def _unsendable_in_a_helper(task: int) -> Any:
    time.sleep(0.005)
    return (lambda: task) if os.getpid() != CALLER else task


def test_a_result_that_cannot_be_sent_is_an_error_not_a_gap() -> None:
    with _within(60), pytest.raises(Exception, match="pickle"), ForkPerRun(2) as executor:
        list(executor.run(_unsendable_in_a_helper, range(40)))
    assert _ours() == []


def _dies_in_a_helper(task: int) -> int:
    time.sleep(0.005)
    if os.getpid() != CALLER:
        os._exit(9)  # as the kernel's out-of-memory killer would end it: no result, no goodbye
    return task


def test_a_helper_that_dies_is_an_error_not_a_hang() -> None:
    died = r"ended before sending its results \(exit code 9\)"
    with _within(60), pytest.raises(RuntimeError, match=died), ForkPerRun(2) as executor:
        list(executor.run(_dies_in_a_helper, range(40)))
    assert _ours() == []


def test_ctrl_c_in_the_caller_stops_the_helpers_at_once() -> None:
    started = time.monotonic()
    with _within(60), ForkPerRun(2) as executor:
        results: Iterator[Any] = executor.run(_slow_square, range(2000))  # 10 s of work
        next(results)
        assert len(_ours()) == 1
        with pytest.raises(KeyboardInterrupt):
            results.throw(KeyboardInterrupt)
        assert _ours() == []
    assert time.monotonic() - started < 5


def test_simulate_on_forked_helpers_equals_one_process() -> None:
    scenario = _small()
    one = supportsim.simulate(scenario, seed=42, replications=5, workers=1)
    with ForkPerRun(3) as executor:
        _same(one, supportsim.simulate(scenario, seed=42, replications=5, executor=executor))
    with LocalPool(2) as pool:  # a kept pool, as the planner's searches use
        _same(one, supportsim.simulate(scenario, seed=42, replications=5, executor=pool))


def _starting_by(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    monkeypatch.setattr(executors.multiprocessing, "get_start_method", lambda allow_none=False: method)


def test_kept_or_not_picks_the_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    _starting_by(monkeypatch, "fork")  # Linux's default up to Python 3.13
    assert isinstance(make_executor(2), LocalPool)
    assert isinstance(make_executor(1, kept=False), InProcess)
    assert isinstance(make_executor(2, kept=False), ForkPerRun)
    # where processes start by spawn (macOS, Windows) nothing can be inherited: a pool it is
    _starting_by(monkeypatch, "spawn")
    assert isinstance(make_executor(2, kept=False), LocalPool)


def test_simulate_with_workers_forks_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[executors.Executor] = []
    real = executors.make_executor

    def spy(*args: Any, **kwargs: Any) -> executors.Executor:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr("supportsim.results.simulation.make_executor", spy)
    _starting_by(monkeypatch, "fork")
    scenario = supportsim.load_scenario(SCENARIOS / "single_queue.yaml")
    supportsim.simulate(scenario, seed=1, replications=2, workers=2, keep_tickets=False)
    assert [type(e) for e in made] == [ForkPerRun]


def _big_result(task: int) -> bytes:
    time.sleep(0.01)
    return b"x" * 300_000  # a replication's result is about this size: more than a pipe holds


def test_a_sigterm_handler_of_the_caller_does_not_keep_a_discarded_helper_alive() -> None:
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)  # a host's graceful shutdown
    try:
        with _within(30), ForkPerRun(2) as executor:
            results: Iterator[Any] = executor.run(_big_result, range(400))
            next(results)
            with pytest.raises(KeyboardInterrupt):
                results.throw(KeyboardInterrupt)
        assert _ours() == []
    finally:
        signal.signal(signal.SIGTERM, previous)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended


CALLER_SCRIPT = """
import multiprocessing, time
from supportsim.results.executors import ForkPerRun

def work(task):
    time.sleep(0.01)
    return b"x" * 300_000

results = ForkPerRun(2).run(work, range(100_000))
next(results)
print(*[p.pid for p in multiprocessing.active_children()], flush=True)
time.sleep(600)
"""


def test_a_helper_stops_soon_after_its_caller_is_killed(tmp_path: Path) -> None:
    (tmp_path / "caller.py").write_text(CALLER_SCRIPT)
    caller = subprocess.Popen([sys.executable, str(tmp_path / "caller.py")], stdout=subprocess.PIPE, text=True)
    try:
        assert caller.stdout is not None
        helper = int(caller.stdout.readline())
    finally:
        caller.kill()
        caller.wait()
    deadline = time.monotonic() + 20
    while _running(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _running(helper):
        os.kill(helper, signal.SIGKILL)
        pytest.fail("the helper went on working for a caller that was gone")


@pytest.mark.parametrize("reaped_elsewhere", [False, True], ids=["reaped here", "SIGCHLD ignored"])
def test_a_helper_killed_holding_the_task_counter_is_an_error_not_a_hang(
    monkeypatch: pytest.MonkeyPatch, reaped_elsewhere: bool
) -> None:
    """Found even when someone else reaps it (SIGCHLD ignored: the kernel does, and waitpid
    learns nothing); then its exit code is unknown."""
    real_take = executors._Shared.take

    def take(self: Any, stop: Any) -> int | None:
        if os.getpid() != CALLER:
            self.lock.acquire()
            os._exit(9)  # killed between taking the lock and giving it back: nobody ever will
        return real_take(self, stop)

    monkeypatch.setattr(executors._Shared, "take", take)
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN if reaped_elsewhere else signal.SIG_DFL)
    died = r"ended before sending its results" + ("" if reaped_elsewhere else r" \(exit code 9\)")
    try:
        with _within(30), pytest.raises(RuntimeError, match=died), ForkPerRun(2) as executor:
            list(executor.run(_slow_square, range(40)))
    finally:
        signal.signal(signal.SIGCHLD, previous)
    if not reaped_elsewhere:
        assert _ours() == []


def test_a_helper_that_dies_in_the_middle_of_a_message_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def half_a_message(outbox: Any, writer: Any, failed: Any) -> None:
        outbox.get()
        os.write(writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)  # a 1000-byte message, 10 bytes sent
        os._exit(9)

    monkeypatch.setattr(executors, "_send_all", half_a_message)
    died = r"ended before sending its results \(exit code 9\)"
    with _within(30), pytest.raises(RuntimeError, match=died), ForkPerRun(2) as executor:
        list(executor.run(_slow_square, range(40)))


def test_a_run_in_another_thread_never_holds_this_runs_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process forked by another thread while this run's writer is open would hold it, and
    this run's dead helper would never read as the end: the forks take turns."""
    in_window, other_forked, done = threading.Event(), threading.Event(), threading.Event()
    this = threading.current_thread()
    real_start = ForkProcess.start

    def start(self: Any) -> None:
        real_start(self)
        if threading.current_thread() is this:
            in_window.set()
            other_forked.wait(timeout=2)  # this run's writer is still open: a fork now would inherit it
        else:
            other_forked.set()

    def other_run() -> None:
        in_window.wait(timeout=30)
        with ForkPerRun(2) as executor:
            for _ in executor.run(_slow_square, range(100_000)):
                if done.is_set():
                    break

    monkeypatch.setattr(ForkProcess, "start", start)
    other = threading.Thread(target=other_run)
    other.start()
    try:
        died = r"ended before sending its results \(exit code 9\)"
        with _within(30), pytest.raises(RuntimeError, match=died), ForkPerRun(2) as executor:
            list(executor.run(_dies_in_a_helper, range(40)))
    finally:
        done.set()
        other.join(timeout=60)
    assert not other.is_alive()


def test_an_error_right_after_a_fork_leaves_no_helper_running(monkeypatch: pytest.MonkeyPatch) -> None:
    real_start = ForkProcess.start

    def start(self: Any) -> None:
        real_start(self)
        raise SystemExit("a SIGTERM handler's exit, between the fork and the bookkeeping")

    monkeypatch.setattr(ForkProcess, "start", start)
    with _within(30), pytest.raises(SystemExit), ForkPerRun(2) as executor:
        list(executor.run(_slow_square, range(2000)))  # 10 s of work, if the helper were left to it
    assert _ours() == []


def test_a_helper_forked_but_never_known_stops_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    real_start = ForkProcess.start
    hidden: list[tuple[Any, Any]] = []
    held: list[int] = []

    def start(self: Any) -> None:
        # the caller's end of its pipe held elsewhere too (as by a process another thread forks
        # meanwhile), so that closing it does not stop the helper's sending
        held.append(os.dup(self._args[2][0].fileno()))
        real_start(self)
        hidden.append((self, self._popen))
        self._popen = None  # as if interrupted inside Popen before its pid was recorded
        raise KeyboardInterrupt

    monkeypatch.setattr(ForkProcess, "start", start)
    with _within(30), pytest.raises(KeyboardInterrupt), ForkPerRun(2) as executor:
        list(executor.run(_slow_square, range(2000)))
    (helper, popen), = hidden
    deadline = time.monotonic() + 5
    while _running(popen.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    stopped = not _running(popen.pid)
    helper._popen = popen  # known again, to be reaped
    if not stopped:
        helper.kill()
    helper.join()
    os.close(held[0])
    assert stopped, "a helper nobody knew went on with the run"


def test_a_ctrl_c_while_helpers_are_forked_is_delivered_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even with another thread to take the signal (a notebook's, a pool's), the Ctrl-C waits
    until the helpers are forked and known, then is the KeyboardInterrupt it always was."""
    real_start = ForkProcess.start
    done_starting: list[bool] = []
    other = threading.Thread(target=time.sleep, args=(3,), daemon=True)
    other.start()

    def start(self: Any) -> None:
        real_start(self)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)  # a Ctrl-C raised here would land half-way through the set-up
        done_starting.append(True)

    monkeypatch.setattr(ForkProcess, "start", start)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, not `make test &`
    try:
        with _within(30), pytest.raises(KeyboardInterrupt), ForkPerRun(2) as executor:
            list(executor.run(_slow_square, range(2000)))
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is as it was
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done_starting == [True]
    assert _ours() == []
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the mask is as it was
