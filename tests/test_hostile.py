"""The hostile corpus (``tests/hostile/corpus.py``): every case ends in one line naming the
file and the field, exit code 2, no traceback, nothing written, within a CPU-time and memory
budget, each in its own process under an address-space limit and a timeout.

The package is imported once per core by a fork server (``tests/hostile/forkserver.py``);
each case is a forked child with its own ``RLIMIT_AS``, timeout and ``wait4`` measurements,
so the corpus costs seconds, not (cases x start-up time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.corpus import Case, build

ROOT = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "tests.hostile.forkserver"]
MAX_RSS_MB = 500  # peak resident memory of a case, the imports it shares included
MAX_CPU_SECONDS = 2.0  # of the case's own process (the imports are done once, before it forks)
SERVERS = 2  # one per core


@dataclass
class Outcome:
    """How a case ended."""

    code: int
    stderr: str
    cpu_seconds: float
    rss_mb: float
    wall_seconds: float


def _serve(cases: list[tuple[int, Case]], folder: Path) -> dict[int, Outcome]:
    """Run ``cases`` on one fork server (each case its own limited process)."""
    env = dict(os.environ, COLUMNS="200", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    lines = "".join(json.dumps({"id": i, "args": case.args, "cwd": str(folder)}) + "\n" for i, case in cases)
    done = subprocess.run(SERVER, input=lines, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {r.pop("id"): Outcome(**r) for r in results}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("hostile")
    cases = build(folder)
    started = time.monotonic()
    shares = [[(i, c) for i, c in enumerate(cases) if i % SERVERS == k] for k in range(SERVERS)]
    with ThreadPoolExecutor(max_workers=SERVERS) as pool:
        merged: dict[int, Outcome] = {}
        for part in pool.map(lambda share: _serve(share, folder), shares):
            merged |= part
    wall = time.monotonic() - started
    return cases, {case.name: merged[i] for i, case in enumerate(cases)}, wall, 0.0


Corpus = tuple[list[Case], dict[str, Outcome], float, float]


def _failures(corpus: Corpus, check: object) -> list[str]:
    cases, outcomes, _, _ = corpus
    problems = []
    for case in cases:
        message = check(case, outcomes[case.name])  # type: ignore[operator]
        if message:
            problems.append(f"{case.name}: {message}")
    return problems


def test_the_corpus_covers_every_class_with_over_60_cases(corpus: Corpus) -> None:
    cases, _, wall, _ = corpus
    kinds = {case.kind for case in cases}
    assert kinds == {"yaml", "size", "finite", "file", "encoding", "command", "write"}
    assert len(cases) >= 60
    print(f"{len(cases)} hostile cases in {wall:.1f} s of wall time")


def test_every_case_exits_2_with_one_line_and_no_traceback(corpus: Corpus) -> None:
    def check(case: Case, outcome: Outcome) -> str | None:
        lines = outcome.stderr.strip().splitlines()
        if outcome.code != 2 or len(lines) != 1 or "Traceback" in outcome.stderr:
            return f"exit {outcome.code}, stderr {outcome.stderr[-600:]!r}"
        return None

    assert _failures(corpus, check) == []


def test_every_message_names_the_file_and_the_field(corpus: Corpus) -> None:
    def check(case: Case, outcome: Outcome) -> str | None:
        missing = [name for name in case.names if name not in outcome.stderr]
        return f"{missing} not in {outcome.stderr.strip()[:300]!r}" if missing else None

    assert _failures(corpus, check) == []


def test_every_case_stays_within_time_and_memory(corpus: Corpus) -> None:
    def check(case: Case, outcome: Outcome) -> str | None:
        if outcome.cpu_seconds > MAX_CPU_SECONDS or outcome.rss_mb > MAX_RSS_MB:
            return f"{outcome.cpu_seconds:.1f} s CPU, {outcome.rss_mb:.0f} MB peak"
        return None

    assert _failures(corpus, check) == []


def test_no_case_writes_anything(corpus: Corpus) -> None:
    def check(case: Case, outcome: Outcome) -> str | None:
        written = [str(path) for path in case.writes if path.exists()]
        staged = [str(p) for path in case.writes for p in path.parent.glob(f".{path.name}-*")]
        return f"wrote {written + staged}" if written or staged else None

    assert _failures(corpus, check) == []
    assert not Path("/tmp/pwned").exists()
    assert Path("/dev/null").is_char_device()
