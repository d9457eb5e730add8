"""Run many ``supportsim`` command lines cheaply: import once, fork one process per case.

Each case is a child process with its own address-space limit (``RLIMIT_AS``), a wall-clock
timeout, and its CPU time and peak memory measured by ``os.wait4``; only the imports are
shared. Reads one JSON case per line on stdin (``{"id", "args", "cwd"}``), writes one JSON
result per line on stdout (``{"id", "code", "stderr", "cpu_seconds", "rss_mb", "wall_seconds"}``).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time
from typing import Any

EXTRA_ADDRESS_SPACE = 1024 * 2**20  # on top of what the imports already mapped
TIMEOUT_SECONDS = 30.0


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(case: dict[str, Any], stderr_path: str, limit: int) -> None:
    """In the forked child: limit, redirect, run the command, exit with its code."""
    from supportsim.cli import app

    os.setsid()
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    devnull = os.open(os.devnull, os.O_RDWR)
    err = os.open(stderr_path, os.O_WRONLY | os.O_TRUNC)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(err, 2)
    os.chdir(case["cwd"])
    code = 0
    try:
        app(case["args"], prog_name="supportsim")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)


def _run(case: dict[str, Any], limit: int) -> dict[str, Any]:
    handle, stderr_path = tempfile.mkstemp(prefix="hostile-", suffix=".err")
    os.close(handle)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(case, stderr_path, limit)
    status, usage, timed_out = 0, None, False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > TIMEOUT_SECONDS:
            timed_out = True
            os.killpg(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.01)
    with open(stderr_path, encoding="utf-8", errors="replace") as text:
        stderr = text.read()
    os.unlink(stderr_path)
    return {
        "id": case["id"],
        "code": -1 if timed_out else os.waitstatus_to_exitcode(status),
        "stderr": ("TIMEOUT " if timed_out else "") + stderr,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "wall_seconds": time.monotonic() - start,
    }


def _reserve_arrow_arena() -> None:
    """Have Arrow's allocator reserve its address space here, before the limit is measured, as
    the imports do: mimalloc (pyarrow's default pool) reserves 1 GiB on its first allocation,
    and pandas keeps text columns in Arrow, so a case's first text column would otherwise need
    all of ``EXTRA_ADDRESS_SPACE`` for the reservation alone (and fail, or not, by a few pages).
    """
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - pyarrow comes with the dev install
        return
    pyarrow.array(["reserve"])


def main() -> None:
    """Serve cases from stdin, one at a time (the caller runs one server per core)."""
    import supportsim.cli  # noqa: F401 - imported once, shared by every forked case

    _reserve_arrow_arena()
    limit = _mapped_bytes() + EXTRA_ADDRESS_SPACE
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(_run(json.loads(line), limit)), flush=True)


if __name__ == "__main__":
    main()
