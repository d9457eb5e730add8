"""A corpus of broken scenario files: each is refused with one clear ``FILE: FIELD: message`` line.

Every ``*.yaml`` in ``tests/broken_scenarios/`` (except ``expected.yaml``) is a small variation
of a valid scenario with one mistake a user would make; ``expected.yaml`` says which message
line it must produce. Each file goes through :func:`load_scenario` and the real CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from supportsim.cli import app
from supportsim.scenario.io import ScenarioError, load_scenario

HERE = Path(__file__).parent
CORPUS = HERE / "broken_scenarios"
EXPECTED: dict[str, Any] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in CORPUS.glob("*.yaml") if p.name != "expected.yaml")

runner = CliRunner()


def _expected_line(name: str, path: Path) -> str:
    """The line ``name`` must produce when loaded as ``path``."""
    text: str = EXPECTED[name]
    return text.replace("{dir}/", str(path.parent) + os.sep).replace("{file}", str(path))


def test_every_file_has_an_expectation_and_every_expectation_a_file() -> None:
    assert len(FILES) >= 20
    assert set(FILES) - set(EXPECTED) == set(), "add these files to expected.yaml"
    assert set(EXPECTED) - set(FILES) == set(), "expected.yaml names files that do not exist"
    for name, expectation in EXPECTED.items():
        assert isinstance(expectation, str), f"{name}: malformed expectation {expectation!r}"


@pytest.mark.parametrize("name", FILES)
def test_loader_refuses_with_the_expected_line(name: str) -> None:
    path = CORPUS / name
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert lines
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    assert _expected_line(name, path) in lines


@pytest.mark.parametrize("name", FILES)
def test_validate_command_exits_2_with_the_expected_line(name: str) -> None:
    path = CORPUS / name
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert _expected_line(name, path) in result.stderr.splitlines(), result.stderr


@pytest.mark.parametrize(
    "name",
    [
        "negative_headcount.yaml",
        "yaml_syntax_error.yaml",
        "empty.yaml",
        "arrivals_csv_missing.yaml",
        "routing_unknown_group.yaml",
    ],
)
def test_run_command_exits_2_and_writes_nothing(name: str, tmp_path: Path) -> None:
    path = CORPUS / name
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert _expected_line(name, path) in result.stderr.splitlines(), result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], "nothing at all may be written next to --out"


def test_path_is_printed_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    relative = Path("broken_scenarios") / "negative_headcount.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(relative)
    assert str(info.value) == f"{relative}: groups[1].headcount: must be >= 0"
    result = runner.invoke(app, ["validate", str(relative)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{relative}: groups[1].headcount: must be >= 0"


def test_python_object_tag_runs_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Under an unsafe loader the tag would run `touch supportsim-unsafe-yaml-marker` here.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError):
        load_scenario(CORPUS / "python_object_tag.yaml")
    result = runner.invoke(app, ["validate", str(CORPUS / "python_object_tag.yaml")])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_console_script_in_a_subprocess_prints_one_clear_line() -> None:
    path = CORPUS / "negative_headcount.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "supportsim.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"{path}: groups[1].headcount: must be >= 0"]
