"""Which engine runs: the modules the build compiled with mypyc, or their Python sources.

Where the machine has a C compiler, the install (``hatch_build.py``) compiles the modules of
:data:`COMPILED` into the folder :data:`FOLDER` and writes :data:`MANIFEST` there: the
interpreter they are for and the SHA-256 of each source it compiled (or why it could not
compile). Python's own import never looks in that folder: only :class:`_Compiled`, put
first on ``sys.meta_path`` when this module is imported as ``supportsim.engine.compiled``,
loads from it, and only while the build is current (:func:`build_state`). Otherwise, with
``SUPPORTSIM_PURE_PYTHON=1`` or after a source was edited, every module is imported from its
``.py`` file (all or none: a compiled class cannot extend an interpreted one). The Python
sources are the reference: both give the same numbers to the bit (``tests/test_compiled.py``).

Standard library only: ``hatch_build.py`` loads this file before anything is installed.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["COMPILED", "FOLDER", "GROUP", "MANIFEST", "PURE_PYTHON", "build_state", "engine_build", "manifest_for"]

COMPILED = ("calls", "entities", "levels", "rows", "choice", "duty", "dispatch", "records", "simulation", "plain")
"""Modules of ``supportsim.engine`` compiled where a C compiler is found: the event handlers
and what they touch per event (the rest runs once a day or once a run)."""

GROUP = "supportsim_engine__mypyc"
"""The shared library that holds the compiled code (each module's own file only loads it)."""

FOLDER = "_mypyc"
"""Folder of ``supportsim/engine`` that holds the compiled files and :data:`MANIFEST`."""

MANIFEST = "compiled.json"
"""``{"extension": suffix, "sources": {module: sha256}}``, or ``{"error": why}``."""

PURE_PYTHON = "SUPPORTSIM_PURE_PYTHON"
"""Environment variable: ``1`` runs the Python sources even where compiled modules exist."""

EXTENSION = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
"""This interpreter's suffix of compiled modules (``.cpython-311-x86_64-linux-gnu.so``)."""

HERE = Path(__file__).resolve().parent


def manifest_for(engine: Path) -> dict[str, Any]:
    """What a build of the sources in the folder ``engine`` records for this interpreter."""
    sources = {name: hashlib.sha256((engine / f"{name}.py").read_bytes()).hexdigest() for name in COMPILED}
    return {"extension": EXTENSION, "sources": sources}


def build_state(engine: Path = HERE, environ: Mapping[str, str] = os.environ) -> str:
    """Which engine runs from the folder ``engine``: ``"compiled (mypyc)"`` when its build is
    current, else ``"Python sources (why)"`` (also when ``environ`` sets :data:`PURE_PYTHON`).
    """
    if environ.get(PURE_PYTHON, "") == "1":
        return f"Python sources ({PURE_PYTHON}=1)"
    folder = engine / FOLDER
    try:
        built = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        return "Python sources (not compiled: installed without a build of the engine)"
    except (OSError, ValueError):
        return f"Python sources ({MANIFEST} unreadable: reinstall to compile again)"
    if not isinstance(built, dict) or "error" in built:
        return f"Python sources (not compiled: {built.get('error') if isinstance(built, dict) else built})"
    if built.get("extension") != EXTENSION:
        return f"Python sources (compiled for another Python, {built.get('extension')}: reinstall)"
    if built != manifest_for(engine):
        return "Python sources (edited since the build: reinstall, e.g. `make install`, to compile them)"
    missing = [name for name in (*COMPILED, GROUP) if not (folder / f"{name}{EXTENSION}").is_file()]
    if missing:
        return f"Python sources (compiled files missing: {', '.join(missing)}: reinstall)"
    return "compiled (mypyc)"


class _Compiled(importlib.abc.MetaPathFinder):
    """Finds the modules of :data:`COMPILED`, and their shared library, in :data:`FOLDER`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if fullname == GROUP or (package == "supportsim.engine" and name in COMPILED):
            return importlib.util.spec_from_file_location(fullname, HERE / FOLDER / f"{name}{EXTENSION}")
        return None


def _choose() -> str:
    """Put :class:`_Compiled` first on ``sys.meta_path`` if the build is current and loads."""
    state = build_state()
    if state.startswith("compiled") and not any(isinstance(f, _Compiled) for f in sys.meta_path):
        finder = _Compiled()
        sys.meta_path.insert(0, finder)
        try:
            importlib.import_module(GROUP)
        except ImportError as error:  # built, but this machine cannot load it
            sys.meta_path.remove(finder)
            return f"Python sources (the compiled engine does not load: {error})"
    return state


_STATE = _choose() if __name__ == "supportsim.engine.compiled" else "not chosen (loaded by path)"


def engine_build() -> str:
    """Which engine this process runs: ``"compiled (mypyc)"`` or ``"Python sources (why)"``."""
    return _STATE
