"""The notebooks run from their Jupytext sources, and the stored ``.ipynb`` are those sources, executed.

Each ``notebooks/N_name.py`` is executed in a fresh ``python3`` kernel of this venv (the
same way ``notebooks/build_notebooks.py`` builds the stored notebooks; ``pytest --nbmake
notebooks/*.ipynb`` runs the stored ones). Two cells are added for the test only: one that
records every figure the notebook shows, one that reports them, so that the test can check
that each chart has a title and labelled axes.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import jupytext
import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9]_*.py"))
TIME_LIMIT_SECONDS = 120

RECORD_FIGURES = """\
import matplotlib.backend_bases as _backend_bases
_FIGURES_SHOWN = []
_print_figure = _backend_bases.FigureCanvasBase.print_figure
def _record_figure(canvas, *args, **kwargs):
    figure = canvas.figure
    suptitle = figure._suptitle.get_text() if figure._suptitle is not None else ""
    _FIGURES_SHOWN.append([
        {"title": ax.get_title() or suptitle, "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel()}
        for ax in figure.axes if ax.has_data()
    ])
    return _print_figure(canvas, *args, **kwargs)
_backend_bases.FigureCanvasBase.print_figure = _record_figure
"""
REPORT_FIGURES = "import json as _json\nprint('FIGURES=' + _json.dumps(_FIGURES_SHOWN))"


def _builder() -> ModuleType:
    if "build_notebooks" in sys.modules:
        return sys.modules["build_notebooks"]
    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOKS / "build_notebooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_notebooks"] = module
    spec.loader.exec_module(module)
    return module


def test_the_four_notebooks_are_there() -> None:
    names = {p.stem for p in SOURCES}
    assert names == {"1_process_change", "2_headcount_plan", "3_bottlenecks", "4_forecast_to_plan"}
    assert _builder().sources() == SOURCES


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_runs_and_its_charts_are_labelled(source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Streamlit (imported by the app tests in the same worker) sets MPLBACKEND=Agg; the kernel
    # inherits the environment and would then draw nothing inline.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = jupytext.read(source)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(RECORD_FIGURES))
    notebook.cells.append(nbformat.v4.new_code_cell(REPORT_FIGURES))
    # raises CellExecutionError on any error; the per-cell timeout only guards against a hang
    # (run times are printed by notebooks/build_notebooks.py, not asserted)
    _builder().execute(notebook, timeout=TIME_LIMIT_SECONDS)

    report = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.output_type == "stream")
    figures = json.loads(report.split("FIGURES=", 1)[1])
    assert figures, f"{source.name} shows no chart"
    for number, axes in enumerate(figures, start=1):
        assert axes, f"{source.name}: chart {number} is empty"
        for ax in axes:
            for part in ("title", "xlabel", "ylabel"):
                assert ax[part].strip(), f"{source.name}: chart {number} has no {part}: {ax}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_stored_notebook_is_the_executed_source(source: Path) -> None:
    stored_path = source.with_suffix(".ipynb")
    assert stored_path.exists(), f"run .venv/bin/python notebooks/build_notebooks.py {source.stem}"
    stored = nbformat.read(stored_path, as_version=4)
    fresh = jupytext.read(source)
    assert [(c.cell_type, c.source) for c in stored.cells] == [(c.cell_type, c.source) for c in fresh.cells], (
        f"{stored_path.name} is out of date: run .venv/bin/python notebooks/build_notebooks.py {source.stem}"
    )
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "stored notebook was not executed"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no stored chart"
    assert stored.metadata["jupytext"]["formats"] == "ipynb,py:percent"
