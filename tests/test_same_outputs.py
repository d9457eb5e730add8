"""Restructuring changes no number: the same commands give byte-identical files.

``tests/data/same_outputs/sha256.json`` holds the SHA-256 of every file that
``supportsim run --seed 7 --replications 2 --out`` writes for a few example scenarios, and
``supportsim staff tests/data/planning/three_groups_day.yaml --seed 0 --out`` writes, recorded
before the package was cut into subpackages (main 05379fc). A change that is meant to change
results (a new metric, a fixed bug) records them again, and says so in its commit:

    .venv/bin/python tests/test_same_outputs.py --update
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "same_outputs" / "sha256.json"
COMMANDS = {
    "servicenow_desk": ["run", "scenarios/servicenow_desk.yaml", "--seed", "7", "--replications", "2"],
    "trainer_peak": ["run", "scenarios/trainer_peak.yaml", "--seed", "7", "--replications", "2"],
    "helpdesk_chatbot": ["run", "scenarios/helpdesk_chatbot.yaml", "--seed", "7", "--replications", "2"],
    "staff": ["staff", "tests/data/planning/three_groups_day.yaml", "--seed", "0"],
}
FILES = ("summary.json", "intervals.csv", "tickets.csv", "staffing.csv", "shifts.csv", "kpis.csv", "checks.csv")


def outputs(name: str, folder: Path) -> dict[str, str]:
    """Run one command into ``folder`` (from the repository root); SHA-256 of each file it wrote."""
    from supportsim.cli import app

    out = folder / name
    done = CliRunner().invoke(app, [*COMMANDS[name], "--out", str(out)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in FILES if (out / f).exists()}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_outputs_are_byte_identical(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    recorded = json.loads(RECORD.read_text())[name]
    assert outputs(name, tmp_path) == recorded


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    import os
    import tempfile

    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        record = {name: outputs(name, Path(tmp)) for name in COMMANDS}
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {RECORD.relative_to(ROOT)}")
