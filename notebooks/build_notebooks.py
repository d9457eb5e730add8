"""Execute the notebooks' Jupytext sources and store them, with outputs, as paired ``.ipynb``.

The ``N_name.py`` files (Jupytext ``py:percent``) are the sources to edit; each ``.ipynb``
beside it is the same notebook executed, with its tables and charts stored, for reading on
GitHub or in Jupyter. Run after editing a notebook:

    .venv/bin/python notebooks/build_notebooks.py                 # every notebook
    .venv/bin/python notebooks/build_notebooks.py 1_process_change  # one of them

Notebooks run with the ``python3`` kernel of the Python that runs this script (ipykernel
in the project's venv), with the notebooks folder as working directory.
``tests/test_notebooks.py`` executes every source the same way and checks that the stored
``.ipynb`` has the same cells.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

FOLDER = Path(__file__).resolve().parent
TIMEOUT_SECONDS = 120


def sources() -> list[Path]:
    """The notebooks' Jupytext sources, in order."""
    return sorted(FOLDER.glob("[0-9]_*.py"))


def execute(notebook: nbformat.NotebookNode, timeout: int = TIMEOUT_SECONDS) -> nbformat.NotebookNode:
    """Run every cell of ``notebook`` in a fresh kernel (in place); raises on the first error."""
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(FOLDER)}}
    )
    client.execute()
    return notebook


def build(source: Path) -> float:
    """Execute ``source`` and write its ``.ipynb``; returns the seconds it took."""
    notebook = jupytext.read(source)
    started = time.perf_counter()
    execute(notebook)
    seconds = time.perf_counter() - started
    jupytext.write(notebook, source.with_suffix(".ipynb"), fmt="ipynb")
    return seconds


def main(names: list[str]) -> int:
    """Build the named notebooks (all without names)."""
    chosen = [p for p in sources() if not names or p.stem in names]
    if not chosen:
        print(f"no notebook called {names} in {FOLDER}", file=sys.stderr)
        return 2
    for source in chosen:
        seconds = build(source)
        print(f"{source.name}: executed in {seconds:.1f} s, wrote {source.with_suffix('.ipynb').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
