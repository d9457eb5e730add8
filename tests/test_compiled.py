"""The engine as the install compiles it (mypyc, ``hatch_build.py``) against its Python sources,
the reference: the same numbers to the bit, and the compiled modules only where they are current.

Run as a script (``python tests/test_compiled.py OUT``) it pickles the tables of every case to
``OUT``; the first test runs that in a process on the Python sources and compares.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import supportsim
from supportsim.engine import ArrivalTrace, engine_build
from supportsim.engine.compiled import (
    COMPILED,
    EXTENSION,
    FOLDER,
    GROUP,
    MANIFEST,
    PURE_PYTHON,
    build_state,
    manifest_for,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
ENGINE = ROOT / "src" / "supportsim" / "engine"


def _hook() -> Any:
    """``hatch_build.py``, the build hook (for its test of a C compiler)."""
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


Case = tuple[supportsim.Scenario, ArrivalTrace | None, bool]  # scenario, trace, keep_tickets


def _cases() -> dict[str, Case]:
    """Every example scenario, plus what none of them has: a carried-in queue with a survey,
    a replayed trace, and a run without the ticket table (as the planner's).
    """
    cases: dict[str, Case] = {path.stem: (supportsim.load_scenario(path), None, True) for path in SCENARIOS}
    data = cases["helpdesk_chatbot"][0].model_dump(mode="json", by_alias=True, exclude_none=True)
    data["initial"] = {data["channels"][0]["name"]: {"waiting": 40, "mean_age_hours": 0.5}}
    data["feedback"] = {"survey_share": 0.5}
    cases["carried_in_with_survey"] = (supportsim.scenario_from_dict(data), None, True)
    cases["no_ticket_table"] = (cases["helpdesk_baseline"][0], None, False)
    single = cases["single_queue"][0]
    minutes = np.sort(np.random.default_rng(3).uniform(0, 24 * 60, 2_000))
    trace = ArrivalTrace(
        channel=np.array([single.channels[0].name] * len(minutes)),
        arrival_minute=minutes,
        category=np.array([single.categories[0].name] * len(minutes)),
    )
    cases["replayed_trace"] = (single, trace, True)
    return cases


def outputs() -> dict[str, dict[str, Any]]:
    """Every table of every case, simulated twice (seed 7) in this process."""
    out: dict[str, dict[str, Any]] = {}
    for name, (scenario, trace, keep) in _cases().items():
        result = supportsim.simulate(scenario, seed=7, replications=2, trace=trace, keep_tickets=keep)
        out[name] = {
            "summary": repr(result.summary),  # every float's repr: equal only to the bit
            "intervals": result.intervals,
            "groups": result.groups,
            "tickets": result.tickets if keep else None,
            "warnings": result.warnings,
        }
    return out


def test_the_compiled_engine_gives_the_numbers_of_its_python_sources(tmp_path: Path) -> None:
    """Every table of every example scenario, a warm start with a survey and a trace replay, on
    the engine this process runs (compiled where the install could) and on the sources.
    """
    out = tmp_path / "sources.pickle"
    env = {**os.environ, PURE_PYTHON: "1"}
    done = subprocess.run(
        [sys.executable, __file__, str(out)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sources = pickle.loads(out.read_bytes())
    here = outputs()
    assert sources.keys() == here.keys()
    for name, tables in here.items():
        for table, value in tables.items():
            if isinstance(value, pd.DataFrame):
                pd.testing.assert_frame_equal(value, sources[name][table], check_exact=True, obj=f"{name}: {table}")
            else:
                assert value == sources[name][table], f"{name}: {table} differs from the sources'"


def test_an_install_with_a_c_compiler_runs_the_compiled_engine() -> None:
    """CI installs on a machine with gcc: the suite must test (and time) what users get there."""
    wanted = (
        _hook().c_compiler() is not None
        and os.environ.get("SUPPORTSIM_COMPILE", "1") != "0"
        and os.environ.get(PURE_PYTHON, "") != "1"
    )
    assert engine_build() == "compiled (mypyc)" if wanted else engine_build().startswith("Python sources")
    from supportsim.engine import dispatch

    assert (dispatch.__file__ or "").endswith(EXTENSION if wanted else "dispatch.py")


def test_asking_for_the_sources_imports_every_compiled_module_from_its_py_file() -> None:
    code = (
        "import importlib, supportsim.engine as e\n"
        "print(e.engine_build())\n"
        f"print(*[importlib.import_module('supportsim.engine.' + m).__file__ for m in {COMPILED!r}])"
    )
    env = {**os.environ, PURE_PYTHON: "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    build, files = done.stdout.splitlines()
    assert build == f"Python sources ({PURE_PYTHON}=1)", done.stderr
    assert [Path(f).name for f in files.split()] == [f"{m}.py" for m in COMPILED]


def test_the_build_state_says_why_the_sources_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PURE_PYTHON, raising=False)
    for name in COMPILED:
        shutil.copy(ENGINE / f"{name}.py", tmp_path)
    folder = tmp_path / FOLDER
    folder.mkdir()

    def state(manifest: dict[str, Any]) -> str:
        (folder / MANIFEST).write_text(json.dumps(manifest))
        return build_state(tmp_path)

    assert build_state(tmp_path) == "Python sources (not compiled: installed without a build of the engine)"
    assert state({"error": "no C compiler found"}) == "Python sources (not compiled: no C compiler found)"
    current = manifest_for(tmp_path)
    assert state({**current, "extension": ".cpython-399-x.so"}).startswith("Python sources (compiled for another")
    assert state(current).startswith(f"Python sources (compiled files missing: {', '.join(COMPILED)}")
    for name in (*COMPILED, GROUP):
        (folder / f"{name}{EXTENSION}").touch()
    assert state(current) == "compiled (mypyc)"
    (tmp_path / "dispatch.py").write_text((tmp_path / "dispatch.py").read_text() + "\n# edited\n")
    assert state(current).startswith("Python sources (edited since the build")
    monkeypatch.setenv(PURE_PYTHON, "1")
    assert build_state(tmp_path) == f"Python sources ({PURE_PYTHON}=1)"


def test_a_compiled_engine_that_does_not_load_gives_way_to_the_sources(tmp_path: Path) -> None:
    """A build that is current but cannot load here (another libpython, a damaged file)."""
    shutil.copytree(ENGINE.parent, tmp_path / "supportsim", ignore=shutil.ignore_patterns("__pycache__"))
    folder = tmp_path / "supportsim" / "engine" / FOLDER
    folder.mkdir(exist_ok=True)
    (folder / MANIFEST).write_text(json.dumps(manifest_for(ENGINE)))
    for name in (*COMPILED, GROUP):
        (folder / f"{name}{EXTENSION}").write_bytes(b"not a shared library")
    code = "import supportsim.engine as e, supportsim.engine.dispatch as d; print(e.engine_build()); print(d.__file__)"
    env = {**{k: v for k, v in os.environ.items() if k != PURE_PYTHON}, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    build, module = done.stdout.splitlines()
    assert build.startswith("Python sources (the compiled engine does not load:"), done.stderr
    assert module == str(tmp_path / "supportsim" / "engine" / "dispatch.py")


def _wheel_run(tmp_path: Path, compiler: str | None) -> tuple[list[str], list[str]]:
    """Build the wheel (``CC`` set to ``compiler`` when given), unpack it and simulate the
    helpdesk week with it; returns the wheel's name and files, and what the run printed:
    ``dispatch``'s file, the engine build and the summary.
    """
    env = {**os.environ, **({"CC": compiler} if compiler else {})}
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)]
    done = subprocess.run([*build, str(ROOT)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = tmp_path.glob("*.whl")
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    code = (
        "import supportsim, supportsim.engine.dispatch as d\n"
        "r = supportsim.simulate(supportsim.load_scenario('scenarios/helpdesk_baseline.yaml'), seed=7)\n"
        "print(d.__file__); print(supportsim.engine.engine_build()); print(repr(r.summary))"
    )
    env = {**{k: v for k, v in os.environ.items() if k != PURE_PYTHON}, "PYTHONPATH": str(tmp_path / "site")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return [wheel.name, *zipfile.ZipFile(wheel).namelist()], done.stdout.splitlines()


def _helpdesk_summary() -> str:
    """The summary ``_wheel_run`` prints, simulated in this process."""
    scenario = supportsim.load_scenario(ROOT / "scenarios" / "helpdesk_baseline.yaml")
    return repr(supportsim.simulate(scenario, seed=7).summary)


def test_without_a_c_compiler_the_package_builds_and_runs_as_pure_python(tmp_path: Path) -> None:
    (name, *files), (module, state, summary) = _wheel_run(tmp_path, str(tmp_path / "no-such-compiler"))
    assert name.endswith("-py3-none-any.whl")
    assert "supportsim/engine/dispatch.py" in files and f"supportsim/engine/{FOLDER}/{MANIFEST}" in files
    assert not [f for f in files if f.endswith((".so", ".pyd"))]
    assert module == str(tmp_path / "site" / "supportsim" / "engine" / "dispatch.py")
    assert state == "Python sources (not compiled: no C compiler found)"
    assert summary == _helpdesk_summary()


def test_a_wheel_built_with_the_c_compiler_runs_compiled(tmp_path: Path) -> None:
    """The wheel's own layout (not the editable install's): compiled files in ``_mypyc``, a
    platform tag, the same numbers. Where no C compiler is found, the pure wheel.
    """
    compiler = _hook().c_compiler()
    (name, *files), (module, state, summary) = _wheel_run(tmp_path, None)
    assert summary == _helpdesk_summary()
    if compiler is None:
        assert name.endswith("-py3-none-any.whl") and state.startswith("Python sources (not compiled")
        return
    assert not name.endswith("-none-any.whl")
    assert {f"supportsim/engine/{FOLDER}/{m}{EXTENSION}" for m in (*COMPILED, GROUP)} <= set(files)
    assert state == "compiled (mypyc)" and module.endswith(EXTENSION)


if __name__ == "__main__":
    Path(sys.argv[1]).write_bytes(pickle.dumps(outputs()))
