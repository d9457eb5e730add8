"""Ctrl-C: exit code 130, one line "interrupted after k of n replications", no traceback from
the command, its workers or Dask, and nothing written unless ``--keep-partial`` is given (then
``"complete": false`` with the counts).

Each test starts the real command in its own process group, waits until the progress bar
shows a finished replication (the marker that it is simulating), then sends SIGINT to the
whole group, as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "supportsim.cli"]
SCENARIO = """\
name: Interrupted
horizon: {days: 3, interval_minutes: 60, warmup_hours: 2}
channels:
  - name: phone
    mode: realtime
    arrivals: {per_hour: 120}
    patience_seconds: {dist: exponential, mean: 180}
categories:
  - name: general
    channels: {phone: 1.0}
    skill: general
    handle_minutes: {dist: exponential, mean: 6}
groups:
  - {name: tier1, skills: [general], headcount: 14}
"""
FINISHED = re.compile(rb"\b([1-9]\d*)/(\d+)\b")


def interrupt(args: list[str], cwd: Path, *, at_least: int = 1) -> tuple[int, str]:
    """Run ``supportsim ARGS``; Ctrl-C once ``at_least`` replications finished; (exit code, stderr)."""
    env = dict(os.environ, FORCE_COLOR="1", COLUMNS="200")  # the progress bar is drawn: the marker
    process = subprocess.Popen(
        [*COMMAND, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
        # as from a terminal: a suite started in the background (``make test &``) ignores SIGINT,
        # and a child would inherit that and never see the Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None and process.stderr is not None
    seen: list[bytes] = []
    errors: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: seen.extend(iter(lambda: process.stdout.read1(4096), b"")), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=lambda: errors.extend(iter(lambda: process.stderr.read1(4096), b"")), daemon=True),  # type: ignore[union-attr]
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        found = [int(m.group(1)) for m in FINISHED.finditer(b"".join(seen))]
        if found and max(found) >= at_least:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the command ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the command did not stop within 60 s of Ctrl-C")
    for reader in readers:
        reader.join(timeout=5)
    return code, b"".join(errors).decode(errors="replace")


@pytest.fixture()
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "interrupted.yaml"
    path.write_text(SCENARIO)
    return path


def _one_interrupted_line(stderr: str) -> re.Match[str]:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    match = re.fullmatch(r"interrupted after (\d+) of (\d+) replications", lines[0])
    assert match, lines
    return match


def test_run_interrupted_writes_nothing(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stderr = interrupt(["run", str(scenario), "--replications", "400", "--workers", "2", "--out", str(out)],
                             tmp_path)
    assert code == 130
    match = _one_interrupted_line(stderr)
    assert 1 <= int(match.group(1)) < 400 and match.group(2) == "400"
    assert not out.exists()
    assert list(tmp_path.glob(".out-*")) == []


def test_run_interrupted_keeps_a_partial_result_when_asked(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stderr = interrupt(
        ["run", str(scenario), "--replications", "400", "--workers", "2", "--out", str(out), "--keep-partial"],
        tmp_path, at_least=2,
    )
    assert code == 130
    match = _one_interrupted_line(stderr)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is False
    assert summary["replications_finished"] == summary["replications"] == int(match.group(1)) >= 2
    assert summary["replications_requested"] == 400
    assert (out / "tickets.csv").exists() and (out / "intervals.csv").exists()


def test_compare_interrupted_writes_nothing(scenario: Path, tmp_path: Path) -> None:
    variant = tmp_path / "variant.yaml"
    variant.write_text(f"extends: {scenario.name}\nname: More agents\ngroups:\n  - {{name: tier1, headcount: 16}}\n")
    out = tmp_path / "out"
    code, stderr = interrupt(
        ["compare", str(scenario), str(variant), "--replications", "200", "--workers", "2", "--out", str(out)],
        tmp_path, at_least=3,
    )
    assert code == 130
    match = _one_interrupted_line(stderr)
    assert match.group(2) == "200"
    assert not out.exists()
    assert list(tmp_path.glob(".out-*")) == []


def test_dask_local_interrupted_is_quiet(scenario: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    code, stderr = interrupt(
        ["run", str(scenario), "--replications", "400", "--workers", "2", "--dask", "local", "--out", str(out)],
        tmp_path,
    )
    assert code == 130
    _one_interrupted_line(stderr)
    assert not out.exists()
