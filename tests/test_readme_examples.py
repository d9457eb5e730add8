"""The README's examples work as written.

- every ```python block runs (from the repository root, as the README assumes), and every
  expression it shows evaluates to a value;
- every ```yaml block that is a scenario validates;
- every ```bash block with ``supportsim`` commands runs them in order with the venv's
  ``supportsim``. Nothing is written into the repository: paths under ``out/`` go to a
  temporary folder, and a command redirected into a file (``> file``) must print what that
  file already holds (e.g. the committed JSON Schema).
"""

from __future__ import annotations

import ast
import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import supportsim
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SUPPORTSIM = Path(sys.executable).parent / "supportsim"
COMMAND_TIMEOUT_SECONDS = 300


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


def _commands(block: str) -> list[str]:
    """The ``supportsim`` command lines of a bash block (continuations joined, comments cut)."""
    joined = re.sub(r"\\\n\s*", " ", block)
    lines = [line.split(" #", 1)[0].strip() for line in joined.splitlines()]
    return [line for line in lines if re.match(r"^(\.venv/bin/)?supportsim\b", line)]


COMMAND_BLOCKS = [commands for commands in map(_commands, _blocks("bash")) if commands]


def test_the_readme_has_examples_of_every_kind() -> None:
    assert _blocks("python")
    assert _blocks("yaml")
    assert COMMAND_BLOCKS


def test_python_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    shown = 0
    for block in _blocks("python"):
        for statement in ast.parse(block).body:
            code = ast.get_source_segment(block, statement)
            if isinstance(statement, ast.Expr):
                value = eval(compile(ast.Expression(statement.value), "<README>", "eval"), namespace)
                assert value is not None, f"README example shows nothing: {code}"
                if isinstance(value, float):
                    assert not math.isnan(value), f"README example is NaN: {code}"
                if hasattr(value, "empty"):
                    assert not value.empty, f"README example is an empty table: {code}"
                shown += 1
            else:
                exec(compile(ast.Module([statement], type_ignores=[]), "<README>", "exec"), namespace)
    assert shown > 0


def test_yaml_scenario_examples_validate() -> None:
    scenarios = [block for block in _blocks("yaml") if re.search(r"^horizon:", block, flags=re.MULTILINE)]
    assert scenarios
    for block in scenarios:
        scenario = supportsim.parse_scenario(block, source="README.md", base_dir=ROOT / "scenarios")
        one_day = scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={"days": 1})})
        result = supportsim.simulate(one_day)
        assert result.metric("overall", "", "offered") > 0


def _run(line: str, out: Path) -> None:
    words = shlex.split(line)
    target = None
    if ">" in words:
        at = words.index(">")
        words, target = words[:at], words[at + 1]
    words = [str(SUPPORTSIM)] + [out / w[len("out/"):] if w.startswith("out/") else w for w in words[1:]]
    words = [str(w) for w in words]
    done = subprocess.run(words, cwd=ROOT, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS)
    assert done.returncode == 0, f"README command failed: {line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    if target is not None:
        committed = (ROOT / target).read_text(encoding="utf-8")
        if target.endswith(".json"):
            assert json.loads(done.stdout) == json.loads(committed), f"{target} is not what `{line}` prints"
        else:
            assert done.stdout == committed, f"{target} is not what `{line}` prints"


@pytest.mark.parametrize("commands", COMMAND_BLOCKS, ids=lambda c: c[0].split()[1] + f"-{len(c)}")
def test_command_examples_run(commands: list[str], tmp_path: Path) -> None:
    for line in commands:
        _run(line, tmp_path / "out")
    written = list((tmp_path / "out").rglob("*")) if (tmp_path / "out").exists() else []
    if any("out/" in line for line in commands):
        assert written, "the examples say they write into out/, but nothing was written"
